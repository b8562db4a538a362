// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The AutoML run's memory limit: the process's resident memory, polled on a thread of its own
// so that models in the middle of a fit can be told to stop (FitControl::should_stop).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

namespace winnow::automl {

// The process's resident memory, in bytes.
uint64_t resident_bytes();
// The machine's physical memory, in bytes.
uint64_t machine_bytes();

// Watches the process's resident memory on its own thread; over() tells models to stop.
class MemoryWatch {
 public:
  explicit MemoryWatch(uint64_t limit);
  ~MemoryWatch();
  MemoryWatch(const MemoryWatch&) = delete;
  MemoryWatch& operator=(const MemoryWatch&) = delete;

  bool over() const { return over_.load(); }
  uint64_t peak() const { return peak_.load(); }
  uint64_t current() const { return current_.load(); }
  uint64_t limit() const { return limit_; }

 private:
  void poll();
  void loop();

  uint64_t limit_;
  std::atomic<bool> over_{false};
  std::atomic<uint64_t> peak_{0}, current_{0};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace winnow::automl

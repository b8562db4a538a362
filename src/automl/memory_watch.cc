// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "automl/memory_watch.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>

namespace winnow::automl {

uint64_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

uint64_t machine_bytes() {
  return static_cast<uint64_t>(sysconf(_SC_PHYS_PAGES)) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

MemoryWatch::MemoryWatch(uint64_t limit) : limit_(limit) {
  poll();
  thread_ = std::thread([this] { loop(); });
}

MemoryWatch::~MemoryWatch() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void MemoryWatch::poll() {
  uint64_t rss = resident_bytes();
  current_ = rss;
  peak_ = std::max(peak_.load(), rss);
  over_ = rss > limit_;
}

void MemoryWatch::loop() {
  std::unique_lock lock(mutex_);
  while (!stop_) {
    poll();
    wake_.wait_for(lock, std::chrono::milliseconds(20));
  }
}

}  // namespace winnow::automl

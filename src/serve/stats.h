// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// What GET /metrics reports: counts since start, latency quantiles over the most recent
// requests (a ring of the last `window` latencies, so a slow start does not hide today's
// behaviour), batch sizes (mean and a histogram of power-of-two buckets) and each worker's
// busy time. Thread-safe: one mutex, held for a few instructions per record.
#pragma once
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

#include <nlohmann/json.hpp>

namespace winnow::serving {

class ServeStats {
 public:
  ServeStats(size_t window, int workers);

  void record_request(size_t rows, double seconds);
  void record_error(int status);
  void record_batch(size_t rows);
  // A request the dynamic schedule predicted at once in its own thread (the server was idle).
  void record_direct();
  void record_worker(int worker, double busy_seconds);
  void request_started();
  void request_finished();

  // Buckets: [1], [2], [3,4], [5,8], ..., the last open-ended.
  static constexpr int kBatchBuckets = 12;

  nlohmann::json to_json(double uptime_seconds) const;

 private:
  mutable std::mutex mutex_;
  uint64_t requests_ = 0, rows_ = 0, errors_ = 0;  // guarded by mutex_
  std::vector<std::pair<int, uint64_t>> errors_by_status_;
  std::vector<double> latencies_;  // ring buffer
  size_t next_latency_ = 0;
  size_t window_;
  uint64_t batches_ = 0, batch_rows_ = 0, direct_ = 0;
  uint64_t batch_histogram_[kBatchBuckets] = {};
  std::vector<double> worker_busy_;
  std::vector<uint64_t> worker_calls_;
  int64_t in_flight_ = 0;
};

}  // namespace winnow::serving

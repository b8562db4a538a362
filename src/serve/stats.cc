// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "serve/stats.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace winnow::serving {
namespace {

int bucket_of(size_t rows) {
  if (rows <= 1) return 0;
  int bucket = static_cast<int>(std::bit_width(rows - 1));  // 2 -> 1, 3..4 -> 2, 5..8 -> 3
  return std::min(bucket, ServeStats::kBatchBuckets - 1);
}

// Nearest-rank quantile of sorted values.
double quantile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

}  // namespace

ServeStats::ServeStats(size_t window, int workers)
    : window_(std::max<size_t>(window, 1)),
      worker_busy_(static_cast<size_t>(workers), 0.0),
      worker_calls_(static_cast<size_t>(workers), 0) {
  latencies_.reserve(window_);
}

void ServeStats::record_request(size_t rows, double seconds) {
  std::lock_guard lock(mutex_);
  ++requests_;
  rows_ += rows;
  if (latencies_.size() < window_) {
    latencies_.push_back(seconds);
  } else {
    latencies_[next_latency_] = seconds;
  }
  next_latency_ = (next_latency_ + 1) % window_;
}

void ServeStats::record_error(int status) {
  std::lock_guard lock(mutex_);
  ++errors_;
  for (auto& [code, count] : errors_by_status_) {
    if (code == status) {
      ++count;
      return;
    }
  }
  errors_by_status_.emplace_back(status, 1);
}

void ServeStats::record_direct() {
  std::lock_guard lock(mutex_);
  ++direct_;
}

void ServeStats::record_batch(size_t rows) {
  std::lock_guard lock(mutex_);
  ++batches_;
  batch_rows_ += rows;
  ++batch_histogram_[bucket_of(rows)];
}

void ServeStats::record_worker(int worker, double busy_seconds) {
  std::lock_guard lock(mutex_);
  worker_busy_.at(static_cast<size_t>(worker)) += busy_seconds;
  ++worker_calls_.at(static_cast<size_t>(worker));
}

void ServeStats::request_started() {
  std::lock_guard lock(mutex_);
  ++in_flight_;
}

void ServeStats::request_finished() {
  std::lock_guard lock(mutex_);
  --in_flight_;
}

nlohmann::json ServeStats::to_json(double uptime_seconds) const {
  std::vector<double> sorted;
  nlohmann::json out;
  {
    std::lock_guard lock(mutex_);
    sorted = latencies_;
    out["requests"] = requests_;
    out["rows"] = rows_;
    out["errors"] = errors_;
    nlohmann::json by_status = nlohmann::json::object();
    for (const auto& [code, count] : errors_by_status_) by_status[std::to_string(code)] = count;
    out["errors_by_status"] = by_status;
    out["in_flight"] = in_flight_;
    nlohmann::json histogram = nlohmann::json::array();
    for (int b = 0; b < kBatchBuckets; ++b) {
      if (batch_histogram_[b] == 0) continue;
      size_t low = b == 0 ? 1 : (size_t{1} << (b - 1)) + 1;
      nlohmann::json bucket = {{"min_rows", low}, {"batches", batch_histogram_[b]}};
      if (b < kBatchBuckets - 1) bucket["max_rows"] = size_t{1} << b;
      histogram.push_back(bucket);
    }
    out["direct_requests"] = direct_;
    out["batches"] = {{"count", batches_},
                      {"mean_rows", batches_ ? static_cast<double>(batch_rows_) / batches_ : 0.0},
                      {"histogram", histogram}};
    nlohmann::json workers = nlohmann::json::array();
    for (size_t w = 0; w < worker_busy_.size(); ++w) {
      workers.push_back({{"worker", w},
                         {"calls", worker_calls_[w]},
                         {"busy_seconds", worker_busy_[w]},
                         {"utilisation", uptime_seconds > 0 ? worker_busy_[w] / uptime_seconds
                                                            : 0.0}});
    }
    out["workers"] = workers;
  }
  std::sort(sorted.begin(), sorted.end());
  out["latency_ms"] = {{"window", sorted.size()},
                       {"p50", 1e3 * quantile(sorted, 0.5)},
                       {"p90", 1e3 * quantile(sorted, 0.9)},
                       {"p99", 1e3 * quantile(sorted, 0.99)},
                       {"max", sorted.empty() ? 0.0 : 1e3 * sorted.back()}};
  out["uptime_seconds"] = uptime_seconds;
  return out;
}

}  // namespace winnow::serving

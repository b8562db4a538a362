// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Dynamic batching: requests from many connections wait in one queue, and leave it as a batch
// once the batch holds `max_rows` rows or its first request has waited `max_wait` (Clipper,
// Crankshaw et al., NSDI 2017; Triton's dynamic batcher). Requests are never split: one larger
// than `max_rows` leaves alone, and a batch ends before a request that would overflow it.
//
// With `leave_when_idle`, a batch also leaves as soon as the stage after it is idle: waiting
// then only delays rows that workers could already run, while under load the rows that arrive
// during a batch's prediction form the next one by themselves (the batch size adapts to the
// load, as Clipper's AIMD or continuous batching aim for, without tuning max_wait).
//
// Thread-safe: any number of threads submit; one thread (the batching stage) calls next_batch.
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <vector>

#include "automl/data/table.h"

namespace winnow::serving {

using Clock = std::chrono::steady_clock;

// A request's rows, already in the model's layout, and where its predictions go
// (rows * outputs floats, the weighted and normalised ensemble's).
struct PendingRequest {
  automl::Table rows;
  Clock::time_point arrived = Clock::now();
  std::promise<std::vector<float>> result;
};

class Batcher {
 public:
  // max_rows >= 1; max_wait >= 0. The next stage starts idle.
  Batcher(size_t max_rows, Clock::duration max_wait, bool leave_when_idle = false);

  // Queues a request; false (and the request is not queued) after close().
  bool submit(std::shared_ptr<PendingRequest> request);
  // Blocks until a batch is due and returns it, oldest request first. After close(), returns
  // what is queued without waiting, then an empty batch once nothing is left.
  std::vector<std::shared_ptr<PendingRequest>> next_batch();
  // From now on batches leave as soon as asked for, without waiting for more rows.
  void flush();
  // Whether the stage that takes batches has nothing to do (see leave_when_idle).
  void set_next_stage_idle(bool idle);
  // Refuses further requests and wakes the batching stage.
  void close();
  size_t queued_requests() const;

 private:
  const size_t max_rows_;
  const Clock::duration max_wait_;
  const bool leave_when_idle_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::shared_ptr<PendingRequest>> queue_;  // guarded by mutex_
  size_t queued_rows_ = 0;                             // guarded by mutex_
  bool flushing_ = false;                              // guarded by mutex_
  bool next_stage_idle_ = true;                        // guarded by mutex_
  bool closed_ = false;                                // guarded by mutex_
};

}  // namespace winnow::serving

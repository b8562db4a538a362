// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "serve/batcher.h"

#include <stdexcept>

namespace winnow::serving {

Batcher::Batcher(size_t max_rows, Clock::duration max_wait, bool leave_when_idle)
    : max_rows_(max_rows), max_wait_(max_wait), leave_when_idle_(leave_when_idle) {
  if (max_rows < 1) throw std::logic_error("Batcher: max_rows < 1");
}

bool Batcher::submit(std::shared_ptr<PendingRequest> request) {
  {
    std::lock_guard lock(mutex_);
    if (closed_) return false;
    queued_rows_ += request->rows.rows;
    queue_.push_back(std::move(request));
  }
  changed_.notify_all();
  return true;
}

std::vector<std::shared_ptr<PendingRequest>> Batcher::next_batch() {
  std::unique_lock lock(mutex_);
  while (true) {
    if (queue_.empty()) {
      if (closed_) return {};
      changed_.wait(lock);
      continue;
    }
    // The requests that fit, the first always.
    size_t take = 0, rows = 0;
    while (take < queue_.size() &&
           (take == 0 || rows + queue_[take]->rows.rows <= max_rows_)) {
      rows += queue_[take]->rows.rows;
      ++take;
    }
    const Clock::time_point deadline = queue_.front()->arrived + max_wait_;
    const bool full = rows >= max_rows_ || take < queue_.size();
    const bool idle = leave_when_idle_ && next_stage_idle_;
    if (full || idle || flushing_ || closed_ || Clock::now() >= deadline) {
      std::vector<std::shared_ptr<PendingRequest>> batch(queue_.begin(), queue_.begin() + take);
      queue_.erase(queue_.begin(), queue_.begin() + take);
      queued_rows_ -= rows;
      return batch;
    }
    changed_.wait_until(lock, deadline);
  }
}

void Batcher::flush() {
  {
    std::lock_guard lock(mutex_);
    flushing_ = true;
  }
  changed_.notify_all();
}

void Batcher::set_next_stage_idle(bool idle) {
  {
    std::lock_guard lock(mutex_);
    next_stage_idle_ = idle;
  }
  if (idle) changed_.notify_all();
}

void Batcher::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  changed_.notify_all();
}

size_t Batcher::queued_requests() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

}  // namespace winnow::serving

// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "study/lease_keeper.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <vector>

#include "common/strings.h"

namespace winnow {

LeaseKeeper::LeaseKeeper(std::shared_ptr<Storage> storage, int64_t study_id, std::string owner,
                         double lease_seconds)
    : storage_(std::move(storage)),
      study_id_(study_id),
      owner_(std::move(owner)),
      lease_ms_(static_cast<int64_t>(lease_seconds * 1000)),
      creator_(getpid()) {}

LeaseKeeper::~LeaseKeeper() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (!thread_.joinable()) return;
  if (getpid() == creator_) {
    thread_.join();
  } else {
    thread_.detach();  // fork() copied the handle, not the thread
  }
}

void LeaseKeeper::track(int64_t trial_id) {
  std::lock_guard lock(mutex_);
  running_.insert(trial_id);
  if (!thread_.joinable() && lease_ms_ > 0) thread_ = std::thread([this] { run(); });
}

void LeaseKeeper::untrack(int64_t trial_id) {
  std::lock_guard lock(mutex_);
  auto it = running_.find(trial_id);
  if (it != running_.end()) running_.erase(it);
}

void LeaseKeeper::set_requeue(bool requeue) {
  std::lock_guard lock(mutex_);
  requeue_ = requeue;
}

OrphanPolicy LeaseKeeper::policy() const {
  OrphanPolicy policy;
  policy.lease_ms = lease_ms_;
  {
    std::lock_guard lock(mutex_);
    policy.requeue = requeue_;
  }
  policy.reason = "interrupted: the process running this trial stopped before it finished (its "
                  "process is gone, or it sent no heartbeat for " +
                  format_short(lease_ms_ / 1000.0) + " s)";
  return policy;
}

void LeaseKeeper::run() {
  using namespace std::chrono;
  // At least every 10 s whatever this process's lease: another process of the study may judge
  // our trials by a shorter lease of its own (a worker's --lease).
  const milliseconds beat(std::clamp<int64_t>(lease_ms_ / 5, 20, 10000));
  const milliseconds check(std::max<int64_t>(lease_ms_ / 2, 50));
  auto next_check = steady_clock::now() + check;
  bool warned = false;
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, beat, [this] { return stopping_; })) {
    std::vector<int64_t> ids(running_.begin(), running_.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    lock.unlock();
    try {
      storage_->heartbeat(ids, owner_);
      if (steady_clock::now() >= next_check) {
        next_check = steady_clock::now() + check;
        storage_->recover_orphaned_trials(study_id_, policy());
      }
      warned = false;
    } catch (const std::exception& error) {
      // The storage already retried; the next beat tries again. Said once per outage.
      if (!warned) std::cerr << "winnow: warning: heartbeat failed: " << error.what() << "\n";
      warned = true;
    }
    lock.lock();
  }
}

}  // namespace winnow

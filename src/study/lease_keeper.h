// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Keeps the leases of a process's running trials alive and finds the trials of processes that
// stopped heartbeating, on any host. One background thread per Study object on a shared storage
// (SQLite, PostgreSQL); it starts with the first trial and beats every lease / 5 (at most 10 s), so a trial
// survives four lost beats (a stalled disk, a database restart) before anyone may take it.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <sys/types.h>

#include <set>
#include <string>
#include <thread>

#include "winnow/storage.h"

namespace winnow {

class LeaseKeeper {
 public:
  LeaseKeeper(std::shared_ptr<Storage> storage, int64_t study_id, std::string owner,
              double lease_seconds);
  ~LeaseKeeper();
  LeaseKeeper(const LeaseKeeper&) = delete;
  LeaseKeeper& operator=(const LeaseKeeper&) = delete;

  void track(int64_t trial_id);
  void untrack(int64_t trial_id);
  // Whether the periodic orphan check requeues what it finds (set by
  // Study::recover_orphaned_trials, as the user asked for at the start of the run).
  void set_requeue(bool requeue);
  // The policy the periodic check uses, also for the first check of a run.
  OrphanPolicy policy() const;

 private:
  void run();

  const std::shared_ptr<Storage> storage_;
  const int64_t study_id_;
  const std::string owner_;
  const int64_t lease_ms_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  // A trial twice when this process claimed it again after losing it, and still runs the lost
  // attempt: each attempt untracks its own.
  std::multiset<int64_t> running_;  // guarded by mutex_
  bool requeue_ = false;       // guarded by mutex_
  bool stopping_ = false;      // guarded by mutex_
  std::thread thread_;         // started by the first track()
  pid_t creator_ = 0;          // a forked child has the object but not the thread
};

}  // namespace winnow

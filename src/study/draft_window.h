// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>

namespace winnow {

// The trial numbers a process drafts proposals for (Storage::create_trial_from_drafts). Its
// next trial gets the number after its last one plus the trials the study's other processes
// (and its own other jobs) create in between; how many that is, and how much it varies, is
// estimated from the distances between the numbers its own new trials got. A window that
// misses costs a turn at the study's lock, so it is drawn wide enough to cover the usual
// variation. When the numbers vary more than kMaxDrafts can cover, or windows keep missing,
// the process asks without drafts (decided under the lock).
class DraftWindow {
 public:
  // Most numbers drafted for in one ask: each draft is a proposal made and sent to the storage.
  static constexpr int64_t kMaxDrafts = 33;
  // Asks made without drafts after the windows missed more often than not.
  static constexpr int kPauseAsks = 32;

  struct Range {
    int64_t first = 0;
    int64_t count = 0;
  };
  // The numbers to draft for, or nullopt: before the first number is known, while the numbers
  // vary too much, and while paused.
  std::optional<Range> next() const;
  // The number of a trial this process created (drafted or not; not a waiting trial it claimed).
  void observe(int64_t number);
  // Whether the trial was created from the window next() gave (hit) or no draft was for its
  // number (miss).
  void hit();
  void miss();

 private:
  int64_t last_ = -1;
  double gap_ = 1;       // smoothed distance between two new trials' numbers
  double spread_ = 0;    // smoothed absolute deviation of that distance
  double hit_rate_ = 1;  // smoothed share of windows that held the number
  int paused_ = 0;       // asks left without drafts
};

}  // namespace winnow

// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>

namespace winnow {

// The trial numbers a process drafts proposals for (Storage::create_trial_from_drafts). Its
// next trial gets the number after its last one plus the trials the study's other processes
// (and its own other jobs) create in between; how many that is, and how much it varies, is
// estimated from the distances between the numbers its own asks got. A window that misses
// costs a turn at the study's lock, so it is drawn wide enough to cover the usual variation.
class DraftWindow {
 public:
  // Most numbers drafted for in one ask: each draft is sent to the storage.
  static constexpr int64_t kMaxDrafts = 48;

  struct Range {
    int64_t first = 0;
    int64_t count = 0;
  };
  // The numbers to draft for, or nullopt before the first number is known.
  std::optional<Range> next() const;
  // The number an ask got, or found to be next when its window missed.
  void observe(int64_t number);

 private:
  int64_t last_ = -1;
  double gap_ = 1;     // smoothed distance between two asks' numbers
  double spread_ = 0;  // smoothed absolute deviation of that distance
};

}  // namespace winnow

// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// For samplers that keep what they derive from the history between asks (TPE's view of it,
// GP's set of evaluated configurations, auto's "some trial reports constraints"): which
// positions of SampleContext::history an ask must read. A finished trial never changes
// (trial.h), so once read it is not read again; an ask reads the positions past the end of the
// history it saw last and those its sampler asked to see again (unfinished trials, and gaps of
// the study's cached history, number -1, that a later ask finds filled).
//
// Contract: a history extends the one before it (as a study's does): the same trials at the
// same positions, new ones at the end, only unfinished ones changing. The first and last
// position seen, a few in between and every position asked for again are checked against
// what was there; a history that fails (a budget scheduler's trials of one budget, after the
// budget changed) is read whole, and next() says so, so the sampler starts over.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "winnow/trial.h"

namespace winnow {

class HistoryReader {
 public:
  // Fills `positions` (increasing) with what to read of `history` in this ask. Returns false
  // when the history does not extend the last one: then `positions` is every position, and
  // what the sampler derived before must be dropped.
  bool next(std::span<const FrozenTrial> history, std::vector<size_t>& positions);
  // Marks a position returned by the last next() to be read again by the next one. Call in
  // increasing order of position.
  void revisit(size_t position) { revisit_.push_back(position); }
  // Forgets everything: the next next() reads the whole history (and returns false).
  void reset();

 private:
  bool extends(std::span<const FrozenTrial> history) const;

  size_t seen_ = 0;              // positions read so far
  bool started_ = false;
  std::vector<int64_t> number_;  // number and id of the trial at each position read
  std::vector<int64_t> id_;
  std::vector<size_t> revisit_;
};

}  // namespace winnow

// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// What budget schedulers read back from the stored trials: which trial sits on which rung of
// which bracket, whether it is finished, how good it is, and which trials were already continued.
// Everything is recomputed from the history on each call, so a resumed study sees exactly the
// rungs the killed one left.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <unordered_set>
#include <vector>

#include "winnow/scheduler.h"

namespace winnow {

struct RungEntry {
  const FrozenTrial* trial = nullptr;
  int64_t bracket = 0;
  int rung = 0;
  double budget = 0;
  std::optional<int64_t> continues;
  bool finished = false;  // complete, pruned, or failed by the objective
  // Lower is better, whatever the direction; +inf for a failure or a missing value.
  double score = 0;
};

struct Ladder {
  // Trials placed by a budget scheduler (those with rung attributes), in number order. Trials
  // that failed because Winnow stopped are left out: their slot is free again, and the trial
  // they continued may be continued anew.
  std::vector<RungEntry> entries;
  // Numbers of trials that a placed trial (waiting, running or finished) continues.
  std::unordered_set<int64_t> continued;
};

Ladder read_ladder(std::span<const FrozenTrial> history, Direction direction);

// Lower is better: the first value of a finished trial, negated when maximising; +inf when it
// has none (failed, or pruned before its first report).
double trial_score(const FrozenTrial& trial, Direction direction);

// The attributes of the trial `assignment` describes. `source` is the trial it continues.
std::map<std::string, std::string> assignment_attrs(const TrialAssignment& assignment,
                                                    const FrozenTrial* source);

// What the sampler learns from under a budget scheduler: every trial at the largest budget that
// has at least `min_points` complete trials (values at different budgets are not comparable,
// and the largest budget is the most faithful; Falkner et al. 2018, section 4.1). Trials the
// user enqueued count at budget.max. Empty when no budget has enough complete trials yet, so a
// model-based sampler starts out at random.
std::vector<FrozenTrial> trials_at_informative_budget(const SchedulerContext& context,
                                                      int64_t min_points);

// Options every budget scheduler takes: `min_points` for the sampler's training set
// (default: number of parameters + 2).
int64_t default_min_points(const SearchSpace& space);

class SamplerOptionReader;
// The option every budget scheduler takes: min_points, or nullopt when not given. The ladder's
// own keys (min, max, eta) belong to the study's [budget] section, and are refused with a
// pointer to it rather than as unknown options.
std::optional<int64_t> read_min_points(SamplerOptionReader& reader,
                                       const std::map<std::string, std::string>& options,
                                       const std::string& scheduler);

}  // namespace winnow

// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// How the TPE sampler splits finished trials (tpe_split.h) on hand-made sets: the good set by
// rank, hypervolume and feasibility; c-TPE's per-constraint split; and c-TPE's log probability
// of improvement.
#include "samplers/tpe_split.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace winnow {
namespace {

// ---- The good set ---------------------------------------------------------------------------

FrozenTrial complete_trial(int64_t number, std::vector<double> values,
                           std::vector<double> constraints = {}) {
  FrozenTrial t;
  t.number = number;
  t.state = TrialState::kComplete;
  t.values = std::move(values);
  t.constraints = std::move(constraints);
  return t;
}

std::vector<int64_t> good_numbers(const std::vector<FrozenTrial>& trials,
                                  std::vector<Direction> directions, size_t n_good,
                                  std::vector<double>* weights = nullptr,
                                  std::optional<double> reference_margin = 0.1) {
  std::vector<const FrozenTrial*> pointers;
  for (const FrozenTrial& t : trials) pointers.push_back(&t);
  TpeSplit split = split_finished_trials(pointers, directions, n_good, reference_margin);
  std::vector<int64_t> good;
  for (size_t i = 0; i < trials.size(); ++i) {
    if (!split.good[i]) continue;
    good.push_back(trials[i].number);
    if (weights != nullptr) weights->push_back(split.weights[i]);
  }
  return good;
}

TEST(TpeSplit, CutsTheLastFrontByGreedyHypervolumeSubsetSelection) {
  // One front of six (0: (0, 10), 1: (1, 6), 2: (2, 5), 3: (3, 4.5), 4: (6, 1), 5: (10, 0)),
  // reference (11, 11). Greedy: 2 (box 54), then 4 (adds 20, where 0 adds 2, 1 adds 5, 3 adds 4,
  // 5 adds 5), then 1 (adds 5, where 0 adds 2, 3 adds 1.5, 5 adds 1). Crowding distance would
  // keep the extremes 0 and 5 instead.
  const std::vector<double> front = {0, 10, 1, 6, 2, 5, 3, 4.5, 6, 1, 10, 0};
  EXPECT_EQ(greedy_hypervolume_subset(front, 2, 3, std::vector<double>{11, 11}),
            (std::vector<size_t>{2, 4, 1}));
  // With the reference a tenth of the spread beyond the worst point, (11, 11), as above.
  EXPECT_EQ(best_by_rank_and_hypervolume(front, 2, 3, 0.1), (std::vector<size_t>{1, 2, 4}));
  // The default margin, half the spread, puts it at (15, 15): the extremes gain (after 2 and 4,
  // trial 0 adds 10, 1 adds 9, 5 adds 5, 3 adds 1.5).
  EXPECT_EQ(best_by_rank_and_hypervolume(front, 2, 3), (std::vector<size_t>{0, 2, 4}));

  // Through the split, with the second objective maximised, two dominated trials (6, 7) and an
  // infeasible one (8) that dominates everything.
  std::vector<FrozenTrial> trials;
  for (int i = 0; i < 6; ++i) {
    trials.push_back(complete_trial(i, {front[2 * i], -front[2 * i + 1]}));
  }
  trials.push_back(complete_trial(6, {3, -6}));
  trials.push_back(complete_trial(7, {7, -2}, {-1.0}));  // feasible: constraint <= 0
  trials.push_back(complete_trial(8, {-1, 1}, {0.5}));
  std::vector<Direction> directions = {Direction::kMinimize, Direction::kMaximize};
  std::vector<double> weights;
  EXPECT_EQ(good_numbers(trials, directions, 3, &weights), (std::vector<int64_t>{1, 2, 4}));
  // Contributions among the good set w.r.t. its own reference (6.5, 6.5): 0.5, 4 and 2.
  ASSERT_EQ(weights.size(), 3u);
  EXPECT_NEAR(weights[0], 0.125, 1e-12);
  EXPECT_NEAR(weights[1], 1.0, 1e-12);
  EXPECT_NEAR(weights[2], 0.5, 1e-12);
  // Whole fronts first: rank 0 (six trials), then rank 1 (trials 6 and 7); the infeasible trial
  // only when every feasible one is in, with the floor weight.
  EXPECT_EQ(good_numbers(trials, directions, 8).size(), 8u);
  weights.clear();
  EXPECT_EQ(good_numbers(trials, directions, 9, &weights).back(), 8);
  EXPECT_EQ(weights.back(), kMinHypervolumeWeight);
}

TEST(TpeSplit, AWiderReferenceMarginWeighsTheExtremesOfTheGoodSetMore) {
  // The good set (1, 6), (2, 5), (6, 1). Reference 0.1 of the spread out, (6.5, 6.5):
  // contributions 0.5, 4, 2. Half the spread (the default), (8.5, 8.5): 2.5, 4, 10, so the
  // extreme (6, 1) becomes the heaviest kernel of l(x).
  const std::vector<double> good = {1, 6, 2, 5, 6, 1};
  std::vector<double> narrow = hypervolume_weights(good, 2, 0.1);
  std::vector<double> wide = hypervolume_weights(good, 2);
  ASSERT_EQ(wide.size(), 3u);
  EXPECT_NEAR(narrow[0], 0.125, 1e-12);
  EXPECT_NEAR(narrow[2], 0.5, 1e-12);
  EXPECT_NEAR(wide[0], 0.25, 1e-12);
  EXPECT_NEAR(wide[1], 0.4, 1e-12);
  EXPECT_NEAR(wide[2], 1.0, 1e-12);
  // Through the split, with the sampler's default.
  std::vector<FrozenTrial> trials;
  for (int i = 0; i < 3; ++i) trials.push_back(complete_trial(i, {good[2 * i], good[2 * i + 1]}));
  trials.push_back(complete_trial(3, {7, 7}));
  std::vector<double> weights;
  EXPECT_EQ(good_numbers(trials, {Direction::kMinimize, Direction::kMinimize}, 3, &weights,
                         default_reference_margin(2)),
            (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(weights, wide);
  // With three objectives the default stays a tenth of the spread.
  EXPECT_EQ(default_reference_margin(3), 0.1);
  const std::vector<double> good3 = {1, 6, 0, 2, 5, 0, 6, 1, 0};
  EXPECT_EQ(hypervolume_weights(good3, 3), hypervolume_weights(good3, 3, 0.1));
}

TEST(TpeSplit, PrefersFeasibleThenLeastViolatingTrials) {
  std::vector<FrozenTrial> trials = {
      complete_trial(0, {1.0}, {0.3, 0.2}),  // violation 0.5
      complete_trial(1, {9.0}),              // no constraints: feasible
      complete_trial(2, {0.0}, {2.0}),       // violation 2, the best value
      complete_trial(3, {5.0}, {-1.0, 0.0}),
      complete_trial(4, {3.0}, {std::nan(""), -1.0}),  // unknown: an infinite violation
      complete_trial(5, {2.0}, {0.1, -5.0}),          // violation 0.1
  };
  std::vector<Direction> minimize = {Direction::kMinimize};
  EXPECT_EQ(good_numbers(trials, minimize, 1), (std::vector<int64_t>{3}));
  EXPECT_EQ(good_numbers(trials, minimize, 2), (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(good_numbers(trials, minimize, 4), (std::vector<int64_t>{0, 1, 3, 5}));
  EXPECT_EQ(good_numbers(trials, minimize, 5), (std::vector<int64_t>{0, 1, 2, 3, 5}));
  std::vector<Direction> two = {Direction::kMinimize, Direction::kMinimize};
  for (FrozenTrial& t : trials) t.values.push_back(-t.values[0]);  // all non-dominated
  EXPECT_EQ(good_numbers(trials, two, 3), (std::vector<int64_t>{1, 3, 5}));
}

// ---- c-TPE ----------------------------------------------------------------------------------

std::vector<const FrozenTrial*> pointers_to(const std::vector<FrozenTrial>& trials) {
  std::vector<const FrozenTrial*> out;
  for (const FrozenTrial& t : trials) out.push_back(&t);
  return out;
}

TEST(TpeSplit, SplitsEachConstraintAtItsBound) {
  FrozenTrial pruned = complete_trial(5, {});
  pruned.state = TrialState::kPruned;
  pruned.constraints = {2.0};
  std::vector<FrozenTrial> trials = {
      complete_trial(0, {1.0}, {-1.0, 3.0}),
      complete_trial(1, {1.0}),                        // reports no constraint
      complete_trial(2, {1.0}, {0.0, std::nan("")}),   // 0 holds; NaN violates
      complete_trial(3, {1.0}, {0.5, -2.0}),
      complete_trial(4, {1.0}, {-0.1, -0.1}),
      pruned,                                          // reports the first only
  };
  std::vector<ConstraintSplit> splits = split_by_constraints(pointers_to(trials));
  ASSERT_EQ(splits.size(), 2u);
  using M = ConstraintSplit;
  EXPECT_EQ(splits[0].membership, (std::vector<uint8_t>{M::kFeasible, M::kNotReported,
                                                         M::kFeasible, M::kInfeasible,
                                                         M::kFeasible, M::kInfeasible}));
  EXPECT_EQ(splits[1].membership, (std::vector<uint8_t>{M::kInfeasible, M::kNotReported,
                                                         M::kInfeasible, M::kFeasible,
                                                         M::kFeasible, M::kNotReported}));
  EXPECT_TRUE(splits[0].models());
  EXPECT_DOUBLE_EQ(splits[0].gamma(), 3.0 / 5.0);
  EXPECT_DOUBLE_EQ(splits[1].gamma(), 2.0 / 4.0);

  // One side only: nothing to model.
  std::vector<FrozenTrial> all_feasible = {complete_trial(0, {1.0}, {-1.0}),
                                           complete_trial(1, {1.0}, {0.0})};
  std::vector<ConstraintSplit> feasible = split_by_constraints(pointers_to(all_feasible));
  ASSERT_EQ(feasible.size(), 1u);
  EXPECT_FALSE(feasible[0].models());
  EXPECT_TRUE(split_by_constraints(pointers_to({complete_trial(0, {1.0})})).empty());
}

TEST(TpeSplit, LogProbabilityOfImprovementIsBoundedByTheQuantile) {
  const double inf = std::numeric_limits<double>::infinity();
  // 1 / (gamma + (1 - gamma) g / l).
  EXPECT_NEAR(log_probability_of_improvement(0.2, std::log(4.0)), -std::log(0.2 + 0.8 / 4.0),
              1e-12);
  EXPECT_NEAR(log_probability_of_improvement(0.5, 0.0), 0.0, 1e-12);
  // Where g vanishes the term reaches its bound -log gamma; where l does, -infinity.
  EXPECT_NEAR(log_probability_of_improvement(0.1, inf), -std::log(0.1), 1e-12);
  EXPECT_NEAR(log_probability_of_improvement(0.1, 800.0), -std::log(0.1), 1e-12);
  EXPECT_EQ(log_probability_of_improvement(0.1, -inf), -inf);
  EXPECT_EQ(log_probability_of_improvement(0.1, std::nan("")), -inf);
  EXPECT_NEAR(log_probability_of_improvement(0.3, -800.0), -800.0 - std::log(0.7), 1e-9);
  // A constraint that always held (gamma = 1) adds nothing.
  EXPECT_EQ(log_probability_of_improvement(1.0, -5.0), 0.0);
  // Monotone in the ratio: with one term it ranks as log l - log g does.
  EXPECT_LT(log_probability_of_improvement(0.25, -1.0), log_probability_of_improvement(0.25, 1.0));
}

}  // namespace
}  // namespace winnow

// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Pruners that judge a trial by its reported steps: successive halving (Optuna's rule: within
// the best 1/eta of the trials that passed the rung, itself included), Hyperband's brackets,
// and thresholds.
#include <gtest/gtest.h>

#include <cmath>

#include "winnow/error.h"
#include "winnow/storage.h"
#include "winnow/study.h"

namespace winnow {
namespace {

Study pruned_study(const std::string& scheduler) {
  SearchSpace space;
  space.add_float("x", 0, 1);
  return Study::create(open_storage("memory"), space,
                       StudyOptions{.name = "p", .sampler = "random", .seed = 2,
                                    .scheduler = scheduler});
}

// Reports `value` at steps 1..last; returns the first step at which the pruner said stop.
int64_t run_curve(Study& study, double value, int64_t last, bool finish = true) {
  Trial trial = study.ask();
  for (int64_t step = 1; step <= last; ++step) {
    trial.report(step, value);
    if (trial.should_prune()) {
      study.tell_pruned(trial);
      return step;
    }
  }
  if (finish) study.tell(trial, value);
  return 0;
}

TEST(SuccessiveHalvingPruner, KeepsTheBestOfEachRungAndPrunesTheRest) {
  Study study = pruned_study("sh_pruner:min_resource=1,eta=2");
  // Rungs at steps 1, 2, 4, 8. The first trial to reach a rung passes it.
  EXPECT_EQ(run_curve(study, 0.5, 8), 0);
  // Worse than the only other value at rung 1: with two competitors the bar is the best.
  EXPECT_EQ(run_curve(study, 0.9, 8), 1);
  // Better than everything: never pruned.
  EXPECT_EQ(run_curve(study, 0.1, 8), 0);
  // Second of four at rung 1 (0.1, 0.3, 0.5, 0.9): the bar is the second best, so it passes;
  // at rung 2 three trials compete (0.1, 0.3, 0.5) and only the best passes.
  EXPECT_EQ(run_curve(study, 0.3, 8), 2);
  // Third of five at rung 1: pruned there.
  EXPECT_EQ(run_curve(study, 0.4, 8), 1);
}

TEST(SuccessiveHalvingPruner, AutoMinResourceWaitsForACompleteTrial) {
  Study study = pruned_study("sh_pruner");
  Trial running = study.ask();
  running.report(1, 100.0);
  EXPECT_FALSE(running.should_prune());
  EXPECT_EQ(run_curve(study, 0.5, 300), 0);  // last step 300: min_resource 3
  EXPECT_EQ(run_curve(study, 2.0, 300), 3);
}

TEST(HyperbandPruner, PrunesWithinBracketsOnceItKnowsTheMaximum) {
  Study study = pruned_study("hyperband_pruner:min_resource=1,max_resource=27,eta=3");
  int pruned = 0;
  for (int i = 0; i < 30; ++i) pruned += run_curve(study, i % 2 == 0 ? 0.1 : 0.9 + i, 27) > 0;
  EXPECT_GT(pruned, 5);
  Study automatic = pruned_study("hyperband_pruner");
  Trial first = automatic.ask();
  first.report(1, 5.0);
  EXPECT_FALSE(first.should_prune());  // no complete trial: the maximum is unknown
}

TEST(ThresholdPruner, PrunesOutsideTheBoundsAndOnNaN) {
  Study study = pruned_study("threshold:upper=1.0,warmup_steps=2");
  EXPECT_EQ(run_curve(study, 5.0, 4), 2);
  EXPECT_EQ(run_curve(study, 0.5, 4), 0);
  Study nan_only = pruned_study("threshold");
  EXPECT_EQ(run_curve(nan_only, std::nan(""), 3), 1);
  EXPECT_EQ(run_curve(nan_only, 1e9, 3), 0);
}

TEST(StepPruners, OptionsAreChecked) {
  EXPECT_THROW(pruned_study("sh_pruner:eta=1"), Error);
  EXPECT_THROW(pruned_study("sh_pruner:min_resource=zero"), Error);
  EXPECT_THROW(pruned_study("hyperband_pruner:min_resource=5,max_resource=2"), Error);
  EXPECT_THROW(pruned_study("threshold:lower=2,upper=1"), Error);
}

}  // namespace
}  // namespace winnow

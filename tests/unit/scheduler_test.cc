// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Schedulers through real studies: the budget ladder, median/percentile pruning, the exact
// bracket structure of Successive Halving and Hyperband, ASHA's promotions, BOHB's mix of model
// and random draws, and that every rung survives trials interrupted by a dead process.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>
#include <set>

#include "schedulers/ladder.h"
#include "schedulers/promotion_index.h"
#include "winnow/attributes.h"
#include "winnow/error.h"
#include "winnow/storage.h"
#include "winnow/study.h"
#include "winnow/study_file.h"

namespace winnow {
namespace {

SearchSpace plane() {
  SearchSpace space;
  space.add_float("x", 0.0, 1.0);
  space.add_float("y", 0.0, 1.0);
  space.validate();
  return space;
}

// A learning curve: the final loss has its minimum at (0.3, 0.7); configurations with small x
// learn slowly, so small budgets mislead a little.
double curve(const Trial& trial, double budget) {
  double x = trial.float_param("x"), y = trial.float_param("y");
  double final_loss = (x - 0.3) * (x - 0.3) + (y - 0.7) * (y - 0.7);
  return final_loss + 0.5 * (1.0 - x) / budget;
}

double attr(const FrozenTrial& trial, std::string_view key) {
  std::optional<double> value = numeric_attr(trial, key);
  EXPECT_TRUE(value.has_value()) << "trial " << trial.number << " has no " << key;
  return value.value_or(-1);
}

Study budget_study(std::shared_ptr<Storage> storage, const std::string& scheduler,
                   BudgetSpec budget, const std::string& sampler = "random") {
  StudyOptions options{.name = "mf", .sampler = sampler, .seed = 11, .scheduler = scheduler};
  options.budget = budget;
  return Study::create(std::move(storage), plane(), options);
}

void run_curve(Study& study, int64_t n_trials, int n_jobs = 1) {
  study.optimize([](Trial& t) { return curve(t, *t.budget()); },
                 OptimizeOptions{.n_trials = n_trials, .n_jobs = n_jobs});
}

// Every trial that continues another has the same configuration, the next rung, the budget of
// that rung and the lineage of its source; no trial is continued by two live trials.
void expect_consistent_ladder(const std::vector<FrozenTrial>& trials, const BudgetSpec& budget) {
  std::map<int64_t, int> continued;
  for (const FrozenTrial& t : trials) {
    if (t.state == TrialState::kFailed && t.interrupted) continue;
    int rung = static_cast<int>(attr(t, kRungAttr));
    EXPECT_EQ(attr(t, kBudgetAttr), budget.rung_budget(rung)) << t.number;
    std::optional<double> source = numeric_attr(t, kContinuesAttr);
    if (!source) continue;
    const FrozenTrial& from = trials.at(static_cast<size_t>(*source));
    EXPECT_EQ(from.config, t.config) << t.number;
    EXPECT_EQ(attr(from, kRungAttr) + 1, rung) << t.number;
    EXPECT_EQ(attr(t, kPreviousBudgetAttr), attr(from, kBudgetAttr));
    EXPECT_EQ(attr(t, kLineageAttr), numeric_attr(from, kLineageAttr).value_or(from.number));
    EXPECT_LT(from.number, t.number);
    EXPECT_EQ(++continued[from.number], 1) << "trial " << from.number << " continued twice";
  }
}

// --- The budget ladder ----------------------------------------------------------------------

TEST(BudgetSpec, LadderEndsAtMaxAndGrowsByEta) {
  BudgetSpec epochs{.min = 1, .max = 81, .eta = 3};
  ASSERT_EQ(epochs.n_rungs(), 5);
  std::vector<double> expected = {1, 3, 9, 27, 81};
  for (int r = 0; r < 5; ++r) EXPECT_EQ(epochs.rung_budget(r), expected[r]);

  // Not a power of eta: the ladder is anchored at max, and whole budgets are rounded up.
  BudgetSpec rounds{.min = 1, .max = 100, .eta = 3};
  ASSERT_EQ(rounds.n_rungs(), 5);
  std::vector<double> rounded = {2, 4, 12, 34, 100};
  for (int r = 0; r < 5; ++r) EXPECT_EQ(rounds.rung_budget(r), rounded[r]);

  BudgetSpec fraction{.min = 0.1, .max = 1.0, .eta = 2, .integer = false};
  ASSERT_EQ(fraction.n_rungs(), 4);
  EXPECT_DOUBLE_EQ(fraction.rung_budget(0), 0.125);
  EXPECT_EQ(fraction.format(0.125), "0.125");
  EXPECT_EQ(epochs.format(27), "27");
}

TEST(BudgetSpec, ValidateNamesTheField) {
  EXPECT_THROW((BudgetSpec{.min = 0, .max = 9}.validate()), Error);
  EXPECT_THROW((BudgetSpec{.min = 10, .max = 9}.validate()), Error);
  try {
    BudgetSpec{.min = 1, .max = 9, .eta = 1.5}.validate();
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("budget.eta"), std::string::npos) << e.what();
  }
}

// --- Pruners --------------------------------------------------------------------------------

// Five complete trials report 1, 2, 3, 4, 5 at every step; the median at each step is 3.
Study study_with_reference_trials(const std::string& scheduler, Direction direction) {
  StudyOptions options{.name = "prune", .sampler = "random", .seed = 1, .scheduler = scheduler};
  options.directions = {direction};
  Study study = Study::create(open_storage("memory"), plane(), options);
  for (int i = 1; i <= 5; ++i) {
    Trial trial = study.ask();
    for (int step = 0; step < 10; ++step) trial.report(step, i);
    study.tell(trial, i);
  }
  return study;
}

TEST(MedianPruner, PrunesATrialWorseThanTheMedianAtTheSameStep) {
  Study study = study_with_reference_trials("median", Direction::kMinimize);
  Trial good = study.ask();
  good.report(0, 2.5);
  EXPECT_FALSE(good.should_prune());
  Trial bad = study.ask();
  bad.report(0, 3.5);
  EXPECT_TRUE(bad.should_prune());
  // The trial's best so far counts: one bad step after a good one is not held against it.
  good.report(1, 4.0);
  EXPECT_FALSE(good.should_prune());
}

TEST(MedianPruner, WaitsForStartupTrialsWarmupAndInterval) {
  Study early = Study::create(open_storage("memory"), plane(),
                              StudyOptions{.name = "e", .sampler = "random", .scheduler = "median"});
  Trial first = early.ask();
  first.report(0, 1.0);
  early.tell(first, 1.0);
  Trial second = early.ask();
  second.report(0, 100.0);
  EXPECT_FALSE(second.should_prune()) << "only 1 of 5 start-up trials complete";

  Study warm = study_with_reference_trials("median:warmup_steps=3,interval_steps=2",
                                           Direction::kMinimize);
  Trial trial = warm.ask();
  trial.report(2, 9.0);
  EXPECT_FALSE(trial.should_prune()) << "step 2 is within the warm-up";
  trial.report(3, 9.0);
  EXPECT_TRUE(trial.should_prune()) << "step 3 starts the first interval";
  trial.report(4, 9.0);
  EXPECT_FALSE(trial.should_prune()) << "step 4 is inside the interval judged at step 3";
  trial.report(5, 9.0);
  EXPECT_TRUE(trial.should_prune());
}

TEST(PercentilePruner, UsesTheUpperPercentileWhenMaximising) {
  // Maximising, percentile 25 keeps the top quarter: the 75th percentile of 1..5 is 4.
  Study study = study_with_reference_trials("percentile:percentile=25", Direction::kMaximize);
  Trial keep = study.ask();
  keep.report(0, 4.5);
  EXPECT_FALSE(keep.should_prune());
  Trial drop = study.ask();
  drop.report(0, 3.9);
  EXPECT_TRUE(drop.should_prune());
}

TEST(MedianPruner, JudgesInfinityAsAValueAndOnlyNaNAsNothingAndNeverBeforeStartUp) {
  // An infinite best (the best a maximised run can report) once pruned at once, before the
  // start-up trials too, as if the trial had reported nothing but NaN.
  for (Direction direction : {Direction::kMinimize, Direction::kMaximize}) {
    const double best = direction == Direction::kMinimize ? -INFINITY : INFINITY;
    StudyOptions options{.name = "e", .sampler = "random", .scheduler = "median"};
    options.directions = {direction};
    Study early = Study::create(open_storage("memory"), plane(), options);
    Trial first = early.ask();
    first.report(0, best);
    EXPECT_FALSE(first.should_prune()) << "no start-up trial is complete";
    Trial diverged = early.ask();
    diverged.report(0, NAN);
    EXPECT_FALSE(diverged.should_prune()) << "no start-up trial is complete";

    Study study = study_with_reference_trials("median", direction);
    Trial infinite = study.ask();
    infinite.report(0, best);
    EXPECT_FALSE(infinite.should_prune());
    Trial only_nan = study.ask();
    only_nan.report(0, NAN);
    EXPECT_TRUE(only_nan.should_prune());
  }
}

TEST(Pruning, ObjectiveThatThrowsTrialPrunedIsRecordedPrunedWithItsLastValue) {
  Study study = study_with_reference_trials("median", Direction::kMinimize);
  study.optimize(
      [](Trial& trial) -> double {
        for (int step = 0; step < 10; ++step) {
          trial.report(step, 7.0 + step);
          if (trial.should_prune()) throw TrialPruned();
        }
        return 0.0;
      },
      OptimizeOptions{.n_trials = 1, .catch_exceptions = false});
  FrozenTrial last = study.trials().back();
  EXPECT_EQ(last.state, TrialState::kPruned);
  ASSERT_EQ(last.values.size(), 1u);
  EXPECT_EQ(last.values[0], 7.0);
  EXPECT_EQ(last.intermediate.size(), 1u) << "stopped at the first step judged";
}

// --- Successive Halving and Hyperband --------------------------------------------------------

TEST(Hyperband, SequentialRunFillsEveryBracketExactly) {
  BudgetSpec budget{.min = 1, .max = 27, .eta = 3};
  Study study = budget_study(open_storage("memory"), "hyperband", budget);
  // K = 4 rungs (1, 3, 9, 27). Brackets s = 3, 2, 1, 0 start 27, 12, 6 and 4 configurations.
  run_curve(study, 27 + 9 + 3 + 1 + 12 + 4 + 1 + 6 + 2 + 4);
  std::vector<FrozenTrial> trials = study.trials();
  std::map<std::pair<int, int>, int> count;  // (bracket, rung) -> trials
  for (const FrozenTrial& t : trials) {
    ASSERT_EQ(t.state, TrialState::kComplete);
    ++count[{static_cast<int>(attr(t, kBracketAttr)), static_cast<int>(attr(t, kRungAttr))}];
  }
  std::map<std::pair<int, int>, int> expected = {
      {{0, 0}, 27}, {{0, 1}, 9}, {{0, 2}, 3}, {{0, 3}, 1}, {{1, 1}, 12}, {{1, 2}, 4},
      {{1, 3}, 1},  {{2, 2}, 6}, {{2, 3}, 2}, {{3, 3}, 4}};
  EXPECT_EQ(count, expected);
  expect_consistent_ladder(trials, budget);
  // The best trial is judged at the full budget only.
  std::optional<FrozenTrial> best = study.best_trial();
  ASSERT_TRUE(best.has_value());
  EXPECT_EQ(attr(*best, kBudgetAttr), 27);
}

TEST(SuccessiveHalving, PromotesExactlyTheBestOfEachFinishedStage) {
  BudgetSpec budget{.min = 1, .max = 9, .eta = 3};
  Study study = budget_study(open_storage("memory"), "sh", budget);
  run_curve(study, 2 * (9 + 3 + 1));  // two rounds of 9 -> 3 -> 1
  std::vector<FrozenTrial> trials = study.trials();
  expect_consistent_ladder(trials, budget);
  for (int bracket = 0; bracket < 2; ++bracket) {
    for (int rung = 0; rung < 2; ++rung) {
      std::vector<const FrozenTrial*> stage;
      std::set<int64_t> promoted;
      for (const FrozenTrial& t : trials) {
        if (attr(t, kBracketAttr) != bracket) continue;
        if (attr(t, kRungAttr) == rung) stage.push_back(&t);
        if (attr(t, kRungAttr) == rung + 1) {
          promoted.insert(static_cast<int64_t>(attr(t, kContinuesAttr)));
        }
      }
      ASSERT_EQ(stage.size(), rung == 0 ? 9u : 3u);
      std::sort(stage.begin(), stage.end(), [](const FrozenTrial* a, const FrozenTrial* b) {
        return a->values[0] < b->values[0];
      });
      std::set<int64_t> best;
      for (size_t i = 0; i < stage.size() / 3; ++i) best.insert(stage[i]->number);
      EXPECT_EQ(promoted, best) << "bracket " << bracket << " rung " << rung;
    }
  }
}

TEST(Hyperband, ParallelWorkersStartTheNextBracketInsteadOfWaiting) {
  BudgetSpec budget{.min = 1, .max = 9, .eta = 3};
  Study study = budget_study(open_storage("memory"), "hyperband", budget);
  run_curve(study, 60, 4);
  std::vector<FrozenTrial> trials = study.trials();
  EXPECT_EQ(trials.size(), 60u);
  expect_consistent_ladder(trials, budget);
  // Trials per (bracket, rung). A bracket starts its configurations on one rung and keeps at most
  // floor(n / eta^k) of its n starters k rungs higher; no bracket starts more than budget.max /
  // budget.min configurations.
  std::map<int, std::map<int, int>> count;
  for (const FrozenTrial& t : trials) {
    ++count[static_cast<int>(attr(t, kBracketAttr))][static_cast<int>(attr(t, kRungAttr))];
  }
  std::set<int> starting_rungs;
  for (const auto& [bracket, rungs] : count) {
    auto [first_rung, starters] = *rungs.begin();
    starting_rungs.insert(first_rung);
    EXPECT_LE(starters, 9) << "bracket " << bracket;
    for (const auto& [rung, n] : rungs) {
      EXPECT_LE(n, static_cast<int>(starters / std::pow(3, rung - first_rung)))
          << "bracket " << bracket << " rung " << rung;
    }
  }
  // Hyperband's brackets start at different budgets (Successive Halving's all start at min).
  EXPECT_GE(starting_rungs.size(), 2u);
  EXPECT_GE(count.size(), 3u) << "workers moved on to later brackets";
}

// --- ASHA ------------------------------------------------------------------------------------

// Replays the run: a continuation of S at rung k+1 is allowed only if S was among the top
// floor(n / eta) of the n rung-k trials finished before it started.
void expect_asha_promotions(const std::vector<FrozenTrial>& trials, double eta) {
  for (const FrozenTrial& t : trials) {
    std::optional<double> source = numeric_attr(t, kContinuesAttr);
    if (!source) continue;
    int rung = static_cast<int>(attr(t, kRungAttr)) - 1;
    const FrozenTrial& from = trials.at(static_cast<size_t>(*source));
    std::vector<double> finished;
    for (const FrozenTrial& other : trials) {
      if (other.number >= t.number) break;
      if (other.state == TrialState::kComplete && attr(other, kRungAttr) == rung &&
          other.end_time_ms <= t.start_time_ms) {
        finished.push_back(other.values[0]);
      }
    }
    std::sort(finished.begin(), finished.end());
    size_t top = static_cast<size_t>(std::floor(finished.size() / eta));
    ASSERT_GT(top, 0u) << "trial " << t.number << " promoted from a rung without a top";
    EXPECT_LE(from.values[0], finished[top - 1]) << "trial " << t.number;
  }
}

// ASHA's promotion rule read directly from every trial's rung (what PromotionIndex must answer).
std::optional<int64_t> promotion_by_scan(std::span<const FrozenTrial> history, int rung,
                                         double eta) {
  Ladder ladder = read_ladder(history, Direction::kMinimize);
  std::vector<const RungEntry*> finished;
  for (const RungEntry& entry : ladder.entries) {
    if (entry.finished && entry.rung == rung) finished.push_back(&entry);
  }
  std::sort(finished.begin(), finished.end(), [](const RungEntry* a, const RungEntry* b) {
    return std::pair(a->score, a->trial->number) < std::pair(b->score, b->trial->number);
  });
  auto top = static_cast<size_t>(std::floor(static_cast<double>(finished.size()) / eta + 1e-9));
  for (size_t i = 0; i < top; ++i) {
    if (std::isinf(finished[i]->score)) break;
    if (ladder.continued.count(finished[i]->trial->number) == 0) return finished[i]->trial->number;
  }
  return std::nullopt;
}

TEST(PromotionIndex, AnswersAsAScanOfEveryTrialWhileTheStudyChanges) {
  for (bool versioned : {true, false}) {
    SCOPED_TRACE(versioned ? "versioned trials" : "trials without versions");
    std::mt19937_64 rng(11);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    std::vector<FrozenTrial> history;
    int64_t version = 0;
    PromotionIndex index;
    PromotionIndex told;  // updated from the numbers that changed, as a study does
    std::vector<int64_t> changed;
    auto touch = [&](FrozenTrial& trial) {
      trial.version = versioned ? ++version : 0;
      changed.push_back(trial.number);
    };
    for (int step = 0; step < 600; ++step) {
      double roll = unit(rng);
      std::vector<size_t> running;
      for (size_t i = 0; i < history.size(); ++i) {
        if (history[i].state == TrialState::kRunning) running.push_back(i);
      }
      if (roll < 0.45 || running.empty()) {
        FrozenTrial trial;
        trial.number = static_cast<int64_t>(history.size());
        trial.state = TrialState::kRunning;
        int rung = 0;
        // Continue a random earlier trial now and then, on the rung above it (possibly one
        // already continued, or unfinished: the index must agree with the scan whatever it is).
        if (!history.empty() && unit(rng) < 0.4) {
          const FrozenTrial& source = history[rng() % history.size()];
          if (auto source_rung = numeric_attr(source, kRungAttr)) {
            rung = static_cast<int>(*source_rung) + 1;
            trial.user_attrs[std::string(kContinuesAttr)] = std::to_string(source.number);
          }
        }
        if (unit(rng) < 0.05) {
          // A trial the user enqueued: not on the ladder.
        } else {
          trial.user_attrs[std::string(kRungAttr)] = std::to_string(rung);
          trial.user_attrs[std::string(kBudgetAttr)] = std::to_string(1 << rung);
        }
        touch(trial);
        history.push_back(trial);
      } else {
        FrozenTrial& trial = history[running[rng() % running.size()]];
        double outcome = unit(rng);
        if (outcome < 0.7) {
          trial.state = TrialState::kComplete;
          // Ties now and then, to exercise the order by number.
          trial.values = {std::round(unit(rng) * 40.0)};
        } else if (outcome < 0.8) {
          trial.state = TrialState::kPruned;
          trial.intermediate[1] = unit(rng);
        } else if (outcome < 0.9) {
          trial.state = TrialState::kFailed;
        } else {
          trial.state = TrialState::kFailed;  // interrupted: off the ladder again
          trial.interrupted = true;
        }
        touch(trial);
      }
      index.update(history, Direction::kMinimize);
      if (step % 3 == 0) {  // several changes between updates, too
        told.update(history, Direction::kMinimize, &changed);
        changed.clear();
      }
      for (int rung = 0; rung < 4; ++rung) {
        for (double eta : {2.0, 3.0}) {
          std::optional<int64_t> expected = promotion_by_scan(history, rung, eta);
          ASSERT_EQ(index.promotable(rung, eta), expected)
              << "step " << step << ", rung " << rung << ", eta " << eta;
          if (step % 3 == 0) {
            ASSERT_EQ(told.promotable(rung, eta), expected)
                << "told the changes: step " << step << ", rung " << rung << ", eta " << eta;
          }
        }
      }
    }
    // Another, shorter history: the index starts afresh.
    history.resize(3);
    index.update(history, Direction::kMinimize);
    for (int rung = 0; rung < 4; ++rung) {
      EXPECT_EQ(index.promotable(rung, 3.0), promotion_by_scan(history, rung, 3.0));
    }
  }
}

TEST(Asha, PromotesOnlyTheTopOfFinishedTrialsAndNeverTwice) {
  BudgetSpec budget{.min = 1, .max = 27, .eta = 3};
  Study study = budget_study(open_storage("memory"), "asha", budget);
  run_curve(study, 120);
  std::vector<FrozenTrial> trials = study.trials();
  expect_consistent_ladder(trials, budget);
  expect_asha_promotions(trials, budget.eta);
  std::map<int, int> per_rung;
  for (const FrozenTrial& t : trials) ++per_rung[static_cast<int>(attr(t, kRungAttr))];
  EXPECT_GT(per_rung[0], per_rung[1]);
  EXPECT_GT(per_rung[1], per_rung[2]);
  EXPECT_GT(per_rung[3], 0) << "some configuration reached the full budget";
}

// An early-stopping rate past the ladder's top rung would start every configuration above the
// largest budget: the study refuses it before any trial, naming the option and its bound. At the
// top rung itself every configuration runs at the largest budget.
TEST(Asha, AnEarlyStoppingRateAboveTheLadderIsRefusedWithItsBound) {
  BudgetSpec budget{.min = 1, .max = 27, .eta = 3};  // rungs 1, 3, 9, 27
  try {
    budget_study(open_storage("memory"), "asha:min_early_stopping_rate=4", budget);
    FAIL() << "min_early_stopping_rate = 4 on four rungs was accepted";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("min_early_stopping_rate = 4"), std::string::npos) << message;
    EXPECT_NE(message.find("4 rungs"), std::string::npos) << message;
    EXPECT_NE(message.find("<= 3"), std::string::npos) << message;
  }
  Study top = budget_study(open_storage("memory"), "asha:min_early_stopping_rate=3", budget);
  run_curve(top, 5);
  for (const FrozenTrial& t : top.trials()) EXPECT_EQ(attr(t, kBudgetAttr), 27) << t.number;
}

TEST(Asha, ParallelWorkersNeverContinueATrialTwice) {
  BudgetSpec budget{.min = 1, .max = 27, .eta = 3};
  Study study = budget_study(open_storage("memory"), "asha", budget);
  run_curve(study, 150, 4);
  std::vector<FrozenTrial> trials = study.trials();
  EXPECT_EQ(trials.size(), 150u);
  expect_consistent_ladder(trials, budget);
}

TEST(Asha, ContinuationCarriesBudgetLineageAndPreviousBudgetToTheObjective) {
  BudgetSpec budget{.min = 1, .max = 9, .eta = 3};
  Study study = budget_study(open_storage("memory"), "asha", budget);
  std::map<int64_t, double> trained;  // lineage -> budget already trained, as a checkpoint would
  study.optimize(
      [&](Trial& t) {
        EXPECT_EQ(t.previous_budget(), trained[t.lineage()]) << t.number();
        if (t.continues()) {
          EXPECT_NE(t.lineage(), t.number());
        } else {
          EXPECT_EQ(t.lineage(), t.number());
          EXPECT_EQ(t.previous_budget(), 0);
        }
        trained[t.lineage()] = *t.budget();
        return curve(t, *t.budget());
      },
      OptimizeOptions{.n_trials = 40});
  int continued = 0;
  for (const FrozenTrial& t : study.trials()) continued += t.user_attrs.contains(std::string(kContinuesAttr));
  EXPECT_GT(continued, 5);
}

// --- Resume: trials of a dead process ---------------------------------------------------------

// Starts `n` trials on behalf of a process that no longer exists, then lets the storage fail
// them as interrupted, as `winnow resume` does after a kill -9.
// The owner string of a process on this host that is not running.
std::string dead_owner() {
  std::string self = this_process_owner();
  return self.substr(0, self.find(':')) + ":999999999:1";
}

void abandon_trials(Study& study, int n) {
  for (int i = 0; i < n; ++i) ASSERT_TRUE(study.try_ask(0, dead_owner()).has_value());
  EXPECT_EQ(study.storage().recover_orphaned_trials(study.id(), OrphanPolicy{.requeue = false, .reason = "interrupted: test"}), n);
}

TEST(Resume, HyperbandRedoesInterruptedTrialsAndKeepsBracketsExact) {
  BudgetSpec budget{.min = 1, .max = 9, .eta = 3};
  std::shared_ptr<Storage> storage = open_storage("memory");
  {
    Study study = budget_study(storage, "hyperband", budget);
    run_curve(study, 10);      // bracket 0: 9 on rung 0 and one promotion
    abandon_trials(study, 2);  // two promotions die with their process
  }
  Study resumed = budget_study(storage, "hyperband", budget);
  run_curve(resumed, (9 + 3 + 1) - 10 + (5 + 1) + 3);  // the rest of brackets 0, 1 and 2
  std::vector<FrozenTrial> trials = resumed.trials();
  expect_consistent_ladder(trials, budget);
  std::map<std::pair<int, int>, int> count;
  for (const FrozenTrial& t : trials) {
    if (t.state == TrialState::kFailed && t.interrupted) continue;
    ++count[{static_cast<int>(attr(t, kBracketAttr)), static_cast<int>(attr(t, kRungAttr))}];
  }
  std::map<std::pair<int, int>, int> expected = {{{0, 0}, 9}, {{0, 1}, 3}, {{0, 2}, 1},
                                                 {{1, 1}, 5}, {{1, 2}, 1}, {{2, 2}, 3}};
  EXPECT_EQ(count, expected);
}

TEST(Resume, AshaContinuesEveryInterruptedPromotionExactlyOnce) {
  BudgetSpec budget{.min = 1, .max = 9, .eta = 3};
  std::shared_ptr<Storage> storage = open_storage("memory");
  std::set<int64_t> sources_of_abandoned;
  {
    Study study = budget_study(storage, "asha", budget);
    run_curve(study, 30);
    // The dead process finishes new configurations but dies during two promotions.
    int abandoned = 0;
    for (int i = 0; i < 40 && abandoned < 2; ++i) {
      std::optional<Trial> trial = study.try_ask(0, dead_owner());
      ASSERT_TRUE(trial.has_value());
      if (trial->continues()) {
        sources_of_abandoned.insert(*trial->continues());
        ++abandoned;
      } else {
        study.tell(*trial, curve(*trial, *trial->budget()));
      }
    }
    EXPECT_EQ(study.storage().recover_orphaned_trials(study.id(), OrphanPolicy{.requeue = false, .reason = "interrupted: test"}), 2);
  }
  ASSERT_FALSE(sources_of_abandoned.empty()) << "the abandoned trials should include promotions";
  Study resumed = budget_study(storage, "asha", budget);
  run_curve(resumed, 30);
  std::vector<FrozenTrial> trials = resumed.trials();
  expect_consistent_ladder(trials, budget);
  std::set<int64_t> continued_live;
  for (const FrozenTrial& t : trials) {
    if (t.state == TrialState::kFailed && t.interrupted) continue;
    if (auto s = numeric_attr(t, kContinuesAttr)) continued_live.insert(*s);
  }
  for (int64_t source : sources_of_abandoned) {
    EXPECT_TRUE(continued_live.contains(source)) << "promotion of " << source << " was lost";
  }
}

// --- BOHB ------------------------------------------------------------------------------------

TEST(Bohb, MixesModelAndRandomDrawsInHyperbandBrackets) {
  BudgetSpec budget{.min = 1, .max = 9, .eta = 3};
  StudyOptions options{.name = "bohb", .seed = 5, .scheduler = "bohb"};  // sampler auto -> tpe
  options.budget = budget;
  Study study = Study::create(open_storage("memory"), plane(), options);
  run_curve(study, 120);
  std::vector<FrozenTrial> trials = study.trials();
  expect_consistent_ladder(trials, budget);
  int model = 0, random = 0;
  for (const FrozenTrial& t : trials) {
    if (t.user_attrs.contains(std::string(kContinuesAttr))) continue;
    const std::string& sampler = t.user_attrs.at("winnow.sampler");
    (sampler == "\"random\"" ? random : model) += 1;
    EXPECT_TRUE(sampler == "\"random\"" || sampler == "\"tpe\"") << sampler;
  }
  EXPECT_GT(model, 0);
  double share = static_cast<double>(random) / (model + random);
  EXPECT_GT(share, 0.05);
  EXPECT_LT(share, 0.3);
  // auto means TPE, modelling as soon as a budget has parameters + 2 complete trials.
  EXPECT_EQ(study.storage().find_study("bohb")->sampler, "tpe:n_startup=4");
}

TEST(Asha, ModelBasedSamplersStartModellingWithTheScheduler) {
  BudgetSpec budget{.min = 1, .max = 9, .eta = 3};
  std::shared_ptr<Storage> storage = open_storage("memory");
  Study tpe = budget_study(storage, "asha", budget, "tpe");
  EXPECT_EQ(storage->find_study("mf")->sampler, "tpe:n_startup=4");
  StudyOptions explicit_startup{.name = "own", .sampler = "gp:n_startup=12", .scheduler = "asha"};
  explicit_startup.budget = budget;
  Study gp = Study::create(storage, plane(), explicit_startup);
  EXPECT_EQ(storage->find_study("own")->sampler, "gp:n_startup=12");
}

// --- Configuration errors ---------------------------------------------------------------------

// Every registered scheduler runs a study to its budget with a consistent ladder: a new one
// cannot escape this check.
TEST(SchedulerRegistry, EveryRegisteredSchedulerRunsAStudy) {
  BudgetSpec budget{.min = 1, .max = 9, .eta = 3};
  for (const std::string& name : scheduler_names()) {
    SCOPED_TRACE(name);
    Study study = budget_study(open_storage("memory"), name, budget, "auto");
    study.optimize(
        [](Trial& t) {
          double budget = t.budget().value_or(9);
          for (int step = 1; step <= 3; ++step) t.report(step, curve(t, budget * step / 3));
          return curve(t, budget);
        },
        OptimizeOptions{.n_trials = 30, .n_jobs = 2});
    std::vector<FrozenTrial> trials = study.trials();
    EXPECT_EQ(trials.size(), 30u);
    for (const FrozenTrial& t : trials) EXPECT_NE(t.state, TrialState::kFailed) << t.number;
    std::unique_ptr<Scheduler> scheduler = create_scheduler(SamplerSpec{name}, 1);
    if (scheduler->assigns_budgets()) expect_consistent_ladder(trials, budget);
  }
}

TEST(SchedulerErrors, BudgetSchedulersNeedABudgetOneObjectiveAndACompatibleSampler) {
  auto create = [](StudyOptions options) {
    return Study::create(open_storage("memory"), plane(), std::move(options));
  };
  EXPECT_THROW(create(StudyOptions{.scheduler = "asha"}), Error);
  StudyOptions two{.scheduler = "hyperband"};
  two.budget = BudgetSpec{.max = 9};
  two.directions = {Direction::kMinimize, Direction::kMinimize};
  EXPECT_THROW(create(two), Error);
  StudyOptions cmaes{.sampler = "cmaes", .scheduler = "asha"};
  cmaes.budget = BudgetSpec{.max = 9};
  EXPECT_THROW(create(cmaes), Error);
  try {
    create(StudyOptions{.scheduler = "ashaa"});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean 'asha'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(create(StudyOptions{.scheduler = "median:warmup=3"}), Error);
}

TEST(SchedulerStudyFile, ReadsBudgetAndSchedulerAndNamesTheLineOfAMistake) {
  const std::string head = "[study]\nscheduler = \"asha\"\n";
  const std::string rest =
      "[objective]\ncommand = [\"./train\", \"{budget}\"]\n[space]\nx = {type = \"float\", low = 0, "
      "high = 1}\n";
  StudyFile file = parse_study_file(head + "[budget]\nmin = 1\nmax = 81\neta = 3\n" + rest,
                                    StudyFileFormat::kToml, "mf.toml");
  ASSERT_TRUE(file.study.budget.has_value());
  EXPECT_EQ(file.study.scheduler, "asha");
  EXPECT_EQ(file.study.budget->max, 81);
  EXPECT_TRUE(file.study.budget->integer);

  StudyFile fraction = parse_study_file(head + "[budget]\nmin = 0.1\nmax = 1.0\n" + rest,
                                        StudyFileFormat::kToml, "mf.toml");
  EXPECT_FALSE(fraction.study.budget->integer);

  auto error_of = [&](const std::string& text) {
    try {
      parse_study_file(text, StudyFileFormat::kToml, "mf.toml");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(error_of(head + rest).find("mf.toml:2"), std::string::npos) << error_of(head + rest);
  EXPECT_NE(error_of(head + rest).find("[budget]"), std::string::npos);
  std::string bad_eta = error_of(head + "[budget]\nmax = 81\neta = 1\n" + rest);
  EXPECT_NE(bad_eta.find("mf.toml:5"), std::string::npos) << bad_eta;
  EXPECT_NE(bad_eta.find("budget.eta"), std::string::npos) << bad_eta;
  std::string typo = error_of("[study]\nscheduler = \"hyperbnd\"\n" + rest);
  EXPECT_NE(typo.find("mf.toml:2"), std::string::npos) << typo;
  EXPECT_NE(typo.find("hyperband"), std::string::npos) << typo;
}

}  // namespace
}  // namespace winnow

// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <cmath>
#include <filesystem>
#include <set>
#include <stdexcept>

#include "winnow/error.h"
#include "winnow/study.h"

namespace winnow {
namespace {

SearchSpace xy_space() {
  SearchSpace space;
  space.add_float("x", -5.0, 5.0).add_int("y", 0, 10);
  space.validate();
  return space;
}

std::shared_ptr<Storage> memory() { return open_storage("memory"); }

TEST(Study, AskTellAndBestTrial) {
  Study study = Study::create(memory(), xy_space(), {.name = "s", .seed = 1});
  for (int i = 0; i < 30; ++i) {
    Trial t = study.ask();
    EXPECT_EQ(t.number(), i);
    double x = t.float_param("x");
    study.tell(t, x * x + static_cast<double>(t.int_param("y")));
  }
  std::optional<FrozenTrial> best = study.best_trial();
  ASSERT_TRUE(best);
  for (const FrozenTrial& t : study.trials()) {
    EXPECT_EQ(t.state, TrialState::kComplete);
    EXPECT_LE(best->values[0], t.values[0]);
  }
}

TEST(Study, MaximizeDirection) {
  Study study = Study::create(memory(), xy_space(),
                              {.name = "m", .directions = {Direction::kMaximize}, .seed = 1});
  study.optimize([](Trial& t) { return t.float_param("x"); }, 20);
  auto best = study.best_trial();
  for (const FrozenTrial& t : study.trials()) EXPECT_GE(best->values[0], t.values[0]);
}

TEST(Study, EnqueuedConfigurationsComeFirstAndAreChecked) {
  Study study = Study::create(memory(), xy_space(), {.name = "q", .seed = 1});
  study.enqueue({{"x", 1.5}, {"y", 3.0}});  // 3.0 is coerced to the int 3
  EXPECT_THROW(study.enqueue({{"x", 9.0}, {"y", int64_t{3}}}), Error);
  EXPECT_THROW(study.enqueue({{"x", 1.0}}), Error);
  Trial t = study.ask();
  EXPECT_EQ(t.float_param("x"), 1.5);
  EXPECT_EQ(t.int_param("y"), 3);
}

TEST(Study, FailuresNaNAndExceptionsFailOnlyTheirTrial) {
  Study study = Study::create(memory(), xy_space(), {.name = "f", .seed = 2});
  int calls = 0;
  study.optimize(
      Objective([&](Trial& t) -> TrialOutcome {
        ++calls;
        if (t.number() % 3 == 0) throw std::runtime_error("boom");
        if (t.number() % 3 == 1) return TrialOutcome{.values = {std::nan("")}};
        return TrialOutcome{.values = {1.0}};
      }),
      OptimizeOptions{.n_trials = 9});
  EXPECT_EQ(calls, 9);
  int failed = 0;
  for (const FrozenTrial& t : study.trials()) {
    if (t.number % 3 == 0) {
      EXPECT_EQ(t.state, TrialState::kFailed);
      EXPECT_NE(t.failure_reason.find("boom"), std::string::npos);
    } else if (t.number % 3 == 1) {
      EXPECT_EQ(t.state, TrialState::kFailed);
      EXPECT_NE(t.failure_reason.find("NaN"), std::string::npos);
    } else {
      EXPECT_EQ(t.state, TrialState::kComplete);
    }
    failed += t.state == TrialState::kFailed;
  }
  EXPECT_EQ(failed, 6);
}

TEST(Study, WrongNumberOfValuesFailsTheTrial) {
  Study study = Study::create(memory(), xy_space(), {.name = "w", .seed = 2});
  Trial t = study.ask();
  study.tell(t, std::vector<double>{1.0, 2.0});
  EXPECT_EQ(study.trials()[0].state, TrialState::kFailed);
  EXPECT_THROW(study.tell(t, 1.0), Error);  // finished trials are immutable
}

TEST(Study, RetriesLinkToTheAttemptTheyRetry) {
  Study study = Study::create(memory(), xy_space(), {.name = "r", .seed = 3});
  std::atomic<int> calls{0};
  study.optimize(Objective([&](Trial&) -> TrialOutcome {
                   if (calls++ < 2) return TrialOutcome{.state = TrialState::kFailed, .failure_reason = "flaky"};
                   return TrialOutcome{.values = {0.0}};
                 }),
                 OptimizeOptions{.n_trials = 1, .retries = 3});
  std::vector<FrozenTrial> trials = study.trials();
  ASSERT_EQ(trials.size(), 3u);
  EXPECT_FALSE(trials[0].retry_of);
  EXPECT_EQ(trials[1].retry_of, 0);
  EXPECT_EQ(trials[2].retry_of, 1);
  EXPECT_EQ(trials[2].state, TrialState::kComplete);
  EXPECT_EQ(trials[0].config, trials[2].config);
}

TEST(Study, ParallelJobsRunAtOnceAndRespectTheStudyBudget) {
  Study study = Study::create(memory(), xy_space(), {.name = "p", .seed = 4});
  std::mutex mutex;
  std::condition_variable all_running;
  int running = 0, peak = 0;
  study.optimize(Objective([&](Trial& t) -> TrialOutcome {
                   {
                     std::unique_lock lock(mutex);
                     peak = std::max(peak, ++running);
                     all_running.notify_all();
                     // The first trials wait until four run at once (bounded, so a serial loop
                     // fails the assertion below instead of hanging).
                     if (t.number() < 4) {
                       all_running.wait_for(lock, std::chrono::seconds(30),
                                            [&] { return peak >= 4; });
                     }
                   }
                   t.report(1, 0.5);
                   std::lock_guard lock(mutex);
                   --running;
                   return TrialOutcome{.values = {t.float_param("x")}};
                 }),
                 OptimizeOptions{.max_trials_in_study = 57, .n_jobs = 4});
  EXPECT_EQ(peak, 4);
  std::vector<FrozenTrial> trials = study.trials();
  EXPECT_EQ(trials.size(), 57u);
  std::set<int64_t> numbers;
  for (const auto& t : trials) {
    numbers.insert(t.number);
    EXPECT_EQ(t.intermediate.at(1), 0.5);
  }
  EXPECT_EQ(numbers.size(), 57u);
}

TEST(Study, StopSignalEndsTheLoop) {
  Study study = Study::create(memory(), xy_space(), {.name = "stop", .seed = 4});
  StopSignal stop;
  int calls = 0;
  study.optimize(Objective([&](Trial&) -> TrialOutcome {
                   if (++calls == 5) stop.request();
                   return TrialOutcome{.values = {0.0}};
                 }),
                 OptimizeOptions{.stop = &stop});
  EXPECT_EQ(calls, 5);
}

TEST(Study, ReopeningWithAnotherSpaceIsRefused) {
  auto storage = memory();
  Study::create(storage, xy_space(), {.name = "same"});
  SearchSpace other;
  other.add_float("x", 0.0, 1.0);
  try {
    Study::create(storage, other, {.name = "same"});
    FAIL();
  } catch (const Error& e) {
    std::string message = e.what();
    EXPECT_NE(message.find("another search space"), std::string::npos) << message;
    EXPECT_NE(message.find("x: low -5 -> 0 (narrowed)"), std::string::npos) << message;
    EXPECT_NE(message.find("x: high 5 -> 1 (narrowed)"), std::string::npos) << message;
    EXPECT_NE(message.find("parameter 'y' removed"), std::string::npos) << message;
    EXPECT_EQ(message.find("{\"params\""), std::string::npos) << "no raw JSON: " << message;
  }
  EXPECT_THROW(Study::create(storage, xy_space(), {.name = "same", .load_if_exists = false}), Error);
}

TEST(Study, AWiderSpaceIsRecordedAndTheStudyGoesOn) {
  auto storage = memory();
  Study first = Study::create(storage, xy_space(), {.name = "grow", .seed = 1});
  first.optimize([](Trial& t) { return t.float_param("x"); }, 5);
  SearchSpace wider;
  wider.add_float("x", -10.0, 5.0).add_int("y", 0, 20).add_categorical("kind", {"a", "b"});
  wider.validate();
  Study second = Study::create(storage, wider, {.name = "grow", .seed = 1});
  ASSERT_EQ(second.notes().size(), 1u);
  EXPECT_NE(second.notes()[0].find("x: low -5 -> -10"), std::string::npos) << second.notes()[0];
  EXPECT_NE(second.notes()[0].find("y: high 10 -> 20"), std::string::npos) << second.notes()[0];
  EXPECT_NE(second.notes()[0].find("parameter 'kind' added"), std::string::npos);
  EXPECT_EQ(storage->find_study("grow")->space_json, wider.to_json());
  second.optimize([](Trial& t) { return t.float_param("x"); }, 5);
  EXPECT_EQ(second.trials().size(), 10u);
  // The older, narrower space is now the incompatible one.
  EXPECT_THROW(Study::create(storage, xy_space(), {.name = "grow"}), Error);
}

TEST(Study, ExhaustedGridEndsOptimize) {
  SearchSpace space;
  space.add_int("a", 1, 3).add_categorical("b", {true, false});
  space.validate();
  Study study = Study::create(memory(), space, {.name = "g", .sampler = "grid"});
  study.optimize([](Trial& t) { return static_cast<double>(t.int_param("a")); }, 100);
  EXPECT_EQ(study.trials().size(), 6u);
  EXPECT_THROW(study.ask(), Error);
}

TEST(TrialTable, CsvAndJsonlHaveOneRowPerTrial) {
  Study study = Study::create(memory(), xy_space(), {.name = "t", .seed = 5});
  study.optimize([](Trial& t) { return t.float_param("x"); }, 3);
  Trial failing = study.ask();
  study.tell_failed(failing, "bad, \"quoted\" reason");
  StudyRecord record = *study.storage().find_study("t");
  std::vector<FrozenTrial> trials = study.trials();
  std::string csv = to_csv(make_trial_table(record, trials));
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 5);
  EXPECT_NE(csv.find("number,state,value,param_x,param_y"), std::string::npos);
  EXPECT_NE(csv.find("\"bad, \"\"quoted\"\" reason\""), std::string::npos);
  std::string jsonl = to_jsonl(record, trials);
  EXPECT_EQ(std::count(jsonl.begin(), jsonl.end(), '\n'), 4);
  EXPECT_NE(study_report(record, trials).find("Best trial"), std::string::npos);
}

TEST(TrialTable, ShowsWhichSamplerProposedEachTrial) {
  StudyRecord record;
  record.name = "mixed";
  record.directions = {Direction::kMinimize};
  std::vector<FrozenTrial> trials(5);
  for (int i = 0; i < 5; ++i) {
    trials[i].number = i;
    trials[i].state = TrialState::kComplete;
    trials[i].values = {1.0 * i};
    trials[i].config = {{"x", 0.1 * i}};
    trials[i].user_attrs["winnow.sampler"] = i < 3 ? R"("sobol")" : R"("gp")";
  }
  std::string csv = to_csv(make_trial_table(record, trials));
  EXPECT_NE(csv.find(",sampler\n"), std::string::npos) << csv;
  EXPECT_NE(csv.find(",gp\n"), std::string::npos) << csv;
  EXPECT_NE(study_report(record, trials).find("Proposed by: sobol #0-2, gp #3-4"),
            std::string::npos)
      << study_report(record, trials);
}

TEST(Dominance, ParetoFront) {
  std::vector<Direction> d = {Direction::kMinimize, Direction::kMaximize};
  EXPECT_TRUE(dominates(std::vector<double>{1, 5}, std::vector<double>{2, 4}, d));
  EXPECT_FALSE(dominates(std::vector<double>{1, 3}, std::vector<double>{2, 4}, d));
  EXPECT_FALSE(dominates(std::vector<double>{1, 5}, std::vector<double>{1, 5}, d));
}

// As in Optuna (and Winnow's Python module): the first value reported at a step stands, so a
// later report cannot change what a pruner already judged on.
TEST(Study, ASecondReportAtTheSameStepIsIgnored) {
  Study study = Study::create(memory(), xy_space(), {.name = "repeat", .seed = 2});
  study.optimize(Objective([](Trial& t) -> TrialOutcome {
                   t.report(0, 1.0);
                   t.report(0, 2.0);
                   t.report(1, 3.0);
                   EXPECT_EQ(t.record().intermediate.at(0), 1.0);
                   return TrialOutcome{.values = {0.0}};
                 }),
                 OptimizeOptions{.max_trials_in_study = 1});
  std::vector<FrozenTrial> trials = study.trials();
  ASSERT_EQ(trials.size(), 1u);
  EXPECT_EQ(trials[0].intermediate, (std::map<int64_t, double>{{0, 1.0}, {1, 3.0}}));
}

}  // namespace
}  // namespace winnow

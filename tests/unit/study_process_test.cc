// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Studies shared by several processes, simulated by several Study objects on one SQLite file
// (each with its own connection, as a process has): seeded sequences belong to the study, a
// proposal is made on the trials other processes just created, promotions happen once, retries
// stay on their rung, the engine's attributes are out of users' reach, and the stopping rules.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

#include <sys/wait.h>
#include <unistd.h>

#include "storage/forwarding_storage.h"
#include "unit/postgres_test_support.h"
#include "unit/storage_test_support.h"
#include "winnow/error.h"
#include "winnow/sampler.h"
#include "winnow/study.h"

namespace winnow {
namespace {

using storage_test::TempDir;

SearchSpace plane() {
  SearchSpace space;
  space.add_float("x", 0.0, 1.0).add_float("y", 0.0, 1.0).add_int("k", 0, 1000);
  space.validate();
  return space;
}

// The first `count` configurations of one process alone on the plane with random sampling and
// `seed`: trial n's is the n-th position of the study's stream, as under the lock.
std::vector<Config> sequence_alone(uint64_t seed, int count) {
  Study alone = Study::create(open_storage("memory"), plane(),
                              {.name = "alone", .sampler = "random", .seed = seed});
  std::vector<Config> configs;
  for (int i = 0; i < count; ++i) configs.push_back(alone.ask().config());
  return configs;
}

// Runs `hook` just before the first trial this process decides on (or before every one, with
// `every_time`): what another process would do after this one last read the study.
class InterleavingStorage : public ForwardingStorage {
 public:
  InterleavingStorage(std::shared_ptr<Storage> target, std::function<void()> hook,
                      bool every_time = false)
      : ForwardingStorage(std::move(target)), hook_(std::move(hook)), every_time_(every_time) {}
  std::optional<FrozenTrial> create_decided_trial(int64_t study_id,
                                                  std::optional<int64_t> since_version,
                                                  std::string_view owner, int64_t budget_limit,
                                                  const TrialDecider& decide) override {
    run_hook();
    return ForwardingStorage::create_decided_trial(study_id, since_version, owner, budget_limit,
                                                   decide);
  }
  AheadOutcome create_trial_ahead(int64_t study_id, int64_t since_version,
                                  std::string_view owner, int64_t budget_limit,
                                  const TrialDraft& draft,
                                  std::optional<int64_t> expected_number) override {
    run_hook();
    return ForwardingStorage::create_trial_ahead(study_id, since_version, owner, budget_limit,
                                                 draft, expected_number);
  }

 private:
  void run_hook() {
    if (every_time_) {
      hook_();
    } else if (hook_) {
      std::exchange(hook_, nullptr)();
    }
  }

  std::function<void()> hook_;
  bool every_time_;
};

class SharedStudy : public ::testing::Test {
 protected:
  std::shared_ptr<Storage> connection() { return open_storage(folder_.path() + "/shared.db"); }
  TempDir folder_;
};

// A run whose budget is held by a trial of a process that is gone (here: a pid on this host that
// has exited) takes the trial back before it ends, and spends the budget itself.
TEST_F(SharedStudy, ARunRecoversTheTrialsOfAGoneProcessThatHoldItsBudget) {
  std::shared_ptr<Storage> storage = connection();
  Study study = Study::create(storage, plane(), {.name = "orphans", .sampler = "random", .seed = 3});
  pid_t gone = fork();
  if (gone == 0) _exit(0);
  int status = 0;
  waitpid(gone, &status, 0);
  std::string owner = this_process_owner();
  owner = owner.substr(0, owner.find(':')) + ":" + std::to_string(gone) + ":1";
  std::optional<FrozenTrial> orphan = storage->create_trial(
      study.id(), {{"x", 0.5}, {"y", 0.5}}, TrialState::kRunning, owner, 0, std::nullopt);
  ASSERT_TRUE(orphan);
  OptimizeResult result = study.optimize(
      Objective([](Trial& t) -> TrialOutcome {
        return {.values = {t.float_param("x") + t.float_param("y")}};
      }),
      OptimizeOptions{.max_trials_in_study = 4});
  EXPECT_EQ(result.reason, StopReason::kTrialLimit);
  int complete = 0;
  for (const FrozenTrial& t : study.trials()) {
    if (t.id == orphan->id) {
      EXPECT_EQ(t.state, TrialState::kFailed);
      EXPECT_TRUE(t.interrupted);
    } else {
      complete += t.state == TrialState::kComplete;
    }
  }
  EXPECT_EQ(complete, 4);
}

TEST_F(SharedStudy, TwoProcessesWithOneSeedNeverRepeatAConfiguration) {
  for (const std::string sampler : {"random", "sobol", "tpe", "gp", "cmaes"}) {
    SCOPED_TRACE(sampler);
    StudyOptions options{.name = sampler, .sampler = sampler, .seed = 7};
    Study a = Study::create(connection(), plane(), options);
    Study b = Study::create(connection(), plane(), options);
    for (int i = 0; i < 15; ++i) {
      for (Study* study : {&a, &b}) {
        Trial t = study->ask();
        study->tell(t, t.float_param("x") + t.float_param("y"));
      }
    }
    std::set<Config> distinct;
    for (const FrozenTrial& t : a.trials()) distinct.insert(t.config);
    EXPECT_EQ(distinct.size(), 30u);
  }
}

TEST_F(SharedStudy, AProposalIsMadeOnTrialsAnotherProcessJustCreated) {
  // b creates a trial after a last read the study: a proposes for the next number, on the
  // study that holds b's trial.
  for (const std::string sampler : {"random", "tpe"}) {
    SCOPED_TRACE(sampler);
    StudyOptions options{.name = sampler, .sampler = sampler, .seed = 7};
    Study b = Study::create(connection(), plane(), options);
    std::optional<Trial> from_b;
    auto storage = std::make_shared<InterleavingStorage>(connection(), [&] { from_b = b.ask(); });
    Study a = Study::create(storage, plane(), options);
    Trial from_a = a.ask();
    ASSERT_TRUE(from_b);
    EXPECT_EQ(from_b->number(), 0);
    EXPECT_EQ(from_a.number(), 1);
    EXPECT_NE(from_a.config(), from_b->config());
  }
}

// TPE proposes before it takes the study's lock, so processes model in parallel. A proposal
// drawn from the stream position of a number another process took meanwhile is made again
// under the lock; after that, the overtaken process draws ahead from a stream of its own and
// keeps what it drew. During TPE's start-up its draws are the random sampler's, so what a
// proposal under the lock would have been is known. Here b asks each time just before a
// reaches the lock.
TEST_F(SharedStudy, AnOvertakenProcessKeepsAProposalMadeAheadFromAStreamOfItsOwn) {
  StudyOptions options{.name = "ahead", .sampler = "tpe:n_startup=100", .seed = 7};
  Study b = Study::create(connection(), plane(), options);
  auto storage = std::make_shared<InterleavingStorage>(
      connection(), [&] { b.ask(); }, /*every_time=*/true);
  Study a = Study::create(storage, plane(), options);
  // a drew ahead for 0, which b took; a proposes again under the lock, where b has just
  // taken 1 too.
  Trial first = a.ask();
  // b takes 3; a keeps what it drew ahead, from its own stream.
  Trial second = a.ask();
  EXPECT_EQ(first.number(), 2);
  EXPECT_EQ(second.number(), 4);

  const std::vector<Config> under_lock = sequence_alone(7, 5);
  EXPECT_EQ(first.config(), under_lock[2]);
  EXPECT_NE(second.config(), under_lock[4]) << "the proposal was made under the lock";
  std::set<Config> distinct;
  for (const FrozenTrial& t : a.trials()) distinct.insert(t.config);
  EXPECT_EQ(distinct.size(), 5u);
}

// Overtaken once, a process draws once from its own stream and then, alone again, returns to
// the study's positions: its trials are the ones a proposal under the lock gives them.
TEST_F(SharedStudy, AnOvertakenProcessAloneAgainReturnsToTheStudysSequence) {
  StudyOptions options{.name = "back", .sampler = "tpe:n_startup=100", .seed = 7};
  Study b = Study::create(connection(), plane(), options);
  auto storage = std::make_shared<InterleavingStorage>(connection(), [&] { b.ask(); });
  Study a = Study::create(storage, plane(), options);
  std::vector<Trial> mine;
  for (int i = 0; i < 5; ++i) mine.push_back(a.ask());
  const std::vector<Config> under_lock = sequence_alone(7, 6);
  ASSERT_EQ(mine.front().number(), 1);  // b took 0
  EXPECT_EQ(mine.front().config(), under_lock[1]);
  for (size_t i = 2; i < mine.size(); ++i) {
    EXPECT_EQ(mine[i].number(), static_cast<int64_t>(i + 1));
    EXPECT_EQ(mine[i].config(), under_lock[i + 1]) << "trial " << i + 1;
  }
}

// Random sampling proposes ahead of the lock too. Alone, a process gives trial n the n-th
// position of the study's stream; an ask that expected a number another process took is
// decided under the lock (a's first two below); overtaken, a process draws from the position
// -1 - m, where m is the number of its own previous trial, and keeps the number it gets. Here
// b asks each time just before a reaches the lock.
TEST_F(SharedStudy, RandomSamplingOvertakenDrawsFromAPositionOfItsOwnPreviousTrial) {
  StudyOptions options{.name = "positions", .sampler = "random", .seed = 7};
  Study b = Study::create(connection(), plane(), options);
  auto storage = std::make_shared<InterleavingStorage>(
      connection(), [&] { b.ask(); }, /*every_time=*/true);
  Study a = Study::create(storage, plane(), options);
  // a decides 1 under the lock (b took 0); a's ask for 2 made ahead is overtaken by b's 2, so
  // a decides again under the lock, where b has just drawn 3 from its position -3.
  Trial first = a.ask();
  Trial second = a.ask();
  // Overtaken, a draws from -5 (its trial 4), while b takes 5 under the lock.
  Trial third = a.ask();
  EXPECT_EQ(first.number(), 1);
  EXPECT_EQ(second.number(), 4);
  EXPECT_EQ(third.number(), 6);

  const std::vector<Config> under_lock = sequence_alone(7, 7);
  SearchSpace space = plane();
  std::unique_ptr<Sampler> sampler = create_sampler(SamplerSpec{"random"}, 7);
  auto at = [&](int64_t position) {
    return *sampler->sample(SampleContext{.space = space, .trial_count = position});
  };
  std::map<int64_t, Config> expected = {{0, under_lock[0]}, {1, under_lock[1]},
                                        {2, under_lock[2]}, {3, at(-3)},
                                        {4, under_lock[4]}, {5, under_lock[5]},
                                        {6, at(-5)}};
  std::set<Config> distinct;
  for (const FrozenTrial& t : a.trials()) {
    EXPECT_EQ(t.config, expected.at(t.number)) << "trial " << t.number;
    distinct.insert(t.config);
  }
  EXPECT_EQ(distinct.size(), 7u);
  EXPECT_NE(at(-5), under_lock[6]);
}

// A configuration enqueued in the middle of a run takes its number; the trials after it keep
// the study's sequence (their positions are their numbers).
TEST(OneProcess, RandomSamplingKeepsTheStudysSequenceAroundAnEnqueuedTrial) {
  TempDir folder;
  Study study = Study::create(open_storage(folder.path() + "/queue.db"), plane(),
                              {.name = "queue", .sampler = "random", .seed = 5});
  const std::vector<Config> under_lock = sequence_alone(5, 7);
  const Config queued = {{"x", 0.5}, {"y", 0.5}, {"k", int64_t{7}}};
  for (int i = 0; i < 7; ++i) {
    if (i == 3) study.enqueue(queued);
    Trial t = study.ask();
    EXPECT_EQ(t.number(), i);
    EXPECT_EQ(t.config(), i == 3 ? queued : under_lock[i]) << "trial " << i;
    study.tell(t, 1.0);
  }
}

// A failed trial retried takes the next number; the trials after it keep the study's sequence.
TEST(OneProcess, RandomSamplingKeepsTheStudysSequenceAroundARetry) {
  TempDir folder;
  Study study = Study::create(open_storage(folder.path() + "/retry.db"), plane(),
                              {.name = "retry", .sampler = "random", .seed = 5});
  const std::vector<Config> under_lock = sequence_alone(5, 7);
  study.optimize(Objective([](Trial& t) -> TrialOutcome {
                   if (t.number() == 2) return {.state = TrialState::kFailed, .failure_reason = "x"};
                   return {.values = {1.0}};
                 }),
                 OptimizeOptions{.n_trials = 6, .retries = 1});
  std::vector<FrozenTrial> trials = study.trials();
  ASSERT_EQ(trials.size(), 7u);
  EXPECT_EQ(trials[3].retry_of, 2);
  EXPECT_EQ(trials[3].config, under_lock[2]);
  for (int i : {0, 1, 2, 4, 5, 6}) EXPECT_EQ(trials[i].config, under_lock[i]) << "trial " << i;
}

// One process asking for several trials before telling any (a batch, or several jobs): it is
// never overtaken by itself, on SQLite and on PostgreSQL (where a trial shares its version
// with the trials its creation stamped), so its sequence is the study's.
TEST(OneProcess, BatchesOfAsksKeepTheStudysSequence) {
  TempDir folder;
  for (const std::string url : {folder.path() + "/batch.db", storage_test::fresh_postgres_url()}) {
    SCOPED_TRACE(url);
    Study study = Study::create(open_storage(url), plane(),
                                {.name = "batch", .sampler = "tpe:n_startup=100", .seed = 5});
    Study alone = Study::create(open_storage("memory"), plane(),
                                {.name = "alone", .sampler = "random", .seed = 5});
    for (int round = 0; round < 4; ++round) {
      std::vector<Trial> batch;
      for (int i = 0; i < 3; ++i) batch.push_back(study.ask());
      for (Trial& t : batch) {
        EXPECT_EQ(t.config(), alone.ask().config()) << "trial " << t.number();
        study.tell(t, t.float_param("x"));
      }
    }
  }
}

// Two workers of one process (one runs its trial while the other asks), on SQLite and on
// PostgreSQL, where a new trial has the version of the finishes its creation stamped, so no
// read returns it until it changes again: the process keeps its own new trials in its cache,
// whatever its sampler, so grid search never runs a point twice and ASHA never promotes a
// trial twice.
TEST(OneProcess, WorkersOfOneProcessNeverRepeatAGridPointOrAPromotion) {
  TempDir folder;
  for (const std::string url : {folder.path() + "/jobs.db", storage_test::fresh_postgres_url()}) {
    SCOPED_TRACE(url);
    SearchSpace line;
    line.add_int("n", 0, 29);
    line.validate();
    Study grid = Study::create(open_storage(url), line, {.name = "grid", .sampler = "grid"});
    Study asha = Study::create(open_storage(url), plane(),
                               {.name = "asha", .seed = 3, .scheduler = "asha",
                                .budget = BudgetSpec{.min = 1, .max = 9}});
    for (Study* study : {&grid, &asha}) {
      std::vector<Trial> running;
      std::set<int64_t> continued;
      int promotions = 0;
      for (int i = 0; i < 30; ++i) {
        running.push_back(study->ask());
        if (std::optional<int64_t> parent = running.back().continues()) {
          ++promotions;
          EXPECT_TRUE(continued.insert(*parent).second)
              << "trial " << *parent << " promoted twice (again as trial "
              << running.back().number() << ")";
        }
        if (running.size() == 2) {
          Trial& done = running.front();
          double value = done.config().contains("n") ? done.int_param("n") : done.float_param("x");
          study->tell(done, value);
          running.erase(running.begin());
        }
      }
      for (Trial& t : running) study->tell(t, 0.5);
      std::set<Config> grid_points;
      for (const FrozenTrial& trial : study->trials()) {
        if (study == &grid) {
          EXPECT_TRUE(grid_points.insert(trial.config).second)
              << "trial " << trial.number << " runs a grid point again";
        }
      }
      if (study == &asha) EXPECT_GT(promotions, 0);
    }
  }
}

// A process that went silent past its lease finds its trial taken when it reports: the report
// is dropped with a warning, the trial asks to be pruned, and the attempt that took the trial
// over keeps its own curve.
TEST(OneProcess, ALostTrialReportsNothingAndAsksToBePruned) {
  TempDir folder;
  const std::string url = folder.path() + "/lost.db";
  Study study = Study::create(open_storage(url), plane(), {.name = "lost", .seed = 1});
  Trial silent = study.ask();
  silent.report(0, 1.0);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::shared_ptr<Storage> other = open_storage(url);
  ASSERT_EQ(other->recover_orphaned_trials(study.id(), OrphanPolicy{.lease_ms = 10,
                                                                    .requeue = true}),
            1);
  Study taking_over = Study::create(other, plane(), {.name = "lost", .seed = 1});
  Trial again = taking_over.ask();
  ASSERT_EQ(again.number(), silent.number());
  again.report(0, 0.25);
  EXPECT_FALSE(silent.lost());
  silent.report(1, 0.5);
  EXPECT_TRUE(silent.lost());
  EXPECT_TRUE(silent.should_prune());
  silent.set_user_attr("note", R"("late")");
  EXPECT_EQ(taking_over.trials().at(0).intermediate, (std::map<int64_t, double>{{0, 0.25}}));
  EXPECT_FALSE(taking_over.trials().at(0).user_attrs.contains("note"));
}

// A transaction retried after a lost connection: its first attempt read the changes and called
// `decide`, then was rolled back (the versions it read may be given again to other writes), and
// the second attempt found the budget spent, so `decide` was not called again.
class RolledBackDecisionStorage : public ForwardingStorage {
 public:
  using ForwardingStorage::ForwardingStorage;
  std::optional<FrozenTrial> create_decided_trial(int64_t study_id,
                                                  std::optional<int64_t> since_version,
                                                  std::string_view owner, int64_t budget_limit,
                                                  const TrialDecider& decide) override {
    since_seen.push_back(since_version);
    if (!roll_back_next) {
      return ForwardingStorage::create_decided_trial(study_id, since_version, owner,
                                                     budget_limit, decide);
    }
    roll_back_next = false;
    std::vector<FrozenTrial> changed = trials(study_id, since_version.value_or(0));
    for (FrozenTrial& trial : changed) trial.version += 1000;  // the rolled-back lock's
    decide(next_trial_number(study_id), std::move(changed));
    if (throw_after) throw StorageError("the connection was lost and not regained");
    return std::nullopt;
  }
  bool roll_back_next = false;
  bool throw_after = false;  // the retry fails instead of finding the budget spent
  std::vector<std::optional<int64_t>> since_seen;
};

TEST(OneProcess, ChangesMergedInARolledBackAttemptAreReadAgain) {
  SearchSpace line;
  line.add_int("n", 0, 29);
  line.validate();
  auto storage = std::make_shared<RolledBackDecisionStorage>(open_storage("memory"));
  Study study = Study::create(storage, line, {.name = "grid", .sampler = "grid"});
  Trial first = study.ask();
  study.tell(first, 1.0);
  storage->roll_back_next = true;
  EXPECT_FALSE(study.try_ask().has_value());
  const std::optional<int64_t> rolled_back_since = storage->since_seen.back();
  ASSERT_TRUE(rolled_back_since.has_value());
  Trial second = study.ask();
  EXPECT_EQ(storage->since_seen.back(), rolled_back_since)
      << "the next ask trusted versions read in a rolled-back attempt";
  EXPECT_NE(second.config(), first.config());
  // The same when the transaction ends in an error.
  study.tell(second, 2.0);
  storage->roll_back_next = true;
  storage->throw_after = true;
  EXPECT_THROW(study.try_ask(), StorageError);
  const std::optional<int64_t> failed_since = storage->since_seen.back();
  study.ask();
  EXPECT_EQ(storage->since_seen.back(), failed_since)
      << "the next ask trusted versions read in a transaction that failed";
}

// Overtaken on every ask, past the models' start-up: every configuration is still new and every
// number taken once. TPE's proposals made ahead are created in one step (they hold continuous
// values drawn at random); the GP's and the forest's are checked under the lock against the
// trials created meanwhile, since their acquisition searches, from two processes on nearly the
// same history, can reach the same point.
TEST_F(SharedStudy, ProposalsMadeAheadNeverRepeatAConfiguration) {
  for (const std::string sampler : {"tpe:n_startup=5", "gp:n_startup=5", "rf:n_startup=5"}) {
    SCOPED_TRACE(sampler);
    StudyOptions options{.name = sampler, .sampler = sampler, .seed = 11};
    Study b = Study::create(connection(), plane(), options);
    int b_asks = 0;
    auto storage = std::make_shared<InterleavingStorage>(
        connection(),
        [&] {
          Trial t = b.ask();
          b.tell(t, t.float_param("x") * t.float_param("y"));
          ++b_asks;
        },
        /*every_time=*/true);
    Study a = Study::create(storage, plane(), options);
    for (int i = 0; i < 12; ++i) {
      Trial t = a.ask();
      a.tell(t, t.float_param("x") * t.float_param("y"));
    }
    std::vector<FrozenTrial> trials = a.trials();
    ASSERT_EQ(trials.size(), static_cast<size_t>(12 + b_asks));
    std::set<Config> distinct;
    for (size_t i = 0; i < trials.size(); ++i) {
      EXPECT_EQ(trials[i].number, static_cast<int64_t>(i));
      distinct.insert(trials[i].config);
    }
    EXPECT_EQ(distinct.size(), trials.size());
  }
}

TEST_F(SharedStudy, APromotionIsTakenOnceWhenTwoProcessesDecideAtOnce) {
  BudgetSpec budget{.min = 1, .max = 9, .eta = 3};
  StudyOptions options{.name = "asha", .sampler = "random", .seed = 3, .scheduler = "asha"};
  options.budget = budget;
  Study b = Study::create(connection(), plane(), options);
  for (int i = 0; i < 3; ++i) {
    Trial t = b.ask();
    b.tell(t, t.float_param("x"));
  }
  // Three finished trials on rung 0: both processes now want to promote the best one.
  std::optional<Trial> from_b;
  auto storage = std::make_shared<InterleavingStorage>(connection(), [&] { from_b = b.ask(); });
  Study a = Study::create(storage, plane(), options);
  Trial from_a = a.ask();
  ASSERT_TRUE(from_b);
  ASSERT_TRUE(from_b->continues()) << "b promotes";
  EXPECT_NE(from_a.continues(), from_b->continues()) << "a must not continue the same trial";
  EXPECT_EQ(*from_a.budget(), 1);  // a new configuration on rung 0 instead
}

TEST(Retries, ARetryKeepsTheBudgetRungAndLineageOfTheFailedAttempt) {
  BudgetSpec budget{.min = 1, .max = 9, .eta = 3};
  StudyOptions options{.name = "retry", .sampler = "random", .seed = 5, .scheduler = "asha"};
  options.budget = budget;
  Study study = Study::create(open_storage("memory"), plane(), options);
  bool failed_new = false, failed_continuation = false;
  study.optimize(Objective([&](Trial& t) -> TrialOutcome {
                   if (!failed_new) {
                     failed_new = true;
                     return TrialOutcome{.state = TrialState::kFailed, .failure_reason = "flaky"};
                   }
                   if (t.continues() && !failed_continuation) {
                     failed_continuation = true;
                     return TrialOutcome{.state = TrialState::kFailed, .failure_reason = "flaky"};
                   }
                   return TrialOutcome{.values = {t.float_param("x") / *t.budget()}};
                 }),
                 OptimizeOptions{.n_trials = 12, .retries = 1, .stopping = {.fail_fast = 0}});
  ASSERT_TRUE(failed_continuation);
  std::vector<FrozenTrial> trials = study.trials();
  int retries = 0;
  for (const FrozenTrial& t : trials) {
    if (!t.retry_of) continue;
    ++retries;
    const FrozenTrial& failed = trials.at(static_cast<size_t>(*t.retry_of));
    EXPECT_EQ(t.config, failed.config);
    for (std::string_view key : {kBudgetAttr, kRungAttr, kBracketAttr}) {
      EXPECT_EQ(t.user_attrs.at(std::string(key)), failed.user_attrs.at(std::string(key)))
          << key << " of retry " << t.number;
    }
    EXPECT_EQ(numeric_attr(t, kContinuesAttr), numeric_attr(failed, kContinuesAttr));
    EXPECT_EQ(numeric_attr(t, kLineageAttr).value_or(-1),
              numeric_attr(failed, kLineageAttr).value_or(static_cast<double>(failed.number)));
  }
  EXPECT_EQ(retries, 2);
}

TEST(UserAttributes, EngineKeysAreRefused) {
  Study study = Study::create(open_storage("memory"), plane(), {.name = "attrs", .seed = 1});
  Trial t = study.ask();
  t.set_user_attr("note", "\"ok\"");
  try {
    t.set_user_attr(kRungAttr, "5");
    FAIL() << "an engine key was accepted";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("'winnow.rung'"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("reserved"), std::string::npos) << error.what();
  }
  EXPECT_FALSE(study.trials()[0].user_attrs.contains(std::string(kRungAttr)));
  EXPECT_EQ(study.trials()[0].user_attrs.at("note"), "\"ok\"");
}

// Counts reads of the study's trials.
class CountingStorage : public ForwardingStorage {
 public:
  using ForwardingStorage::ForwardingStorage;
  std::vector<FrozenTrial> trials(int64_t study_id, int64_t since_version = 0) override {
    ++reads;
    return ForwardingStorage::trials(study_id, since_version);
  }
  int reads = 0;
};

TEST(Reports, WithoutAPrunerAReportReadsNoTrials) {
  for (const std::string scheduler : {"none", "median"}) {
    SCOPED_TRACE(scheduler);
    auto storage = std::make_shared<CountingStorage>(open_storage("memory"));
    Study study = Study::create(storage, plane(),
                                {.name = "r", .sampler = "random", .seed = 1,
                                 .scheduler = scheduler});
    Trial t = study.ask();
    int before = storage->reads;
    for (int step = 0; step < 50; ++step) {
      t.report(step, 1.0 / (step + 1));
      EXPECT_FALSE(t.should_prune());
    }
    if (scheduler == "none") {
      EXPECT_EQ(storage->reads, before) << "a report under no scheduler read the history";
    } else {
      EXPECT_GT(storage->reads, before) << "the pruner judges on the study's trials";
    }
  }
}

// --- Stopping rules ---------------------------------------------------------------------------

Study line_study(const std::string& name) {
  SearchSpace space;
  space.add_float("x", 0.0, 1.0);
  space.validate();
  return Study::create(open_storage("memory"), space, {.name = name, .seed = 9});
}

TEST(StoppingRules, TargetValueEndsTheRun) {
  Study study = line_study("target");
  int calls = 0;
  OptimizeResult result = study.optimize(
      Objective([&](Trial&) -> TrialOutcome { return {.values = {++calls == 4 ? 0.01 : 1.0}}; }),
      OptimizeOptions{.n_trials = 50, .stopping = {.target_value = 0.05}});
  EXPECT_EQ(result.reason, StopReason::kTarget);
  EXPECT_EQ(calls, 4);
  EXPECT_NE(result.message.find("trial 3"), std::string::npos) << result.message;
}

TEST(StoppingRules, PatienceEndsARunThatStoppedImproving) {
  Study study = line_study("patience");
  int calls = 0;
  OptimizeResult result = study.optimize(
      Objective([&](Trial&) -> TrialOutcome {
        ++calls;
        return {.values = {calls <= 3 ? 10.0 - calls : 8.0}};  // improves 3 times, then flat
      }),
      OptimizeOptions{.n_trials = 50, .stopping = {.patience = 5}});
  EXPECT_EQ(result.reason, StopReason::kPatience);
  EXPECT_EQ(calls, 8);
}

TEST(StoppingRules, MaxFailuresEndsTheRun) {
  Study study = line_study("failures");
  int calls = 0;
  OptimizeResult result = study.optimize(
      Objective([&](Trial&) -> TrialOutcome {
        ++calls;
        if (calls % 2 == 0) return {.values = {1.0}};
        return {.state = TrialState::kFailed, .failure_reason = "diverged " + std::to_string(calls)};
      }),
      OptimizeOptions{.n_trials = 50, .stopping = {.max_failures = 3}});
  EXPECT_EQ(result.reason, StopReason::kMaxFailures);
  EXPECT_EQ(calls, 5);
}

TEST(StoppingRules, ABrokenSetupStopsAtOnceAndItsTrialsDoNotCount) {
  Study study = line_study("broken");
  OptimizeResult result = study.optimize(
      Objective([&](Trial&) -> TrialOutcome {
        return {.state = TrialState::kFailed,
                .failure_reason = "cannot run 'pyhton3': No such file or directory\nlog tail"};
      }),
      OptimizeOptions{.max_trials_in_study = 40, .n_jobs = 2});
  EXPECT_EQ(result.reason, StopReason::kBrokenSetup);
  EXPECT_NE(result.message.find("pyhton3"), std::string::npos) << result.message;
  std::vector<FrozenTrial> trials = study.trials();
  EXPECT_GE(trials.size(), 5u);
  EXPECT_LE(trials.size(), 6u);  // at most one more was running on the second job
  for (const FrozenTrial& t : trials) EXPECT_TRUE(t.interrupted) << t.number;
  EXPECT_EQ(study.storage().counted_trials(study.id()), 0);
}

TEST(StoppingRules, FailuresWithDifferentReasonsOrAfterASuccessAreNotABrokenSetup) {
  Study study = line_study("flaky");
  int calls = 0;
  OptimizeResult result = study.optimize(
      Objective([&](Trial&) -> TrialOutcome {
        ++calls;
        if (calls == 1) return {.values = {1.0}};
        return {.state = TrialState::kFailed, .failure_reason = "out of memory"};
      }),
      OptimizeOptions{.n_trials = 12});
  EXPECT_EQ(result.reason, StopReason::kTrialLimit);
  EXPECT_EQ(calls, 12);
}

TEST(Enqueue, AConfigurationAlreadyInTheStudyIsNotQueuedAgain) {
  Study study = line_study("queue");
  EXPECT_TRUE(study.enqueue_unless_present({{"x", 0.25}}));
  EXPECT_FALSE(study.enqueue_unless_present({{"x", 0.25}}));
  Trial t = study.ask();
  study.tell(t, 1.0);
  EXPECT_FALSE(study.enqueue_unless_present({{"x", 0.25}}));
  EXPECT_TRUE(study.enqueue_unless_present({{"x", 0.5}}));
  EXPECT_EQ(study.trials().size(), 2u);
}

}  // namespace
}  // namespace winnow

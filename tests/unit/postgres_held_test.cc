// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Asks in blocks on PostgreSQL (docs/design.md): one pass through the study's lock creates a
// running trial and trials its process holds, counted from the start and started later without
// the lock; a lease check or an orderly stop gives them back. The storage's side, then studies
// whose asks are slow enough for their blocks to grow.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "storage/forwarding_storage.h"
#include "storage/postgres_connection.h"
#include "storage/postgres_rows.h"
#include "storage/postgres_schema.h"
#include "storage/postgres_storage.h"
#include "unit/postgres_test_support.h"
#include "unit/storage_test_support.h"
#include "winnow/storage.h"
#include "winnow/study.h"

namespace winnow {
namespace {

using namespace storage_test;  // NOLINT(google-build-using-namespace)

constexpr const char* kOwner = "elsewhere:1:2";  // another host's process: judged by its lease
constexpr const char* kOther = "elsewhere:3:4";

std::vector<Storage::TrialDraft> drafts(int count, double first) {
  std::vector<Storage::TrialDraft> made;
  for (int i = 0; i < count; ++i) made.push_back({{{"x", first + i}}, {}});
  return made;
}

int64_t count_of(postgres::Connection& db, const std::string& where) {
  return db.execute("SELECT count(*) FROM winnow_trials WHERE " + where).integer(0, 0);
}

class PostgresHeld : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = fresh_postgres_url();
    storage_ = std::make_unique<PostgresStorage>(url_, StorageOptions{});
    other_ = std::make_unique<PostgresStorage>(url_, StorageOptions{});
    study_ = storage_->create_study(make_study_record("held"));
  }
  std::string url_;
  std::unique_ptr<PostgresStorage> storage_, other_;
  int64_t study_ = 0;
};

// The first draft runs, the others are held by the asking process: numbered after it, stored
// with their configurations, counted from the start, and out of other processes' reach.
TEST_F(PostgresHeld, ABlockRunsItsFirstTrialAndHoldsTheOthersCounted) {
  ASSERT_TRUE(storage_->holds_trials());
  Storage::AheadOutcome outcome =
      storage_->create_trials_ahead(study_, kOwner, 0, drafts(4, 10.0), int64_t{0});
  ASSERT_EQ(outcome.status, Storage::AheadStatus::kCreated);
  EXPECT_EQ(outcome.trial->number, 0);
  EXPECT_EQ(outcome.trial->state, TrialState::kRunning);
  EXPECT_EQ(outcome.trial->config, (Config{{"x", 10.0}}));
  ASSERT_EQ(outcome.held.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(outcome.held[i].number, static_cast<int64_t>(i + 1));
    EXPECT_EQ(outcome.held[i].state, TrialState::kWaiting);
    EXPECT_EQ(outcome.held[i].config, (Config{{"x", 11.0 + static_cast<double>(i)}}));
  }
  EXPECT_EQ(storage_->counted_trials(study_), 4);
  std::vector<FrozenTrial> stored = other_->trials(study_);
  ASSERT_EQ(stored.size(), 4u);
  for (size_t i = 1; i < 4; ++i) {
    EXPECT_EQ(stored[i].state, TrialState::kWaiting);
    EXPECT_EQ(stored[i].owner, kOwner);
    EXPECT_EQ(stored[i].config, outcome.held[i - 1].config);
  }
  // Another process neither claims them nor is held back by them.
  EXPECT_FALSE(other_->claim_waiting_trial(study_, kOther, 0).has_value());
  Storage::AheadOutcome next =
      other_->create_trial_ahead(study_, -1, kOther, 0, {{{"x", 99.0}}, {}}, std::nullopt);
  ASSERT_EQ(next.status, Storage::AheadStatus::kCreated);
  EXPECT_EQ(next.trial->number, 4);
}

// Started by its holder alone, once; the count does not change.
TEST_F(PostgresHeld, AHeldTrialIsStartedByItsHolderWithoutChangingTheCount) {
  Storage::AheadOutcome outcome =
      storage_->create_trials_ahead(study_, kOwner, 0, drafts(2, 1.0), std::nullopt);
  ASSERT_EQ(outcome.held.size(), 1u);
  const int64_t held = outcome.held[0].id;
  EXPECT_FALSE(other_->start_held_trial(held, kOther).has_value());
  std::optional<int64_t> started = storage_->start_held_trial(held, kOwner);
  ASSERT_TRUE(started.has_value());
  FrozenTrial stored = *other_->trial(held);
  EXPECT_EQ(stored.state, TrialState::kRunning);
  EXPECT_EQ(stored.start_time_ms, *started);
  EXPECT_EQ(stored.config, (Config{{"x", 2.0}}));
  EXPECT_EQ(storage_->counted_trials(study_), 2);
  usleep(2000);  // a later start is another attempt, not the lost answer of this one
  EXPECT_FALSE(storage_->start_held_trial(held, kOwner).has_value());
  // Its change is read by the others like a tell's.
  TrialOutcome done = complete({0.5});
  done.owner = kOwner;
  done.started_ms = *started;
  storage_->finish_trial(held, done);
  EXPECT_EQ(other_->trial(held)->state, TrialState::kComplete);
}

// The budget bounds the block: no more trials are created, held or not, than it allows.
TEST_F(PostgresHeld, TheBudgetBoundsTheBlock) {
  Storage::AheadOutcome outcome =
      storage_->create_trials_ahead(study_, kOwner, 3, drafts(5, 0.0), std::nullopt);
  ASSERT_EQ(outcome.status, Storage::AheadStatus::kCreated);
  EXPECT_EQ(outcome.held.size(), 2u);
  EXPECT_EQ(storage_->counted_trials(study_), 3);
  EXPECT_EQ(other_->create_trials_ahead(study_, kOther, 3, drafts(5, 20.0), std::nullopt).status,
            Storage::AheadStatus::kBudgetSpent);
  EXPECT_EQ(other_->trials(study_).size(), 3u);
}

// Given back, held trials are ordinary waiting trials: uncounted, claimed first by any
// process with their stored configurations, and no longer their creator's to start.
TEST_F(PostgresHeld, ReleasedTrialsAreClaimedFirstByAnyProcess) {
  Storage::AheadOutcome outcome =
      storage_->create_trials_ahead(study_, kOwner, 0, drafts(4, 0.0), std::nullopt);
  ASSERT_EQ(outcome.held.size(), 3u);
  EXPECT_EQ(storage_->release_held_trials(study_, {outcome.held[0].id, outcome.held[1].id},
                                          kOwner),
            2);
  EXPECT_EQ(storage_->release_held_trials(study_, {outcome.held[0].id}, kOwner), 0);
  EXPECT_EQ(storage_->counted_trials(study_), 2);
  EXPECT_FALSE(storage_->start_held_trial(outcome.held[0].id, kOwner).has_value());
  std::optional<FrozenTrial> claimed = other_->claim_waiting_trial(study_, kOther, 0);
  ASSERT_TRUE(claimed.has_value());
  EXPECT_EQ(claimed->id, outcome.held[0].id);
  EXPECT_EQ(claimed->config, outcome.held[0].config);
  // An ask claims the other one before it creates anything.
  Storage::AheadOutcome ask =
      other_->create_trials_ahead(study_, kOther, 0, drafts(3, 50.0), std::nullopt);
  ASSERT_EQ(ask.status, Storage::AheadStatus::kClaimedWaiting);
  EXPECT_EQ(ask.trial->id, outcome.held[1].id);
  EXPECT_TRUE(ask.held.empty());
  EXPECT_EQ(storage_->counted_trials(study_), 4);
}

// A process that stops sending heartbeats loses its held trials to the first lease check,
// whichever process makes it: released, not failed, and not counted as a requeue.
TEST_F(PostgresHeld, ALeaseCheckReleasesTheHeldTrialsOfALostProcess) {
  Storage::AheadOutcome outcome =
      storage_->create_trials_ahead(study_, kOwner, 0, drafts(3, 0.0), std::nullopt);
  ASSERT_EQ(outcome.held.size(), 2u);
  OrphanPolicy policy;
  policy.requeue = true;
  policy.lease_ms = 60'000;
  EXPECT_EQ(other_->recover_orphaned_trials(study_, policy), 0);
  usleep(600 * 1000);
  // Heartbeats keep them, held as running.
  storage_->heartbeat({outcome.trial->id, outcome.held[0].id, outcome.held[1].id}, kOwner);
  policy.lease_ms = 500;
  EXPECT_EQ(other_->recover_orphaned_trials(study_, policy), 0);
  usleep(600 * 1000);
  EXPECT_EQ(other_->recover_orphaned_trials(study_, policy), 3);
  postgres::Connection db(url_, "test", 30);
  EXPECT_EQ(count_of(db, "state = 'waiting' AND owner IS NULL AND requeues = 0"), 2);
  EXPECT_EQ(count_of(db, "state = 'waiting' AND requeues = 1"), 1);  // the running one
  EXPECT_EQ(count_of(db, "state = 'failed'"), 0);
  EXPECT_EQ(other_->counted_trials(study_), 0);
  EXPECT_FALSE(storage_->start_held_trial(outcome.held[0].id, kOwner).has_value());
}

// A waiting trial comes first: the ask claims it alone and holds nothing.
TEST_F(PostgresHeld, AWaitingTrialIsClaimedAlone) {
  // Created waiting with an owner, it still belongs to no process.
  ASSERT_TRUE(other_->create_trial(study_, {{"x", 7.0}}, TrialState::kWaiting, kOther, 0,
                                   std::nullopt));
  Storage::AheadOutcome outcome =
      storage_->create_trials_ahead(study_, kOwner, 0, drafts(4, 0.0), std::nullopt);
  ASSERT_EQ(outcome.status, Storage::AheadStatus::kClaimedWaiting);
  EXPECT_EQ(outcome.trial->config, (Config{{"x", 7.0}}));
  EXPECT_TRUE(outcome.held.empty());
  EXPECT_EQ(storage_->counted_trials(study_), 1);
}

// Alone, a block is created only under the number its proposals were drawn for.
TEST_F(PostgresHeld, ABlockForANumberTakenMeanwhileIsNotCreated) {
  ASSERT_TRUE(other_->create_trial(study_, {{"x", 7.0}}, TrialState::kRunning, kOther, 0,
                                   std::nullopt));
  EXPECT_EQ(storage_->create_trials_ahead(study_, kOwner, 0, drafts(4, 0.0), int64_t{0}).status,
            Storage::AheadStatus::kOvertaken);
  EXPECT_EQ(storage_->trials(study_).size(), 1u);
  EXPECT_EQ(storage_->counted_trials(study_), 1);
}

// Every ask checks under the study's lock for a trial waiting to be claimed. Held trials wait
// too, hundreds of them with many processes: once the statistics know them, the check must
// still read only the unheld ones (a partial index), not scan the study's trials for one.
TEST_F(PostgresHeld, TheCheckForAWaitingTrialReadsOnlyUnheldOnes) {
  for (int block = 0; block < 20; ++block) {
    ASSERT_EQ(storage_->create_trials_ahead(study_, kOwner, 0, drafts(32, block * 100.0),
                                            std::nullopt)
                  .status,
              Storage::AheadStatus::kCreated);
  }
  postgres::Connection db(url_, "test", 30);
  db.execute("ANALYZE winnow_trials");
  // The plan the storage's connections use: prepared once, generic (docs/storage.md).
  db.execute("SET plan_cache_mode = force_generic_plan");
  db.execute("PREPARE waiting_check(bigint) AS SELECT " WINNOW_PG_WAITING_TRIAL);
  postgres::Result plan = db.execute("EXPLAIN EXECUTE waiting_check(" +
                                     std::to_string(study_) + ")");
  std::string text;
  for (int row = 0; row < plan.rows(); ++row) text += plan.text(row, 0) + "\n";
  EXPECT_NE(text.find("winnow_trials_unheld_waiting"), std::string::npos) << text;
  // Tables made before the index get it on open (built concurrently, valid), at the same
  // schema version.
  db.execute("DROP INDEX winnow_trials_unheld_waiting");
  PostgresStorage reopened(url_, StorageOptions{});
  EXPECT_TRUE(db.execute("SELECT indisvalid FROM pg_index WHERE indexrelid = "
                        "to_regclass('winnow_trials_unheld_waiting')")
                  .boolean(0, 0));
  EXPECT_EQ(db.execute("SELECT value FROM winnow_meta WHERE key = 'schema_version'").text(0, 0),
            std::to_string(postgres::kSchemaVersion));
}

// A storage whose asks in blocks take `delay` longer, as when many processes queue on the
// study's lock: against trivial objectives, the block then grows.
class SlowAsks : public ForwardingStorage {
 public:
  SlowAsks(std::shared_ptr<Storage> target, std::chrono::milliseconds delay)
      : ForwardingStorage(std::move(target)), delay_(delay) {}
  AheadOutcome create_trials_ahead(int64_t study_id, std::string_view owner,
                                   int64_t budget_limit, const std::vector<TrialDraft>& drafts,
                                   std::optional<int64_t> expected_number) override {
    std::this_thread::sleep_for(delay_);
    return ForwardingStorage::create_trials_ahead(study_id, owner, budget_limit, drafts,
                                                  expected_number);
  }

 private:
  std::chrono::milliseconds delay_;
};

SearchSpace plane() {
  SearchSpace space;
  space.add_float("x", 0.0, 1.0).add_float("y", 0.0, 1.0).add_int("k", 0, 1000);
  space.validate();
  return space;
}

std::shared_ptr<Storage> slow(const std::string& url) {
  return std::make_shared<SlowAsks>(std::make_shared<PostgresStorage>(url, StorageOptions{}),
                                    std::chrono::milliseconds(3));
}

// Trials an ask made held: their client tokens are the ask's (owner/random) followed by their
// place in the block.
int64_t made_held(postgres::Connection& db) { return count_of(db, "client_token LIKE '%/%/%'"); }

// Alone, asks in blocks give trial n the n-th position of the study's stream, as asks one by
// one do: the sequence is the study's, whatever the block size.
TEST(StudyBlocks, AloneTheSequenceIsTheOneOfSingleAsks) {
  const std::string url = fresh_postgres_url();
  const StudyOptions options{.name = "alone", .sampler = "random", .seed = 7};
  Study single = Study::create(open_storage("memory"), plane(), options);
  Study blocks = Study::create(slow(url), plane(), options);
  blocks.optimize([](Trial& trial) { return trial.float_param("x"); }, 60);
  postgres::Connection db(url, "test", 30);
  EXPECT_GT(made_held(db), 0) << "the asks never made a block";
  std::vector<FrozenTrial> trials = blocks.trials();
  ASSERT_EQ(trials.size(), 60u);
  for (const FrozenTrial& trial : trials) {
    EXPECT_EQ(trial.state, TrialState::kComplete);
    EXPECT_EQ(trial.config, single.ask().config()) << "trial " << trial.number;
  }
}

// Several processes asking in blocks: runs that end on their own trial count hold nothing
// past it, so leave nothing behind; and on one budget, every configuration once, the budget
// exact, nothing left held.
TEST(StudyBlocks, ProcessesAskingInBlocksLeaveNothingBehindAndKeepTheBudget) {
  const std::string url = fresh_postgres_url();
  const StudyOptions options{.name = "shared", .sampler = "random", .seed = 11};
  Study::create(slow(url), plane(), options);
  auto run_processes = [&](const OptimizeOptions& run) {
    std::vector<std::thread> processes;
    for (int i = 0; i < 5; ++i) {
      processes.emplace_back([&] {
        Study study = Study::create(slow(url), plane(), options);
        study.optimize([](Trial& trial) { return trial.float_param("x"); }, run);
      });
    }
    for (std::thread& process : processes) process.join();
  };
  postgres::Connection db(url, "test", 30);
  run_processes({.n_trials = 23});
  EXPECT_GT(made_held(db), 0) << "the asks never made a block";
  EXPECT_EQ(count_of(db, "state = 'complete'"), 5 * 23);
  EXPECT_EQ(count_of(db, "state <> 'complete'"), 0);
  run_processes({.max_trials_in_study = 200});
  EXPECT_EQ(count_of(db, "state = 'complete'"), 200);
  EXPECT_EQ(count_of(db, "state <> 'complete'"), 0);
  Study reader = Study::create(open_storage(url), plane(), options);
  std::set<Config> configurations;
  for (const FrozenTrial& trial : reader.trials()) configurations.insert(trial.config);
  EXPECT_EQ(configurations.size(), 200u);
  EXPECT_EQ(reader.trials().back().number, 199);
}

// A block grows once asks cost more than trials run, whatever the first trial took: a slow
// first trial (a define-by-run space grows) must not keep the next asks single, and once a
// few runs are known a block grows at once to the size an ask's cost calls for.
TEST(StudyBlocks, ASlowFirstTrialDoesNotKeepTheBlocksSmall) {
  const std::string url = fresh_postgres_url();
  const StudyOptions options{.name = "slow-first", .sampler = "random", .seed = 3};
  // Asks of 300 ms: a trial's run, from its hand-out to its tell, stays well below that.
  Study study = Study::create(
      std::make_shared<SlowAsks>(std::make_shared<PostgresStorage>(url, StorageOptions{}),
                                 std::chrono::milliseconds(300)),
      plane(), options);
  postgres::Connection db(url, "test", 30);
  Trial first = study.ask();
  std::this_thread::sleep_for(std::chrono::seconds(2));
  study.tell(first, 0.5);
  // An average of the runs would keep these asks single, and doubling alone would reach
  // blocks of 4 by now; a run of up to 75 ms calls for at least 8.
  for (int i = 0; i < 6; ++i) {
    Trial quick = study.ask();
    study.tell(quick, 0.5);
  }
  EXPECT_GE(made_held(db), 7) << "six asks after a slow first trial made no large block";
}

// A process that stops in order gives back what it holds, whether it says so or its Study
// object goes: ordinary waiting trials then, uncounted, claimed first by the next ask.
TEST(StudyBlocks, AnOrderlyStopGivesBackTheHeldTrials) {
  const std::string url = fresh_postgres_url();
  const StudyOptions options{.name = "stop", .sampler = "random", .seed = 5};
  postgres::Connection db(url, "test", 30);
  const std::string held_now = "state = 'waiting' AND owner IS NOT NULL";
  auto ask_until_holding = [&](Study& study) {
    for (int i = 0; i < 300 && count_of(db, held_now) == 0; ++i) {
      Trial trial = study.ask();
      study.tell(trial, 0.5);
    }
    return count_of(db, held_now);
  };
  Study study = Study::create(slow(url), plane(), options);
  const int64_t held = ask_until_holding(study);
  ASSERT_GT(held, 0) << "the asks never made a block";
  const int64_t counted = study.counted_trials();
  study.release_held_trials();
  EXPECT_EQ(count_of(db, held_now), 0);
  EXPECT_EQ(count_of(db, "state = 'waiting' AND owner IS NULL"), held);
  EXPECT_EQ(study.counted_trials(), counted - held);
  const int64_t oldest_released =
      db.execute("SELECT min(number) FROM winnow_trials WHERE state = 'waiting'").integer(0, 0);
  Trial next = study.ask();
  EXPECT_EQ(next.number(), oldest_released);
  study.tell(next, 0.5);
  {
    Study going = Study::create(slow(url), plane(), options);
    ASSERT_GT(ask_until_holding(going), 0);
  }
  EXPECT_EQ(count_of(db, held_now), 0);
}

}  // namespace
}  // namespace winnow

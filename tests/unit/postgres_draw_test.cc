// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Trials drawn ahead on PostgreSQL (Storage::create_drawing_ahead): the process holding a
// study's lock draws the next configurations for the processes running its other trials, which
// claim them without the lock. The sequence, the budget and each trial's single owner hold.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "storage/postgres_connection.h"
#include "unit/postgres_test_support.h"
#include "unit/storage_test_support.h"
#include "winnow/storage.h"

namespace winnow {
namespace {

using namespace storage_test;  // NOLINT(google-build-using-namespace)
using postgres::Connection;
using postgres::Params;

// The configuration a sampler that depends on the number alone gives trial `number`.
Config config_of(int64_t number) { return {{"x", static_cast<double>(number)}}; }

Storage::TrialDecider by_number() {
  return [](int64_t number, std::vector<FrozenTrial>) -> std::optional<Storage::TrialDraft> {
    return Storage::TrialDraft{config_of(number), {{"drawn_for", std::to_string(number)}}};
  };
}

int64_t counted(Connection& db, int64_t study) {
  return db.execute("SELECT counted_trials FROM winnow_studies WHERE study_id = $1",
                    Params().add(study))
      .integer(0, 0);
}

int64_t waiting(Connection& db, int64_t study) {
  return db.execute("SELECT count(*) FROM winnow_trials WHERE study_id = $1 AND state = "
                    "'waiting' AND drawn",
                    Params().add(study))
      .integer(0, 0);
}

TEST(PostgresDraw, DrawsTwoTrialsForEachOtherProcessAndTheyAreClaimedInOrder) {
  std::string url = fresh_postgres_url();
  std::unique_ptr<Storage> storage = open_storage(url);
  Connection db(url, url, 30);
  int64_t study = storage->create_study(make_study_record("draw"));
  for (int i = 0; i < 3; ++i) {  // three other processes run a trial each
    storage->create_trial(study, config_of(i), TrialState::kRunning, "other:1:" + std::to_string(i),
                          0, {});
  }
  Storage::DrawOutcome outcome = storage->create_drawing_ahead(study, "me:1:1", 0, 64, by_number());
  ASSERT_TRUE(outcome.trial);
  EXPECT_EQ(outcome.trial->number, 3);
  EXPECT_EQ(outcome.trial->config, config_of(3));
  EXPECT_TRUE(outcome.drawn_waiting);
  EXPECT_EQ(waiting(db, study), 6);
  EXPECT_EQ(counted(db, study), 10);  // drawn trials count towards the budget as they are drawn
  // ... but not among the trials that ran or run, until claimed: a study whose workers all
  // stopped with drawn trials left is not done.
  EXPECT_EQ(storage->counted_trials(study), 4);
  int64_t seen = 0;
  for (const FrozenTrial& trial : storage->trials(study)) seen = std::max(seen, trial.version);
  for (int64_t number = 4; number <= 9; ++number) {
    std::optional<FrozenTrial> claimed = storage->claim_drawn_trial(study, "other:1:9");
    ASSERT_TRUE(claimed);
    EXPECT_EQ(claimed->number, number);
    EXPECT_EQ(claimed->state, TrialState::kRunning);
    EXPECT_EQ(claimed->owner, "other:1:9");
    EXPECT_EQ(claimed->config, config_of(number));
    EXPECT_EQ(claimed->user_attrs.at("drawn_for"), std::to_string(number));
  }
  EXPECT_FALSE(storage->claim_drawn_trial(study, "other:1:9"));
  EXPECT_EQ(counted(db, study), 10);  // claims count nothing again
  EXPECT_EQ(storage->counted_trials(study), 10);
  // The claims left their versions pending: a reader of the changes since it last read
  // receives each claim, until the next writer under the lock stamps it, then once more.
  std::vector<FrozenTrial> changed = storage->trials(study, seen);
  ASSERT_EQ(changed.size(), 6u);
  for (const FrozenTrial& trial : changed) {
    EXPECT_EQ(trial.state, TrialState::kRunning);
    EXPECT_EQ(trial.owner, "other:1:9");
    EXPECT_EQ(trial.version, 0);  // pending
  }
  ASSERT_TRUE(storage->create_drawing_ahead(study, "me:1:1", 0, 0, by_number()).trial);
  changed = storage->trials(study, seen);
  ASSERT_EQ(changed.size(), 7u);  // the six claims, stamped, and the new trial
  int64_t stamped = 0;
  for (const FrozenTrial& trial : changed) {
    EXPECT_GT(trial.version, seen);
    stamped = std::max(stamped, trial.version);
  }
  EXPECT_TRUE(storage->trials(study, stamped).empty());
}

TEST(PostgresDraw, AProcessDrawsNothingForItsOwnOtherJobs) {
  std::string url = fresh_postgres_url();
  std::unique_ptr<Storage> storage = open_storage(url);
  Connection db(url, url, 30);
  int64_t study = storage->create_study(make_study_record("jobs"));
  for (int i = 0; i < 3; ++i) {  // this process's other jobs run a trial each
    storage->create_trial(study, config_of(i), TrialState::kRunning, "me:1:1", 0, {});
  }
  Storage::DrawOutcome outcome = storage->create_drawing_ahead(study, "me:1:1", 0, 64, by_number());
  ASSERT_TRUE(outcome.trial);
  EXPECT_FALSE(outcome.drawn_waiting);
  EXPECT_EQ(waiting(db, study), 0);
}

TEST(PostgresDraw, ARequeuedDrawnTrialIsCountedWhenClaimedAgain) {
  std::string url = fresh_postgres_url();
  std::unique_ptr<Storage> storage = open_storage(url);
  Connection db(url, url, 30);
  int64_t study = storage->create_study(make_study_record("requeued"));
  storage->create_trial(study, config_of(0), TrialState::kRunning, "gone.invalid:1:1", 0, {});
  ASSERT_TRUE(storage->create_drawing_ahead(study, "gone.invalid:2:1", 0, 1, by_number()).trial);
  std::optional<FrozenTrial> drawn = storage->claim_drawn_trial(study, "gone.invalid:3:1");
  ASSERT_TRUE(drawn);
  EXPECT_EQ(storage->counted_trials(study), 3);
  // Every worker of those hosts is lost: the lease check puts their trials back in the queue,
  // out of the budget, the drawn one too.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(storage->recover_orphaned_trials(study, OrphanPolicy{.lease_ms = 10, .requeue = true}),
            3);
  EXPECT_EQ(counted(db, study), 0);
  EXPECT_FALSE(storage->claim_drawn_trial(study, "me:1:1"));  // an enqueued trial now
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(storage->claim_waiting_trial(study, "me:1:1", 3));
  EXPECT_EQ(counted(db, study), 3);
  EXPECT_FALSE(storage->claim_waiting_trial(study, "me:1:1", 3));
}

TEST(PostgresDraw, ALoneProcessDrawsNothing) {
  std::string url = fresh_postgres_url();
  std::unique_ptr<Storage> storage = open_storage(url);
  Connection db(url, url, 30);
  int64_t study = storage->create_study(make_study_record("alone"));
  for (int64_t number = 0; number < 3; ++number) {
    Storage::DrawOutcome outcome = storage->create_drawing_ahead(study, "me:1:1", 0, 64, by_number());
    ASSERT_TRUE(outcome.trial);
    EXPECT_EQ(outcome.trial->number, number);
    EXPECT_FALSE(outcome.drawn_waiting);
    storage->finish_trial(outcome.trial->id, complete({1.0}));
  }
  EXPECT_EQ(waiting(db, study), 0);
}

TEST(PostgresDraw, NeverDrawsBeyondTheBudgetAndDrawnTrialsAreRunOnceItIsSpent) {
  std::string url = fresh_postgres_url();
  std::unique_ptr<Storage> storage = open_storage(url);
  Connection db(url, url, 30);
  int64_t study = storage->create_study(make_study_record("budget"));
  for (int i = 0; i < 3; ++i) {
    storage->create_trial(study, config_of(i), TrialState::kRunning, "other:1:1", 0, {});
  }
  // Budget 5: this trial (3) and one drawn (4), though two are drawn for each other process.
  Storage::DrawOutcome first = storage->create_drawing_ahead(study, "me:1:1", 5, 64, by_number());
  ASSERT_TRUE(first.trial);
  EXPECT_EQ(waiting(db, study), 1);
  EXPECT_EQ(counted(db, study), 5);
  // The budget is spent, yet the drawn trial is claimed through the lock too, and then nothing.
  Storage::DrawOutcome second = storage->create_drawing_ahead(study, "me:1:1", 5, 64, by_number());
  ASSERT_TRUE(second.trial);
  EXPECT_EQ(second.trial->number, 4);
  EXPECT_EQ(second.trial->config, config_of(4));
  Storage::DrawOutcome third = storage->create_drawing_ahead(study, "me:1:1", 5, 64, by_number());
  EXPECT_FALSE(third.trial);
  EXPECT_EQ(counted(db, study), 5);
  EXPECT_EQ(storage->trials(study).size(), 5u);
}

TEST(PostgresDraw, EnqueuedTrialsAreNotDrawnOnesAndCountWhenClaimed) {
  std::string url = fresh_postgres_url();
  std::unique_ptr<Storage> storage = open_storage(url);
  Connection db(url, url, 30);
  int64_t study = storage->create_study(make_study_record("enqueued"));
  storage->create_trial(study, config_of(0), TrialState::kWaiting, "", 0, {});
  EXPECT_FALSE(storage->claim_drawn_trial(study, "me:1:1"));
  EXPECT_EQ(counted(db, study), 0);
  Storage::DrawOutcome outcome = storage->create_drawing_ahead(study, "me:1:1", 0, 64, by_number());
  ASSERT_TRUE(outcome.trial);
  EXPECT_EQ(outcome.trial->number, 0);  // the enqueued trial, claimed under the lock
  EXPECT_EQ(counted(db, study), 1);
}

TEST(PostgresDraw, ProcessesClaimingAtOnceTakeEachTrialOnce) {
  std::string url = fresh_postgres_url();
  std::unique_ptr<Storage> storage = open_storage(url);
  int64_t study = storage->create_study(make_study_record("at-once"));
  constexpr int kRunning = 40;  // of as many processes: 64 drawn, the most one ask draws
  constexpr int kDrawn = 64;
  for (int i = 0; i < kRunning; ++i) {
    storage->create_trial(study, config_of(i), TrialState::kRunning,
                          "other:1:" + std::to_string(i), 0, {});
  }
  ASSERT_TRUE(storage->create_drawing_ahead(study, "me:1:1", 0, 64, by_number()).trial);
  std::mutex mutex;
  std::vector<int64_t> numbers;
  std::vector<std::thread> claimers;
  for (int c = 0; c < 4; ++c) {
    claimers.emplace_back([&, c] {
      std::unique_ptr<Storage> own = open_storage(url);
      const std::string owner = "claimer:1:" + std::to_string(c);
      while (std::optional<FrozenTrial> claimed = own->claim_drawn_trial(study, owner)) {
        EXPECT_EQ(claimed->owner, owner);
        EXPECT_EQ(claimed->config, config_of(claimed->number));
        std::lock_guard lock(mutex);
        numbers.push_back(claimed->number);
      }
    });
  }
  for (std::thread& claimer : claimers) claimer.join();
  std::sort(numbers.begin(), numbers.end());
  ASSERT_EQ(numbers.size(), static_cast<size_t>(kDrawn));
  for (int i = 0; i < kDrawn; ++i) EXPECT_EQ(numbers[i], kRunning + 1 + i);
}

}  // namespace
}  // namespace winnow

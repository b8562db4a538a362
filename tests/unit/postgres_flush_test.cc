// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// When an ask's commit reaches the disk on PostgreSQL: after the study's lock, and always before
// its trial is handed on.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "storage/postgres_connection.h"
#include "storage/postgres_rows.h"
#include "storage/postgres_storage.h"
#include "unit/postgres_test_support.h"
#include "unit/storage_test_support.h"
#include "winnow/storage.h"

namespace winnow {
namespace {

using namespace storage_test;  // NOLINT(google-build-using-namespace)
using postgres::Connection;
using postgres::Params;
using postgres::Result;

// The test server does not flush; a session of synchronous_commit on waits all the same.
constexpr const char* kFlushingOption = "%20-csynchronous_commit%3Don";

std::optional<Storage::TrialDraft> draft_x(double x) {
  return Storage::TrialDraft{{{"x", x}}, {}};
}

// How many wait for the study's advisory lock (postgres::kAdvisoryLockSql's two keys), from a
// connection of the study's schema: other tests' studies may queue on the same server.
constexpr const char* kQueuedOnTheStudysLockSql =
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objsubid = 2 "
    "AND classid = hashtext('winnow:' || current_schema())::oid AND objid = $1::bigint::oid";

// The four kinds of ask, each returning its trial: decided under the lock, made ahead, the
// claim of the trial the caller enqueued just before (x = 9), and made ahead by a caller that
// reads no history (one statement after the lock).
std::vector<std::function<FrozenTrial(PostgresStorage&)>> every_kind_of_ask(int64_t study) {
  auto decided = [study](PostgresStorage& storage) {
    std::optional<FrozenTrial> trial = storage.create_decided_trial(
        study, 0, "me", 0, [](int64_t number, std::vector<FrozenTrial>) {
          return draft_x(double(number));
        });
    EXPECT_TRUE(trial);
    return trial.value_or(FrozenTrial{});
  };
  auto ahead = [study](PostgresStorage& storage) {
    Storage::AheadOutcome outcome =
        storage.create_trial_ahead(study, 0, "me", 0, *draft_x(-1.0), std::nullopt);
    EXPECT_EQ(outcome.status, Storage::AheadStatus::kCreated);
    return outcome.trial.value_or(FrozenTrial{});
  };
  auto claimed = [study, decided](PostgresStorage& storage) {
    FrozenTrial trial = decided(storage);
    EXPECT_EQ(trial.config.at("x"), ParamValue(9.0));  // the enqueued one
    return trial;
  };
  auto without_history = [study](PostgresStorage& storage) {
    Storage::AheadOutcome outcome =
        storage.create_trial_ahead(study, -1, "me", 0, *draft_x(-2.0), std::nullopt);
    EXPECT_EQ(outcome.status, Storage::AheadStatus::kCreated);
    return outcome.trial.value_or(FrozenTrial{});
  };
  return {decided, ahead, claimed, without_history};
}

// Whether the trial's row was written again after the transaction that made or claimed it,
// which also wrote the study's row (the lock's update) or, for a made one, its parameters.
bool rewritten_after_its_ask(Connection& db, int64_t trial_id, bool claimed) {
  const char* sql =
      claimed ? "SELECT t.xmin::text <> s.xmin::text FROM winnow_trials t JOIN winnow_studies s "
                "USING (study_id) WHERE t.trial_id = $1"
              : "SELECT t.xmin::text <> p.xmin::text FROM winnow_trials t JOIN "
                "winnow_trial_params p USING (trial_id) WHERE t.trial_id = $1";
  Result row = db.execute(sql, Params().add(trial_id));
  EXPECT_EQ(row.rows(), 1);
  return row.rows() == 1 && row.boolean(0, 0);
}

// The trial is running, and the asker's.
void expect_running_and_mine(Connection& db, int64_t trial_id) {
  Result row = db.execute("SELECT state, owner FROM winnow_trials WHERE trial_id = $1",
                          Params().add(trial_id));
  ASSERT_EQ(row.rows(), 1);
  EXPECT_EQ(row.text(0, 0), "running");
  EXPECT_EQ(row.text(0, 1), "me");
}

// Where the session's commits wait for their flush, every kind of ask writes its trial's
// heartbeat again after its own transaction, in a transaction of its own whose flush carries
// the ask's; a session that does not wait for flushes writes nothing after.
TEST(PostgresFlushAfterTheLock, EveryKindOfAskWaitsForItsFlush) {
  const std::string plain_url = fresh_postgres_url();
  const std::string flushing = plain_url + kFlushingOption;
  ASSERT_TRUE(Connection(flushing, flushing, 30).commits_wait_for_flush());
  ASSERT_FALSE(Connection(plain_url, plain_url, 30).commits_wait_for_flush());
  Connection db(plain_url, plain_url, 30);
  for (const bool waits : {true, false}) {
    SCOPED_TRACE(waits ? "flushing session" : "session that does not flush");
    PostgresStorage storage(waits ? flushing : plain_url);
    int64_t study = storage.create_study(make_study_record(waits ? "flushed" : "unflushed"));
    int kind = 0;
    for (const auto& ask : every_kind_of_ask(study)) {
      SCOPED_TRACE(kind);
      const bool claims = kind++ == 2;
      if (claims) {
        ASSERT_TRUE(storage.create_trial(study, {{"x", 9.0}}, TrialState::kWaiting, "", 0, {}));
      }
      FrozenTrial trial = ask(storage);
      EXPECT_EQ(rewritten_after_its_ask(db, trial.id, claims), waits);
      expect_running_and_mine(db, trial.id);
    }
    EXPECT_EQ(storage.trials(study).size(), 4u);
  }
}

// An ask queued behind another holder of the study's lock returns its trial only once the holder
// is gone, and after the wait that follows its commit (a write of the trial's heartbeat, flushed
// with everything before it).
TEST(PostgresFlushAfterTheLock, AnAskThatWaitedForTheLockWaitsForItsFlushAfter) {
  const std::string url = fresh_postgres_url() + kFlushingOption;
  Connection db(url, url, 30);
  PostgresStorage enqueuer(url);
  int64_t study = enqueuer.create_study(make_study_record("queued"));
  int kind = 0;
  for (const auto& ask : every_kind_of_ask(study)) {
    SCOPED_TRACE(kind);
    const bool claims = kind++ == 2;
    if (claims) {
      ASSERT_TRUE(enqueuer.create_trial(study, {{"x", 9.0}}, TrialState::kWaiting, "", 0, {}));
    }
    PostgresStorage storage(url);
    Connection holder(url, url, 30);
    std::atomic<bool> released{false}, returned_early{false};
    FrozenTrial trial;
    std::thread asking;
    bool queued = false;
    holder.transaction(Connection::Mode::kWrite, [&](bool) {
      holder.execute(postgres::kAdvisoryLockSql, Params().add(study));
      if (!asking.joinable()) {
        asking = std::thread([&] {
          trial = ask(storage);
          if (!released) returned_early = true;
        });
      }
      // Released once the ask is seen waiting for the lock.
      const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
      while (!queued && std::chrono::steady_clock::now() < give_up) {
        queued = db.execute(kQueuedOnTheStudysLockSql, Params().add(study)).integer(0, 0) > 0;
        if (!queued) std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      released = true;
    });
    asking.join();
    EXPECT_TRUE(queued);
    EXPECT_FALSE(returned_early);
    EXPECT_TRUE(rewritten_after_its_ask(db, trial.id, claims));
    expect_running_and_mine(db, trial.id);
  }
  EXPECT_EQ(enqueuer.trials(study).size(), 4u);
}

// The ask in one statement notes its trial in the session (winnow.asked_trial), so the wait for
// its flush travels after its COMMIT in the same round trip and finds the trial; without the
// note the wait would find nothing, and every ask would wait in a round trip of its own.
TEST(PostgresFlushAfterTheLock, TheAskInOneStatementIsFlushedInItsOwnRoundTrip) {
  const std::string url = fresh_postgres_url() + kFlushingOption;
  PostgresStorage storage(url);
  int64_t study = storage.create_study(make_study_record("one statement"));
  Connection db(url, url, 30);
  for (int ask = 0; ask < 2; ++ask) {
    SCOPED_TRACE(ask);
    const std::string token = "token-" + std::to_string(ask);
    std::vector<Result> results = db.transaction(Connection::Mode::kWrite, [&](bool) {
      return db.execute_pipeline(
          {postgres::advisory_lock_statement(study, /*flush_later=*/true),
           postgres::ask_ahead_statement(study, {{"x", double(ask)}}, "me", {}, token, 1, 0,
                                         std::nullopt)},
          /*then_commit=*/true, postgres::flush_inserted_statements(true, token, "me"));
    });
    ASSERT_EQ(results.size(), 3u);
    ASSERT_EQ(results[1].rows(), 1);
    ASSERT_FALSE(results[1].is_null(0, 2));
    EXPECT_EQ(results[1].integer(0, 3), ask);  // the trial's number
    EXPECT_EQ(results[2].rows(), 1);
    expect_running_and_mine(db, results[1].integer(0, 2));
  }
}

// On a session whose commits wait for their flush, an ask made ahead still returns the changes
// it reads after its COMMIT (they come before the update that waits for the flush), and its
// trial is confirmed on disk in the same round trip.
TEST(PostgresFlushAfterTheLock, AnAskMadeAheadReadsItsChangesBeforeItsFlush) {
  const std::string url = fresh_postgres_url() + kFlushingOption;
  PostgresStorage storage(url);
  int64_t study = storage.create_study(make_study_record("changes"));
  std::optional<FrozenTrial> first =
      storage.create_trial(study, {{"x", 0.5}}, TrialState::kRunning, "me", 0, {});
  ASSERT_TRUE(first);
  storage.finish_trial(first->id, complete({1.0}));
  Storage::AheadOutcome asked =
      storage.create_trial_ahead(study, 0, "me", 0, *draft_x(1.5), int64_t{1});
  ASSERT_EQ(asked.status, Storage::AheadStatus::kCreated);
  ASSERT_FALSE(asked.changed.empty());
  EXPECT_EQ(asked.changed[0].id, first->id);
  EXPECT_EQ(asked.changed[0].values, std::vector{1.0});
  Connection db(url, url, 30);
  expect_running_and_mine(db, asked.trial->id);
  EXPECT_TRUE(rewritten_after_its_ask(db, asked.trial->id, false));
}

// The wait confirms a trial only while it is still the caller's: not once a lease check put it
// back in the queue and another process claimed it (the caller, reconnecting, asks again).
TEST(PostgresFlushAfterTheLock, AWaitDoesNotConfirmATrialAnotherProcessClaimed) {
  std::string url = fresh_postgres_url();
  PostgresStorage storage(url);
  int64_t study = storage.create_study(make_study_record("claimed"));
  Connection db(url, url, 30);
  std::optional<FrozenTrial> trial =
      storage.create_trial(study, {}, TrialState::kRunning, "first", 0, {});
  ASSERT_TRUE(trial);
  db.execute("UPDATE winnow_trials SET client_token = 'mine' WHERE trial_id = $1",
             Params().add(trial->id));
  EXPECT_TRUE(postgres::wait_for_flush(db, trial->id, "mine", "first"));
  EXPECT_FALSE(postgres::wait_for_flush(db, trial->id, "mine", "other"));
  db.execute("UPDATE winnow_trials SET claim_token = 'theirs', owner = 'second' "
             "WHERE trial_id = $1",
             Params().add(trial->id));
  EXPECT_FALSE(postgres::wait_for_flush(db, trial->id, "mine", "first"));
  EXPECT_TRUE(postgres::wait_for_flush(db, trial->id, "theirs", "second"));
  EXPECT_FALSE(postgres::wait_for_flush(db, trial->id + 1, "theirs", "second"));
}

}  // namespace
}  // namespace winnow

// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// What only the PostgreSQL storage has: statements sent in one round trip (pipelines) and the
// queue of writers in front of each study's row. The behaviour every storage shares is in
// storage_test.cc.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include "storage/postgres_connection.h"
#include "storage/postgres_rows.h"
#include "unit/postgres_test_support.h"
#include "unit/storage_test_support.h"
#include "winnow/storage.h"

namespace winnow {
namespace {

using namespace storage_test;  // NOLINT(google-build-using-namespace)
using postgres::Connection;
using postgres::Params;
using postgres::Result;

TEST(PostgresPipeline, RunsStatementsInOrderAndCommitsWithThem) {
  std::string url = fresh_postgres_url();
  Connection db(url, url, 30);
  db.execute_script("CREATE TABLE items (id bigint PRIMARY KEY, note text)");
  std::vector<Result> results = db.transaction(Connection::Mode::kWrite, [&](bool) {
    return db.execute_pipeline(
        {{"INSERT INTO items VALUES ($1, $2)", Params().add(int64_t{1}).add("a")},
         {"INSERT INTO items VALUES ($1, $2)", Params().add(int64_t{2}).add("b")},
         // Sees the rows the statements before it wrote.
         {"SELECT count(*), string_agg(note, ',' ORDER BY id) FROM items", Params()}},
        /*then_commit=*/true);
  });
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[2].integer(0, 0), 2);
  EXPECT_EQ(results[2].text(0, 1), "a,b");
  // Committed: another connection sees both rows.
  Connection other(url, url, 30);
  EXPECT_EQ(other.execute("SELECT count(*) FROM items").integer(0, 0), 2);
}

TEST(PostgresPipeline, AFailingStatementLeavesNothingOfTheTransaction) {
  std::string url = fresh_postgres_url();
  Connection db(url, url, 30);
  db.execute_script("CREATE TABLE items (id bigint PRIMARY KEY)");
  auto run = [&] {
    db.transaction(Connection::Mode::kWrite, [&](bool) {
      db.execute_pipeline({{"INSERT INTO items VALUES ($1)", Params().add(int64_t{1})},
                           {"INSERT INTO items VALUES ($1)", Params().add(int64_t{1})},
                           {"INSERT INTO items VALUES ($1)", Params().add(int64_t{2})}},
                          /*then_commit=*/true);
    });
  };
  std::string message = error_message(run);
  EXPECT_NE(message.find("duplicate key"), std::string::npos) << message;
  // The connection is usable again and the first insert was rolled back with the rest.
  EXPECT_EQ(db.execute("SELECT count(*) FROM items").integer(0, 0), 0);
  db.transaction(Connection::Mode::kWrite, [&](bool) {
    db.execute_pipeline({{"INSERT INTO items VALUES ($1)", Params().add(int64_t{3})}});
  });
  EXPECT_EQ(db.execute("SELECT count(*) FROM items").integer(0, 0), 1);
}

TEST(PostgresPipeline, ReplannedStatementsRunInTheTransaction) {
  std::string url = fresh_postgres_url();
  Connection db(url, url, 30);
  db.execute_script("CREATE TABLE items (id bigint PRIMARY KEY, note text)");
  std::string message = error_message([&] {
    db.transaction(Connection::Mode::kWrite, [&](bool) {
      db.execute_replanned("INSERT INTO items VALUES ($1, $2)", Params().add(int64_t{1}).add("a"));
      Result rows = db.execute_replanned("SELECT note FROM items WHERE id = ANY($1::bigint[])",
                                         Params().add("{1,2}"));
      EXPECT_EQ(rows.rows(), 1);
      EXPECT_EQ(rows.text(0, 0), "a");
      db.execute_replanned("INSERT INTO items VALUES ($1, $2)", Params().add(int64_t{1}).add("b"));
    });
  });
  EXPECT_NE(message.find("duplicate key"), std::string::npos) << message;
  // The failed statement rolled the whole transaction back.
  EXPECT_EQ(db.execute_replanned("SELECT count(*) FROM items").integer(0, 0), 0);
}

// Every writer of a study queues on the study's advisory lock before it touches the study's
// row: a tell and an ask wait while another session holds it, and go on once it is released.
TEST(PostgresStudyQueue, WritersWaitForTheStudysAdvisoryLock) {
  std::string url = fresh_postgres_url();
  std::unique_ptr<Storage> storage = open_storage(url);
  int64_t study = storage->create_study(make_study_record("queued"));
  std::optional<FrozenTrial> trial =
      storage->create_trial(study, {}, TrialState::kRunning, "", 0, {});
  ASSERT_TRUE(trial);

  Connection holder(url, url, 30);
  std::atomic<bool> released{false};
  std::atomic<bool> finished_early{false}, asked_early{false};
  std::thread writers;
  holder.transaction(Connection::Mode::kWrite, [&](bool) {
    holder.execute(postgres::kAdvisoryLockSql, Params().add(study));
    writers = std::thread([&] {
      std::unique_ptr<Storage> tell = open_storage(url);
      std::unique_ptr<Storage> ask = open_storage(url);
      std::thread asking([&] {
        ask->create_decided_trial(study, 0, "", 0, [](int64_t, std::vector<FrozenTrial>) {
          return std::optional<Storage::TrialDraft>(Storage::TrialDraft{});
        });
        if (!released) asked_early = true;
      });
      tell->finish_trial(trial->id, complete({1.0}));
      if (!released) finished_early = true;
      asking.join();
    });
    // Long enough for both writers to reach the lock; neither may pass it meanwhile.
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    released = true;
  });
  writers.join();
  EXPECT_FALSE(finished_early);
  EXPECT_FALSE(asked_early);
  EXPECT_EQ(storage->trial(trial->id)->state, TrialState::kComplete);
  EXPECT_EQ(storage->next_trial_number(study), 2);
}

}  // namespace
}  // namespace winnow

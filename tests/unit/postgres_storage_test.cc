// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// What only the PostgreSQL storage has: statements sent in one round trip (pipelines), the
// queue of writers in front of each study's row, finishes that skip it, a finish whose COMMIT
// answer was lost, and schema migrations. The behaviour every storage shares is in
// storage_test.cc.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include "storage/postgres_connection.h"
#include "storage/postgres_rows.h"
#include "storage/postgres_schema.h"
#include "storage/postgres_storage.h"
#include "storage/storage_checks.h"
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

// Statements after the COMMIT run in the same round trip, in a transaction of their own, and
// see what it committed; one that fails gives an empty result, the transaction kept.
TEST(PostgresPipeline, StatementsAfterTheCommitRunInTheSameRoundTrip) {
  std::string url = fresh_postgres_url();
  Connection db(url, url, 30);
  db.execute_script("CREATE TABLE items (id bigint PRIMARY KEY, note text)");
  for (const char* after : {"UPDATE items SET note = 'b' WHERE id = $1 RETURNING note",
                            "SELECT 1 / ($1::bigint - 1)"}) {
    SCOPED_TRACE(after);
    db.execute_script("DELETE FROM items");
    std::vector<Result> results = db.transaction(Connection::Mode::kWrite, [&](bool) {
      return db.execute_pipeline({{"INSERT INTO items VALUES ($1, 'a')", Params().add(1)}},
                                 /*then_commit=*/true, {{after, Params().add(1)}});
    });
    ASSERT_EQ(results.size(), 2u);
    Connection other(url, url, 30);
    Result row = other.execute("SELECT note FROM items WHERE id = 1");
    ASSERT_EQ(row.rows(), 1);
    if (std::string(after).starts_with("UPDATE")) {
      ASSERT_EQ(results[1].rows(), 1);
      EXPECT_EQ(results[1].text(0, 0), "b");
      EXPECT_EQ(row.text(0, 0), "b");
    } else {
      EXPECT_EQ(results[1].rows(), 0);  // division by zero: failed, after the COMMIT
      EXPECT_EQ(row.text(0, 0), "a");
    }
    EXPECT_EQ(db.execute("SELECT 1").integer(0, 0), 1);  // the connection is usable
  }
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

// The text of a prepared statement's plan as this connection would run it now.
std::string plan_of(Connection& db, const std::string& sql, const std::string& arguments) {
  return db.transaction(Connection::Mode::kOneStatement, [&](bool) {
    Result named = db.execute_replanned(
        "SELECT name FROM pg_prepared_statements WHERE statement = $1", Params().add(sql));
    EXPECT_EQ(named.rows(), 1) << sql;
    Result lines = db.execute_replanned("EXPLAIN EXECUTE " + named.text(0, 0) + arguments);
    std::string text;
    for (int row = 0; row < lines.rows(); ++row) text += lines.text(row, 0) + "\n";
    return text;
  });
}

// A statement planned while its table held a page reads the whole table, and would go on
// doing so on a table a thousand times larger. Once the row ids noted have doubled, the
// connection plans it again, for the table as it is.
TEST(PostgresPlans, FollowTheTablesAsTheyGrow) {
  std::string url = fresh_postgres_url();
  Connection db(url, url, 30);
  // Without autovacuum, whose ANALYZE would replan the statement by itself.
  db.execute_script(
      "CREATE TABLE items (id bigint PRIMARY KEY, note text) WITH (autovacuum_enabled = false);"
      "INSERT INTO items SELECT g, 'x' FROM generate_series(1, 20) g; ANALYZE items");
  const std::string read = "SELECT note FROM items WHERE id = ANY($1::bigint[])";
  auto run_read = [&] {
    db.transaction(Connection::Mode::kOneStatement, [&](bool) {
      EXPECT_EQ(db.execute(read, Params().add("{1,2}")).rows(), 2);
    });
  };
  run_read();
  db.note_row_id(20);
  std::string small = plan_of(db, read, "('{1,2}')");
  EXPECT_NE(small.find("Seq Scan"), std::string::npos) << small;

  // (Its plan would stay a scan of the table, unless the server happened to drop every plan
  // of the session: it does when other sessions change the catalog faster than it reads
  // their changes, as the tests running beside this one do.)
  db.execute_script("INSERT INTO items SELECT g, 'x' FROM generate_series(21, 50000) g");
  db.note_row_id(50000);
  run_read();  // the plans are dropped before this transaction
  EXPECT_EQ(db.plan_resets(), 1);
  std::string grown = plan_of(db, read, "('{1,2}')");
  EXPECT_EQ(grown.find("Seq Scan"), std::string::npos) << grown;
  EXPECT_NE(grown.find("items_pkey"), std::string::npos) << grown;
}

// Planned without the reader's version, the reads of the trials changed since it still find
// them through the (study, version) index in a study of 100,000 trials: a generic plan that
// took an open range for a third of the study read the whole table, or walked the index
// entries of every changed row left since the last vacuum.
TEST(PostgresPlans, ChangedTrialsAreReadThroughTheVersionIndex) {
  std::string url = fresh_postgres_url();
  int64_t study = 0;
  {
    std::unique_ptr<Storage> storage = open_storage(url);  // the tables
    study = storage->create_study(make_study_record("large"));
  }
  Connection db(url, url, 30);
  db.execute_script(
      "INSERT INTO winnow_trials (study_id, number, state, version) SELECT " +
      std::to_string(study) +
      ", g, 'complete', g FROM generate_series(1, 100000) g;"
      "INSERT INTO winnow_trial_params (trial_id, name, value_type, real_value) "
      "SELECT trial_id, 'x', 'float', 0.5 FROM winnow_trials;"
      "ANALYZE winnow_trials, winnow_trial_params");
  const int64_t since = 99990;
  std::vector<Connection::Statement> reads = postgres::changed_trials_statements(study, since);
  std::vector<Result> results = db.transaction(Connection::Mode::kRead, [&](bool) {
    return db.execute_pipeline(reads, /*then_commit=*/true);
  });
  EXPECT_EQ(results[0].rows(), 10);
  EXPECT_EQ(results[1].rows(), 10);
  const std::string arguments = "(" + std::to_string(study) + ", " + std::to_string(since) + ")";
  for (const Connection::Statement& read : reads) {
    std::string plan = plan_of(db, std::string(read.sql), arguments);
    EXPECT_EQ(plan.find("Seq Scan"), std::string::npos) << plan;
    EXPECT_EQ(plan.find("Bitmap Heap Scan on winnow_trials"), std::string::npos) << plan;
    EXPECT_NE(plan.find("winnow_trials_by_version"), std::string::npos) << plan;
  }
}

// Planned once per statement and connection, not at every run (see Connection::connect).
TEST(PostgresPlans, AreGenericPlans) {
  std::string url = fresh_postgres_url();
  Connection db(url, url, 30);
  EXPECT_EQ(db.execute_replanned("SHOW plan_cache_mode").text(0, 0), "force_generic_plan");
}

TEST(PostgresPlans, AreDroppedEachTimeTheRowIdsDouble) {
  std::string url = fresh_postgres_url();
  Connection db(url, url, 30);
  auto run = [&] {
    db.transaction(Connection::Mode::kWrite, [&](bool) { db.execute("SELECT 1"); });
  };
  db.note_row_id(63);
  run();
  EXPECT_EQ(db.plan_resets(), 0);  // a few dozen rows: any plan will do
  db.note_row_id(64);
  run();
  EXPECT_EQ(db.plan_resets(), 1);
  db.note_row_id(127);
  run();
  EXPECT_EQ(db.plan_resets(), 1);
  db.note_row_id(5);  // a smaller id (an older trial) changes nothing
  db.note_row_id(128);
  run();
  run();
  EXPECT_EQ(db.plan_resets(), 2);
  EXPECT_EQ(db.execute("SELECT 1").integer(0, 0), 1);  // statements prepared before still run
}

// A worker notes the ids of the trials it creates and finishes, a reader those it reads.
TEST(PostgresPlans, StoragesReplanAsTheirStudiesGrow) {
  std::string url = fresh_postgres_url();
  PostgresStorage worker(url);
  int64_t study = worker.create_study(make_study_record("growing"));
  for (int i = 0; i < 70; ++i) {
    std::optional<FrozenTrial> trial =
        worker.create_trial(study, {{"x", double(i)}}, TrialState::kRunning, "", 0, {});
    ASSERT_TRUE(trial);
    worker.finish_trial(trial->id, complete({double(i)}));
  }
  EXPECT_EQ(worker.plan_resets(), 1);
  PostgresStorage reader(url);
  EXPECT_EQ(reader.trials(study).size(), 70u);
  EXPECT_EQ(reader.plan_resets(), 0);
  reader.counted_trials(study);  // its next transaction replans
  EXPECT_EQ(reader.plan_resets(), 1);
}

// An ask commits without waiting for its flush, so a crash of the server can take back a
// version that other processes have read (the study's counter restored to an earlier value).
// The versions given after it still lie above it, so those processes receive every change made
// after the crash.
TEST(PostgresVersions, StayAboveTheVersionsACrashTookBack) {
  std::string url = fresh_postgres_url();
  PostgresStorage storage(url);
  int64_t study = storage.create_study(make_study_record("crashed"));
  auto ask = [&] {
    std::optional<FrozenTrial> trial = storage.create_decided_trial(
        study, 0, "", 0, [](int64_t, std::vector<FrozenTrial>) {
          return std::optional<Storage::TrialDraft>(Storage::TrialDraft{});
        });
    EXPECT_TRUE(trial);
    return trial ? trial->version : 0;
  };
  ask();
  const int64_t read_before = ask();
  // What a crash that lost the last asks leaves: the counter as it was before them.
  Connection db(url, url, 30);
  db.execute(
      "UPDATE winnow_studies SET change_counter = change_counter - 1000 WHERE study_id = $1",
      Params().add(study));
  db.execute("DELETE FROM winnow_trials WHERE study_id = $1 AND number = 1", Params().add(study));
  const int64_t read_after = ask();
  EXPECT_GT(read_after, read_before);
  std::vector<FrozenTrial> changed = storage.trials(study, read_before);
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed[0].number, 1);
  EXPECT_EQ(changed[0].version, read_after);
}

// A writer that decides (an ask) queues on the study's advisory lock; a trial's own process
// finishing it or reporting to it does not wait. The finish is stamped by the next writer under
// the lock, and until then every read returns it, with version 0. A define-by-run space grows
// without the lock too.
TEST(PostgresStudyQueue, AsksWaitForTheStudysLockAndFinishesDoNot) {
  std::string url = fresh_postgres_url();
  std::unique_ptr<Storage> storage = open_storage(url);
  int64_t study = storage->create_study(make_study_record("queued"));
  std::optional<FrozenTrial> trial =
      storage->create_trial(study, {}, TrialState::kRunning, "", 0, {});
  ASSERT_TRUE(trial);
  const int64_t created_version = trial->version;
  ASSERT_GT(created_version, 0);

  Connection holder(url, url, 30);
  std::atomic<bool> released{false}, asked_early{false};
  std::thread asking;
  holder.transaction(Connection::Mode::kWrite, [&](bool) {
    holder.execute(postgres::kAdvisoryLockSql, Params().add(study));
    asking = std::thread([&] {
      std::unique_ptr<Storage> ask = open_storage(url);
      ask->create_decided_trial(study, 0, "", 0, [](int64_t, std::vector<FrozenTrial>) {
        return std::optional<Storage::TrialDraft>(Storage::TrialDraft{});
      });
      if (!released) asked_early = true;
    });
    // The report and the finish commit while the lock is held.
    std::unique_ptr<Storage> tell = open_storage(url);
    tell->report(trial->id, 3, 0.25);
    tell->finish_trial(trial->id, complete({1.0}));
    const std::string space = tell->find_study("queued")->space_json;
    EXPECT_TRUE(tell->replace_study_space(study, space, "{\"params\": []}"));
    EXPECT_FALSE(tell->replace_study_space(study, space, "{\"params\": [1]}"));
    for (int64_t since : {int64_t{0}, created_version}) {
      std::vector<FrozenTrial> read = storage->trials(study, since);
      ASSERT_EQ(read.size(), 1u);
      EXPECT_EQ(read[0].state, TrialState::kComplete);
      EXPECT_EQ(read[0].values, std::vector{1.0});
      EXPECT_EQ(read[0].intermediate.at(3), 0.25);
      EXPECT_EQ(read[0].version, 0);  // not stamped yet
    }
    EXPECT_EQ(storage->trial(trial->id)->version, 0);
    // Long enough for the ask to reach the lock; it may not pass it meanwhile.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    released = true;
  });
  asking.join();
  EXPECT_FALSE(asked_early);
  EXPECT_EQ(storage->next_trial_number(study), 2);
  // The ask stamped the finish: it is read once more, with a version, and then no more.
  std::vector<FrozenTrial> read = storage->trials(study, created_version);
  ASSERT_EQ(read.size(), 2u);
  EXPECT_EQ(read[0].number, 0);
  EXPECT_EQ(read[0].state, TrialState::kComplete);
  EXPECT_GT(read[0].version, created_version);
  EXPECT_TRUE(storage->trials(study, std::max(read[0].version, read[1].version)).empty());
}

// An ask made ahead reads the trials changed since the caller's version after its COMMIT, in
// the same round trip, not while it holds the study's lock: its own new trial is among them,
// with its details, which a read before the insert could not return.
TEST(PostgresStudyQueue, AnAskMadeAheadReadsTheChangesAfterItsCommit) {
  std::string url = fresh_postgres_url();
  std::unique_ptr<Storage> storage = open_storage(url);
  int64_t study = storage->create_study(make_study_record("after"));
  std::optional<FrozenTrial> first =
      storage->create_trial(study, {{"x", 0.5}}, TrialState::kRunning, "", 0, {});
  ASSERT_TRUE(first);
  storage->finish_trial(first->id, complete({1.0}));
  Storage::AheadOutcome asked = storage->create_trial_ahead(
      study, 0, "me:1:2", 0, Storage::TrialDraft{{{"x", 1.5}}, {}}, int64_t{1});
  ASSERT_EQ(asked.status, Storage::AheadStatus::kCreated);
  ASSERT_EQ(asked.changed.size(), 2u);
  EXPECT_EQ(asked.changed[0].id, first->id);
  EXPECT_EQ(asked.changed[0].values, std::vector{1.0});
  EXPECT_EQ(asked.changed[0].version, asked.trial->version);  // stamped by the ask
  EXPECT_EQ(asked.changed[1].id, asked.trial->id);
  EXPECT_EQ(asked.changed[1].config, (Config{{"x", 1.5}}));
  EXPECT_EQ(asked.changed[1].version, asked.trial->version);
}

// Makes a database of the current schema look as one of `version` (before claim_token).
void make_schema_look_older(Connection& db, const char* version) {
  db.execute("UPDATE winnow_meta SET value = $1 WHERE key = 'schema_version'",
             Params().add(std::string(version)));
  db.execute("ALTER TABLE winnow_trials DROP COLUMN claim_token");
}

std::string schema_version(Connection& db) {
  return db.execute("SELECT value FROM winnow_meta WHERE key = 'schema_version'").text(0, 0);
}

// A database written by Winnow's first PostgreSQL schema is migrated on open: versions may then
// be pending, which a Winnow of the first schema would misread, so it refuses the tables.
TEST(PostgresSchema, MigratesTheFirstSchemaOnOpen) {
  std::string url = fresh_postgres_url();
  int64_t study = 0, trial_id = 0;
  {
    std::unique_ptr<Storage> storage = open_storage(url);
    study = storage->create_study(make_study_record("old"));
    trial_id = storage->create_trial(study, {}, TrialState::kRunning, "", 0, {})->id;
  }
  Connection db(url, url, 30);
  make_schema_look_older(db, "1");
  std::unique_ptr<Storage> storage = open_storage(url);
  EXPECT_EQ(schema_version(db), "3");
  // Version 3's column is there: an enqueued trial is claimed.
  storage->create_trial(study, {}, TrialState::kWaiting, "", 0, {});
  ASSERT_TRUE(storage->claim_waiting_trial(study, "host:1:2", 0));
  storage->finish_trial(trial_id, complete({2.0}));
  EXPECT_EQ(storage->trials(study)[0].state, TrialState::kComplete);
  EXPECT_EQ(db.execute("SELECT count(*) FROM winnow_trials WHERE version = " WINNOW_PG_PENDING_VERSION)
                .integer(0, 0),
            1);
}

// A database of the second schema gets claim_token on open.
TEST(PostgresSchema, MigratesTheSecondSchemaOnOpen) {
  std::string url = fresh_postgres_url();
  int64_t study = 0;
  {
    std::unique_ptr<Storage> storage = open_storage(url);
    study = storage->create_study(make_study_record("second"));
  }
  Connection db(url, url, 30);
  make_schema_look_older(db, "2");
  std::unique_ptr<Storage> storage = open_storage(url);
  EXPECT_EQ(schema_version(db), "3");
  storage->create_trial(study, {}, TrialState::kWaiting, "", 0, {});
  std::optional<FrozenTrial> claimed = storage->claim_waiting_trial(study, "host:1:2", 0);
  ASSERT_TRUE(claimed);
  EXPECT_EQ(claimed->owner, "host:1:2");
}

// The first tables of the second schema marked a finish not yet stamped with a NULL version,
// which no stamp or read of changes finds. Opened, they hold the pending marker instead, so the
// next writer stamps them and readers receive them.
TEST(PostgresSchema, MigratesTheNullPendingVersionsOfTheSecondSchema) {
  std::string url = fresh_postgres_url();
  int64_t study = 0, trial_id = 0, since = 0;
  {
    std::unique_ptr<Storage> storage = open_storage(url);
    study = storage->create_study(make_study_record("null-versions"));
    trial_id = storage->create_trial(study, {}, TrialState::kRunning, "", 0, {})->id;
    since = storage->trial(trial_id)->version;
  }
  Connection db(url, url, 30);
  make_schema_look_older(db, "2");
  db.execute("ALTER TABLE winnow_trials ALTER COLUMN version DROP NOT NULL");
  db.execute("UPDATE winnow_trials SET state = 'complete', version = NULL WHERE trial_id = $1",
             Params().add(trial_id));
  std::unique_ptr<Storage> storage = open_storage(url);
  std::vector<FrozenTrial> changed = storage->trials(study, since);
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed[0].state, TrialState::kComplete);
  EXPECT_TRUE(db.execute("SELECT attnotnull FROM pg_attribute WHERE attrelid = "
                         "'winnow_trials'::regclass AND attname = 'version'")
                  .boolean(0, 0));
}

// The index of unheld waiting trials is added on open by the tables' owner only: a role that
// may read and write them but not own them still opens them without it, with a warning.
TEST(PostgresSchema, ARoleThatDoesNotOwnTheTablesOpensThemWithoutTheIndex) {
  std::string url = fresh_postgres_url();
  open_storage(url);
  Connection db(url, url, 30);
  db.execute_script("DROP INDEX winnow_trials_unheld_waiting");
  const std::string schema = db.execute("SELECT current_schema()").text(0, 0);
  const std::string role = "winnow_writer_" + schema;
  db.execute_script("CREATE ROLE " + role + " LOGIN; GRANT USAGE ON SCHEMA " + schema + " TO " +
                    role + "; GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA " +
                    schema + " TO " + role + "; GRANT USAGE ON ALL SEQUENCES IN SCHEMA " + schema +
                    " TO " + role);
  const size_t at = url.find("postgres@");
  ASSERT_NE(at, std::string::npos) << url;
  std::string as_role = url;
  as_role.replace(at, std::string("postgres@").size(), role + "@");
  {
    std::unique_ptr<Storage> storage = open_storage(as_role);
    int64_t study = storage->create_study(make_study_record("writer"));
    EXPECT_TRUE(storage->create_trial(study, {}, TrialState::kRunning, "", 0, {}));
  }
  EXPECT_TRUE(db.execute("SELECT to_regclass('winnow_trials_unheld_waiting') IS NULL")
                  .boolean(0, 0));
  EXPECT_EQ(schema_version(db), std::to_string(postgres::kSchemaVersion));
  db.execute_script("DROP OWNED BY " + role + "; DROP ROLE " + role);
}

// A concurrent build of the index waits for every older transaction of the database: an open
// gives up on it after a while rather than wait for a long one, and a later open builds it
// again (a build given up leaves an invalid index, which no plan uses).
TEST(PostgresSchema, AnOpenGivesUpTheIndexBehindALongTransactionAndALaterOneBuildsIt) {
  std::string url = fresh_postgres_url();
  open_storage(url);
  Connection db(url, url, 30);
  db.execute_script("DROP INDEX winnow_trials_unheld_waiting");
  const std::string valid =
      "SELECT COALESCE((SELECT indisvalid FROM pg_index WHERE indexrelid = "
      "to_regclass('winnow_trials_unheld_waiting')), false)";
  Connection long_reader(url, url, 30);
  long_reader.transaction(Connection::Mode::kRead, [&](bool) {
    long_reader.execute("SELECT count(*) FROM winnow_meta");
    std::unique_ptr<Storage> storage = open_storage(url);
    EXPECT_GE(storage->create_study(make_study_record("meanwhile")), 0);
    return 0;
  });
  EXPECT_FALSE(db.execute(valid).boolean(0, 0));
  open_storage(url);
  EXPECT_TRUE(db.execute(valid).boolean(0, 0));
}

// A Winnow whose schema is older than the database's refuses it rather than write what the
// newer schema forbids (a version 2 Winnow's claims would overwrite the creator's token).
TEST(PostgresSchema, RefusesTheTablesOfANewerWinnow) {
  std::string url = fresh_postgres_url();
  open_storage(url);
  Connection db(url, url, 30);
  db.execute("UPDATE winnow_meta SET value = $1 WHERE key = 'schema_version'",
             Params().add(std::to_string(postgres::kSchemaVersion + 1)));
  std::string message = error_message([&] { open_storage(url); });
  EXPECT_NE(message.find("newer Winnow"), std::string::npos) << message;
}

// A call retried after its COMMIT's answer was lost finds what it did by its token. A claim
// keeps the creator's token: an enqueued trial claimed by another process meanwhile is still
// found by the process that enqueued it, which would otherwise enqueue it again.
TEST(PostgresLostCommit, AClaimKeepsTheCreatorsTokenBesideItsOwn) {
  std::string url = fresh_postgres_url();
  std::unique_ptr<Storage> storage = open_storage(url);
  const int64_t study = storage->create_study(make_study_record("queue"));
  Connection db(url, url, 30);
  const FrozenTrial enqueued = db.transaction(Connection::Mode::kWrite, [&](bool) {
    postgres::StudyLock lock = postgres::lock_study_or_throw(db, study, url);
    return postgres::insert_trial(db, study, 0, lock.version, Config{{"x", int64_t{1}}},
                                  TrialState::kWaiting, "", std::nullopt, {}, "creator/1");
  });
  std::optional<FrozenTrial> claimed = db.transaction(Connection::Mode::kWrite, [&](bool) {
    postgres::StudyLock lock = postgres::lock_study_or_throw(db, study, url);
    return postgres::claim_oldest_waiting(db, url, study, "host:1:2", lock.version, "claimer/2");
  });
  ASSERT_TRUE(claimed);
  EXPECT_EQ(claimed->id, enqueued.id);
  auto find = [&](const std::string& token, std::optional<std::string_view> running_owner) {
    return db.transaction(Connection::Mode::kWrite, [&](bool) {
      return postgres::find_by_token(db, url, study, token, running_owner);
    });
  };
  std::optional<FrozenTrial> by_creator = find("creator/1", std::nullopt);
  ASSERT_TRUE(by_creator);
  EXPECT_EQ(by_creator->id, enqueued.id);
  std::optional<FrozenTrial> by_claimer = find("claimer/2", "host:1:2");
  ASSERT_TRUE(by_claimer);
  EXPECT_EQ(by_claimer->id, enqueued.id);
  EXPECT_FALSE(find("someone/3", std::nullopt));
  EXPECT_FALSE(find("claimer/2", "host:9:9"));
}

// A running trial found by its creator's token after a lost COMMIT is the creator's only while
// it still runs under it: put back in the queue by a lease check while the creator was
// reconnecting, or claimed by another process since, it is not (the creator then creates
// another trial rather than run one with another process).
TEST(PostgresLostCommit, ARunningTrialIsTheCreatorsOnlyWhileItRunsUnderIt) {
  std::string url = fresh_postgres_url();
  std::unique_ptr<Storage> storage = open_storage(url);
  const int64_t study = storage->create_study(make_study_record("lease"));
  Connection db(url, url, 30);
  const std::string creator = "gone-host.invalid:1:1";
  const FrozenTrial created = db.transaction(Connection::Mode::kWrite, [&](bool) {
    postgres::StudyLock lock = postgres::lock_study_or_throw(db, study, url);
    return postgres::insert_trial(db, study, 0, lock.version, Config{{"x", int64_t{1}}},
                                  TrialState::kRunning, creator, std::nullopt, {}, "creator/1");
  });
  auto find = [&](const std::string& token, std::string_view owner) {
    return db.transaction(Connection::Mode::kWrite, [&](bool) {
      return postgres::find_by_token(db, url, study, token, owner);
    });
  };
  std::optional<FrozenTrial> mine = find("creator/1", creator);
  ASSERT_TRUE(mine);
  EXPECT_EQ(mine->id, created.id);

  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_EQ(storage->recover_orphaned_trials(study, OrphanPolicy{.lease_ms = 1, .requeue = true}),
            1);
  EXPECT_FALSE(find("creator/1", creator));  // waiting again
  std::optional<FrozenTrial> claimed = db.transaction(Connection::Mode::kWrite, [&](bool) {
    postgres::StudyLock lock = postgres::lock_study_or_throw(db, study, url);
    return postgres::claim_oldest_waiting(db, url, study, "host:2:2", lock.version, "claimer/2");
  });
  ASSERT_TRUE(claimed);
  EXPECT_EQ(claimed->id, created.id);
  EXPECT_FALSE(find("creator/1", creator));  // another process's now
  std::optional<FrozenTrial> theirs = find("claimer/2", "host:2:2");
  ASSERT_TRUE(theirs);
  EXPECT_EQ(theirs->id, created.id);

  // Claimed again under the creator's own owner (another of its workers), it is that call's.
  const FrozenTrial again = db.transaction(Connection::Mode::kWrite, [&](bool) {
    postgres::StudyLock lock = postgres::lock_study_or_throw(db, study, url);
    return postgres::insert_trial(db, study, 1, lock.version, Config{{"x", int64_t{2}}},
                                  TrialState::kWaiting, "", std::nullopt, {}, "enqueuer/3");
  });
  db.execute("UPDATE winnow_trials SET state = 'running', owner = $2, claim_token = 'worker/4', "
             "client_token = 'creator/5' WHERE trial_id = $1",
             Params().add(again.id).add(creator));
  EXPECT_FALSE(find("creator/5", creator));
  ASSERT_TRUE(find("worker/4", creator));
}

// A finish whose COMMIT answer was lost reads the trial again to learn whether it landed. Only
// the finish itself counts: not a lease check that failed the same attempt as interrupted in
// between (same owner, and the same state when the objective failed too), nor a later attempt
// of the same process (another start).
TEST(PostgresLostCommit, OnlyTheFinishItselfCountsAsAlreadyRecorded) {
  TrialOutcome failed;
  failed.state = TrialState::kFailed;
  failed.owner = "host:12:34";
  failed.started_ms = 1000;
  using storage_checks::finish_already_recorded;
  EXPECT_TRUE(finish_already_recorded(failed, TrialState::kFailed, false, "host:12:34", 1000));
  EXPECT_FALSE(finish_already_recorded(failed, TrialState::kFailed, true, "host:12:34", 1000));
  EXPECT_FALSE(finish_already_recorded(failed, TrialState::kFailed, false, "host:12:34", 2000));
  EXPECT_FALSE(finish_already_recorded(failed, TrialState::kFailed, false, "host:99:34", 1000));
  EXPECT_FALSE(finish_already_recorded(failed, TrialState::kRunning, false, "host:12:34", 1000));

  TrialOutcome stopped = failed;  // failed as interrupted by its own process (a stop)
  stopped.interrupted = true;
  EXPECT_TRUE(finish_already_recorded(stopped, TrialState::kFailed, true, "host:12:34", 1000));

  TrialOutcome complete = failed;
  complete.state = TrialState::kComplete;
  complete.values = {1.0};
  EXPECT_TRUE(finish_already_recorded(complete, TrialState::kComplete, false, "host:12:34", 1000));
  EXPECT_FALSE(finish_already_recorded(complete, TrialState::kFailed, true, "host:12:34", 1000));

  // A finish that names no owner (the library's storage API) is recognised on a trial without
  // one; on a trial a worker holds, the finish found may be the worker's.
  TrialOutcome anyones;
  anyones.state = TrialState::kComplete;
  anyones.values = {1.0};
  EXPECT_TRUE(finish_already_recorded(anyones, TrialState::kComplete, false, "", 0));
  EXPECT_FALSE(finish_already_recorded(anyones, TrialState::kComplete, false, "host:12:34", 1000));
}

}  // namespace
}  // namespace winnow

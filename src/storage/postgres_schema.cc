// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "storage/postgres_schema.h"

#include <iostream>
#include <string>

#include "storage/postgres_rows.h"

namespace winnow::postgres {
namespace {

// Kept in step with docs/storage.md. Table names carry a winnow_ prefix so that a database
// shared with other applications (Optuna's RDB storage among them: it uses `studies` and
// `trials`) holds both without a clash. Child rows go with their trial or study (ON DELETE
// CASCADE), so deleting a study is one statement.
constexpr const char* kCreateSchema = R"sql(
CREATE TABLE winnow_meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE winnow_studies (
  study_id        BIGSERIAL PRIMARY KEY,
  name            TEXT NOT NULL UNIQUE,
  directions      TEXT NOT NULL,
  objective_names TEXT NOT NULL,
  space_json      TEXT NOT NULL,
  sampler         TEXT NOT NULL,
  created_ms      BIGINT NOT NULL,
  counted_trials  BIGINT NOT NULL DEFAULT 0,
  -- Bumped by every write transaction of the study, first thing: the row lock it takes orders
  -- the study's writers, and its value is the version stamped on the trials they change.
  change_counter  BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE winnow_trials (
  trial_id       BIGSERIAL PRIMARY KEY,
  study_id       BIGINT NOT NULL REFERENCES winnow_studies (study_id) ON DELETE CASCADE,
  number         BIGINT NOT NULL,
  state          TEXT NOT NULL CHECK (state IN ('waiting', 'running', 'complete', 'pruned',
                                                'failed')),
  start_ms       BIGINT,
  end_ms         BIGINT,
  failure_reason TEXT,
  interrupted    BOOLEAN NOT NULL DEFAULT FALSE,
  retry_of       BIGINT,
  owner          TEXT,
  -- The study's change_counter when the trial last changed under the study's lock, or 2^63 - 1
  -- (WINNOW_PG_PENDING_VERSION) when its last change, a finish or a report made without the
  -- lock, waits for the next writer under the lock to stamp it: greater than every version, so
  -- every read of the changes since a version returns it until then (docs/storage.md).
  version        BIGINT NOT NULL,
  -- Server clock (Unix ms) of the owner's last heartbeat: leases compare server times only.
  heartbeat_ms   BIGINT,
  requeues       INTEGER NOT NULL DEFAULT 0,
  -- Set by the process that created the trial, and by the one that claimed it (a waiting
  -- trial), to recognise its own work when the answer to a COMMIT was lost with the
  -- connection. Two columns, so that a claim cannot hide the creation from its creator.
  client_token   TEXT,
  claim_token    TEXT,
  UNIQUE (study_id, number)
);
CREATE INDEX winnow_trials_by_version ON winnow_trials (study_id, version);
CREATE INDEX winnow_trials_by_state ON winnow_trials (study_id, state, number);

CREATE TABLE winnow_trial_params (
  trial_id   BIGINT NOT NULL REFERENCES winnow_trials (trial_id) ON DELETE CASCADE,
  name       TEXT NOT NULL,
  value_type TEXT NOT NULL CHECK (value_type IN ('bool', 'int', 'float', 'string')),
  int_value  BIGINT,
  real_value DOUBLE PRECISION,
  text_value TEXT,
  PRIMARY KEY (trial_id, name)
);

CREATE TABLE winnow_trial_values (
  trial_id  BIGINT NOT NULL REFERENCES winnow_trials (trial_id) ON DELETE CASCADE,
  objective INTEGER NOT NULL,
  value     DOUBLE PRECISION,
  PRIMARY KEY (trial_id, objective)
);

CREATE TABLE winnow_trial_intermediate (
  trial_id BIGINT NOT NULL REFERENCES winnow_trials (trial_id) ON DELETE CASCADE,
  step     BIGINT NOT NULL,
  value    DOUBLE PRECISION,
  PRIMARY KEY (trial_id, step)
);

CREATE TABLE winnow_trial_metrics (
  trial_id BIGINT NOT NULL REFERENCES winnow_trials (trial_id) ON DELETE CASCADE,
  name     TEXT NOT NULL,
  value    DOUBLE PRECISION,
  PRIMARY KEY (trial_id, name)
);

CREATE TABLE winnow_trial_constraints (
  trial_id BIGINT NOT NULL REFERENCES winnow_trials (trial_id) ON DELETE CASCADE,
  idx      INTEGER NOT NULL,
  value    DOUBLE PRECISION,
  PRIMARY KEY (trial_id, idx)
);

CREATE TABLE winnow_trial_user_attrs (
  trial_id   BIGINT NOT NULL REFERENCES winnow_trials (trial_id) ON DELETE CASCADE,
  key        TEXT NOT NULL,
  value_json TEXT NOT NULL,
  PRIMARY KEY (trial_id, key)
);

CREATE TABLE winnow_study_user_attrs (
  study_id   BIGINT NOT NULL REFERENCES winnow_studies (study_id) ON DELETE CASCADE,
  key        TEXT NOT NULL,
  value_json TEXT NOT NULL,
  PRIMARY KEY (study_id, key)
);

INSERT INTO winnow_meta (key, value) VALUES ('application', 'winnow');
)sql";

// Any fixed number: the advisory lock that makes table creation one process's job.
constexpr int64_t kSchemaLockKey = 0x77696e6e6f77;  // "winnow"

// 0 when the tables are missing, else the stored schema version.
int64_t stored_version(Connection& connection) {
  Result exists = connection.execute("SELECT to_regclass('winnow_meta') IS NOT NULL");
  if (!exists.boolean(0, 0)) return 0;
  Result meta = connection.execute(
      "SELECT key, value FROM winnow_meta WHERE key IN ('application', 'schema_version')");
  std::string application, version;
  for (int row = 0; row < meta.rows(); ++row) {
    if (meta.text(row, 0) == "application") application = meta.text(row, 1);
    if (meta.text(row, 0) == "schema_version") version = meta.text(row, 1);
  }
  if (application != "winnow" || version.empty()) {
    throw StorageError("PostgreSQL at " + connection.display_url() +
                       " has a winnow_meta table that Winnow did not write (no application = "
                       "'winnow' or no schema_version)");
  }
  return std::stoll(version);
}

// Every ask checks for a trial waiting to be claimed, under the study's lock. Trials held by a
// process (asks in blocks) wait too, hundreds of them with many processes, and once the
// statistics see waiting trials the generic plan looks for the first unheld one by a scan of
// the whole table: this index holds only those. (Its predicate is WINNOW_PG_UNHELD_WAITING.)
constexpr const char* kUnheldWaitingIndex =
    "winnow_trials_unheld_waiting ON winnow_trials (study_id, number) "
    "WHERE " WINNOW_PG_UNHELD_WAITING;
// The session lock one process holds while it adds an index to the tables of its schema.
constexpr const char* kIndexLockKey = "hashtext('winnow:index:' || current_schema())";

// Adds the index to tables made before it, after the schema's transaction. The index only makes
// reads faster, so it leaves the schema version as it was (a Winnow that does not know it reads
// and writes the tables as before), and nothing here keeps a study from opening: it is built
// concurrently, so the study's writers go on meanwhile, by one process at a time, and only by
// the tables' owner; otherwise, or if the build fails, a warning says how to add it.
void add_missing_index(Connection& connection) {
  auto one = [&](const std::string& sql) {
    return connection.transaction(Connection::Mode::kOneStatement,
                                  [&](bool) { return connection.execute(sql); });
  };
  Result found = one(
      "SELECT i.indisvalid, pg_has_role(t.relowner, 'USAGE') FROM pg_class t "
      "LEFT JOIN pg_index i ON i.indexrelid = to_regclass('winnow_trials_unheld_waiting') "
      "WHERE t.oid = 'winnow_trials'::regclass");
  if (!found.is_null(0, 0) && found.boolean(0, 0)) return;
  const std::string advice =
      std::string("without it every ask is slower with many processes; the tables' owner adds "
                  "it with: CREATE INDEX CONCURRENTLY ") +
      kUnheldWaitingIndex;
  if (!found.boolean(0, 1)) {
    std::cerr << "winnow: warning: PostgreSQL at " << connection.display_url()
              << " lacks the index winnow_trials_unheld_waiting, which this role cannot add "
                 "(it does not own the tables): "
              << advice << "\n";
    return;
  }
  // Another process adding it meanwhile: its build, valid or not yet, is left alone.
  if (!one(std::string("SELECT pg_try_advisory_lock(") + kIndexLockKey + ")").boolean(0, 0)) {
    return;
  }
  try {
    // A concurrent build waits for every transaction of the database older than it, which may
    // be a long one that has nothing to do with Winnow: this open gives up after a while, and
    // a later one tries again.
    connection.execute_script("SET lock_timeout = '10s'");
    // A build that failed leaves an invalid index, which no plan uses: built again.
    connection.execute_script("DROP INDEX CONCURRENTLY IF EXISTS winnow_trials_unheld_waiting");
    connection.execute_script(std::string("CREATE INDEX CONCURRENTLY ") + kUnheldWaitingIndex);
  } catch (const StorageError& error) {
    // (The error names the server.)
    std::cerr << "winnow: warning: could not add the index winnow_trials_unheld_waiting ("
              << error.what() << "): " << advice << "\n";
  }
  one("RESET lock_timeout");
  one(std::string("SELECT pg_advisory_unlock(") + kIndexLockKey + ")");
}

}  // namespace

void prepare_schema(Connection& connection) {
  connection.transaction(Connection::Mode::kWrite, [&](bool) {
    connection.execute("SELECT pg_advisory_xact_lock($1)", Params().add(kSchemaLockKey));
    int64_t version = stored_version(connection);
    if (version > kSchemaVersion) {
      throw StorageError("PostgreSQL at " + connection.display_url() +
                         " holds Winnow tables of a newer Winnow (schema version " +
                         std::to_string(version) + "; this build reads up to " +
                         std::to_string(kSchemaVersion) + "): upgrade Winnow to use it");
    }
    if (version == 0) {
      connection.execute_script(kCreateSchema);
      connection.execute_script(std::string("CREATE INDEX ") + kUnheldWaitingIndex);
      connection.execute("INSERT INTO winnow_meta (key, value) VALUES ('schema_version', $1)",
                         Params().add(std::to_string(kSchemaVersion)));
      return;
    }
    // Version 2: a trial's version may be the pending marker (a finish or report not yet
    // stamped). A Winnow of version 1 would take it for a real version and stop following the
    // study's changes, so it refuses the migrated tables as newer. (The first Winnow of
    // version 2 let the column be NULL instead; version 3 undoes that, below.)
    // Version 3: a claim writes its token to claim_token, where it once overwrote the
    // creator's client_token. A Winnow of version 2 would still overwrite it, so it refuses
    // the migrated tables as newer. The first tables of version 2 marked a pending version
    // NULL, which no stamp or read of changes finds: such trials become pending as now.
    if (version < 3) {
      connection.execute("ALTER TABLE winnow_trials ADD COLUMN IF NOT EXISTS claim_token TEXT");
      // Both scan the table under ADD COLUMN's exclusive lock: only tables that need them.
      Result nullable = connection.execute(
          "SELECT NOT attnotnull FROM pg_attribute WHERE attrelid = 'winnow_trials'::regclass "
          "AND attname = 'version'");
      if (nullable.rows() == 1 && nullable.boolean(0, 0)) {
        connection.execute("UPDATE winnow_trials SET version = " WINNOW_PG_PENDING_VERSION
                           " WHERE version IS NULL");
        connection.execute("ALTER TABLE winnow_trials ALTER COLUMN version SET NOT NULL");
      }
      connection.execute("UPDATE winnow_meta SET value = $1 WHERE key = 'schema_version'",
                         Params().add(std::to_string(kSchemaVersion)));
    }
  });
  add_missing_index(connection);
}

}  // namespace winnow::postgres

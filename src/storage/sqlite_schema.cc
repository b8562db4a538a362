// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "storage/sqlite_schema.h"

#include <string>
#include <vector>

namespace winnow::sqlite {
namespace {

// Kept in step with docs/storage.md. Types are those SQLite reads back: INTEGER, REAL, TEXT;
// trial_params.value has no declared type on purpose, so each value keeps its own storage class
// (an int64 stays an exact INTEGER, 3.0 stays a REAL).
constexpr const char* kCreateSchema = R"sql(
CREATE TABLE meta (
  key   TEXT PRIMARY KEY NOT NULL,
  value NOT NULL
) WITHOUT ROWID;

CREATE TABLE studies (
  study_id        INTEGER PRIMARY KEY,
  name            TEXT NOT NULL UNIQUE,
  directions      TEXT NOT NULL,
  objective_names TEXT NOT NULL,
  space_json      TEXT NOT NULL,
  sampler         TEXT NOT NULL,
  created_ms      INTEGER NOT NULL,
  -- The trial budget's counter, maintained by the storage in the same transaction as each state
  -- change: COUNT(*) over 100k trials would cost milliseconds on every ask.
  counted_trials  INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE trials (
  trial_id       INTEGER PRIMARY KEY,
  study_id       INTEGER NOT NULL REFERENCES studies (study_id),
  number         INTEGER NOT NULL,
  state          TEXT NOT NULL
                 CHECK (state = 'waiting' OR state = 'running' OR state = 'complete' OR
                        state = 'pruned' OR state = 'failed'),
  start_ms       INTEGER,
  end_ms         INTEGER,
  failure_reason TEXT,
  interrupted    INTEGER NOT NULL DEFAULT 0 CHECK (interrupted IN (0, 1)),
  retry_of       INTEGER,
  owner          TEXT,
  version        INTEGER NOT NULL,
  -- Last sign of life from the owner (Unix ms); NULL until the first heartbeat.
  heartbeat_ms   INTEGER,
  -- Times a lost trial was put back in the queue (once at most).
  requeues       INTEGER NOT NULL DEFAULT 0,
  UNIQUE (study_id, number)
);
CREATE INDEX trials_by_version ON trials (study_id, version);
CREATE INDEX trials_by_state ON trials (study_id, state, number);

CREATE TABLE trial_params (
  trial_id   INTEGER NOT NULL REFERENCES trials (trial_id),
  name       TEXT NOT NULL,
  value_type TEXT NOT NULL CHECK (value_type = 'bool' OR value_type = 'int' OR value_type = 'float' OR
                              value_type = 'string'),
  value,
  PRIMARY KEY (trial_id, name)
) WITHOUT ROWID;

CREATE TABLE trial_values (
  trial_id  INTEGER NOT NULL REFERENCES trials (trial_id),
  objective INTEGER NOT NULL,
  value     REAL,
  PRIMARY KEY (trial_id, objective)
) WITHOUT ROWID;

CREATE TABLE trial_intermediate (
  trial_id INTEGER NOT NULL REFERENCES trials (trial_id),
  step     INTEGER NOT NULL,
  value    REAL,
  PRIMARY KEY (trial_id, step)
) WITHOUT ROWID;

CREATE TABLE trial_metrics (
  trial_id INTEGER NOT NULL REFERENCES trials (trial_id),
  name     TEXT NOT NULL,
  value    REAL,
  PRIMARY KEY (trial_id, name)
) WITHOUT ROWID;

CREATE TABLE trial_constraints (
  trial_id INTEGER NOT NULL REFERENCES trials (trial_id),
  idx      INTEGER NOT NULL,
  value    REAL,
  PRIMARY KEY (trial_id, idx)
) WITHOUT ROWID;

CREATE TABLE trial_user_attrs (
  trial_id   INTEGER NOT NULL REFERENCES trials (trial_id),
  key        TEXT NOT NULL,
  value_json TEXT NOT NULL,
  PRIMARY KEY (trial_id, key)
) WITHOUT ROWID;

CREATE TABLE study_user_attrs (
  study_id   INTEGER NOT NULL REFERENCES studies (study_id),
  key        TEXT NOT NULL,
  value_json TEXT NOT NULL,
  PRIMARY KEY (study_id, key)
) WITHOUT ROWID;

INSERT INTO meta (key, value) VALUES ('application', 'winnow'), ('change_counter', 0);
)sql";

enum class FileKind { kEmpty, kOlder, kWinnow };

struct Inspection {
  FileKind kind;
  int64_t version = 0;
};

// Version 2 added constraint values.
constexpr const char* kMigrateFrom1 = R"sql(
CREATE TABLE IF NOT EXISTS trial_constraints (
  trial_id INTEGER NOT NULL REFERENCES trials (trial_id),
  idx      INTEGER NOT NULL,
  value    REAL,
  PRIMARY KEY (trial_id, idx)
) WITHOUT ROWID;
UPDATE meta SET value = 2 WHERE key = 'schema_version';
)sql";

// Version 3 added study-level user attributes. Both migrations are idempotent, so an older file
// runs them in order whatever its version.
constexpr const char* kMigrateFrom2 = R"sql(
CREATE TABLE IF NOT EXISTS study_user_attrs (
  study_id   INTEGER NOT NULL REFERENCES studies (study_id),
  key        TEXT NOT NULL,
  value_json TEXT NOT NULL,
  PRIMARY KEY (study_id, key)
) WITHOUT ROWID;
UPDATE meta SET value = 3 WHERE key = 'schema_version';
)sql";

// Version 4 added heartbeats for leases across hosts. ALTER TABLE cannot say IF NOT EXISTS, so
// this one runs only on files older than version 4 (the caller checks).
constexpr const char* kMigrateFrom3 = R"sql(
ALTER TABLE trials ADD COLUMN heartbeat_ms INTEGER;
ALTER TABLE trials ADD COLUMN requeues INTEGER NOT NULL DEFAULT 0;
UPDATE meta SET value = 4 WHERE key = 'schema_version';
)sql";

// Read-only inspection. Throws for anything but an empty database or a readable Winnow one.
Inspection inspect(Database& database) {
  const std::string& path = database.path();
  std::vector<std::string> tables;
  try {
    // Preparing reads the file header already, so it belongs inside the try.
    Query query(database.statement(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name"));
    while (query.step()) tables.push_back(query.text(0));
  } catch (const BusyError&) {
    throw;
  } catch (const StorageError&) {
    // SQLITE_NOTADB and friends: say plainly what the user gave us.
    throw StorageError("'" + path +
                       "' is not a Winnow database: " + sqlite3_errmsg(database.handle()));
  }
  if (tables.empty()) return {FileKind::kEmpty};

  auto foreign = [&](const std::string& why) {
    std::string list;
    for (size_t i = 0; i < tables.size() && i < 8; ++i) list += (i ? ", " : "") + tables[i];
    return StorageError("'" + path + "' is an SQLite database but not a Winnow one: " + why +
                        " (its tables: " + list + ")");
  };
  bool has_meta = false;
  for (const std::string& table : tables) has_meta |= table == "meta";
  if (!has_meta) throw foreign("it has no 'meta' table");

  std::string application;
  std::optional<int64_t> version;
  {
    Query query(
        database.statement("SELECT key, value FROM meta "
                           "WHERE key IN ('application', 'schema_version')"));
    while (query.step()) {
      if (query.text(0) == "application") application = query.text(1);
      if (query.text(0) == "schema_version" && query.type(1) == SQLITE_INTEGER) {
        version = query.integer(1);
      }
    }
  }
  if (application != "winnow") throw foreign("its meta table has no application = 'winnow'");
  if (!version || *version < 1) {
    throw StorageError("'" + path + "' is a damaged Winnow database: meta.schema_version is " +
                       "missing or not a positive integer");
  }
  if (*version > kSchemaVersion) {
    throw StorageError("'" + path + "' was written by a newer Winnow (schema version " +
                       std::to_string(*version) + "; this build reads up to " +
                       std::to_string(kSchemaVersion) + "): upgrade Winnow to open it");
  }
  return {*version < kSchemaVersion ? FileKind::kOlder : FileKind::kWinnow, *version};
}

}  // namespace

void prepare_database(Database& database) {
  FileKind kind =
      database.transaction(Database::Mode::kRead, [&] { return inspect(database).kind; });
  if (kind == FileKind::kEmpty) {
    database.transaction(Database::Mode::kWrite, [&] {
      // Another process may have created the schema since the read above.
      if (inspect(database).kind != FileKind::kEmpty) return;
      database.execute_script(kCreateSchema);
      Query(database.statement("INSERT INTO meta (key, value) VALUES ('schema_version', ?1)"))
          .bind(1, kSchemaVersion)
          .run();
    });
  } else if (kind == FileKind::kOlder) {
    // Migrations only add; a file a newer Winnow upgraded stays readable by this one's peers of
    // the same version. Another process may have migrated it since the read above.
    database.transaction(Database::Mode::kWrite, [&] {
      Inspection now = inspect(database);
      if (now.kind != FileKind::kOlder) return;
      database.execute_script(kMigrateFrom1);
      database.execute_script(kMigrateFrom2);
      if (now.version < 4) {
        // A file may hold the columns already (a migration interrupted before its version
        // update cannot: it is one transaction; but a file edited by hand can).
        Query has(database.statement(
            "SELECT COUNT(*) FROM pragma_table_info('trials') WHERE name = 'heartbeat_ms'"));
        bool present = has.step() && has.integer(0) > 0;
        if (!present) database.execute_script(kMigrateFrom3);
        if (present) database.execute_script("UPDATE meta SET value = 4 WHERE key = 'schema_version';");
      }
    });
  }

  // WAL lets readers work while one process writes. synchronous=NORMAL: a commit is in the
  // operating system once COMMIT returns, so a killed process loses nothing it committed; only
  // a power cut may lose the last transactions (never corrupting the file). Both are file or
  // connection settings, not schema, so they are applied on every open.
  database.retry_while_busy([&] { database.execute_script("PRAGMA journal_mode = WAL"); });

  // wal_autocheckpoint: each checkpoint costs two fsyncs, which at SQLite's default of 1000 pages
  // dominated the cost of an ask + tell (docs/storage.md). At 10000 pages (a WAL of tens of MB
  // while the study runs; it is removed on close) they are rare. mmap_size lets reads of a large
  // study come straight from the page cache.
  database.execute_script(
      "PRAGMA synchronous = NORMAL;"
      "PRAGMA wal_autocheckpoint = 10000;"
      "PRAGMA foreign_keys = ON;"
      "PRAGMA mmap_size = 268435456;");
}

}  // namespace winnow::sqlite

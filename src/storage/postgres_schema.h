// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#pragma once

#include "storage/postgres_connection.h"

namespace winnow::postgres {

// Schema version this build writes and reads (winnow_meta.schema_version). Bump it, add a
// migration in prepare_schema() and update docs/storage.md together.
#define WINNOW_PG_SCHEMA_VERSION_NUMBER 3
inline constexpr int kSchemaVersion = WINNOW_PG_SCHEMA_VERSION_NUMBER;

// Creates Winnow's tables in the connection's current schema when they are missing; refuses
// (StorageError) a database whose Winnow tables come from a newer Winnow. Safe when several
// processes start at once: creation runs under a transaction-level advisory lock.
void prepare_schema(Connection& connection);

#define WINNOW_PG_TEXT_OF(x) #x
#define WINNOW_PG_TEXT(x) WINNOW_PG_TEXT_OF(x)
// SQL giving the tables' schema version, and whether it is still this build's: the writes of
// every decision are conditioned on it, so that a process stops (check_schema_unchanged)
// without writing to tables a newer Winnow migrated while it ran.
#define WINNOW_PG_SCHEMA_VERSION \
  "COALESCE((SELECT value::bigint FROM winnow_meta WHERE key = 'schema_version'), 0)"
#define WINNOW_PG_SCHEMA_UNCHANGED \
  WINNOW_PG_SCHEMA_VERSION " <= " WINNOW_PG_TEXT(WINNOW_PG_SCHEMA_VERSION_NUMBER)

// Throws StorageError when `stored`, the tables' schema version read while this process runs,
// is above the one it opened them at: a newer Winnow migrated them meanwhile, and this
// process, which knows the tables as they were, must stop before it writes to them again.
void check_schema_unchanged(const std::string& url, int64_t stored);

}  // namespace winnow::postgres

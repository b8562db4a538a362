// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#pragma once

#include "storage/postgres_connection.h"

namespace winnow::postgres {

// Schema version this build writes and reads (winnow_meta.schema_version). Bump it, add a
// migration in prepare_schema() and update docs/storage.md together.
inline constexpr int kSchemaVersion = 3;

// Creates Winnow's tables in the connection's current schema when they are missing; refuses
// (StorageError) a database whose Winnow tables come from a newer Winnow. Safe when several
// processes start at once: creation runs under a transaction-level advisory lock.
void prepare_schema(Connection& connection);

// SQL giving the tables' schema version (as text), for a statement every decision runs.
#define WINNOW_PG_SCHEMA_VERSION "(SELECT value FROM winnow_meta WHERE key = 'schema_version')"

// Throws StorageError when `stored`, the tables' schema version read while this process runs,
// is above the one it opened them at: a newer Winnow migrated them meanwhile, and this
// process, which knows the tables as they were, must stop before it writes to them again.
void check_schema_unchanged(const std::string& url, int64_t stored);

}  // namespace winnow::postgres

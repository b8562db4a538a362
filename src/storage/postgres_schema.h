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

}  // namespace winnow::postgres

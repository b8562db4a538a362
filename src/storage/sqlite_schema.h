// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The SQLite schema of a Winnow database (documented table by table in docs/storage.md) and the
// checks that refuse files Winnow must not touch.
#pragma once

#include "storage/sqlite_database.h"

namespace winnow::sqlite {

// Schema version this build writes and reads. Bump it, add a migration from the previous one in
// prepare_database(), and update docs/storage.md together.
inline constexpr int kSchemaVersion = 4;

// Makes `database` ready for use: creates the schema in an empty file; refuses (StorageError
// naming the path and the problem) a file that is not an SQLite database, an SQLite database of
// another application, or a Winnow database with a newer schema. Those checks run before
// anything is written, so a refused file is left exactly as it was. Then sets the connection's
// pragmas (WAL, synchronous=NORMAL, foreign keys, memory mapping). Safe when several processes
// open the same new file at once: creation happens in one write transaction that re-checks.
void prepare_database(Database& database);

}  // namespace winnow::sqlite

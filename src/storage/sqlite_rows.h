// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The rows of Winnow's SQLite tables (docs/storage.md) read into and written from studies and
// trials. Every function runs inside a transaction the caller opened on `database`.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/sqlite_database.h"
#include "winnow/storage.h"
#include "winnow/trial.h"

// Columns a study's row is read with (read_study_row), in this order.
#define WINNOW_STUDY_COLUMNS \
  "study_id, name, directions, objective_names, space_json, sampler, created_ms"

namespace winnow::sqlite {

// A trials.state value; a StorageError naming the database for one Winnow never wrote.
TrialState parse_state(const Database& database, const std::string& text);

// The database-wide change counter: a write transaction that changes trials takes the next
// value once and stamps it on every trial it changes. Writers are serialised by the database
// lock, so versions grow in commit order and `trials(study, since)` never misses a change.
// (Not UPDATE ... RETURNING: SQLite buffers the returned rows, which made it slower than a second
// statement.)
int64_t next_version(Database& database);

// Keeps studies.counted_trials in step with a change of a trial's state; `delta` is the change
// of storage_checks::is_counted() (+1, -1). Triggers could do this, but SQLite opens a
// temporary b-tree for each trigger run: they doubled the cost of an ask + tell.
void add_counted(Database& database, int64_t study_id, int64_t delta);

// Throws the unknown-study error unless the study exists.
void require_study(Database& database, int64_t study_id);

// The trial's parameter rows, one per value of `config`.
void insert_params(Database& database, int64_t trial_id, const Config& config);

// Fills study.user_attrs from its rows, by key.
void read_study_attrs(Database& database, StudyRecord& study);

// Inserts or replaces one of the study's user attributes.
void write_study_attr(Database& database, int64_t study_id, std::string_view key,
                      std::string_view json_value);

// The study on the query's current row, selected as WINNOW_STUDY_COLUMNS.
StudyRecord read_study_row(const Database& database, const Query& query);

// The trial with all its details; nullopt when there is no such trial.
std::optional<FrozenTrial> load_trial(Database& database, int64_t trial_id);

// Checks that the trial exists, that `holder` still holds it (TrialTakenError) and that it is
// in one of the allowed states; returns its number.
int64_t require_trial_held(Database& database, int64_t trial_id, std::string_view action,
                           std::initializer_list<TrialState> allowed, const TrialHolder& holder);

// Under a write transaction: the number the study's next trial gets, or nullopt when
// `budget_limit` > 0 and the study has that many counted trials. MAX(number) is one seek at the
// end of the (study_id, number) unique index.
std::optional<int64_t> next_number_within_budget(Database& database, int64_t study_id,
                                                 int64_t budget_limit, const std::string& url);

// Under a write transaction that read `number` with next_number_within_budget.
FrozenTrial insert_trial(Database& database, int64_t study_id, int64_t number,
                         const Config& config, TrialState state, std::string_view owner,
                         std::optional<int64_t> retry_of,
                         const std::map<std::string, std::string>& user_attrs);

// Within a transaction: the study's trials whose version is greater than `since_version`.
std::vector<FrozenTrial> changed_trials(Database& database, int64_t study_id,
                                        int64_t since_version);

// Under a write transaction: moves the study's oldest waiting trial to running under `owner`;
// nullopt when none is waiting.
std::optional<FrozenTrial> claim_oldest_waiting(Database& database, int64_t study_id,
                                                std::string_view owner);

}  // namespace winnow::sqlite

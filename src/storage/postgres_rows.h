// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The rows of Winnow's PostgreSQL tables (docs/storage.md) read into and written from studies and
// trials, and the study lock every write takes first. Every function runs inside a transaction
// the caller opened on `db`; `url` (without its password) names the database in errors.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "storage/postgres_connection.h"
#include "winnow/storage.h"
#include "winnow/trial.h"

#define WINNOW_PG_TRIAL_COLUMNS                                                                 \
  "t.trial_id, t.number, t.state, t.start_ms, t.end_ms, t.failure_reason, t.interrupted, "      \
  "t.retry_of, t.owner, t.version"
#define WINNOW_PG_STUDY_COLUMNS \
  "study_id, name, directions, objective_names, space_json, sampler, created_ms"
// The version of a trial whose last change (a finish or a report, made without the study's lock)
// waits for the next writer under the lock to stamp it: above every version, so reads of the
// changes since any version return the trial until then. Read as version 0 (Storage::trials).
#define WINNOW_PG_PENDING_VERSION "9223372036854775807"
inline constexpr int64_t kPendingVersion = std::numeric_limits<int64_t>::max();  // the same
// The server's clock in Unix milliseconds: heartbeats and leases use it alone.
#define WINNOW_PG_NOW_MS "(extract(epoch FROM clock_timestamp()) * 1000)::bigint"
// The session setting that holds the id of the trial the session inserted last, for the
// statement that waits for its flush in the same round trip (flush_inserted_statements).
// Inserts select WINNOW_PG_NOTE_ASKED_TRIAL from the rows they insert.
#define WINNOW_PG_ASKED_TRIAL_SETTING "winnow.asked_trial"
#define WINNOW_PG_NOTE_ASKED_TRIAL \
  "set_config('" WINNOW_PG_ASKED_TRIAL_SETTING "', trial_id::text, false)"
// The number the study's next trial gets, and whether one of its trials waits for any process
// to claim it (enqueued, requeued or released; not one a process holds, whose owner is set:
// Storage::create_trials_ahead), as SQL expressions of the study's id in $1. The condition of
// an unheld waiting trial is the predicate of the partial index winnow_trials_unheld_waiting,
// word for word, so the planner can use it. A subquery that names the check in several places
// ends with OFFSET 0, so the planner evaluates it once rather than at each.
#define WINNOW_PG_NEXT_NUMBER \
  "(SELECT COALESCE(MAX(number) + 1, 0) FROM winnow_trials WHERE study_id = $1)"
#define WINNOW_PG_UNHELD_WAITING "state = 'waiting' AND owner IS NULL"
#define WINNOW_PG_WAITING_TRIAL \
  "EXISTS (SELECT 1 FROM winnow_trials WHERE study_id = $1 AND " WINNOW_PG_UNHELD_WAITING ")"
// A study's next version: one above the last, and never below the server's clock in Unix
// microseconds. An ask commits without waiting for its flush (decision_reads), so other
// processes may read a version that a crash of the server then takes back; counting on from the
// restored counter would give that version again to other changes, which a process that read
// it would never receive. The clock has moved on by the restart, so the versions given after it
// are above every version given before.
#define WINNOW_PG_NEXT_VERSION \
  "GREATEST(change_counter + 1, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint)"

namespace winnow::postgres {

[[noreturn]] void throw_damaged(const std::string& url, const std::string& what);
TrialState parse_state(const std::string& url, const std::string& text);

// A token no other call of any process will produce: the caller's owner and 64 random bits. A
// create or claim stores it, so a retry after a lost COMMIT answer finds what it did.
std::string new_client_token(std::string_view owner);

// Waits for the study's advisory lock (held to the end of the transaction), the queue every
// writer of the study joins before it updates the study's row. Waiting on the row itself would
// wake every waiter at each commit (they wait on the holder's transaction, then race for the
// row), a cost that grows with the number of processes; the lock manager's queue wakes one.
// The row lock still orders the writers: the advisory lock only queues them, so two keys that
// collide (two schemas hashing alike, ids past 2^31) cost waiting, never correctness.
// $1 is the study's id; kAdvisoryLockOfTrialSql takes a trial's id instead.
#define WINNOW_PG_ADVISORY_KEY(study_id)                                                 \
  "pg_advisory_xact_lock(hashtext('winnow:' || current_schema()), ((" study_id         \
  ") % 2147483647)::int4)"
constexpr const char* kAdvisoryLockSql = "SELECT " WINNOW_PG_ADVISORY_KEY("$1::bigint");
constexpr const char* kAdvisoryLockOfTrialSql = "SELECT " WINNOW_PG_ADVISORY_KEY(
    "SELECT study_id FROM winnow_trials WHERE trial_id = $1");

// Takes the study's row lock for the rest of the transaction and returns the next version (and
// the budget counter); nullopt for an unknown study. Trials whose last change (a finish or
// report made without the lock) is pending (WINNOW_PG_PENDING_VERSION) get that version.
struct StudyLock {
  int64_t version;
  int64_t counted;
};
std::optional<StudyLock> lock_study(Connection& db, int64_t study_id);
// The same as the statements of a pipeline: the advisory lock, then the study row's update
// with the stamp of the trials whose version is pending (one row of change_counter,
// counted_trials; none for an unknown study).
std::vector<Connection::Statement> lock_study_statements(int64_t study_id);
// The study's advisory lock alone, as the first statement of a pipeline (with `flush_later` as
// in decision_reads, below).
Connection::Statement advisory_lock_statement(int64_t study_id, bool flush_later);
// What a writer that decides a trial reads, in one pipeline: the lock (lock_study_statements;
// the study row's result at [1]), then the next number and whether a trial waits (at
// DecisionReads::next_at), then, with `since_version`, the trials changed since it and their
// details (at next_at + 1 and + 2, for read_changed_trials).
//
// With `flush_later`, the transaction's COMMIT returns without waiting for the server to flush
// it to disk (synchronous_commit off for this transaction alone), so the study's lock is not
// held through the flush and the next writer's wait is the server's work alone. The caller must
// then wait for the flush with wait_for_flush before it hands the trial on.
struct DecisionReads {
  std::vector<Connection::Statement> statements;
  size_t next_at = 0;
};
DecisionReads decision_reads(int64_t study_id, std::optional<int64_t> since_version,
                             bool flush_later = false);
// After a transaction of decision_reads(..., flush_later = true) created or claimed trial
// `trial_id` with `token` for `owner`: waits until the server has flushed that commit to disk
// (a commit of our own, which the server flushes with everything written before it) and
// returns whether the trial is still the caller's. False only when the server crashed before
// the flush and the trial was lost with it: the caller asks again. Without the study's lock.
bool wait_for_flush(Connection& db, int64_t trial_id, const std::string& token,
                    std::string_view owner);
// The same wait, as statements to send after the COMMIT in the round trip of the insert
// (Connection::execute_pipeline's after_commit), for the trial the session inserted last: one
// result, of one row when the trial is on disk and the caller's (none when the statement
// failed: the caller then waits with wait_for_flush). None without `flush_later`.
std::vector<Connection::Statement> flush_inserted_statements(bool flush_later,
                                                             const std::string& token,
                                                             std::string_view owner);
StudyLock lock_study_or_throw(Connection& db, int64_t study_id, const std::string& url);
// Locks the study of a trial (one statement); returns the study's id and lock. Throws for an
// unknown trial.
std::pair<int64_t, StudyLock> lock_study_of_trial(Connection& db, int64_t trial_id,
                                                  const std::string& url);
// Checks that the trial exists, that `holder` still holds it (TrialTakenError) and that it is
// in one of the allowed states; locks its study and returns the new version.
int64_t lock_trial_held(Connection& db, const std::string& url, int64_t trial_id,
                        std::string_view action, std::initializer_list<TrialState> allowed,
                        const TrialHolder& holder);

void add_counted(Connection& db, int64_t study_id, int64_t delta);
// The number the study's next trial gets (under the study's lock).
int64_t next_number(Connection& db, int64_t study_id);

StudyRecord read_study_row(const std::string& url, const Result& rows, int row);
void read_study_attrs(Connection& db, StudyRecord& study);
void write_study_attr(Connection& db, int64_t study_id, std::string_view key,
                      std::string_view json_value);

void insert_params(Connection& db, int64_t trial_id, const Config& config);
// The columns of winnow_trial_params after trial_id, one array each, for unnest().
struct ParamArrays {
  ArrayText names, types, ints, reals, texts;
};
// Appends a configuration's rows to `arrays`.
void append_param_arrays(ParamArrays& arrays, const Config& config);
// Adds the five parameters (names, types, ints, reals, texts) that insert a configuration's rows
// into winnow_trial_params through unnest().
Params& add_param_arrays(Params& params, const Config& config);
// Under the study's lock, which gave `version`; `number` is the study's next one. With
// `then_commit` the transaction commits in the same round trip, so the lock is released as soon
// as the server has inserted; with `flushed` too, that round trip then waits for the commit's
// flush (flush_inserted_statements) and sets *flushed when the server confirmed it.
FrozenTrial insert_trial(Connection& db, int64_t study_id, int64_t number, int64_t version,
                         const Config& config, TrialState state, std::string_view owner,
                         std::optional<int64_t> retry_of,
                         const std::map<std::string, std::string>& user_attrs,
                         const std::string& token, bool then_commit = false,
                         bool* flushed = nullptr);
// Under the study's lock (later in the same transaction than lock_study_statements): inserts a
// running trial decided ahead of the lock under the study's next number, unless a trial is
// waiting, the budget is spent or `expected_number` is given and is not the next number. Its
// result is (trial_id, number, version), or no row when nothing was inserted.
Connection::Statement insert_ahead_statement(int64_t study_id, const Config& config,
                                             std::string_view owner,
                                             const std::map<std::string, std::string>& user_attrs,
                                             const std::string& token, int64_t start_ms,
                                             int64_t budget_limit,
                                             std::optional<int64_t> expected_number);
// The same ask for a caller that reads no history (random sampling), whole in one statement
// after advisory_lock_statement: the study's new version, the stamp of the trials pending, the
// checks and the insert. Its result is one row (none for an unknown study): the budget's count,
// whether a trial waits, then the trial's id, number and version, NULL when nothing was
// inserted.
Connection::Statement ask_ahead_statement(int64_t study_id, const Config& config,
                                          std::string_view owner,
                                          const std::map<std::string, std::string>& user_attrs,
                                          const std::string& token, int64_t start_ms,
                                          int64_t budget_limit,
                                          std::optional<int64_t> expected_number);
// Under the study's lock, which gave `version`: moves the study's oldest waiting trial to
// running under `owner`, stamped with `token`; nullopt when none is waiting.
std::optional<FrozenTrial> claim_oldest_waiting(Connection& db, const std::string& url,
                                                int64_t study_id, std::string_view owner,
                                                int64_t version, const std::string& token);
// Adds the first four parameters of a finish: the trial's id, its new state, the end time and
// the failure reason (NULL unless failed).
Params& add_finish_state(Params& params, int64_t trial_id, const TrialOutcome& outcome);
// Adds the four array parameters of an outcome: values, metric names, metric values and
// constraints (for unnest(), in that order).
Params& add_outcome_arrays(Params& params, const TrialOutcome& outcome);

// The usual finish (a running trial of this process ending) in one round trip, committed,
// without the study's lock: the trial's version is left pending for the next writer under the
// lock to stamp. False, having changed nothing, when the trial is not in that state or the outcome
// is a rarer one: the caller then takes the careful path.
bool finish_in_one_round_trip(Connection& db, int64_t trial_id, const TrialOutcome& outcome);

// What an earlier attempt of this call did, when its COMMIT's answer was lost. With
// `running_owner`, the call created a running trial or claimed one for that owner, which counts
// only while it still runs under it: a lease check may have put it back in the queue, and
// another process claimed it, while the caller was reconnecting (the caller then creates or
// claims again). Without, the call created a waiting trial (an enqueue), which counts whatever
// happened to it since: another process may well have claimed it.
std::optional<FrozenTrial> find_by_token(Connection& db, const std::string& url, int64_t study_id,
                                         const std::string& token,
                                         std::optional<std::string_view> running_owner);

// A row of WINNOW_PG_TRIAL_COLUMNS, without its parameters, values and attributes.
FrozenTrial read_trial_row(const std::string& url, const Result& rows, int row);
// Fills the child-table fields (parameters, values, attributes ...) of the trials of `by_id`
// (trial id -> trial).
void load_trial_details(Connection& db, const std::string& url,
                        const std::unordered_map<int64_t, FrozenTrial*>& by_id);
std::optional<FrozenTrial> load_trial(Connection& db, const std::string& url, int64_t trial_id);
// The study's trials whose version is greater than `since_version`, in number order.
std::vector<FrozenTrial> changed_trials(Connection& db, const std::string& url, int64_t study_id,
                                        int64_t since_version);
// The same as two statements for a pipeline (the trials, then their details), and the trials
// read from their results.
std::vector<Connection::Statement> changed_trials_statements(int64_t study_id,
                                                             int64_t since_version);
std::vector<FrozenTrial> read_changed_trials(const std::string& url, const Result& rows,
                                             const Result& details);

}  // namespace winnow::postgres

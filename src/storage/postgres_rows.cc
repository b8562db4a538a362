// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "storage/postgres_rows.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <random>

#include "common/strings.h"
#include "storage/storage_checks.h"

namespace winnow::postgres {

[[noreturn]] void throw_damaged(const std::string& url, const std::string& what) {
  throw StorageError("PostgreSQL database at " + url + " is damaged: " + what);
}

TrialState parse_state(const std::string& url, const std::string& text) {
  std::optional<TrialState> state = trial_state_from_string(text);
  if (!state) throw_damaged(url, "winnow_trials.state '" + text + "' is unknown");
  return *state;
}

// A token no other call of any process will produce: host:pid:start of the caller and 64
// random bits.
std::string new_client_token(std::string_view owner) {
  static thread_local std::mt19937_64 random{std::random_device{}()};
  return std::string(owner) + "/" + std::to_string(random());
}

namespace {

// The study's new version, and its pending trials stamped with it, in one statement under the
// study's lock (a statement fewer while the lock is held). The stamp takes the version from the
// UPDATE's RETURNING: a CTE's reads see the table as before the statement. The pending trials
// are found by equality with the pending marker, not as "above the lock's version" (the same
// rows): a range with an unknown bound is planned as a bitmap scan, which never marks the index
// entries of stamped rows dead, so every stamp walked all the study's dead pending entries (and
// their heap pages) until a vacuum, holding the lock longer as the study ran. A plain index scan
// on the one key marks them dead as it passes, so the stamp's cost follows the few trials
// pending. `study_id` is SQL giving the study's id (as in WINNOW_PG_ADVISORY_KEY); the result
// is `columns` of the study's row as updated, no row for an unknown study.
#define WINNOW_PG_NEW_VERSION_AND_STAMP(study_id, columns)                                  \
  "WITH c AS (UPDATE winnow_studies SET change_counter = " WINNOW_PG_NEXT_VERSION          \
  " WHERE study_id = (" study_id ") RETURNING study_id, change_counter, counted_trials), "  \
  "s AS (UPDATE winnow_trials SET version = (SELECT change_counter FROM c) "               \
  "WHERE study_id = (SELECT study_id FROM c) AND version = " WINNOW_PG_PENDING_VERSION ") " \
  "SELECT " columns " FROM c"
constexpr const char* kNewVersionSql =
    WINNOW_PG_NEW_VERSION_AND_STAMP("$1::bigint", "change_counter, counted_trials");
constexpr const char* kNewVersionOfTrialSql =
    WINNOW_PG_NEW_VERSION_AND_STAMP("SELECT study_id FROM winnow_trials WHERE trial_id = $1",
                                    "study_id, change_counter, counted_trials");

}  // namespace

std::vector<Connection::Statement> lock_study_statements(int64_t study_id) {
  // Finishes and reports committed without the lock get this writer's version, so
  // incremental readers stop receiving them with every read.
  return {{kAdvisoryLockSql, Params().add(study_id)}, {kNewVersionSql, Params().add(study_id)}};
}

namespace {
// The study's advisory lock, and synchronous_commit off to the end of the transaction.
constexpr const char* kAdvisoryLockFlushLaterSql =
    "SELECT " WINNOW_PG_ADVISORY_KEY("$1::bigint") ", "
    "set_config('synchronous_commit', 'off', true)";
}  // namespace

Connection::Statement advisory_lock_statement(int64_t study_id, bool flush_later) {
  return {flush_later ? kAdvisoryLockFlushLaterSql : kAdvisoryLockSql, Params().add(study_id)};
}

DecisionReads decision_reads(int64_t study_id, std::optional<int64_t> since_version,
                             bool flush_later) {
  DecisionReads reads{lock_study_statements(study_id)};
  reads.statements[0] = advisory_lock_statement(study_id, flush_later);
  reads.next_at = reads.statements.size();
  reads.statements.push_back(
      {"SELECT " WINNOW_PG_NEXT_NUMBER ", " WINNOW_PG_WAITING_TRIAL, Params().add(study_id)});
  if (since_version) {
    for (Connection::Statement& read : changed_trials_statements(study_id, *since_version)) {
      reads.statements.push_back(std::move(read));
    }
  }
  return reads;
}

namespace {
// A transaction that writes commits with a flush of all that was written before it, under the
// session's synchronous_commit; one that writes nothing (even with a transaction id) does not
// wait. So the trial's heartbeat is written anew: the trial has just started, so its lease is
// fresh either way, and no index holds the column, so the update stays on the row's page. The
// token and the owner check the trial is still the caller's, as find_by_token does: created
// by this call and never claimed since, or claimed by it (a lease check may have put the trial
// back in the queue, and another process claimed it, while this one was reconnecting). $1 is
// the token, $2 the owner, `trial_id` SQL giving the trial's id.
#define WINNOW_PG_FLUSH_ASKED(trial_id)                                                     \
  "UPDATE winnow_trials SET heartbeat_ms = " WINNOW_PG_NOW_MS " WHERE trial_id = " trial_id \
  " AND state = 'running' AND ((client_token = $1 AND claim_token IS NULL) OR "              \
  "claim_token = $1) AND COALESCE(owner, '') = $2 RETURNING 1"
constexpr const char* kFlushAskedSql = WINNOW_PG_FLUSH_ASKED("$3");
// The same, for the trial the session inserted last (kAskedTrialSetting), whose id the client
// does not know yet when it sends the statement.
constexpr const char* kFlushInsertedSql = WINNOW_PG_FLUSH_ASKED(
    "NULLIF(current_setting('" WINNOW_PG_ASKED_TRIAL_SETTING "', true), '')::bigint");
}  // namespace

std::vector<Connection::Statement> flush_inserted_statements(bool flush_later,
                                                             const std::string& token,
                                                             std::string_view owner) {
  if (!flush_later) return {};
  return {{kFlushInsertedSql, Params().add(token).add(owner)}};
}

bool wait_for_flush(Connection& db, int64_t trial_id, const std::string& token,
                    std::string_view owner) {
  // On a new connection, after the old one broke, the flush covers the ask's commit if the
  // server still has it, and a trial lost with a crash matches nothing.
  return db.transaction(Connection::Mode::kOneStatement, [&](bool) {
    return db.execute(kFlushAskedSql, Params().add(token).add(owner).add(trial_id)).rows() == 1;
  });
}

std::optional<StudyLock> lock_study(Connection& db, int64_t study_id) {
  std::vector<Result> results = db.execute_pipeline(lock_study_statements(study_id));
  const Result& result = results[1];
  if (result.rows() == 0) return std::nullopt;
  return StudyLock{result.integer(0, 0), result.integer(0, 1)};
}

StudyLock lock_study_or_throw(Connection& db, int64_t study_id, const std::string& url) {
  std::optional<StudyLock> lock = lock_study(db, study_id);
  if (!lock) storage_checks::throw_unknown_study(study_id, url);
  return *lock;
}

void add_counted(Connection& db, int64_t study_id, int64_t delta) {
  if (delta == 0) return;
  db.execute("UPDATE winnow_studies SET counted_trials = counted_trials + $2 WHERE study_id = $1",
             Params().add(study_id).add(delta));
}

void append_param_arrays(ParamArrays& arrays, const Config& config) {
  for (const auto& [name, value] : config) {
    arrays.names.add(name);
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, bool>) {
            arrays.types.add("bool");
            arrays.ints.add(int64_t{v ? 1 : 0});
            arrays.reals.add_null();
            arrays.texts.add_null();
          } else if constexpr (std::is_same_v<T, int64_t>) {
            arrays.types.add("int");
            arrays.ints.add(v);
            arrays.reals.add_null();
            arrays.texts.add_null();
          } else if constexpr (std::is_same_v<T, double>) {
            arrays.types.add("float");
            arrays.ints.add_null();
            arrays.reals.add(v);
            arrays.texts.add_null();
          } else {
            arrays.types.add("string");
            arrays.ints.add_null();
            arrays.reals.add_null();
            arrays.texts.add(std::string_view(v));
          }
        },
        value);
  }
}

Params& add_param_arrays(Params& params, const Config& config) {
  ParamArrays arrays;
  append_param_arrays(arrays, config);
  return params.add(arrays.names)
      .add(arrays.types)
      .add(arrays.ints)
      .add(arrays.reals)
      .add(arrays.texts);
}

void insert_params(Connection& db, int64_t trial_id, const Config& config) {
  if (config.empty()) return;
  Params params;
  params.add(trial_id);
  add_param_arrays(params, config);
  // One statement for every parameter: each round trip counts while the study is locked.
  db.execute(
      "INSERT INTO winnow_trial_params (trial_id, name, value_type, int_value, real_value, "
      "text_value) SELECT $1, * FROM unnest($2::text[], $3::text[], $4::bigint[], "
      "$5::float8[], $6::text[])",
      params);
}

FrozenTrial read_trial_row(const std::string& url, const Result& rows, int row) {
  FrozenTrial trial;
  trial.id = rows.integer(row, 0);
  trial.number = rows.integer(row, 1);
  trial.state = parse_state(url, rows.text(row, 2));
  trial.start_time_ms = rows.integer(row, 3);
  trial.end_time_ms = rows.integer(row, 4);
  trial.failure_reason = rows.text(row, 5);
  trial.interrupted = rows.boolean(row, 6);
  if (!rows.is_null(row, 7)) trial.retry_of = rows.integer(row, 7);
  trial.owner = rows.text(row, 8);
  trial.version = rows.integer(row, 9);
  if (trial.version == kPendingVersion) trial.version = 0;
  return trial;
}

StudyRecord read_study_row(const std::string& url, const Result& rows, int row) {
  StudyRecord study;
  study.id = rows.integer(row, 0);
  study.name = rows.text(row, 1);
  try {
    for (const auto& direction : nlohmann::json::parse(rows.text(row, 2))) {
      std::optional<Direction> parsed = direction_from_string(direction.get<std::string>());
      if (!parsed) {
        throw_damaged(url, "study '" + study.name + "' has direction " + direction.dump());
      }
      study.directions.push_back(*parsed);
    }
    study.objective_names =
        nlohmann::json::parse(rows.text(row, 3)).get<std::vector<std::string>>();
  } catch (const nlohmann::json::exception& error) {
    throw_damaged(url, "study '" + study.name + "' has malformed JSON: " + error.what());
  }
  study.space_json = rows.text(row, 4);
  study.sampler = rows.text(row, 5);
  study.created_ms = rows.integer(row, 6);
  return study;
}

void read_study_attrs(Connection& db, StudyRecord& study) {
  Result rows = db.execute(
      "SELECT key, value_json FROM winnow_study_user_attrs WHERE study_id = $1 ORDER BY key",
      Params().add(study.id));
  for (int row = 0; row < rows.rows(); ++row) {
    study.user_attrs[rows.text(row, 0)] = rows.text(row, 1);
  }
}

void write_study_attr(Connection& db, int64_t study_id, std::string_view key,
                      std::string_view json_value) {
  db.execute(
      "INSERT INTO winnow_study_user_attrs (study_id, key, value_json) VALUES ($1, $2, $3) "
      "ON CONFLICT (study_id, key) DO UPDATE SET value_json = excluded.value_json",
      Params().add(study_id).add(key).add(json_value));
}

// Fills the child-table fields of `by_id` from rows selected by `filter`, a condition on the
// trials table `t` with parameters `params`.
namespace {

enum DetailKind : int64_t { kParam, kValue, kIntermediate, kMetric, kConstraint, kAttr };

// Every child table of the trials that `trial_ids` selects (an SQL expression of $1 and $2), in
// one statement: a round trip each would count several times over while a proposal holds the
// study's lock. Columns: trial_id, kind, name, index, type, int_value, real_value, text_value;
// each kind fills the ones it needs.
std::string details_sql(const std::string& trial_ids) {
  auto part = [&](int kind, const std::string& columns, const char* table) {
    return "SELECT c.trial_id, " + std::to_string(kind) + "::bigint, " + columns + " FROM " +
           table + " c WHERE c.trial_id " + trial_ids;
  };
  return part(kParam, "c.name, NULL::bigint, c.value_type, c.int_value, c.real_value, c.text_value",
              "winnow_trial_params") +
         " UNION ALL " +
         part(kValue, "NULL, c.objective::bigint, NULL, NULL, c.value, NULL",
              "winnow_trial_values") +
         " UNION ALL " +
         part(kIntermediate, "NULL, c.step::bigint, NULL, NULL, c.value, NULL",
              "winnow_trial_intermediate") +
         " UNION ALL " +
         part(kMetric, "c.name, NULL, NULL, NULL, c.value, NULL", "winnow_trial_metrics") +
         " UNION ALL " +
         part(kConstraint, "NULL, c.idx::bigint, NULL, NULL, c.value, NULL",
              "winnow_trial_constraints") +
         " UNION ALL " +
         part(kAttr, "c.key, NULL, NULL, NULL, NULL, c.value_json", "winnow_trial_user_attrs");
}

// Fills the trials of `by_id` from the rows of details_sql.
void apply_details(const std::string& url, const Result& rows,
                   const std::unordered_map<int64_t, FrozenTrial*>& by_id) {
  auto read_indexed = [&](std::vector<double>& out, int64_t index, double value,
                          const char* what) {
    if (index < 0 || index > 10000) {
      throw_damaged(url, std::string(what) + " " + std::to_string(index));
    }
    if (out.size() <= static_cast<size_t>(index)) {
      out.resize(index + 1, std::numeric_limits<double>::quiet_NaN());
    }
    out[index] = value;
  };
  for (int row = 0; row < rows.rows(); ++row) {
    auto it = by_id.find(rows.integer(row, 0));
    if (it == by_id.end()) continue;
    FrozenTrial& trial = *it->second;
    switch (rows.integer(row, 1)) {
      case kParam: {
        std::string type = rows.text(row, 4);
        ParamValue value;
        if (type == "bool") {
          value = rows.integer(row, 5) != 0;
        } else if (type == "int") {
          value = rows.integer(row, 5);
        } else if (type == "float") {
          value = rows.real(row, 6);
        } else if (type == "string") {
          value = rows.text(row, 7);
        } else {
          throw_damaged(url, "winnow_trial_params.value_type '" + type + "' is unknown");
        }
        trial.config.emplace(rows.text(row, 2), std::move(value));
        break;
      }
      case kValue:
        read_indexed(trial.values, rows.integer(row, 3), rows.real(row, 6),
                     "winnow_trial_values.objective");
        break;
      case kIntermediate:
        trial.intermediate[rows.integer(row, 3)] = rows.real(row, 6);
        break;
      case kMetric:
        trial.metrics[rows.text(row, 2)] = rows.real(row, 6);
        break;
      case kConstraint:
        read_indexed(trial.constraints, rows.integer(row, 3), rows.real(row, 6),
                     "winnow_trial_constraints.idx");
        break;
      case kAttr:
        trial.user_attrs[rows.text(row, 2)] = rows.text(row, 7);
        break;
      default:
        break;
    }
  }
}

}  // namespace

void load_trial_details(Connection& db, const std::string& url,
                        const std::unordered_map<int64_t, FrozenTrial*>& by_id) {
  if (by_id.empty()) return;
  // Each reached through its primary key by the trials' ids: a plan that cannot turn into a
  // scan of the whole table as the study grows.
  static const std::string sql = details_sql("= ANY ($1::bigint[])");
  ArrayText ids;
  for (const auto& entry : by_id) ids.add(entry.first);
  Params params;
  params.add(ids);
  apply_details(url, db.execute(sql, params), by_id);
}

std::optional<FrozenTrial> load_trial(Connection& db, const std::string& url, int64_t trial_id) {
  Result rows = db.execute("SELECT " WINNOW_PG_TRIAL_COLUMNS
                           " FROM winnow_trials t WHERE t.trial_id = $1",
                           Params().add(trial_id));
  if (rows.rows() == 0) return std::nullopt;
  FrozenTrial trial = read_trial_row(url, rows, 0);
  load_trial_details(db, url, {{trial_id, &trial}});
  return trial;
}

// Checks that the trial exists and is in one of the allowed states; locks its study and
// returns the new version.
std::pair<int64_t, StudyLock> lock_study_of_trial(Connection& db, int64_t trial_id,
                                                  const std::string& url) {
  std::vector<Result> results = db.execute_pipeline(
      {{kAdvisoryLockOfTrialSql, Params().add(trial_id)},
       {kNewVersionOfTrialSql, Params().add(trial_id)}});
  const Result& result = results[1];
  if (result.rows() == 0) storage_checks::throw_unknown_trial(trial_id, url);
  return {result.integer(0, 0), StudyLock{result.integer(0, 1), result.integer(0, 2)}};
}

int64_t lock_trial_held(Connection& db, const std::string& url, int64_t trial_id,
                        std::string_view action, std::initializer_list<TrialState> allowed,
                        const TrialHolder& holder) {
  int64_t version = lock_study_of_trial(db, trial_id, url).second.version;
  Result rows = db.execute(
      "SELECT number, state, owner, interrupted, COALESCE(start_ms, 0) FROM winnow_trials "
      "WHERE trial_id = $1",
      Params().add(trial_id));
  TrialState state = parse_state(url, rows.text(0, 1));
  storage_checks::check_holder(holder, trial_id, rows.integer(0, 0), state, rows.boolean(0, 3),
                               rows.text(0, 2), rows.integer(0, 4));
  for (TrialState ok : allowed) {
    if (state == ok) return version;
  }
  storage_checks::throw_wrong_state(action, trial_id, rows.integer(0, 0), state);
}

int64_t next_number(Connection& db, int64_t study_id) {
  return db.execute("SELECT " WINNOW_PG_NEXT_NUMBER, Params().add(study_id))
      .integer(0, 0);
}

std::optional<FrozenTrial> find_by_token(Connection& db, const std::string& url, int64_t study_id,
                                         const std::string& token,
                                         std::optional<std::string_view> running_owner) {
  Params params;
  params.add(study_id).add(token);
  std::string sql = "SELECT trial_id FROM winnow_trials WHERE study_id = $1 AND ";
  if (running_owner) {
    // Created running and never claimed since, or claimed by this call; running still under
    // the caller, not put back in the queue by a lease check (and perhaps claimed by another
    // process) while the caller was reconnecting.
    sql += "((client_token = $2 AND claim_token IS NULL) OR claim_token = $2) AND "
           "state = 'running' AND COALESCE(owner, '') = $3";
    params.add(std::string(*running_owner));
  } else {
    sql += "client_token = $2";
  }
  Result mine = db.execute(sql, params);
  if (mine.rows() == 0) return std::nullopt;
  return load_trial(db, url, mine.integer(0, 0));
}

// Under the study's lock, which gave `version`; `number` is the study's next one.
FrozenTrial insert_trial(Connection& db, int64_t study_id, int64_t number, int64_t version,
                         const Config& config, TrialState state, std::string_view owner,
                         std::optional<int64_t> retry_of,
                         const std::map<std::string, std::string>& user_attrs,
                         const std::string& token, bool then_commit, bool* flushed) {
  // A waiting trial belongs to no process: one with an owner would be held (a process's own,
  // create_trials_ahead), which no other process claims.
  if (state != TrialState::kRunning) owner = {};
  FrozenTrial trial;
  trial.number = number;
  trial.state = state;
  trial.owner = std::string(owner);
  trial.retry_of = retry_of;
  trial.version = version;
  if (state == TrialState::kRunning) trial.start_time_ms = now_ms();
  std::optional<int64_t> start_ms;
  if (trial.start_time_ms != 0) start_ms = trial.start_time_ms;
  Params params;
  params.add(study_id).add(trial.number).add(to_string(state)).add(start_ms);
  params.add_nonempty_or_null(owner).add(retry_of).add(trial.version).add(token);
  add_param_arrays(params, config);
  ArrayText keys, values;
  for (const auto& [key, value] : user_attrs) {
    keys.add(key);
    values.add(value);
  }
  params.add(keys).add(values).add(storage_checks::is_counted(state, false) ? 1 : 0);
  // The trial, its parameters, its attributes and the budget counter in one statement (one round trip under the
  // study's lock); data-modifying WITH clauses all run, whether or not the result reads them.
  std::vector<Result> inserted = db.execute_pipeline(
      {{"WITH t AS (INSERT INTO winnow_trials (study_id, number, state, start_ms, owner, retry_of, "
      "version, client_token, heartbeat_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, "
      WINNOW_PG_NOW_MS ") RETURNING trial_id), "
      "p AS (INSERT INTO winnow_trial_params (trial_id, name, value_type, int_value, real_value, "
      "text_value) SELECT t.trial_id, u.* FROM t, unnest($9::text[], $10::text[], $11::bigint[], "
      "$12::float8[], $13::text[]) AS u), "
      "a AS (INSERT INTO winnow_trial_user_attrs (trial_id, key, value_json) "
      "SELECT t.trial_id, u.* FROM t, unnest($14::text[], $15::text[]) AS u), "
      "c AS (UPDATE winnow_studies SET counted_trials = counted_trials + $16 "
      "WHERE study_id = $1 AND $16 <> 0) "
      "SELECT trial_id, " WINNOW_PG_NOTE_ASKED_TRIAL " FROM t",
        params}},
      then_commit, flush_inserted_statements(then_commit && flushed != nullptr, token, owner));
  trial.id = inserted[0].integer(0, 0);
  if (flushed != nullptr) *flushed = inserted.size() == 2 && inserted[1].rows() == 1;
  trial.config = config;
  trial.user_attrs = user_attrs;
  return trial;
}

namespace {

// The parameters of both statements of an ask made ahead: $1 the study, $2 the state, $3 the
// start time, $4 the owner, $5 the token, $6-$10 the configuration, $11-$12 the attributes, $13
// the budget, $14 the expected number, $15 what the trial adds to the budget's count.
Params ahead_params(int64_t study_id, const Config& config, std::string_view owner,
                    const std::map<std::string, std::string>& user_attrs, const std::string& token,
                    int64_t start_ms, int64_t budget_limit,
                    std::optional<int64_t> expected_number) {
  Params params;
  params.add(study_id).add(to_string(TrialState::kRunning)).add(start_ms);
  params.add_nonempty_or_null(owner).add(token);
  add_param_arrays(params, config);
  ArrayText keys, values;
  for (const auto& [key, value] : user_attrs) {
    keys.add(key);
    values.add(value);
  }
  params.add(keys).add(values).add(budget_limit).add(expected_number);
  params.add(storage_checks::is_counted(TrialState::kRunning, false) ? 1 : 0);
  return params;
}

// The trial (from a CTE `ok` of one row of `next` and `change_counter`, none when it is not
// to be inserted), then its parameters and attributes, as WITH clauses of ahead_params.
#define WINNOW_PG_INSERT_AHEAD                                                                  \
  "t AS (INSERT INTO winnow_trials (study_id, number, state, start_ms, owner, retry_of, "      \
  "version, client_token, heartbeat_ms) SELECT $1, ok.next, $2, $3, $4, NULL, "                 \
  "ok.change_counter, $5, " WINNOW_PG_NOW_MS " FROM ok RETURNING trial_id, number, version), " \
  "p AS (INSERT INTO winnow_trial_params (trial_id, name, value_type, int_value, real_value, "  \
  "text_value) SELECT t.trial_id, u.* FROM t, unnest($6::text[], $7::text[], $8::bigint[], "    \
  "$9::float8[], $10::text[]) AS u), "                                                          \
  "a AS (INSERT INTO winnow_trial_user_attrs (trial_id, key, value_json) "                      \
  "SELECT t.trial_id, u.* FROM t, unnest($11::text[], $12::text[]) AS u)"
// The conditions create_decided_trial checks on the client between its two round trips: no
// trial waits (WINNOW_PG_WAITING_TRIAL), the budget is not spent and, when expected, the next
// number is the one expected.
#define WINNOW_PG_BUDGET_AND_NUMBER(counted, next)                                      \
  "($13::bigint <= 0 OR " counted " < $13::bigint) AND ($14::bigint IS NULL OR " next \
  " = $14::bigint)"

}  // namespace

Connection::Statement insert_ahead_statement(int64_t study_id, const Config& config,
                                             std::string_view owner,
                                             const std::map<std::string, std::string>& user_attrs,
                                             const std::string& token, int64_t start_ms,
                                             int64_t budget_limit,
                                             std::optional<int64_t> expected_number) {
  // The conditions checked by the server in the statement that inserts. The lock's UPDATE
  // earlier in the transaction gave the study's row its new change_counter, which is this
  // trial's version.
  static constexpr const char* kSql =
      "WITH s AS (SELECT change_counter, counted_trials FROM winnow_studies WHERE study_id = $1), "
      "n AS (SELECT " WINNOW_PG_NEXT_NUMBER " AS next), "
      "ok AS (SELECT n.next, s.change_counter FROM n, s WHERE NOT " WINNOW_PG_WAITING_TRIAL
      " AND " WINNOW_PG_BUDGET_AND_NUMBER("s.counted_trials", "n.next") "), "
      WINNOW_PG_INSERT_AHEAD ", "
      "c AS (UPDATE winnow_studies SET counted_trials = counted_trials + $15 "
      "WHERE study_id = $1 AND $15 <> 0 AND EXISTS (SELECT 1 FROM t)) "
      "SELECT trial_id, number, version, " WINNOW_PG_NOTE_ASKED_TRIAL " FROM t";
  return {kSql, ahead_params(study_id, config, owner, user_attrs, token, start_ms, budget_limit,
                             expected_number)};
}

Connection::Statement ask_ahead_statement(int64_t study_id, const Config& config,
                                          std::string_view owner,
                                          const std::map<std::string, std::string>& user_attrs,
                                          const std::string& token, int64_t start_ms,
                                          int64_t budget_limit,
                                          std::optional<int64_t> expected_number) {
  // Everything the lock orders in one statement, so the lock is held for one statement's work:
  // the study's row takes its new version and, when the trial is inserted, its count, in one
  // update; the stamp gives that version to the trials pending; the trial takes the next
  // number. The statement's snapshot is taken once the lock is granted, so its reads see every
  // writer before it.
  static constexpr const char* kSql =
      "WITH d AS (SELECT s.study_id, n.next, w.waiting, NOT w.waiting AND "
      WINNOW_PG_BUDGET_AND_NUMBER("s.counted_trials", "n.next") " AS to_insert "
      "FROM winnow_studies s, (SELECT " WINNOW_PG_NEXT_NUMBER " AS next) n, "
      "(SELECT " WINNOW_PG_WAITING_TRIAL " AS waiting OFFSET 0) w "
      "WHERE s.study_id = $1), "
      "c AS (UPDATE winnow_studies SET change_counter = " WINNOW_PG_NEXT_VERSION ", "
      "counted_trials = counted_trials + CASE WHEN d.to_insert THEN $15 ELSE 0 END "
      "FROM d WHERE winnow_studies.study_id = d.study_id "
      "RETURNING winnow_studies.study_id, change_counter, counted_trials, d.next, d.waiting, "
      "d.to_insert), "
      "stamp AS (UPDATE winnow_trials SET version = (SELECT change_counter FROM c) "
      "WHERE study_id = (SELECT study_id FROM c) AND version = " WINNOW_PG_PENDING_VERSION "), "
      "ok AS (SELECT next, change_counter FROM c WHERE c.to_insert), " WINNOW_PG_INSERT_AHEAD " "
      "SELECT c.counted_trials, c.waiting, t.trial_id, t.number, t.version, "
      "CASE WHEN t.trial_id IS NOT NULL THEN set_config('" WINNOW_PG_ASKED_TRIAL_SETTING "', "
      "t.trial_id::text, false) END FROM c LEFT JOIN t ON true";
  return {kSql, ahead_params(study_id, config, owner, user_attrs, token, start_ms, budget_limit,
                             expected_number)};
}

namespace {

// In version order, which the (study_id, version) index gives: a few recent changes cost a few
// index entries however large the study (ordered by number, the planner may walk the number
// index through the whole study instead).
// Trials whose last change is pending (WINNOW_PG_PENDING_VERSION) come with every read.
// The range has an upper bound, every version there is, for the plan made without its lower
// one (a generic plan): an open range is estimated at a third of the study, and may be read
// by a scan of the table or a bitmap scan (which leaves the entries of changed rows for every
// later read to walk), where a closed one is estimated at a few rows and read by a plain
// index scan.
// $1 is the study, $2 the reader's version.
#define WINNOW_PG_CHANGED_SINCE \
  "study_id = $1 AND version > $2 AND version <= " WINNOW_PG_PENDING_VERSION
constexpr const char* kChangedTrialsSql = "SELECT " WINNOW_PG_TRIAL_COLUMNS
                                          " FROM winnow_trials t WHERE " WINNOW_PG_CHANGED_SINCE
                                          " ORDER BY t.version";

const std::string& changed_details_sql() {
  // An array computed once, as in load_trial_details: each child table is then reached through
  // its primary key, where a join with the changed trials could be planned as a scan of it.
  static const std::string sql = details_sql(
      "= ANY (ARRAY(SELECT trial_id FROM winnow_trials WHERE " WINNOW_PG_CHANGED_SINCE "))");
  return sql;
}

}  // namespace

std::vector<Connection::Statement> changed_trials_statements(int64_t study_id,
                                                             int64_t since_version) {
  Params params;
  params.add(study_id).add(since_version);
  return {{kChangedTrialsSql, params}, {changed_details_sql(), params}};
}

std::vector<FrozenTrial> read_changed_trials(const std::string& url, const Result& rows,
                                             const Result& details) {
  std::vector<FrozenTrial> trials;
  trials.reserve(rows.rows());
  for (int row = 0; row < rows.rows(); ++row) trials.push_back(read_trial_row(url, rows, row));
  if (trials.empty()) return trials;
  std::sort(trials.begin(), trials.end(),
            [](const FrozenTrial& a, const FrozenTrial& b) { return a.number < b.number; });
  std::unordered_map<int64_t, FrozenTrial*> by_id;
  by_id.reserve(trials.size());
  for (FrozenTrial& trial : trials) by_id.emplace(trial.id, &trial);
  apply_details(url, details, by_id);
  return trials;
}

std::vector<FrozenTrial> changed_trials(Connection& db, const std::string& url, int64_t study_id,
                                        int64_t since_version) {
  // Both reads in one round trip. Each has a snapshot of its own: a trial whose details changed
  // between them was changed with a version above the highest the first returns (or left
  // pending), so the caller's next read brings it again.
  std::vector<Result> results =
      db.execute_pipeline(changed_trials_statements(study_id, since_version));
  return read_changed_trials(url, results[0], results[1]);
}

std::optional<FrozenTrial> claim_oldest_waiting(Connection& db, const std::string& url,
                                                int64_t study_id, std::string_view owner,
                                                int64_t version, const std::string& token) {
  Params params;
  params.add(study_id);
  params.add_nonempty_or_null(owner);
  params.add(now_ms()).add(version).add(token);
  Result claimed = db.execute(
      "UPDATE winnow_trials SET state = 'running', owner = $2, start_ms = $3, version = $4, "
      "claim_token = $5, heartbeat_ms = " WINNOW_PG_NOW_MS
      " WHERE trial_id = (SELECT trial_id FROM winnow_trials WHERE study_id = $1 AND "
      WINNOW_PG_UNHELD_WAITING " ORDER BY number LIMIT 1) RETURNING trial_id",
      params);
  if (claimed.rows() == 0) return std::nullopt;
  add_counted(db, study_id, 1);
  return load_trial(db, url, claimed.integer(0, 0));
}

Params& add_outcome_arrays(Params& params, const TrialOutcome& outcome) {
  ArrayText values, metric_names, metric_values, constraints;
  for (double value : outcome.values) values.add(value);
  for (const auto& [name, value] : outcome.metrics) {
    metric_names.add(name);
    metric_values.add(value);
  }
  for (double value : outcome.constraints) constraints.add(value);
  return params.add(values).add(metric_names).add(metric_values).add(constraints);
}

Params& add_finish_state(Params& params, int64_t trial_id, const TrialOutcome& outcome) {
  params.add(trial_id).add(to_string(outcome.state)).add(now_ms());
  if (outcome.state == TrialState::kFailed) return params.add(outcome.failure_reason);
  return params.add_null();
}

// The usual finish, a running trial of this process ending, in one round trip: one statement,
// atomic by itself, without the study's lock. Only this process writes a running trial it
// owns (a lease check that takes it first makes the statement's check fail), so the finish
// needs no order among the study's writers: it leaves the trial's version pending for the next
// writer under the lock to stamp, and readers return such a trial with every read until then.
// Returns false, having changed nothing, when the trial is not in that state (or a rarer
// outcome: an interrupted failure, which changes the budget count): the careful path then
// decides.
bool finish_in_one_round_trip(Connection& db, int64_t trial_id, const TrialOutcome& outcome) {
  const bool failed = outcome.state == TrialState::kFailed;
  if (failed && outcome.interrupted) return false;
  if (!is_finished(outcome.state)) return false;
  Params params;
  add_finish_state(params, trial_id, outcome);
  params.add_nonempty_or_null(outcome.owner).add(outcome.started_ms);
  // The value count the study's directions must match, or -1 when any count will do (as
  // storage_checks::check_outcome decides).
  const bool count_checked = outcome.state == TrialState::kComplete || !outcome.values.empty();
  params.add(count_checked ? static_cast<int64_t>(outcome.values.size()) : int64_t{-1});
  add_outcome_arrays(params, outcome);
  // The parameters the trial asked for (define-by-run) replace its stored ones: the rows of
  // other names are deleted and the asked ones upserted, two disjoint sets of rows.
  params.add(outcome.config.has_value());
  Config no_config;
  add_param_arrays(params, outcome.config ? *outcome.config : no_config);
  // `t` checks the trial and the study's number of values; `u` checks the trial's state again
  // on the row it locks (a lease check may have taken it meanwhile) and writes it, and the
  // child rows are written only for a trial `u` wrote.
  constexpr const char* kGuard =
      "state = 'running' AND NOT interrupted AND ($5::text IS NULL OR owner = $5) AND "
      "($6::bigint = 0 OR start_ms = $6)";
  static const std::string sql =
      std::string("WITH t AS (SELECT t.trial_id FROM winnow_trials t JOIN "
                  "winnow_studies s USING (study_id) WHERE t.trial_id = $1 AND ") +
      kGuard +
      " AND ($7::bigint < 0 OR json_array_length(s.directions::json) = $7)), "
      "u AS (UPDATE winnow_trials SET state = $2, end_ms = $3, failure_reason = $4, "
      "version = " WINNOW_PG_PENDING_VERSION " WHERE trial_id = (SELECT trial_id FROM t) AND " +
      kGuard +
      " RETURNING trial_id), "
      "v AS (INSERT INTO winnow_trial_values (trial_id, objective, value) "
      "SELECT u.trial_id, o - 1, x FROM u, unnest($8::float8[]) WITH ORDINALITY AS v(x, o)), "
      "m AS (INSERT INTO winnow_trial_metrics (trial_id, name, value) "
      "SELECT u.trial_id, n, x FROM u, unnest($9::text[], $10::float8[]) AS m(n, x)), "
      "k AS (INSERT INTO winnow_trial_constraints (trial_id, idx, value) "
      "SELECT u.trial_id, o - 1, x FROM u, unnest($11::float8[]) WITH ORDINALITY AS k(x, o)), "
      "pd AS (DELETE FROM winnow_trial_params WHERE $12::boolean AND trial_id IN "
      "(SELECT trial_id FROM u) AND name <> ALL ($13::text[])), "
      "pi AS (INSERT INTO winnow_trial_params (trial_id, name, value_type, int_value, "
      "real_value, text_value) SELECT u.trial_id, p.* FROM u, unnest($13::text[], $14::text[], "
      "$15::bigint[], $16::float8[], $17::text[]) AS p WHERE $12::boolean "
      "ON CONFLICT (trial_id, name) DO UPDATE SET value_type = excluded.value_type, "
      "int_value = excluded.int_value, real_value = excluded.real_value, "
      "text_value = excluded.text_value) "
      "SELECT count(*) FROM u";
  std::vector<Result> results = db.execute_pipeline({{sql, params}});
  return results[0].integer(0, 0) == 1;
}


}  // namespace winnow::postgres

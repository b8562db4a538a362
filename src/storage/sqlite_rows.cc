// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "storage/sqlite_rows.h"

#include <nlohmann/json.hpp>
#include <unordered_map>

#include "common/strings.h"
#include "storage/storage_checks.h"

namespace winnow::sqlite {

namespace {

// Columns read_trial_row() expects, in this order.
#define WINNOW_TRIAL_COLUMNS                                                                  \
  "trial_id, number, state, start_ms, end_ms, failure_reason, interrupted, retry_of, owner, " \
  "version"

[[noreturn]] void throw_damaged(const Database& database, const std::string& what) {
  throw StorageError("SQLite database '" + database.path() + "' is damaged: " + what);
}

}  // namespace

TrialState parse_state(const Database& database, const std::string& text) {
  std::optional<TrialState> state = trial_state_from_string(text);
  if (!state) throw_damaged(database, "trials.state '" + text + "' is unknown");
  return *state;
}

int64_t next_version(Database& database) {
  Query(database.statement("UPDATE meta SET value = value + 1 WHERE key = 'change_counter'")).run();
  Query query(database.statement("SELECT value FROM meta WHERE key = 'change_counter'"));
  if (!query.step()) throw_damaged(database, "meta.change_counter is missing");
  return query.integer(0);
}

void add_counted(Database& database, int64_t study_id, int64_t delta) {
  if (delta == 0) return;
  Query(database.statement(
            "UPDATE studies SET counted_trials = counted_trials + ?2 WHERE study_id = ?1"))
      .bind(1, study_id)
      .bind(2, delta)
      .run();
}

void require_study(Database& database, int64_t study_id) {
  Query query(database.statement("SELECT 1 FROM studies WHERE study_id = ?1"));
  if (!query.bind(1, study_id).step()) {
    storage_checks::throw_unknown_study(study_id, "sqlite://" + database.path());
  }
}

void insert_params(Database& database, int64_t trial_id, const Config& config) {
  auto& statement = database.statement(
      "INSERT INTO trial_params (trial_id, name, value_type, value) VALUES (?1, ?2, ?3, ?4)");
  for (const auto& [name, value] : config) {
    Query query(statement);
    query.bind(1, trial_id).bind(2, std::string_view(name));
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, bool>) {
            query.bind(3, "bool").bind(4, int64_t{v ? 1 : 0});
          } else if constexpr (std::is_same_v<T, int64_t>) {
            query.bind(3, "int").bind(4, v);
          } else if constexpr (std::is_same_v<T, double>) {
            query.bind(3, "float").bind(4, v);
          } else {
            query.bind(3, "string").bind(4, std::string_view(v));
          }
        },
        value);
    query.run();
  }
}

namespace {

ParamValue read_param(const Database& database, const Query& query, int type_column,
                      int value_column) {
  std::string type = query.text(type_column);
  if (type == "bool") return query.integer(value_column) != 0;
  if (type == "int") return query.integer(value_column);
  if (type == "float") return query.real(value_column);
  if (type == "string") return query.text(value_column);
  throw_damaged(database, "trial_params.value_type '" + type + "' is unknown");
}

}  // namespace

namespace {

FrozenTrial read_trial_row(const Database& database, const Query& query) {
  FrozenTrial trial;
  trial.id = query.integer(0);
  trial.number = query.integer(1);
  trial.state = parse_state(database, query.text(2));
  trial.start_time_ms = query.integer(3);  // NULL reads as 0, which means "not started"
  trial.end_time_ms = query.integer(4);
  trial.failure_reason = query.text(5);
  trial.interrupted = query.integer(6) != 0;
  if (!query.is_null(7)) trial.retry_of = query.integer(7);
  trial.owner = query.text(8);
  trial.version = query.integer(9);
  return trial;
}

}  // namespace

void read_study_attrs(Database& database, StudyRecord& study) {
  Query query(database.statement(
      "SELECT key, value_json FROM study_user_attrs WHERE study_id = ?1 ORDER BY key"));
  query.bind(1, study.id);
  while (query.step()) study.user_attrs[query.text(0)] = query.text(1);
}

void write_study_attr(Database& database, int64_t study_id, std::string_view key,
                      std::string_view json_value) {
  Query(database.statement(
            "INSERT INTO study_user_attrs (study_id, key, value_json) VALUES (?1, ?2, ?3) "
            "ON CONFLICT (study_id, key) DO UPDATE SET value_json = excluded.value_json"))
      .bind(1, study_id)
      .bind(2, key)
      .bind(3, json_value)
      .run();
}

StudyRecord read_study_row(const Database& database, const Query& query) {
  StudyRecord study;
  study.id = query.integer(0);
  study.name = query.text(1);
  try {
    for (const auto& direction : nlohmann::json::parse(query.text(2))) {
      std::optional<Direction> parsed = direction_from_string(direction.get<std::string>());
      if (!parsed) {
        throw_damaged(database, "study '" + study.name + "' has direction " + direction.dump());
      }
      study.directions.push_back(*parsed);
    }
    study.objective_names = nlohmann::json::parse(query.text(3)).get<std::vector<std::string>>();
  } catch (const nlohmann::json::exception& error) {
    throw_damaged(database, "study '" + study.name + "' has malformed JSON: " + error.what());
  }
  study.space_json = query.text(4);
  study.sampler = query.text(5);
  study.created_ms = query.integer(6);
  return study;
}

namespace {

// Fills params, values, intermediate values, metrics and user attributes of `by_id` from the
// child tables, one query per table. `filter` restricts trial_id ("= ?1" or an IN subquery over
// an index of trials) and `bind` binds its parameters.
template <typename Bind>
void load_trial_details(Database& database, const std::string& filter, Bind&& bind,
                        const std::unordered_map<int64_t, FrozenTrial*>& by_id) {
  auto for_each_row = [&](const char* select, auto&& read) {
    Query query(database.statement(std::string(select) + " WHERE trial_id " + filter));
    bind(query);
    while (query.step()) {
      auto it = by_id.find(query.integer(0));
      if (it != by_id.end()) read(*it->second, query);
    }
  };
  for_each_row("SELECT trial_id, name, value_type, value FROM trial_params",
               [&](FrozenTrial& trial, const Query& row) {
                 trial.config.emplace(row.text(1), read_param(database, row, 2, 3));
               });
  for_each_row("SELECT trial_id, objective, value FROM trial_values",
               [&](FrozenTrial& trial, const Query& row) {
                 int64_t objective = row.integer(1);
                 if (objective < 0 || objective > 1000) {
                   throw_damaged(database, "trial_values.objective " + std::to_string(objective));
                 }
                 if (trial.values.size() <= static_cast<size_t>(objective)) {
                   trial.values.resize(objective + 1, std::numeric_limits<double>::quiet_NaN());
                 }
                 trial.values[objective] = row.real(2);
               });
  for_each_row("SELECT trial_id, step, value FROM trial_intermediate",
               [](FrozenTrial& trial, const Query& row) {
                 trial.intermediate[row.integer(1)] = row.real(2);
               });
  for_each_row(
      "SELECT trial_id, name, value FROM trial_metrics",
      [](FrozenTrial& trial, const Query& row) { trial.metrics[row.text(1)] = row.real(2); });
  for_each_row("SELECT trial_id, idx, value FROM trial_constraints",
               [&](FrozenTrial& trial, const Query& row) {
                 int64_t index = row.integer(1);
                 if (index < 0 || index > 10000) {
                   throw_damaged(database, "trial_constraints.idx " + std::to_string(index));
                 }
                 if (trial.constraints.size() <= static_cast<size_t>(index)) {
                   trial.constraints.resize(index + 1, std::numeric_limits<double>::quiet_NaN());
                 }
                 trial.constraints[index] = row.real(2);
               });
  for_each_row(
      "SELECT trial_id, key, value_json FROM trial_user_attrs",
      [](FrozenTrial& trial, const Query& row) { trial.user_attrs[row.text(1)] = row.text(2); });
}

}  // namespace

std::optional<FrozenTrial> load_trial(Database& database, int64_t trial_id) {
  FrozenTrial trial;
  {
    Query query(
        database.statement("SELECT " WINNOW_TRIAL_COLUMNS " FROM trials WHERE trial_id = ?1"));
    if (!query.bind(1, trial_id).step()) return std::nullopt;
    trial = read_trial_row(database, query);
  }
  load_trial_details(database, "= ?1", [&](Query& query) { query.bind(1, trial_id); },
                     {{trial_id, &trial}});
  return trial;
}

int64_t require_trial_held(Database& database, int64_t trial_id, std::string_view action,
                           std::initializer_list<TrialState> allowed, const TrialHolder& holder) {
  Query query(database.statement(
      "SELECT number, state, owner, interrupted, COALESCE(start_ms, 0) FROM trials "
      "WHERE trial_id = ?1"));
  if (!query.bind(1, trial_id).step()) {
    storage_checks::throw_unknown_trial(trial_id, "sqlite://" + database.path());
  }
  int64_t number = query.integer(0);
  TrialState state = parse_state(database, query.text(1));
  storage_checks::check_holder(holder, trial_id, number, state, query.integer(3) != 0,
                               query.text(2), query.integer(4));
  for (TrialState ok : allowed) {
    if (state == ok) return number;
  }
  storage_checks::throw_wrong_state(action, trial_id, number, state);
}

std::optional<int64_t> next_number_within_budget(Database& database, int64_t study_id,
                                                 int64_t budget_limit, const std::string& url) {
  Query query(database.statement(
      "SELECT counted_trials, (SELECT COALESCE(MAX(number) + 1, 0) FROM trials "
      "WHERE study_id = ?1) FROM studies WHERE study_id = ?1"));
  if (!query.bind(1, study_id).step()) storage_checks::throw_unknown_study(study_id, url);
  if (budget_limit > 0 && query.integer(0) >= budget_limit) return std::nullopt;
  return query.integer(1);
}

FrozenTrial insert_trial(Database& database, int64_t study_id, int64_t number,
                         const Config& config, TrialState state, std::string_view owner,
                         std::optional<int64_t> retry_of,
                         const std::map<std::string, std::string>& user_attrs) {
  FrozenTrial trial;
  trial.number = number;
  trial.state = state;
  trial.owner = std::string(owner);
  trial.retry_of = retry_of;
  trial.version = next_version(database);
  if (state == TrialState::kRunning) trial.start_time_ms = now_ms();
  Query insert(database.statement(
      "INSERT INTO trials (study_id, number, state, start_ms, owner, retry_of, version) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
  insert.bind(1, study_id).bind(2, trial.number).bind(3, to_string(state)).bind(6, retry_of);
  insert.bind(7, trial.version);
  if (trial.start_time_ms != 0) insert.bind(4, trial.start_time_ms);
  if (!owner.empty()) insert.bind(5, owner);
  insert.run();
  trial.id = database.last_insert_rowid();
  add_counted(database, study_id, storage_checks::is_counted(state, false));
  insert_params(database, trial.id, config);
  for (const auto& [key, value] : user_attrs) {
    Query(database.statement(
              "INSERT INTO trial_user_attrs (trial_id, key, value_json) VALUES (?1, ?2, ?3)"))
        .bind(1, trial.id)
        .bind(2, key)
        .bind(3, value)
        .run();
  }
  trial.config = config;
  trial.user_attrs = user_attrs;
  return trial;
}

std::vector<FrozenTrial> changed_trials(Database& database, int64_t study_id,
                                        int64_t since_version) {
  std::vector<FrozenTrial> trials;
  {
    Query query(database.statement("SELECT " WINNOW_TRIAL_COLUMNS
                                   " FROM trials WHERE study_id = ?1 AND version > ?2 "
                                   "ORDER BY number"));
    query.bind(1, study_id).bind(2, since_version);
    while (query.step()) trials.push_back(read_trial_row(database, query));
  }
  if (trials.empty()) return trials;
  std::unordered_map<int64_t, FrozenTrial*> by_id;
  by_id.reserve(trials.size());
  for (FrozenTrial& trial : trials) by_id.emplace(trial.id, &trial);
  load_trial_details(
      database, "IN (SELECT trial_id FROM trials WHERE study_id = ?1 AND version > ?2)",
      [&](Query& query) { query.bind(1, study_id).bind(2, since_version); }, by_id);
  return trials;
}

std::optional<FrozenTrial> claim_oldest_waiting(Database& database, int64_t study_id,
                                                std::string_view owner) {
  int64_t trial_id;
  {
    Query query(database.statement(
        "SELECT trial_id FROM trials WHERE study_id = ?1 AND state = 'waiting' "
        "ORDER BY number LIMIT 1"));
    if (!query.bind(1, study_id).step()) return std::nullopt;
    trial_id = query.integer(0);
  }
  Query update(database.statement(
      "UPDATE trials SET state = 'running', owner = ?2, start_ms = ?3, version = ?4 "
      "WHERE trial_id = ?1"));
  update.bind(1, trial_id).bind(3, now_ms()).bind(4, next_version(database));
  if (!owner.empty()) update.bind(2, owner);
  update.run();
  add_counted(database, study_id, 1);
  return load_trial(database, trial_id);
}

}  // namespace winnow::sqlite

// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "storage/postgres_storage.h"

#include <nlohmann/json.hpp>
#include <random>
#include <unordered_map>

#include "common/strings.h"
#include "storage/postgres_connection.h"
#include "storage/postgres_schema.h"
#include "storage/process_owner.h"
#include "storage/storage_checks.h"

namespace winnow {

using postgres::Connection;
using postgres::Params;
using postgres::Result;
using Mode = Connection::Mode;

namespace {

#define WINNOW_PG_TRIAL_COLUMNS                                                                 \
  "t.trial_id, t.number, t.state, t.start_ms, t.end_ms, t.failure_reason, t.interrupted, "      \
  "t.retry_of, t.owner, t.version"
#define WINNOW_PG_STUDY_COLUMNS \
  "study_id, name, directions, objective_names, space_json, sampler, created_ms"
// The server's clock in Unix milliseconds: heartbeats and leases use it alone.
#define WINNOW_PG_NOW_MS "(extract(epoch FROM clock_timestamp()) * 1000)::bigint"

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

// Takes the study's row lock for the rest of the transaction and returns the next version (and
// the budget counter); nullopt for an unknown study.
struct StudyLock {
  int64_t version;
  int64_t counted;
};
std::optional<StudyLock> lock_study(Connection& db, int64_t study_id) {
  Result result = db.execute(
      "UPDATE winnow_studies SET change_counter = change_counter + 1 WHERE study_id = $1 "
      "RETURNING change_counter, counted_trials",
      Params().add(study_id));
  if (result.rows() == 0) return std::nullopt;
  return StudyLock{result.integer(0, 0), result.integer(0, 1)};
}

StudyLock lock_study_or_throw(Connection& db, int64_t study_id, const std::string& url) {
  std::optional<StudyLock> lock = lock_study(db, study_id);
  if (!lock) storage_checks::throw_unknown_study(study_id, url);
  return *lock;
}

// The study a trial belongs to, or throws for an unknown trial.
int64_t study_of_trial(Connection& db, int64_t trial_id, const std::string& url) {
  Result result =
      db.execute("SELECT study_id FROM winnow_trials WHERE trial_id = $1", Params().add(trial_id));
  if (result.rows() == 0) storage_checks::throw_unknown_trial(trial_id, url);
  return result.integer(0, 0);
}

void add_counted(Connection& db, int64_t study_id, int64_t delta) {
  if (delta == 0) return;
  db.execute("UPDATE winnow_studies SET counted_trials = counted_trials + $2 WHERE study_id = $1",
             Params().add(study_id).add(delta));
}

void insert_params(Connection& db, int64_t trial_id, const Config& config) {
  for (const auto& [name, value] : config) {
    Params params;
    params.add(trial_id).add(name);
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, bool>) {
            params.add("bool").add(int64_t{v ? 1 : 0}).add_null().add_null();
          } else if constexpr (std::is_same_v<T, int64_t>) {
            params.add("int").add(v).add_null().add_null();
          } else if constexpr (std::is_same_v<T, double>) {
            // NaN has no place in a space, but a float must come back a float: store the text.
            params.add("float").add_null().add(v).add_null();
          } else {
            params.add("string").add_null().add_null().add(std::string_view(v));
          }
        },
        value);
    db.execute(
        "INSERT INTO winnow_trial_params (trial_id, name, value_type, int_value, real_value, "
        "text_value) VALUES ($1, $2, $3, $4, $5, $6)",
        params);
  }
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
  return trial;
}

StudyRecord read_study_row(const std::string& url, const Result& rows, int row) {
  StudyRecord study;
  study.id = rows.integer(row, 0);
  study.name = rows.text(row, 1);
  try {
    for (const auto& direction : nlohmann::json::parse(rows.text(row, 2))) {
      std::optional<Direction> parsed = direction_from_string(direction.get<std::string>());
      if (!parsed) throw_damaged(url, "study '" + study.name + "' has direction " + direction.dump());
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
  for (int row = 0; row < rows.rows(); ++row) study.user_attrs[rows.text(row, 0)] = rows.text(row, 1);
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
void load_trial_details(Connection& db, const std::string& url, const std::string& filter,
                        const Params& params,
                        const std::unordered_map<int64_t, FrozenTrial*>& by_id) {
  auto for_each_row = [&](const std::string& columns, const char* table, auto&& read) {
    Result rows = db.execute("SELECT c.trial_id, " + columns + " FROM " + table +
                                 " c JOIN winnow_trials t USING (trial_id) WHERE " + filter,
                             params);
    for (int row = 0; row < rows.rows(); ++row) {
      auto it = by_id.find(rows.integer(row, 0));
      if (it != by_id.end()) read(*it->second, rows, row);
    }
  };
  for_each_row("c.name, c.value_type, c.int_value, c.real_value, c.text_value",
               "winnow_trial_params", [&](FrozenTrial& trial, const Result& rows, int row) {
                 std::string type = rows.text(row, 2);
                 ParamValue value;
                 if (type == "bool") {
                   value = rows.integer(row, 3) != 0;
                 } else if (type == "int") {
                   value = rows.integer(row, 3);
                 } else if (type == "float") {
                   value = rows.real(row, 4);
                 } else if (type == "string") {
                   value = rows.text(row, 5);
                 } else {
                   throw_damaged(url, "winnow_trial_params.value_type '" + type + "' is unknown");
                 }
                 trial.config.emplace(rows.text(row, 1), std::move(value));
               });
  auto read_indexed = [&](std::vector<double>& out, int64_t index, double value,
                          const char* what) {
    if (index < 0 || index > 10000) throw_damaged(url, std::string(what) + " " + std::to_string(index));
    if (out.size() <= static_cast<size_t>(index)) {
      out.resize(index + 1, std::numeric_limits<double>::quiet_NaN());
    }
    out[index] = value;
  };
  for_each_row("c.objective, c.value", "winnow_trial_values",
               [&](FrozenTrial& trial, const Result& rows, int row) {
                 read_indexed(trial.values, rows.integer(row, 1), rows.real(row, 2),
                              "winnow_trial_values.objective");
               });
  for_each_row("c.step, c.value", "winnow_trial_intermediate",
               [](FrozenTrial& trial, const Result& rows, int row) {
                 trial.intermediate[rows.integer(row, 1)] = rows.real(row, 2);
               });
  for_each_row("c.name, c.value", "winnow_trial_metrics",
               [](FrozenTrial& trial, const Result& rows, int row) {
                 trial.metrics[rows.text(row, 1)] = rows.real(row, 2);
               });
  for_each_row("c.idx, c.value", "winnow_trial_constraints",
               [&](FrozenTrial& trial, const Result& rows, int row) {
                 read_indexed(trial.constraints, rows.integer(row, 1), rows.real(row, 2),
                              "winnow_trial_constraints.idx");
               });
  for_each_row("c.key, c.value_json", "winnow_trial_user_attrs",
               [](FrozenTrial& trial, const Result& rows, int row) {
                 trial.user_attrs[rows.text(row, 1)] = rows.text(row, 2);
               });
}

std::optional<FrozenTrial> load_trial(Connection& db, const std::string& url, int64_t trial_id) {
  Result rows = db.execute("SELECT " WINNOW_PG_TRIAL_COLUMNS
                           " FROM winnow_trials t WHERE t.trial_id = $1",
                           Params().add(trial_id));
  if (rows.rows() == 0) return std::nullopt;
  FrozenTrial trial = read_trial_row(url, rows, 0);
  load_trial_details(db, url, "t.trial_id = $1", Params().add(trial_id), {{trial_id, &trial}});
  return trial;
}

// Checks that the trial exists and is in one of the allowed states; locks its study and
// returns the new version.
int64_t lock_trial_in_state(Connection& db, const std::string& url, int64_t trial_id,
                            std::string_view action, std::initializer_list<TrialState> allowed) {
  int64_t study_id = study_of_trial(db, trial_id, url);
  int64_t version = lock_study_or_throw(db, study_id, url).version;
  Result rows = db.execute("SELECT number, state FROM winnow_trials WHERE trial_id = $1",
                           Params().add(trial_id));
  TrialState state = parse_state(url, rows.text(0, 1));
  for (TrialState ok : allowed) {
    if (state == ok) return version;
  }
  storage_checks::throw_wrong_state(action, trial_id, rows.integer(0, 0), state);
}

}  // namespace

std::string PostgresStorage::display_url(std::string_view url) {
  // scheme://user:password@host...: keep the user, drop ":password".
  std::string out(url);
  size_t start = out.find("://");
  if (start == std::string::npos) return out;
  start += 3;
  size_t at = out.find('@', start);
  size_t slash = out.find('/', start);
  if (at != std::string::npos && (slash == std::string::npos || at < slash)) {
    size_t colon = out.find(':', start);
    if (colon != std::string::npos && colon < at) out.erase(colon, at - colon);
  }
  // ...?password=secret&...: drop the parameter.
  size_t question = out.find('?');
  if (question == std::string::npos) return out;
  std::string kept;
  std::string_view query = std::string_view(out).substr(question + 1);
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view item = query.substr(0, amp);
    if (!item.starts_with("password=")) kept += (kept.empty() ? "" : "&") + std::string(item);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
  }
  out.resize(question);
  if (!kept.empty()) out += "?" + kept;
  return out;
}

PostgresStorage::PostgresStorage(const std::string& url, const StorageOptions& options)
    : url_(display_url(url)) {
  connection_ = std::make_unique<Connection>(url, url_, options.reconnect_seconds);
  postgres::prepare_schema(*connection_);
}

PostgresStorage::~PostgresStorage() = default;

int64_t PostgresStorage::create_study(const StudyRecord& study) {
  storage_checks::check_new_study(study);
  nlohmann::json directions = nlohmann::json::array();
  for (Direction direction : study.directions) directions.push_back(to_string(direction));
  std::string names = nlohmann::json(study.objective_names).dump();
  std::lock_guard lock(mutex_);
  Connection& db = *connection_;
  return db.transaction(Mode::kWrite, [&](bool maybe_committed) -> int64_t {
    Result taken = db.execute("SELECT study_id, created_ms FROM winnow_studies WHERE name = $1",
                              Params().add(study.name));
    if (taken.rows() > 0) {
      // Our own insert, committed before the connection broke, is not a duplicate.
      if (maybe_committed && study.created_ms != 0 && taken.integer(0, 1) == study.created_ms) {
        return taken.integer(0, 0);
      }
      storage_checks::throw_duplicate_study(study.name, url_);
    }
    // ON CONFLICT: another process may create the same name between the check and the insert.
    Result inserted = db.execute(
        "INSERT INTO winnow_studies (name, directions, objective_names, space_json, sampler, "
        "created_ms) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (name) DO NOTHING "
        "RETURNING study_id",
        Params()
            .add(study.name)
            .add(directions.dump())
            .add(names)
            .add(study.space_json)
            .add(study.sampler)
            .add(study.created_ms != 0 ? study.created_ms : now_ms()));
    if (inserted.rows() == 0) storage_checks::throw_duplicate_study(study.name, url_);
    int64_t id = inserted.integer(0, 0);
    for (const auto& [key, value] : study.user_attrs) write_study_attr(db, id, key, value);
    return id;
  });
}

std::optional<StudyRecord> PostgresStorage::find_study(std::string_view name) {
  std::lock_guard lock(mutex_);
  Connection& db = *connection_;
  return db.transaction(Mode::kRead, [&](bool) -> std::optional<StudyRecord> {
    Result rows = db.execute("SELECT " WINNOW_PG_STUDY_COLUMNS " FROM winnow_studies WHERE name = $1",
                             Params().add(name));
    if (rows.rows() == 0) return std::nullopt;
    StudyRecord study = read_study_row(url_, rows, 0);
    read_study_attrs(db, study);
    return study;
  });
}

std::vector<StudyRecord> PostgresStorage::list_studies() {
  std::lock_guard lock(mutex_);
  Connection& db = *connection_;
  return db.transaction(Mode::kRead, [&](bool) {
    std::vector<StudyRecord> studies;
    Result rows =
        db.execute("SELECT " WINNOW_PG_STUDY_COLUMNS " FROM winnow_studies ORDER BY study_id");
    for (int row = 0; row < rows.rows(); ++row) studies.push_back(read_study_row(url_, rows, row));
    for (StudyRecord& study : studies) read_study_attrs(db, study);
    return studies;
  });
}

void PostgresStorage::set_study_space(int64_t study_id, const std::string& space_json) {
  std::lock_guard lock(mutex_);
  Connection& db = *connection_;
  db.transaction(Mode::kWrite, [&](bool) {
    lock_study_or_throw(db, study_id, url_);
    db.execute("UPDATE winnow_studies SET space_json = $2 WHERE study_id = $1",
               Params().add(study_id).add(space_json));
  });
}

bool PostgresStorage::replace_study_space(int64_t study_id, const std::string& expected,
                                          const std::string& desired) {
  std::lock_guard lock(mutex_);
  Connection& db = *connection_;
  return db.transaction(Mode::kWrite, [&](bool maybe_committed) {
    lock_study_or_throw(db, study_id, url_);
    Result rows = db.execute(
        "UPDATE winnow_studies SET space_json = $3 WHERE study_id = $1 AND space_json = $2 "
        "RETURNING 1",
        Params().add(study_id).add(expected).add(desired));
    if (rows.rows() > 0) return true;
    if (!maybe_committed) return false;
    Result now = db.execute("SELECT space_json FROM winnow_studies WHERE study_id = $1",
                            Params().add(study_id));
    return now.text(0, 0) == desired;
  });
}

void PostgresStorage::set_study_user_attr(int64_t study_id, std::string_view key,
                                          std::string_view json_value) {
  storage_checks::check_user_attr(key, json_value);
  std::lock_guard lock(mutex_);
  Connection& db = *connection_;
  db.transaction(Mode::kWrite, [&](bool) {
    lock_study_or_throw(db, study_id, url_);
    write_study_attr(db, study_id, key, json_value);
  });
}

void PostgresStorage::delete_study(int64_t study_id) {
  std::lock_guard lock(mutex_);
  Connection& db = *connection_;
  db.transaction(Mode::kWrite, [&](bool maybe_committed) {
    Result rows = db.execute("DELETE FROM winnow_studies WHERE study_id = $1 RETURNING 1",
                             Params().add(study_id));
    if (rows.rows() == 0 && !maybe_committed) storage_checks::throw_unknown_study(study_id, url_);
  });
}

void PostgresStorage::rename_study(int64_t study_id, std::string_view new_name) {
  std::lock_guard lock(mutex_);
  Connection& db = *connection_;
  db.transaction(Mode::kWrite, [&](bool) {
    lock_study_or_throw(db, study_id, url_);
    storage_checks::check_study_name(new_name);
    Result taken = db.execute(
        "SELECT 1 FROM winnow_studies WHERE name = $1 AND study_id != $2",
        Params().add(new_name).add(study_id));
    if (taken.rows() > 0) storage_checks::throw_duplicate_study(new_name, url_);
    db.execute("UPDATE winnow_studies SET name = $2 WHERE study_id = $1",
               Params().add(study_id).add(new_name));
  });
}

std::optional<FrozenTrial> PostgresStorage::create_trial(
    int64_t study_id, const Config& config, TrialState state, std::string_view owner,
    int64_t budget_limit, std::optional<int64_t> retry_of,
    const std::map<std::string, std::string>& user_attrs, std::optional<int64_t> number) {
  storage_checks::check_initial_state(state);
  for (const auto& [key, value] : user_attrs) storage_checks::check_user_attr(key, value);
  const std::string token = new_client_token(owner);
  std::lock_guard lock(mutex_);
  Connection& db = *connection_;
  return db.transaction(Mode::kWrite, [&](bool maybe_committed) -> std::optional<FrozenTrial> {
    StudyLock study = lock_study_or_throw(db, study_id, url_);
    if (maybe_committed) {
      Result mine = db.execute(
          "SELECT trial_id FROM winnow_trials WHERE study_id = $1 AND client_token = $2",
          Params().add(study_id).add(token));
      if (mine.rows() > 0) return load_trial(db, url_, mine.integer(0, 0));
    }
    // Under the study's lock: the budget, the next number and the insert are one step.
    if (budget_limit > 0 && study.counted >= budget_limit) return std::nullopt;
    Result next = db.execute(
        "SELECT COALESCE(MAX(number) + 1, 0) FROM winnow_trials WHERE study_id = $1",
        Params().add(study_id));
    FrozenTrial trial;
    trial.number = next.integer(0, 0);
    if (number && *number != trial.number) return std::nullopt;
    trial.state = state;
    trial.owner = std::string(owner);
    trial.retry_of = retry_of;
    trial.version = study.version;
    if (state == TrialState::kRunning) trial.start_time_ms = now_ms();
    Params params;
    params.add(study_id).add(trial.number).add(to_string(state));
    if (trial.start_time_ms != 0) {
      params.add(trial.start_time_ms);
    } else {
      params.add_null();
    }
    if (!owner.empty()) {
      params.add(owner);
    } else {
      params.add_null();
    }
    params.add(retry_of).add(trial.version).add(token);
    Result inserted = db.execute(
        "INSERT INTO winnow_trials (study_id, number, state, start_ms, owner, retry_of, version, "
        "client_token, heartbeat_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, " WINNOW_PG_NOW_MS
        ") RETURNING trial_id",
        params);
    trial.id = inserted.integer(0, 0);
    add_counted(db, study_id, storage_checks::is_counted(state, false));
    insert_params(db, trial.id, config);
    for (const auto& [key, value] : user_attrs) {
      db.execute(
          "INSERT INTO winnow_trial_user_attrs (trial_id, key, value_json) VALUES ($1, $2, $3)",
          Params().add(trial.id).add(key).add(value));
    }
    trial.config = config;
    trial.user_attrs = user_attrs;
    return trial;
  });
}

int64_t PostgresStorage::next_trial_number(int64_t study_id) {
  std::lock_guard lock(mutex_);
  Connection& db = *connection_;
  return db.transaction(Mode::kRead, [&](bool) {
    Result rows = db.execute(
        "SELECT (SELECT COALESCE(MAX(number) + 1, 0) FROM winnow_trials WHERE study_id = $1) "
        "FROM winnow_studies WHERE study_id = $1",
        Params().add(study_id));
    if (rows.rows() == 0) storage_checks::throw_unknown_study(study_id, url_);
    return rows.integer(0, 0);
  });
}

std::optional<FrozenTrial> PostgresStorage::claim_waiting_trial(int64_t study_id,
                                                                std::string_view owner,
                                                                int64_t budget_limit) {
  const std::string token = new_client_token(owner);
  std::lock_guard lock(mutex_);
  Connection& db = *connection_;
  return db.transaction(Mode::kWrite, [&](bool maybe_committed) -> std::optional<FrozenTrial> {
    // Reading first keeps the common case (nothing waiting) free of the study's lock.
    if (!maybe_committed) {
      Result waiting = db.execute(
          "SELECT 1 FROM winnow_trials WHERE study_id = $1 AND state = 'waiting' LIMIT 1",
          Params().add(study_id));
      if (waiting.rows() == 0) {
        Result exists = db.execute("SELECT 1 FROM winnow_studies WHERE study_id = $1",
                                   Params().add(study_id));
        if (exists.rows() == 0) storage_checks::throw_unknown_study(study_id, url_);
        return std::nullopt;
      }
    }
    StudyLock study = lock_study_or_throw(db, study_id, url_);
    if (maybe_committed) {
      Result mine = db.execute(
          "SELECT trial_id FROM winnow_trials WHERE study_id = $1 AND client_token = $2",
          Params().add(study_id).add(token));
      if (mine.rows() > 0) return load_trial(db, url_, mine.integer(0, 0));
    }
    if (budget_limit > 0 && study.counted >= budget_limit) return std::nullopt;
    Params params;
    params.add(study_id);
    if (!owner.empty()) {
      params.add(owner);
    } else {
      params.add_null();
    }
    params.add(now_ms()).add(study.version).add(token);
    Result claimed = db.execute(
        "UPDATE winnow_trials SET state = 'running', owner = $2, start_ms = $3, version = $4, "
        "client_token = $5, heartbeat_ms = " WINNOW_PG_NOW_MS
        " WHERE trial_id = (SELECT trial_id FROM winnow_trials WHERE study_id = $1 AND "
        "state = 'waiting' ORDER BY number LIMIT 1) RETURNING trial_id",
        params);
    if (claimed.rows() == 0) return std::nullopt;
    add_counted(db, study_id, 1);
    return load_trial(db, url_, claimed.integer(0, 0));
  });
}

void PostgresStorage::report(int64_t trial_id, int64_t step, double value) {
  std::lock_guard lock(mutex_);
  Connection& db = *connection_;
  db.transaction(Mode::kWrite, [&](bool) {
    int64_t version =
        lock_trial_in_state(db, url_, trial_id, "report to", {TrialState::kRunning});
    // A step reported again replaces the earlier value.
    db.execute(
        "INSERT INTO winnow_trial_intermediate (trial_id, step, value) VALUES ($1, $2, $3) "
        "ON CONFLICT (trial_id, step) DO UPDATE SET value = excluded.value",
        Params().add(trial_id).add(step).add(value));
    db.execute("UPDATE winnow_trials SET version = $2 WHERE trial_id = $1",
               Params().add(trial_id).add(version));
  });
}

void PostgresStorage::set_user_attr(int64_t trial_id, std::string_view key,
                                    std::string_view json_value) {
  storage_checks::check_user_attr(key, json_value);
  std::lock_guard lock(mutex_);
  Connection& db = *connection_;
  db.transaction(Mode::kWrite, [&](bool) {
    int64_t version = lock_trial_in_state(db, url_, trial_id, "set a user attribute of",
                                          {TrialState::kWaiting, TrialState::kRunning});
    db.execute(
        "INSERT INTO winnow_trial_user_attrs (trial_id, key, value_json) VALUES ($1, $2, $3) "
        "ON CONFLICT (trial_id, key) DO UPDATE SET value_json = excluded.value_json",
        Params().add(trial_id).add(key).add(json_value));
    db.execute("UPDATE winnow_trials SET version = $2 WHERE trial_id = $1",
               Params().add(trial_id).add(version));
  });
}

void PostgresStorage::discard_failed_trial(int64_t trial_id) {
  std::lock_guard lock(mutex_);
  Connection& db = *connection_;
  db.transaction(Mode::kWrite, [&](bool) {
    int64_t study_id = study_of_trial(db, trial_id, url_);
    int64_t version = lock_study_or_throw(db, study_id, url_).version;
    Result rows = db.execute(
        "SELECT number, state, interrupted FROM winnow_trials WHERE trial_id = $1",
        Params().add(trial_id));
    TrialState state = parse_state(url_, rows.text(0, 1));
    if (state != TrialState::kFailed) {
      storage_checks::throw_wrong_state("discard", trial_id, rows.integer(0, 0), state);
    }
    if (rows.boolean(0, 2)) return;
    db.execute("UPDATE winnow_trials SET interrupted = TRUE, version = $2 WHERE trial_id = $1",
               Params().add(trial_id).add(version));
    add_counted(db, study_id, -1);
  });
}

void PostgresStorage::finish_trial(int64_t trial_id, const TrialOutcome& outcome) {
  std::lock_guard lock(mutex_);
  Connection& db = *connection_;
  db.transaction(Mode::kWrite, [&](bool maybe_committed) {
    int64_t study_id = study_of_trial(db, trial_id, url_);
    int64_t version = lock_study_or_throw(db, study_id, url_).version;
    Result rows = db.execute(
        "SELECT t.number, t.state, s.directions, t.owner, t.interrupted, "
        "COALESCE(t.start_ms, 0) FROM winnow_trials t JOIN "
        "winnow_studies s USING (study_id) WHERE t.trial_id = $1",
        Params().add(trial_id));
    int64_t number = rows.integer(0, 0);
    TrialState state = parse_state(url_, rows.text(0, 1));
    // Our own finish, committed before the connection broke, is done already.
    if (maybe_committed && state == outcome.state && rows.text(0, 3) == outcome.owner) return;
    storage_checks::check_finish_owner(outcome, trial_id, number, state, rows.boolean(0, 4),
                                       rows.text(0, 3), rows.integer(0, 5));
    if (state != TrialState::kRunning) {
      storage_checks::throw_wrong_state("finish", trial_id, number, state);
    }
    size_t objectives = nlohmann::json::parse(rows.text(0, 2)).size();
    storage_checks::check_outcome(outcome, objectives, trial_id, number);
    bool failed = outcome.state == TrialState::kFailed;
    // Running counted; an interrupted failure does not.
    if (failed && outcome.interrupted) add_counted(db, study_id, -1);
    Params params;
    params.add(trial_id).add(to_string(outcome.state)).add(now_ms());
    if (failed) {
      params.add(outcome.failure_reason);
    } else {
      params.add_null();
    }
    params.add(failed && outcome.interrupted).add(version);
    db.execute(
        "UPDATE winnow_trials SET state = $2, end_ms = $3, failure_reason = $4, "
        "interrupted = $5, version = $6 WHERE trial_id = $1",
        params);
    if (outcome.config) {
      db.execute("DELETE FROM winnow_trial_params WHERE trial_id = $1", Params().add(trial_id));
      insert_params(db, trial_id, *outcome.config);
    }
    for (size_t i = 0; i < outcome.values.size(); ++i) {
      db.execute("INSERT INTO winnow_trial_values (trial_id, objective, value) VALUES ($1, $2, $3)",
                 Params().add(trial_id).add(static_cast<int64_t>(i)).add(outcome.values[i]));
    }
    for (const auto& [name, value] : outcome.metrics) {
      db.execute("INSERT INTO winnow_trial_metrics (trial_id, name, value) VALUES ($1, $2, $3)",
                 Params().add(trial_id).add(name).add(value));
    }
    for (size_t i = 0; i < outcome.constraints.size(); ++i) {
      db.execute(
          "INSERT INTO winnow_trial_constraints (trial_id, idx, value) VALUES ($1, $2, $3)",
          Params().add(trial_id).add(static_cast<int64_t>(i)).add(outcome.constraints[i]));
    }
  });
}

void PostgresStorage::heartbeat(const std::vector<int64_t>& trial_ids, std::string_view owner) {
  if (trial_ids.empty()) return;
  std::string array = "{";
  for (size_t i = 0; i < trial_ids.size(); ++i) {
    array += (i ? "," : "") + std::to_string(trial_ids[i]);
  }
  array += "}";
  std::lock_guard lock(mutex_);
  Connection& db = *connection_;
  // No study lock and no version: a heartbeat changes nothing a reader of trials() sees.
  db.transaction(Mode::kWrite, [&](bool) {
    db.execute("UPDATE winnow_trials SET heartbeat_ms = " WINNOW_PG_NOW_MS
               " WHERE trial_id = ANY($1::bigint[]) AND state = 'running' AND owner = $2",
               Params().add(array).add(owner));
  });
}

std::vector<FrozenTrial> PostgresStorage::trials(int64_t study_id, int64_t since_version) {
  std::lock_guard lock(mutex_);
  Connection& db = *connection_;
  return db.transaction(Mode::kRead, [&](bool) {
    Result exists =
        db.execute("SELECT 1 FROM winnow_studies WHERE study_id = $1", Params().add(study_id));
    if (exists.rows() == 0) storage_checks::throw_unknown_study(study_id, url_);
    Params params;
    params.add(study_id).add(since_version);
    Result rows = db.execute("SELECT " WINNOW_PG_TRIAL_COLUMNS
                             " FROM winnow_trials t WHERE t.study_id = $1 AND t.version > $2 "
                             "ORDER BY t.number",
                             params);
    std::vector<FrozenTrial> trials;
    trials.reserve(rows.rows());
    for (int row = 0; row < rows.rows(); ++row) trials.push_back(read_trial_row(url_, rows, row));
    if (trials.empty()) return trials;
    std::unordered_map<int64_t, FrozenTrial*> by_id;
    by_id.reserve(trials.size());
    for (FrozenTrial& trial : trials) by_id.emplace(trial.id, &trial);
    load_trial_details(db, url_, "t.study_id = $1 AND t.version > $2", params, by_id);
    return trials;
  });
}

std::optional<FrozenTrial> PostgresStorage::trial(int64_t trial_id) {
  std::lock_guard lock(mutex_);
  Connection& db = *connection_;
  return db.transaction(Mode::kRead, [&](bool) { return load_trial(db, url_, trial_id); });
}

int64_t PostgresStorage::counted_trials(int64_t study_id) {
  std::lock_guard lock(mutex_);
  Connection& db = *connection_;
  return db.transaction(Mode::kRead, [&](bool) {
    Result rows = db.execute("SELECT counted_trials FROM winnow_studies WHERE study_id = $1",
                             Params().add(study_id));
    if (rows.rows() == 0) storage_checks::throw_unknown_study(study_id, url_);
    return rows.integer(0, 0);
  });
}

int PostgresStorage::recover_orphaned_trials(int64_t study_id, const OrphanPolicy& policy) {
  std::lock_guard lock(mutex_);
  Connection& db = *connection_;
  auto find_orphans = [&](bool locked) {
    std::vector<std::pair<int64_t, bool>> orphans;  // trial id, requeue
    Result rows = db.execute(
        std::string("SELECT trial_id, owner, COALESCE(heartbeat_ms, 0), requeues, ") +
            WINNOW_PG_NOW_MS + " FROM winnow_trials WHERE study_id = $1 AND state = 'running'" +
            (locked ? " FOR UPDATE" : ""),
        Params().add(study_id));
    for (int row = 0; row < rows.rows(); ++row) {
      if (owner_is_lost(rows.text(row, 1), rows.integer(row, 2), rows.integer(row, 4),
                        policy.lease_ms)) {
        orphans.emplace_back(rows.integer(row, 0), policy.requeue && rows.integer(row, 3) == 0);
      }
    }
    return orphans;
  };
  return db.transaction(Mode::kWrite, [&](bool) {
    Result exists =
        db.execute("SELECT 1 FROM winnow_studies WHERE study_id = $1", Params().add(study_id));
    if (exists.rows() == 0) storage_checks::throw_unknown_study(study_id, url_);
    // A look without the study's lock first: the periodic check of every worker finds nothing
    // almost always, and must not queue behind the study's writers for it.
    if (find_orphans(false).empty()) return 0;
    int64_t version = lock_study_or_throw(db, study_id, url_).version;
    auto orphans = find_orphans(true);  // again under the lock: another process may have won
    for (const auto& [trial_id, requeue] : orphans) {
      if (requeue) {
        db.execute(
            "UPDATE winnow_trials SET state = 'waiting', owner = NULL, start_ms = NULL, "
            "heartbeat_ms = NULL, requeues = requeues + 1, version = $2 WHERE trial_id = $1",
            Params().add(trial_id).add(version));
        db.execute("DELETE FROM winnow_trial_intermediate WHERE trial_id = $1",
                   Params().add(trial_id));
      } else {
        db.execute(
            "UPDATE winnow_trials SET state = 'failed', interrupted = TRUE, failure_reason = $2, "
            "end_ms = $3, version = $4 WHERE trial_id = $1",
            Params().add(trial_id).add(policy.reason).add(now_ms()).add(version));
      }
    }
    add_counted(db, study_id, -static_cast<int64_t>(orphans.size()));
    return static_cast<int>(orphans.size());
  });
}

}  // namespace winnow

// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "storage/sqlite_storage.h"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "common/strings.h"
#include "storage/process_owner.h"
#include "storage/sqlite_database.h"
#include "storage/sqlite_rows.h"
#include "storage/sqlite_schema.h"
#include "storage/storage_checks.h"

namespace winnow {

using sqlite::Database;
using sqlite::Query;
using Mode = Database::Mode;
using sqlite::add_counted;
using sqlite::changed_trials;
using sqlite::claim_oldest_waiting;
using sqlite::insert_params;
using sqlite::insert_trial;
using sqlite::load_trial;
using sqlite::next_number_within_budget;
using sqlite::next_version;
using sqlite::parse_state;
using sqlite::read_study_attrs;
using sqlite::read_study_row;
using sqlite::require_study;
using sqlite::require_trial_held;
using sqlite::write_study_attr;

namespace {

std::string absolute_path(const std::string& path) {
  std::error_code error;
  std::filesystem::path absolute = std::filesystem::absolute(path, error);
  return error ? path : absolute.lexically_normal().string();
}

}  // namespace

SqliteStorage::SqliteStorage(const std::string& path, const StorageOptions& options) : url_("sqlite://" + absolute_path(path)) {
  // The absolute path also fixes the file a relative path meant, should the process chdir.
  std::string file = absolute_path(path);
  std::filesystem::path folder = std::filesystem::path(file).parent_path();
  std::error_code error;
  if (!std::filesystem::is_directory(folder, error)) {
    throw StorageError("cannot open SQLite database '" + path + "': folder '" + folder.string() +
                       "' does not exist (Winnow does not create folders)");
  }
  database_ = std::make_unique<sqlite::Database>(file);
  sqlite::prepare_database(*database_);
  // A per-connection setting: each process chooses its own, and what it commits is flushed.
  if (options.durability == Durability::kFull) {
    database_->execute_script("PRAGMA synchronous = FULL;");
  }
}

std::string SqliteStorage::pragma(const std::string& name) {
  std::lock_guard lock(mutex_);
  Query query(database_->statement("PRAGMA " + name));
  return query.step() ? query.text(0) : "";
}

SqliteStorage::~SqliteStorage() = default;

int64_t SqliteStorage::create_study(const StudyRecord& study) {
  storage_checks::check_new_study(study);
  nlohmann::json directions = nlohmann::json::array();
  for (Direction direction : study.directions) directions.push_back(to_string(direction));
  std::string names = nlohmann::json(study.objective_names).dump();
  std::lock_guard lock(mutex_);
  Database& database = *database_;
  return database.transaction(Mode::kWrite, [&] {
    {
      Query query(database.statement("SELECT 1 FROM studies WHERE name = ?1"));
      if (query.bind(1, std::string_view(study.name)).step()) {
        storage_checks::throw_duplicate_study(study.name, url_);
      }
    }
    Query(database.statement(
              "INSERT INTO studies (name, directions, objective_names, space_json, sampler, "
              "created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"))
        .bind(1, std::string_view(study.name))
        .bind(2, std::string_view(directions.dump()))
        .bind(3, std::string_view(names))
        .bind(4, std::string_view(study.space_json))
        .bind(5, std::string_view(study.sampler))
        .bind(6, study.created_ms != 0 ? study.created_ms : now_ms())
        .run();
    int64_t id = database.last_insert_rowid();
    for (const auto& [key, value] : study.user_attrs) write_study_attr(database, id, key, value);
    return id;
  });
}

std::optional<StudyRecord> SqliteStorage::find_study(std::string_view name) {
  std::lock_guard lock(mutex_);
  Database& database = *database_;
  return database.transaction(Mode::kRead, [&]() -> std::optional<StudyRecord> {
    Query query(database.statement("SELECT " WINNOW_STUDY_COLUMNS " FROM studies WHERE name = ?1"));
    if (!query.bind(1, name).step()) return std::nullopt;
    StudyRecord study = read_study_row(database, query);
    read_study_attrs(database, study);
    return study;
  });
}

std::vector<StudyRecord> SqliteStorage::list_studies() {
  std::lock_guard lock(mutex_);
  Database& database = *database_;
  return database.transaction(Mode::kRead, [&] {
    std::vector<StudyRecord> studies;
    Query query(
        database.statement("SELECT " WINNOW_STUDY_COLUMNS " FROM studies ORDER BY study_id"));
    while (query.step()) studies.push_back(read_study_row(database, query));
    for (StudyRecord& study : studies) read_study_attrs(database, study);
    return studies;
  });
}

void SqliteStorage::set_study_space(int64_t study_id, const std::string& space_json) {
  std::lock_guard lock(mutex_);
  Database& database = *database_;
  database.transaction(Mode::kWrite, [&] {
    require_study(database, study_id);
    Query(database.statement("UPDATE studies SET space_json = ?2 WHERE study_id = ?1"))
        .bind(1, study_id)
        .bind(2, std::string_view(space_json))
        .run();
  });
}

bool SqliteStorage::replace_study_space(int64_t study_id, const std::string& expected,
                                        const std::string& desired) {
  std::lock_guard lock(mutex_);
  Database& database = *database_;
  bool replaced = false;
  database.transaction(Mode::kWrite, [&] {
    require_study(database, study_id);
    Query update(database.statement(
        "UPDATE studies SET space_json = ?3 WHERE study_id = ?1 AND space_json = ?2"));
    update.bind(1, study_id).bind(2, std::string_view(expected)).bind(3, std::string_view(desired));
    update.run();
    replaced = database.changes() > 0;
  });
  return replaced;
}

void SqliteStorage::set_study_user_attr(int64_t study_id, std::string_view key,
                                        std::string_view json_value) {
  std::lock_guard lock(mutex_);
  Database& database = *database_;
  database.transaction(Mode::kWrite, [&] {
    require_study(database, study_id);
    write_study_attr(database, study_id, key, json_value);
  });
}

void SqliteStorage::delete_study(int64_t study_id) {
  std::lock_guard lock(mutex_);
  Database& database = *database_;
  database.transaction(Mode::kWrite, [&] {
    require_study(database, study_id);
    for (const char* table : {"trial_params", "trial_values", "trial_intermediate",
                              "trial_metrics", "trial_constraints", "trial_user_attrs"}) {
      Query(database.statement(std::string("DELETE FROM ") + table +
                               " WHERE trial_id IN (SELECT trial_id FROM trials WHERE "
                               "study_id = ?1)"))
          .bind(1, study_id)
          .run();
    }
    Query(database.statement("DELETE FROM trials WHERE study_id = ?1")).bind(1, study_id).run();
    Query(database.statement("DELETE FROM study_user_attrs WHERE study_id = ?1"))
        .bind(1, study_id)
        .run();
    Query(database.statement("DELETE FROM studies WHERE study_id = ?1")).bind(1, study_id).run();
  });
}

void SqliteStorage::rename_study(int64_t study_id, std::string_view new_name) {
  std::lock_guard lock(mutex_);
  Database& database = *database_;
  database.transaction(Mode::kWrite, [&] {
    require_study(database, study_id);
    storage_checks::check_study_name(new_name);
    Query taken(database.statement("SELECT 1 FROM studies WHERE name = ?1 AND study_id != ?2"));
    if (taken.bind(1, new_name).bind(2, study_id).step()) {
      storage_checks::throw_duplicate_study(new_name, url_);
    }
    Query(database.statement("UPDATE studies SET name = ?2 WHERE study_id = ?1"))
        .bind(1, study_id)
        .bind(2, new_name)
        .run();
  });
}

std::optional<FrozenTrial> SqliteStorage::create_trial(int64_t study_id, const Config& config,
                                                       TrialState state, std::string_view owner,
                                                       int64_t budget_limit,
                                                       std::optional<int64_t> retry_of,
    const std::map<std::string, std::string>& user_attrs, std::optional<int64_t> number) {
  storage_checks::check_initial_state(state);
  for (const auto& [key, value] : user_attrs) storage_checks::check_user_attr(key, value);
  std::lock_guard lock(mutex_);
  Database& database = *database_;
  return database.transaction(Mode::kWrite, [&]() -> std::optional<FrozenTrial> {
    std::optional<int64_t> next = next_number_within_budget(database, study_id, budget_limit, url_);
    if (!next || (number && *number != *next)) return std::nullopt;
    return insert_trial(database, study_id, *next, config, state, owner, retry_of, user_attrs);
  });
}

std::optional<FrozenTrial> SqliteStorage::create_decided_trial(
    int64_t study_id, std::optional<int64_t> since_version, std::string_view owner,
    int64_t budget_limit, const TrialDecider& decide) {
  std::lock_guard lock(mutex_);
  Database& database = *database_;
  // A write transaction from the start: SQLite has one writer at a time, so the decision below
  // is taken with every other process's writes to the file either committed or waiting.
  return database.transaction(Mode::kWrite, [&]() -> std::optional<FrozenTrial> {
    std::optional<int64_t> next = next_number_within_budget(database, study_id, budget_limit, url_);
    if (!next) return std::nullopt;
    if (auto claimed = claim_oldest_waiting(database, study_id, owner)) return claimed;
    std::vector<FrozenTrial> changed;
    if (since_version) changed = changed_trials(database, study_id, *since_version);
    std::optional<TrialDraft> draft = decide(*next, std::move(changed));
    if (!draft) return std::nullopt;
    for (const auto& [key, value] : draft->user_attrs) storage_checks::check_user_attr(key, value);
    return insert_trial(database, study_id, *next, draft->config, TrialState::kRunning, owner,
                        std::nullopt, draft->user_attrs);
  });
}

int64_t SqliteStorage::next_trial_number(int64_t study_id) {
  std::lock_guard lock(mutex_);
  Database& database = *database_;
  return database.transaction(Mode::kRead, [&] {
    Query query(database.statement(
        "SELECT (SELECT COALESCE(MAX(number) + 1, 0) FROM trials WHERE study_id = ?1) "
        "FROM studies WHERE study_id = ?1"));
    if (!query.bind(1, study_id).step()) storage_checks::throw_unknown_study(study_id, url_);
    return query.integer(0);
  });
}

std::optional<FrozenTrial> SqliteStorage::claim_waiting_trial(int64_t study_id,
                                                              std::string_view owner,
                                                              int64_t budget_limit) {
  std::lock_guard lock(mutex_);
  Database& database = *database_;
  return database.transaction(Mode::kWrite, [&]() -> std::optional<FrozenTrial> {
    {
      Query query(database.statement("SELECT counted_trials FROM studies WHERE study_id = ?1"));
      if (!query.bind(1, study_id).step()) storage_checks::throw_unknown_study(study_id, url_);
      if (budget_limit > 0 && query.integer(0) >= budget_limit) return std::nullopt;
    }
    return claim_oldest_waiting(database, study_id, owner);
  });
}

void SqliteStorage::report(int64_t trial_id, int64_t step, double value,
                           const TrialHolder& holder) {
  std::lock_guard lock(mutex_);
  Database& database = *database_;
  database.transaction(Mode::kWrite, [&] {
    require_trial_held(database, trial_id, "report to", {TrialState::kRunning}, holder);
    // A step reported again replaces the earlier value.
    Query(database.statement(
              "INSERT INTO trial_intermediate (trial_id, step, value) VALUES (?1, ?2, ?3) "
              "ON CONFLICT (trial_id, step) DO UPDATE SET value = excluded.value"))
        .bind(1, trial_id)
        .bind(2, step)
        .bind(3, value)
        .run();
    Query(database.statement("UPDATE trials SET version = ?2 WHERE trial_id = ?1"))
        .bind(1, trial_id)
        .bind(2, next_version(database))
        .run();
  });
}

void SqliteStorage::set_user_attr(int64_t trial_id, std::string_view key,
                                  std::string_view json_value, const TrialHolder& holder) {
  storage_checks::check_user_attr(key, json_value);
  std::lock_guard lock(mutex_);
  Database& database = *database_;
  database.transaction(Mode::kWrite, [&] {
    require_trial_held(database, trial_id, "set a user attribute of",
                       {TrialState::kWaiting, TrialState::kRunning}, holder);
    Query(database.statement(
              "INSERT INTO trial_user_attrs (trial_id, key, value_json) VALUES (?1, ?2, ?3) "
              "ON CONFLICT (trial_id, key) DO UPDATE SET value_json = excluded.value_json"))
        .bind(1, trial_id)
        .bind(2, key)
        .bind(3, json_value)
        .run();
    Query(database.statement("UPDATE trials SET version = ?2 WHERE trial_id = ?1"))
        .bind(1, trial_id)
        .bind(2, next_version(database))
        .run();
  });
}

void SqliteStorage::discard_failed_trial(int64_t trial_id) {
  std::lock_guard lock(mutex_);
  Database& database = *database_;
  database.transaction(Mode::kWrite, [&] {
    Query query(database.statement(
        "SELECT number, state, interrupted, study_id FROM trials WHERE trial_id = ?1"));
    if (!query.bind(1, trial_id).step()) storage_checks::throw_unknown_trial(trial_id, url_);
    TrialState state = parse_state(database, query.text(1));
    if (state != TrialState::kFailed) {
      storage_checks::throw_wrong_state("discard", trial_id, query.integer(0), state);
    }
    if (query.integer(2) != 0) return;
    int64_t study_id = query.integer(3);
    Query(database.statement("UPDATE trials SET interrupted = 1, version = ?2 WHERE trial_id = ?1"))
        .bind(1, trial_id)
        .bind(2, next_version(database))
        .run();
    add_counted(database, study_id, -1);
  });
}

void SqliteStorage::finish_trial(int64_t trial_id, const TrialOutcome& outcome) {
  std::lock_guard lock(mutex_);
  Database& database = *database_;
  database.transaction(Mode::kWrite, [&] {
    int64_t study_id;
    {
      Query query(database.statement(
          "SELECT t.number, t.state, json_array_length(s.directions), t.study_id, t.owner, "
          "t.interrupted, COALESCE(t.start_ms, 0) "
          "FROM trials t JOIN studies s USING (study_id) WHERE t.trial_id = ?1"));
      if (!query.bind(1, trial_id).step()) storage_checks::throw_unknown_trial(trial_id, url_);
      TrialState state = parse_state(database, query.text(1));
      storage_checks::check_finish_owner(outcome, trial_id, query.integer(0), state,
                                         query.integer(5) != 0, query.text(4), query.integer(6));
      if (state != TrialState::kRunning) {
        storage_checks::throw_wrong_state("finish", trial_id, query.integer(0), state);
      }
      study_id = query.integer(3);
      storage_checks::check_outcome(outcome, static_cast<size_t>(query.integer(2)), trial_id,
                                    query.integer(0));
    }
    bool failed = outcome.state == TrialState::kFailed;
    // Running counted; an interrupted failure does not.
    if (failed && outcome.interrupted) add_counted(database, study_id, -1);
    Query update(database.statement(
        "UPDATE trials SET state = ?2, end_ms = ?3, failure_reason = ?4, interrupted = ?5, "
        "version = ?6 WHERE trial_id = ?1"));
    update.bind(1, trial_id).bind(2, to_string(outcome.state)).bind(3, now_ms());
    if (failed) update.bind(4, std::string_view(outcome.failure_reason));
    update.bind(5, failed && outcome.interrupted ? 1 : 0).bind(6, next_version(database));
    update.run();
    if (outcome.config) {
      Query(database.statement("DELETE FROM trial_params WHERE trial_id = ?1"))
          .bind(1, trial_id)
          .run();
      insert_params(database, trial_id, *outcome.config);
    }
    auto& insert_value = database.statement(
        "INSERT INTO trial_values (trial_id, objective, value) VALUES (?1, ?2, ?3)");
    for (size_t i = 0; i < outcome.values.size(); ++i) {
      Query(insert_value)
          .bind(1, trial_id)
          .bind(2, static_cast<int64_t>(i))
          .bind(3, outcome.values[i])
          .run();
    }
    auto& insert_metric =
        database.statement("INSERT INTO trial_metrics (trial_id, name, value) VALUES (?1, ?2, ?3)");
    for (const auto& [name, value] : outcome.metrics) {
      Query(insert_metric).bind(1, trial_id).bind(2, std::string_view(name)).bind(3, value).run();
    }
    auto& insert_constraint = database.statement(
        "INSERT INTO trial_constraints (trial_id, idx, value) VALUES (?1, ?2, ?3)");
    for (size_t i = 0; i < outcome.constraints.size(); ++i) {
      Query(insert_constraint)
          .bind(1, trial_id)
          .bind(2, static_cast<int64_t>(i))
          .bind(3, outcome.constraints[i])
          .run();
    }
  });
}

std::vector<FrozenTrial> SqliteStorage::trials(int64_t study_id, int64_t since_version) {
  std::lock_guard lock(mutex_);
  Database& database = *database_;
  return database.transaction(Mode::kRead, [&] {
    require_study(database, study_id);
    return changed_trials(database, study_id, since_version);
  });
}

std::optional<FrozenTrial> SqliteStorage::trial(int64_t trial_id) {
  std::lock_guard lock(mutex_);
  Database& database = *database_;
  return database.transaction(Mode::kRead, [&] { return load_trial(database, trial_id); });
}

int64_t SqliteStorage::counted_trials(int64_t study_id) {
  std::lock_guard lock(mutex_);
  Database& database = *database_;
  return database.transaction(Mode::kRead, [&] {
    Query query(database.statement("SELECT counted_trials FROM studies WHERE study_id = ?1"));
    if (!query.bind(1, study_id).step()) storage_checks::throw_unknown_study(study_id, url_);
    return query.integer(0);
  });
}

void SqliteStorage::heartbeat(const std::vector<int64_t>& trial_ids, std::string_view owner) {
  if (trial_ids.empty()) return;
  std::lock_guard lock(mutex_);
  Database& database = *database_;
  database.transaction(Mode::kWrite, [&] {
    const int64_t now = now_ms();
    auto& statement = database.statement(
        "UPDATE trials SET heartbeat_ms = ?2 WHERE trial_id = ?1 AND state = 'running' AND "
        "owner = ?3");
    for (int64_t trial_id : trial_ids) {
      Query(statement).bind(1, trial_id).bind(2, now).bind(3, owner).run();
    }
  });
}

int SqliteStorage::recover_orphaned_trials(int64_t study_id, const OrphanPolicy& policy) {
  std::lock_guard lock(mutex_);
  Database& database = *database_;
  return database.transaction(Mode::kWrite, [&] {
    require_study(database, study_id);
    const int64_t now = now_ms();
    struct Orphan {
      int64_t trial_id;
      bool requeue;
    };
    std::vector<Orphan> orphans;
    {
      Query query(database.statement(
          "SELECT trial_id, owner, COALESCE(heartbeat_ms, start_ms, 0), requeues FROM trials "
          "WHERE study_id = ?1 AND state = 'running'"));
      query.bind(1, study_id);
      while (query.step()) {
        if (owner_is_lost(query.text(1), query.integer(2), now, policy.lease_ms)) {
          orphans.push_back({query.integer(0), policy.requeue && query.integer(3) == 0});
        }
      }
    }
    if (orphans.empty()) return 0;
    int64_t version = next_version(database);
    for (const Orphan& orphan : orphans) {
      if (orphan.requeue) {
        // It will run again from the start: what the dead attempt reported would mislead a
        // pruner comparing the new run's steps.
        Query(database.statement("UPDATE trials SET state = 'waiting', owner = NULL, "
                                 "start_ms = NULL, heartbeat_ms = NULL, requeues = requeues + 1, "
                                 "version = ?2 WHERE trial_id = ?1"))
            .bind(1, orphan.trial_id)
            .bind(2, version)
            .run();
        Query(database.statement("DELETE FROM trial_intermediate WHERE trial_id = ?1"))
            .bind(1, orphan.trial_id)
            .run();
      } else {
        Query(database.statement(
                  "UPDATE trials SET state = 'failed', interrupted = 1, failure_reason = ?2, "
                  "end_ms = ?3, version = ?4 WHERE trial_id = ?1"))
            .bind(1, orphan.trial_id)
            .bind(2, std::string_view(policy.reason))
            .bind(3, now)
            .bind(4, version)
            .run();
      }
    }
    // Running counted; neither waiting nor an interrupted failure does.
    add_counted(database, study_id, -static_cast<int64_t>(orphans.size()));
    return static_cast<int>(orphans.size());
  });
}

}  // namespace winnow

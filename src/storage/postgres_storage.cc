// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "storage/postgres_storage.h"

#include <nlohmann/json.hpp>
#include <unordered_map>

#include "common/strings.h"
#include "storage/postgres_connection.h"
#include "storage/postgres_rows.h"
#include "storage/postgres_schema.h"
#include "storage/process_owner.h"
#include "storage/storage_checks.h"

namespace winnow {

using namespace postgres;  // NOLINT(google-build-using-namespace): the rows' helpers
using Mode = Connection::Mode;

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
  // One statement, without the study's lock: the row's own lock makes it a compare-and-set,
  // and it decides nothing the lock orders. Every process of a define-by-run study makes one
  // for each parameter it meets first; under the lock, with many processes, each would wait
  // for all of their asks.
  bool retried_after_lost_answer = false;
  bool replaced = db.transaction(Mode::kOneStatement, [&](bool maybe_committed) {
    retried_after_lost_answer = retried_after_lost_answer || maybe_committed;
    return db.execute(
                 "UPDATE winnow_studies SET space_json = $3 WHERE study_id = $1 AND "
                 "space_json = $2 RETURNING 1",
                 Params().add(study_id).add(expected).add(desired))
               .rows() > 0;
  });
  if (replaced) return true;
  // Not replaced, unless by an attempt whose answer was lost: then the stored space is ours.
  Result now = db.transaction(Mode::kOneStatement, [&](bool) {
    return db.execute("SELECT space_json FROM winnow_studies WHERE study_id = $1",
                      Params().add(study_id));
  });
  if (now.rows() == 0) storage_checks::throw_unknown_study(study_id, url_);
  return retried_after_lost_answer && now.text(0, 0) == desired;
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
  return insert_decided(study_id, std::nullopt, state, owner, budget_limit, retry_of,
                        /*is_ask=*/false,
                        [&](int64_t next, std::vector<FrozenTrial>) -> std::optional<TrialDraft> {
                          if (number && *number != next) return std::nullopt;
                          return TrialDraft{config, user_attrs};
                        });
}

std::optional<FrozenTrial> PostgresStorage::create_decided_trial(
    int64_t study_id, std::optional<int64_t> since_version, std::string_view owner,
    int64_t budget_limit, const TrialDecider& decide) {
  return insert_decided(study_id, since_version, TrialState::kRunning, owner, budget_limit,
                        std::nullopt, /*is_ask=*/true, decide);
}

std::optional<FrozenTrial> PostgresStorage::insert_decided(
    int64_t study_id, std::optional<int64_t> since_version, TrialState state,
    std::string_view owner, int64_t budget_limit, std::optional<int64_t> retry_of, bool is_ask,
    const TrialDecider& decide) {
  std::lock_guard lock(mutex_);
  Connection& db = *connection_;
  while (true) {
    const std::string token = new_client_token(owner);
    bool flush_later = false, flushed = false;
    std::optional<FrozenTrial> made =
        db.transaction(Mode::kWrite, [&](bool maybe_committed) -> std::optional<FrozenTrial> {
      // The budget, the next number, the decision and the insert are one step. The lock, the
      // next number, whether a trial waits and the trials changed since the caller's last read
      // go in one round trip: each statement runs after the one before it, so the reads see
      // every write committed before the lock was granted. The insert and COMMIT share the
      // second round trip, so the lock is held for one round trip and the decision.
      flush_later = is_ask && db.commits_wait_for_flush();
      flushed = false;
      DecisionReads reads = decision_reads(study_id, since_version, flush_later);
      const size_t next_at = reads.next_at;
      std::vector<Result> results = db.execute_pipeline(reads.statements);
      if (results[1].rows() == 0) storage_checks::throw_unknown_study(study_id, url_);
      const StudyLock study{results[1].integer(0, 0), results[1].integer(0, 1)};
      if (maybe_committed) {
        std::optional<std::string_view> running_owner;
        if (state != TrialState::kWaiting) running_owner = owner;
        if (auto mine = find_by_token(db, url_, study_id, token, running_owner)) return mine;
      }
      if (budget_limit > 0 && study.counted >= budget_limit) return std::nullopt;
      const Result& next_and_waiting = results[next_at];
      if (is_ask && next_and_waiting.boolean(0, 1)) {
        return claim_oldest_waiting(db, url_, study_id, owner, study.version, token);
      }
      int64_t next = next_and_waiting.integer(0, 0);
      std::vector<FrozenTrial> changed;
      if (since_version) {
        changed = read_changed_trials(url_, results[next_at + 1], results[next_at + 2]);
      }
      std::optional<TrialDraft> draft = decide(next, std::move(changed));
      if (!draft) return std::nullopt;
      for (const auto& [key, value] : draft->user_attrs) {
        storage_checks::check_user_attr(key, value);
      }
      return insert_trial(db, study_id, next, study.version, draft->config, state, owner,
                          retry_of, draft->user_attrs, token, /*then_commit=*/true,
                          flush_later ? &flushed : nullptr);
    });
    if (!made) return made;
    db.note_row_id(made->id);
    // The trial is handed on only once it is on disk, which the insert's round trip usually
    // confirmed; a crash of the server took it back if it is gone, and the ask is made again.
    if (!flush_later || flushed || wait_for_flush(db, made->id, token, owner)) return made;
  }
}

Storage::AheadOutcome PostgresStorage::create_trial_ahead(
    int64_t study_id, int64_t since_version, std::string_view owner, int64_t budget_limit,
    const TrialDraft& draft, std::optional<int64_t> expected_number) {
  for (const auto& [key, value] : draft.user_attrs) storage_checks::check_user_attr(key, value);
  // A negative version: the caller keeps no history, so no changes are read.
  std::optional<int64_t> since;
  if (since_version >= 0) since = since_version;
  bool waiting = false;
  AheadOutcome outcome;
  {
    std::lock_guard lock(mutex_);
    Connection& db = *connection_;
    bool flushed = false;
    while (!flushed) {
      const std::string token = new_client_token(owner);
      bool flush_later = false;
      outcome = db.transaction(Mode::kWrite, [&](bool maybe_committed) -> AheadOutcome {
        AheadOutcome result;
        if (maybe_committed) {
          if (std::optional<AheadOutcome> done = recover_lost_ask(study_id, token, owner)) {
            if (since) done->changed = changed_trials(db, url_, study_id, *since);
            return std::move(*done);
          }
        }
        flush_later = db.commits_wait_for_flush();
        const int64_t start_ms = now_ms();
        // With a history to read, the lock and the next number of decision_reads, then the
        // insert; without, the lock, then the whole ask in one statement (ask_ahead_statement).
        std::vector<Connection::Statement> statements;
        size_t next_at = 0;
        if (since) {
          DecisionReads reads = decision_reads(study_id, std::nullopt, flush_later);
          statements = std::move(reads.statements);
          next_at = reads.next_at;
          statements.push_back(insert_ahead_statement(study_id, draft.config, owner,
                                                      draft.user_attrs, token, start_ms,
                                                      budget_limit, expected_number));
        } else {
          statements.push_back(advisory_lock_statement(study_id, flush_later));
          statements.push_back(ask_ahead_statement(study_id, draft.config, owner,
                                                   draft.user_attrs, token, start_ms,
                                                   budget_limit, expected_number));
        }
        const size_t insert_at = statements.size() - 1;
        // The changes since the caller's version are read after COMMIT, in the same round
        // trip: nothing decided here depends on them, and under the lock they held every other
        // ask of the study waiting for as long as they took, which grows with the processes
        // (each brings the trials of all the others since its last ask). Read after it, they
        // may bring later asks too, and still miss none: versions are given under the lock and
        // committed before it passes on, so one statement's snapshot sees every version up to
        // the highest it returns. The reads go before the update that waits for the flush:
        // the statements after COMMIT are one transaction, so a read that failed takes the
        // update back with it, and the update's empty result then says the flush is still to
        // be waited for.
        std::vector<Connection::Statement> after;
        if (since) after = changed_trials_statements(study_id, *since);
        const size_t changed_at = statements.size();
        const size_t flush_at = statements.size() + after.size();
        for (Connection::Statement& flush : flush_inserted_statements(flush_later, token, owner)) {
          after.push_back(std::move(flush));
        }
        std::vector<Result> results =
            db.execute_pipeline(statements, /*then_commit=*/true, after);
        const Result& inserted = results[insert_at];
        // The budget's count, whether a trial waits and the trial's (id, number, version)
        // columns, wherever the pipeline gave them.
        int64_t counted = 0;
        bool waiting_trial = false;
        int trial_column = 0;
        if (since) {
          if (results[1].rows() == 0) storage_checks::throw_unknown_study(study_id, url_);
          counted = results[1].integer(0, 1);
          waiting_trial = results[next_at].boolean(0, 1);
        } else {
          if (inserted.rows() == 0) storage_checks::throw_unknown_study(study_id, url_);
          counted = inserted.integer(0, 0);
          waiting_trial = inserted.boolean(0, 1);
          trial_column = 2;
        }
        if (inserted.rows() == 1 && !inserted.is_null(0, trial_column)) {
          flushed = flush_later && results.size() > flush_at && results[flush_at].rows() == 1;
          FrozenTrial trial;
          trial.id = inserted.integer(0, trial_column);
          trial.number = inserted.integer(0, trial_column + 1);
          trial.version = inserted.integer(0, trial_column + 2);
          trial.state = TrialState::kRunning;
          trial.owner = std::string(owner);
          trial.start_time_ms = start_ms;
          trial.config = draft.config;
          trial.user_attrs = draft.user_attrs;
          result.status = AheadStatus::kCreated;
          result.trial = std::move(trial);
        } else if (budget_limit > 0 && counted >= budget_limit) {
          return result;  // kBudgetSpent
        } else if (waiting_trial) {
          waiting = true;
          return result;
        } else {
          result.status = AheadStatus::kOvertaken;
        }
        // Nothing after a failed read (the trials' rows without their details would look like
        // trials without a configuration): the caller's version does not move, so its next
        // read brings these changes.
        if (since && results.size() >= changed_at + 2 && !results[changed_at].failed() &&
            !results[changed_at + 1].failed()) {
          result.changed = read_changed_trials(url_, results[changed_at], results[changed_at + 1]);
        }
        return result;
      });
      if (!outcome.trial) break;
      db.note_row_id(outcome.trial->id);
      // As in insert_decided: handed on once on disk, asked again if a crash took it back.
      flushed = flushed || !flush_later || wait_for_flush(db, outcome.trial->id, token, owner);
    }
  }
  // A waiting trial is claimed the usual way (rare: enqueued and requeued trials).
  if (waiting) {
    return Storage::create_trial_ahead(study_id, since_version, owner, budget_limit, draft,
                                       expected_number);
  }
  return outcome;
}

std::optional<Storage::AheadOutcome> PostgresStorage::recover_lost_ask(int64_t study_id,
                                                                      const std::string& token,
                                                                      std::string_view owner) {
  Connection& db = *connection_;
  // The study's lock first: the first attempt may still be queued for it on the server, or
  // running, its connection gone; looking before it commits would find nothing and make the
  // trial a second time. Queued behind it, the look sees what it did.
  db.execute(kAdvisoryLockSql, Params().add(study_id));
  AheadOutcome done;
  if (std::optional<FrozenTrial> mine = find_by_token(db, url_, study_id, token, owner)) {
    done.status = AheadStatus::kCreated;
    done.trial = std::move(mine);
    return done;
  }
  // Created, but no longer the caller's: while it reconnected, a lease check put the trial back
  // in the queue, and another process may run it. The draft's configuration is that trial's, so
  // creating it again would run one configuration twice: the caller decides anew, as when
  // another process took its number.
  if (find_by_token(db, url_, study_id, token, std::nullopt)) {
    done.status = AheadStatus::kOvertaken;
    return done;
  }
  return std::nullopt;
}

int64_t PostgresStorage::next_trial_number(int64_t study_id) {
  std::lock_guard lock(mutex_);
  Connection& db = *connection_;
  return db.transaction(Mode::kOneStatement, [&](bool) {
    Result rows = db.execute(
        "SELECT " WINNOW_PG_NEXT_NUMBER " FROM winnow_studies WHERE study_id = $1",
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
  // Reading first, in one statement, keeps the common case (nothing waiting) to one round trip
  // and free of the study's lock.
  bool any_waiting = db.transaction(Mode::kOneStatement, [&](bool) {
    Result found = db.execute(
        "SELECT EXISTS (SELECT 1 FROM winnow_studies WHERE study_id = $1), "
        WINNOW_PG_WAITING_TRIAL,
        Params().add(study_id));
    if (!found.boolean(0, 0)) storage_checks::throw_unknown_study(study_id, url_);
    return found.boolean(0, 1);
  });
  if (!any_waiting) return std::nullopt;
  std::optional<FrozenTrial> claimed =
      db.transaction(Mode::kWrite, [&](bool maybe_committed) -> std::optional<FrozenTrial> {
    StudyLock study = lock_study_or_throw(db, study_id, url_);
    if (maybe_committed) {
      if (auto mine = find_by_token(db, url_, study_id, token, owner)) return mine;
    }
    if (budget_limit > 0 && study.counted >= budget_limit) return std::nullopt;
    return claim_oldest_waiting(db, url_, study_id, owner, study.version, token);
  });
  if (claimed) db.note_row_id(claimed->id);
  return claimed;
}

void PostgresStorage::report(int64_t trial_id, int64_t step, double value,
                             const TrialHolder& holder) {
  std::lock_guard lock(mutex_);
  Connection& db = *connection_;
  // The usual report, to a running trial, in one round trip and without the study's lock, as
  // a finish (finish_in_one_round_trip): the trial's version is left pending for the next
  // writer under the lock to stamp. The careful path below tells what is wrong otherwise. One
  // statement, atomic by itself (and the same again if a lost answer makes it run twice).
  bool reported = db.transaction(Mode::kOneStatement, [&](bool) {
    std::vector<Result> results = db.execute_pipeline(
        {{"WITH u AS (UPDATE winnow_trials SET version = " WINNOW_PG_PENDING_VERSION
          " WHERE trial_id = $1 AND state = 'running' AND NOT interrupted AND "
          "($4::text IS NULL OR owner = $4) AND ($5::bigint = 0 OR start_ms = $5) "
          "RETURNING trial_id), "
          // A step reported again replaces the earlier value.
          "i AS (INSERT INTO winnow_trial_intermediate (trial_id, step, value) "
          "SELECT trial_id, $2, $3 FROM u ON CONFLICT (trial_id, step) DO UPDATE "
          "SET value = excluded.value) "
          "SELECT count(*) FROM u",
          Params().add(trial_id).add(step).add(value).add_nonempty_or_null(holder.owner).add(
              holder.started_ms)}});
    return results[0].integer(0, 0) == 1;
  });
  if (reported) return;
  db.transaction(Mode::kWrite, [&](bool) {
    int64_t version = lock_trial_held(db, url_, trial_id, "report to", {TrialState::kRunning},
                                      holder);
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
                                    std::string_view json_value, const TrialHolder& holder) {
  storage_checks::check_user_attr(key, json_value);
  std::lock_guard lock(mutex_);
  Connection& db = *connection_;
  db.transaction(Mode::kWrite, [&](bool) {
    int64_t version = lock_trial_held(db, url_, trial_id, "set a user attribute of",
                                      {TrialState::kWaiting, TrialState::kRunning}, holder);
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
    auto [study_id, study] = lock_study_of_trial(db, trial_id, url_);
    const int64_t version = study.version;
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
  bool fast_maybe_committed = false;
  // One statement, atomic by itself: no BEGIN and no COMMIT.
  bool finished = db.transaction(Mode::kOneStatement, [&](bool maybe_committed) {
    // After a lost answer the careful path tells whether the finish was ours.
    fast_maybe_committed = fast_maybe_committed || maybe_committed;
    return !maybe_committed && finish_in_one_round_trip(db, trial_id, outcome);
  });
  if (finished) {
    db.note_row_id(trial_id);  // a trial of the study (a wrong id never finishes)
    return;
  }
  db.transaction(Mode::kWrite, [&](bool retried) {
    const bool maybe_committed = retried || fast_maybe_committed;
    auto [study_id, study] = lock_study_of_trial(db, trial_id, url_);
    const int64_t version = study.version;
    Result rows = db.execute(
        "SELECT t.number, t.state, s.directions, t.owner, t.interrupted, "
        "COALESCE(t.start_ms, 0) FROM winnow_trials t JOIN "
        "winnow_studies s USING (study_id) WHERE t.trial_id = $1",
        Params().add(trial_id));
    int64_t number = rows.integer(0, 0);
    TrialState state = parse_state(url_, rows.text(0, 1));
    // Our own finish, committed before the connection broke, is done already.
    if (maybe_committed &&
        storage_checks::finish_already_recorded(outcome, state, rows.boolean(0, 4),
                                                rows.text(0, 3), rows.integer(0, 5))) {
      return;
    }
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
    add_finish_state(params, trial_id, outcome);
    params.add(failed && outcome.interrupted).add(version);
    add_outcome_arrays(params, outcome);
    // The trial's new state and every value in one statement: one round trip under the lock.
    db.execute(
        "WITH u AS (UPDATE winnow_trials SET state = $2, end_ms = $3, failure_reason = $4, "
        "interrupted = $5, version = $6 WHERE trial_id = $1), "
        "v AS (INSERT INTO winnow_trial_values (trial_id, objective, value) "
        "SELECT $1, o - 1, x FROM unnest($7::float8[]) WITH ORDINALITY AS v(x, o)), "
        "m AS (INSERT INTO winnow_trial_metrics (trial_id, name, value) "
        "SELECT $1, n, x FROM unnest($8::text[], $9::float8[]) AS m(n, x)), "
        "k AS (INSERT INTO winnow_trial_constraints (trial_id, idx, value) "
        "SELECT $1, o - 1, x FROM unnest($10::float8[]) WITH ORDINALITY AS k(x, o)) "
        "SELECT 1",
        params);
    if (outcome.config) {
      db.execute("DELETE FROM winnow_trial_params WHERE trial_id = $1", Params().add(trial_id));
      insert_params(db, trial_id, *outcome.config);
    }
  });
  db.note_row_id(trial_id);
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
  // No study lock and no version: a heartbeat changes nothing a reader of trials() sees. One
  // statement, atomic by itself; planned at each call, which costs little at one heartbeat per
  // process every few seconds.
  db.transaction(Mode::kOneStatement, [&](bool) {
    db.execute_replanned("UPDATE winnow_trials SET heartbeat_ms = " WINNOW_PG_NOW_MS
                         " WHERE trial_id = ANY($1::bigint[]) AND state IN ('running', "
                         "'waiting') AND owner = $2",
                         Params().add(array).add(owner));
  });
}

std::vector<FrozenTrial> PostgresStorage::trials(int64_t study_id, int64_t since_version) {
  std::lock_guard lock(mutex_);
  Connection& db = *connection_;
  std::vector<FrozenTrial> read = db.transaction(Mode::kRead, [&](bool) {
    // One round trip: BEGIN, the study's existence, the trials and their details, COMMIT. Every
    // process reads the changes before each proposal, so each round trip saved here is saved
    // once per trial per process.
    std::vector<Connection::Statement> reads = {
        {"SELECT 1 FROM winnow_studies WHERE study_id = $1", Params().add(study_id)}};
    for (Connection::Statement& read : changed_trials_statements(study_id, since_version)) {
      reads.push_back(std::move(read));
    }
    std::vector<Result> results = db.execute_pipeline(reads, /*then_commit=*/true);
    if (results[0].rows() == 0) storage_checks::throw_unknown_study(study_id, url_);
    return read_changed_trials(url_, results[1], results[2]);
  });
  for (const FrozenTrial& trial : read) db.note_row_id(trial.id);
  return read;
}

int64_t PostgresStorage::plan_resets() {
  std::lock_guard lock(mutex_);
  return connection_->plan_resets();
}

std::optional<FrozenTrial> PostgresStorage::trial(int64_t trial_id) {
  std::lock_guard lock(mutex_);
  Connection& db = *connection_;
  return db.transaction(Mode::kRead, [&](bool) { return load_trial(db, url_, trial_id); });
}

int64_t PostgresStorage::counted_trials(int64_t study_id) {
  std::lock_guard lock(mutex_);
  Connection& db = *connection_;
  return db.transaction(Mode::kOneStatement, [&](bool) {
    Result rows = db.execute("SELECT counted_trials FROM winnow_studies WHERE study_id = $1",
                             Params().add(study_id));
    if (rows.rows() == 0) storage_checks::throw_unknown_study(study_id, url_);
    return rows.integer(0, 0);
  });
}

int PostgresStorage::recover_orphaned_trials(int64_t study_id, const OrphanPolicy& policy) {
  std::lock_guard lock(mutex_);
  Connection& db = *connection_;
  struct Orphan {
    int64_t trial_id;
    bool held;     // a held trial (create_trials_ahead): released, since it never ran
    bool requeue;  // a running one: put back in the queue, or else failed
  };
  auto find_orphans = [&](bool locked) {
    std::vector<Orphan> orphans;
    // Planned at each check: the study may have grown a thousandfold since the first.
    Result rows = db.execute_replanned(
        std::string("SELECT trial_id, owner, COALESCE(heartbeat_ms, 0), requeues, ") +
            WINNOW_PG_NOW_MS + ", state = 'waiting' FROM winnow_trials WHERE study_id = $1 AND "
            // One index scan of both states (an OR of them would be a bitmap scan, or none):
            // the waiting trials read are the study's queue, a few.
            "state = ANY ('{running,waiting}') AND (state = 'running' OR owner IS NOT NULL)" +
            (locked ? " FOR UPDATE" : ""),
        Params().add(study_id));
    for (int row = 0; row < rows.rows(); ++row) {
      if (owner_is_lost(rows.text(row, 1), rows.integer(row, 2), rows.integer(row, 4),
                        policy.lease_ms)) {
        orphans.push_back({rows.integer(row, 0), rows.boolean(row, 5),
                           policy.requeue && rows.integer(row, 3) == 0});
      }
    }
    return orphans;
  };
  return db.transaction(Mode::kWrite, [&](bool) {
    // The running trials are found through the (study, state) index, which keeps an entry for
    // every trial that stopped running until vacuum removes it. A bitmap scan visits each of
    // them at every check; a plain index scan marks those it finds dead so that later checks
    // skip them, which keeps the check's cost flat however far vacuum is behind.
    Result exists = db.execute(
        "SELECT EXISTS (SELECT 1 FROM winnow_studies WHERE study_id = $1), "
        "set_config('enable_bitmapscan', 'off', true)",
        Params().add(study_id));
    if (!exists.boolean(0, 0)) storage_checks::throw_unknown_study(study_id, url_);
    // A look without the study's lock first: the periodic check of every worker finds nothing
    // almost always, and must not queue behind the study's writers for it.
    if (find_orphans(false).empty()) return 0;
    int64_t version = lock_study_or_throw(db, study_id, url_).version;
    auto orphans = find_orphans(true);  // again under the lock: another process may have won
    for (const auto& [trial_id, held, requeue] : orphans) {
      if (held) {
        db.execute(
            "UPDATE winnow_trials SET owner = NULL, heartbeat_ms = NULL, version = $2 "
            "WHERE trial_id = $1",
            Params().add(trial_id).add(version));
      } else if (requeue) {
        db.execute(
            "UPDATE winnow_trials SET state = 'waiting', owner = NULL, start_ms = NULL, "
            "heartbeat_ms = NULL, claim_token = NULL, requeues = requeues + 1, version = $2 "
            "WHERE trial_id = $1",
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

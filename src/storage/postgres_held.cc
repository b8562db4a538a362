// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Asks in blocks on PostgreSQL (docs/design.md, "Asks in blocks"): one pass through the study's
// lock creates a running trial and the trials its process holds, which it then starts without
// the lock. With trivial objectives and many processes, what limits an ask is the number of
// times the lock is handed on, not the work done under it.
#include <string>
#include <vector>

#include "common/strings.h"
#include "storage/postgres_connection.h"
#include "storage/postgres_rows.h"
#include "storage/postgres_storage.h"
#include "storage/storage_checks.h"

namespace winnow {

using namespace postgres;  // NOLINT(google-build-using-namespace): the rows' helpers
using Mode = Connection::Mode;

namespace {

// A held trial's client token: the ask's token, a slash and its place in the block, so that an
// ask retried after a lost answer finds the trials it holds as well as the one it runs.
std::string held_token(const std::string& token, size_t place) {
  return token + "/" + std::to_string(place);
}

// The whole ask in one statement after advisory_lock_statement, as ask_ahead_statement, for up
// to as many trials as drafts: the first running, the others held (waiting, owned by the
// asking process, counted). As many as the budget allows are inserted, with consecutive
// numbers; each parameter and attribute row names the draft it belongs to. One result row per
// trial inserted, in number order, of the budget's count, whether a trial waits, then the
// trial's id, number and version; one row with NULL trial columns when none was inserted, and
// none for an unknown study.
Connection::Statement ask_block_statement(int64_t study_id,
                                          const std::vector<Storage::TrialDraft>& drafts,
                                          std::string_view owner, const std::string& token,
                                          int64_t start_ms, int64_t budget_limit,
                                          std::optional<int64_t> expected_number) {
  // $1 study, $2 start, $3 owner, $4 token, $5-$9 parameter rows, $10 their drafts, $11-$12
  // attributes, $13 budget, $14 expected number, $15 count per trial, $16 drafts, $17 the
  // attributes' drafts.
  static constexpr const char* kSql =
      "WITH d AS (SELECT s.study_id, n.next, w.waiting, CASE WHEN NOT w.waiting AND "
      "($13::bigint <= 0 OR s.counted_trials < $13::bigint) AND "
      "($14::bigint IS NULL OR n.next = $14::bigint) THEN CASE WHEN $13::bigint > 0 "
      "THEN LEAST($16::bigint, $13::bigint - s.counted_trials) ELSE $16::bigint END "
      "ELSE 0 END AS m "
      "FROM winnow_studies s, (SELECT " WINNOW_PG_NEXT_NUMBER " AS next) n, "
      "(SELECT " WINNOW_PG_WAITING_TRIAL " AS waiting OFFSET 0) w WHERE s.study_id = $1), "
      "c AS (UPDATE winnow_studies SET change_counter = " WINNOW_PG_NEXT_VERSION ", "
      "counted_trials = counted_trials + d.m * $15 "
      "FROM d WHERE winnow_studies.study_id = d.study_id "
      "RETURNING winnow_studies.study_id, change_counter, counted_trials, d.next, d.waiting, "
      "d.m), "
      "stamp AS (UPDATE winnow_trials SET version = (SELECT change_counter FROM c) "
      "WHERE study_id = (SELECT study_id FROM c) AND version = " WINNOW_PG_PENDING_VERSION "), "
      "t AS (INSERT INTO winnow_trials (study_id, number, state, start_ms, owner, retry_of, "
      "version, client_token, heartbeat_ms) SELECT $1, c.next + g, "
      "CASE WHEN g = 0 THEN 'running' ELSE 'waiting' END, CASE WHEN g = 0 THEN $2::bigint END, "
      "$3, NULL, c.change_counter, CASE WHEN g = 0 THEN $4 ELSE $4 || '/' || g END, "
      WINNOW_PG_NOW_MS " FROM c, generate_series(0, c.m - 1) AS g "
      "RETURNING trial_id, number, version), "
      "p AS (INSERT INTO winnow_trial_params (trial_id, name, value_type, int_value, real_value, "
      "text_value) SELECT t.trial_id, u.name, u.kind, u.i, u.r, u.x FROM c CROSS JOIN t "
      "JOIN unnest($5::text[], $6::text[], $7::bigint[], $8::float8[], $9::text[], $10::int[]) "
      "AS u(name, kind, i, r, x, o) ON u.o = t.number - c.next), "
      "a AS (INSERT INTO winnow_trial_user_attrs (trial_id, key, value_json) "
      "SELECT t.trial_id, u.k, u.v FROM c CROSS JOIN t "
      "JOIN unnest($11::text[], $12::text[], $17::int[]) AS u(k, v, o) "
      "ON u.o = t.number - c.next) "
      "SELECT c.counted_trials, c.waiting, t.trial_id, t.number, t.version, "
      "CASE WHEN t.number = c.next THEN set_config('" WINNOW_PG_ASKED_TRIAL_SETTING "', "
      "t.trial_id::text, false) END FROM c LEFT JOIN t ON true ORDER BY t.number";
  ParamArrays rows;
  ArrayText row_drafts, keys, values, attr_drafts;
  for (size_t place = 0; place < drafts.size(); ++place) {
    append_param_arrays(rows, drafts[place].config);
    for (size_t i = 0; i < drafts[place].config.size(); ++i) {
      row_drafts.add(static_cast<int64_t>(place));
    }
    for (const auto& [key, value] : drafts[place].user_attrs) {
      keys.add(key);
      values.add(value);
      attr_drafts.add(static_cast<int64_t>(place));
    }
  }
  Params params;
  params.add(study_id).add(start_ms).add_nonempty_or_null(owner).add(token);
  params.add(rows.names).add(rows.types).add(rows.ints).add(rows.reals).add(rows.texts);
  params.add(row_drafts).add(keys).add(values).add(budget_limit).add(expected_number);
  params.add(storage_checks::is_counted(TrialState::kRunning, false) ? 1 : 0);
  params.add(static_cast<int64_t>(drafts.size())).add(attr_drafts);
  return {kSql, params};
}

// The trials an ask created with `token` that `owner` still holds, for an ask retried after
// its answer was lost (a lease check may have released some meanwhile).
std::vector<FrozenTrial> find_held_by_token(Connection& db, const std::string& url,
                                            int64_t study_id, const std::string& token,
                                            std::string_view owner) {
  const std::string prefix = token + "/";
  Result rows = db.execute(
      "SELECT trial_id FROM winnow_trials WHERE study_id = $1 AND state = 'waiting' AND "
      "owner = $2 AND left(client_token, length($3)) = $3 ORDER BY number",
      Params().add(study_id).add(owner).add(prefix));
  std::vector<FrozenTrial> held;
  for (int row = 0; row < rows.rows(); ++row) {
    if (std::optional<FrozenTrial> trial = load_trial(db, url, rows.integer(row, 0))) {
      held.push_back(std::move(*trial));
    }
  }
  return held;
}

}  // namespace

Storage::AheadOutcome PostgresStorage::create_trials_ahead(
    int64_t study_id, std::string_view owner, int64_t budget_limit,
    const std::vector<TrialDraft>& drafts, std::optional<int64_t> expected_number) {
  if (drafts.size() <= 1 || owner.empty()) {
    return Storage::create_trials_ahead(study_id, owner, budget_limit, drafts, expected_number);
  }
  for (const TrialDraft& draft : drafts) {
    for (const auto& [key, value] : draft.user_attrs) storage_checks::check_user_attr(key, value);
  }
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
            if (done->trial) done->held = find_held_by_token(db, url_, study_id, token, owner);
            return std::move(*done);
          }
        }
        flush_later = db.commits_wait_for_flush();
        const int64_t start_ms = now_ms();
        std::vector<Connection::Statement> statements;
        statements.push_back(advisory_lock_statement(study_id, flush_later));
        statements.push_back(ask_block_statement(study_id, drafts, owner, token, start_ms,
                                                 budget_limit, expected_number));
        std::vector<Result> results = db.execute_pipeline(
            statements, /*then_commit=*/true, flush_inserted_statements(flush_later, token, owner));
        const Result& inserted = results[1];
        if (inserted.rows() == 0) storage_checks::throw_unknown_study(study_id, url_);
        const int64_t counted = inserted.integer(0, 0);
        if (!inserted.is_null(0, 2)) {
          // The held trials are in the running one's commit: its flush is theirs.
          flushed = flush_later && results.size() > 2 && results[2].rows() == 1;
          const int64_t first = inserted.integer(0, 3);
          for (int row = 0; row < inserted.rows(); ++row) {
            FrozenTrial trial;
            trial.id = inserted.integer(row, 2);
            trial.number = inserted.integer(row, 3);
            trial.version = inserted.integer(row, 4);
            const auto place = static_cast<size_t>(trial.number - first);
            if (place >= drafts.size()) throw_damaged(url_, "an ask in blocks returned a stranger");
            trial.state = place == 0 ? TrialState::kRunning : TrialState::kWaiting;
            trial.owner = std::string(owner);
            if (place == 0) trial.start_time_ms = start_ms;
            trial.config = drafts[place].config;
            trial.user_attrs = drafts[place].user_attrs;
            if (place == 0) {
              result.trial = std::move(trial);
            } else {
              result.held.push_back(std::move(trial));
            }
          }
          if (!result.trial) throw_damaged(url_, "an ask in blocks returned no running trial");
          result.status = AheadStatus::kCreated;
        } else if (budget_limit > 0 && counted >= budget_limit) {
          return result;  // kBudgetSpent
        } else if (inserted.boolean(0, 1)) {
          waiting = true;
        } else {
          result.status = AheadStatus::kOvertaken;
        }
        return result;
      });
      if (!outcome.trial) break;
      db.note_row_id(outcome.trial->id);
      for (const FrozenTrial& held : outcome.held) db.note_row_id(held.id);
      // Handed on once on disk; if a crash took the block back, asked again (held trials too).
      flushed = flushed || !flush_later || wait_for_flush(db, outcome.trial->id, token, owner);
    }
  }
  // A waiting trial is claimed the usual way, alone.
  if (waiting) {
    return Storage::create_trial_ahead(study_id, /*since_version=*/-1, owner, budget_limit,
                                       drafts.front(), expected_number);
  }
  return outcome;
}

std::optional<int64_t> PostgresStorage::start_held_trial(int64_t trial_id,
                                                         std::string_view owner) {
  const int64_t start_ms = now_ms();
  const std::string token = new_client_token(owner);
  std::lock_guard lock(mutex_);
  Connection& db = *connection_;
  // One statement, without the lock: the trial was counted and numbered when it was created, so
  // starting it decides nothing of the study, and its change is stamped by the next writer
  // under the lock, as a tell's. The start is a claim by its holder: run again after a lost
  // answer, it recognises its own by the claim's token.
  return db.transaction(Mode::kOneStatement, [&](bool maybe_committed) -> std::optional<int64_t> {
    Result started = db.execute(
        "UPDATE winnow_trials SET state = 'running', start_ms = $3, claim_token = $4, "
        "heartbeat_ms = " WINNOW_PG_NOW_MS ", version = " WINNOW_PG_PENDING_VERSION
        " WHERE trial_id = $1 AND owner = $2 AND (state = 'waiting' OR ($5 AND "
        "state = 'running' AND claim_token = $4)) RETURNING 1",
        Params().add(trial_id).add(owner).add(start_ms).add(token).add(maybe_committed));
    if (started.rows() == 0) return std::nullopt;
    return start_ms;
  });
}

int PostgresStorage::release_held_trials(int64_t study_id, const std::vector<int64_t>& trial_ids,
                                         std::string_view owner) {
  if (trial_ids.empty()) return 0;
  ArrayText ids;
  for (int64_t id : trial_ids) ids.add(id);
  std::lock_guard lock(mutex_);
  Connection& db = *connection_;
  // Under the lock: the budget's count changes. Run again after a lost answer, it finds the
  // trials released already and counts nothing twice.
  return db.transaction(Mode::kWrite, [&](bool) {
    const int64_t version = lock_study_or_throw(db, study_id, url_).version;
    Result released = db.execute_replanned(
        "UPDATE winnow_trials SET owner = NULL, heartbeat_ms = NULL, version = $4 "
        "WHERE trial_id = ANY($1::bigint[]) AND study_id = $2 AND state = 'waiting' AND "
        "owner = $3 RETURNING 1",
        Params().add(ids).add(study_id).add(owner).add(version));
    add_counted(db, study_id, -released.rows());
    return released.rows();
  });
}

}  // namespace winnow

// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The insert of PostgresStorage::create_trial_from_drafts: proposals drafted for a window of
// trial numbers, one of which the server takes for the number the trial gets.
#include "storage/postgres_storage.h"

#include "common/strings.h"
#include "storage/postgres_connection.h"
#include "storage/postgres_rows.h"
#include "storage/storage_checks.h"

namespace winnow::postgres {

Connection::Statement insert_drafted_statement(int64_t study_id, std::string_view owner,
                                               const std::string& token, int64_t start_ms,
                                               int64_t budget_limit, int64_t first_number,
                                               const std::vector<Storage::TrialDraft>& drafts) {
  // The conditions of insert_ahead_statement, with the number in the drafts' window instead of
  // equal to one expected. Each parameter and attribute row carries its draft's slot; only the
  // chosen slot's rows are inserted. The last SELECT returns one row even when nothing was
  // inserted, so the caller learns the next number and whether a trial waits in the same
  // round trip.
  static constexpr const char* kSql =
      "WITH s AS (SELECT change_counter, counted_trials FROM winnow_studies WHERE study_id = $1), "
      "n AS (SELECT COALESCE(MAX(number) + 1, 0) AS next FROM winnow_trials WHERE study_id = $1), "
      "w AS (SELECT EXISTS (SELECT 1 FROM winnow_trials WHERE study_id = $1 AND "
      "state = 'waiting') AS waiting), "
      "ok AS (SELECT n.next, s.change_counter FROM n, s, w WHERE NOT w.waiting AND "
      "($6::bigint <= 0 OR s.counted_trials < $6::bigint) AND n.next >= $7::bigint AND "
      "n.next < $7::bigint + $8::bigint), "
      "t AS (INSERT INTO winnow_trials (study_id, number, state, start_ms, owner, retry_of, "
      "version, client_token, heartbeat_ms) SELECT $1, ok.next, $2, $3, $4, NULL, "
      "ok.change_counter, $5, " WINNOW_PG_NOW_MS " FROM ok RETURNING trial_id, number, version), "
      "p AS (INSERT INTO winnow_trial_params (trial_id, name, value_type, int_value, real_value, "
      "text_value) SELECT t.trial_id, u.name, u.type, u.i, u.r, u.x FROM t, unnest($9::bigint[], "
      "$10::text[], $11::text[], $12::bigint[], $13::float8[], $14::text[]) AS u(slot, name, "
      "type, i, r, x) WHERE u.slot = t.number - $7::bigint), "
      "a AS (INSERT INTO winnow_trial_user_attrs (trial_id, key, value_json) "
      "SELECT t.trial_id, u.key, u.value FROM t, unnest($15::bigint[], $16::text[], $17::text[]) "
      "AS u(slot, key, value) WHERE u.slot = t.number - $7::bigint), "
      "c AS (UPDATE winnow_studies SET counted_trials = counted_trials + $18 "
      "WHERE study_id = $1 AND $18 <> 0 AND EXISTS (SELECT 1 FROM t)) "
      "SELECT t.trial_id, t.number, t.version, n.next, w.waiting FROM n CROSS JOIN w "
      "LEFT JOIN t ON TRUE";
  ParamArrays arrays;
  ArrayText slots, attr_slots, keys, values;
  for (size_t slot = 0; slot < drafts.size(); ++slot) {
    const Storage::TrialDraft& draft = drafts[slot];
    for (size_t i = 0; i < draft.config.size(); ++i) slots.add(static_cast<int64_t>(slot));
    append_param_arrays(arrays, draft.config);
    for (const auto& [key, value] : draft.user_attrs) {
      attr_slots.add(static_cast<int64_t>(slot));
      keys.add(key);
      values.add(value);
    }
  }
  Params params;
  params.add(study_id).add(to_string(TrialState::kRunning)).add(start_ms);
  params.add_nonempty_or_null(owner).add(token).add(budget_limit).add(first_number);
  params.add(static_cast<int64_t>(drafts.size()));
  params.add(slots).add(arrays.names).add(arrays.types).add(arrays.ints).add(arrays.reals);
  params.add(arrays.texts).add(attr_slots).add(keys).add(values);
  params.add(storage_checks::is_counted(TrialState::kRunning, false) ? 1 : 0);
  return {kSql, std::move(params)};
}

}  // namespace winnow::postgres

namespace winnow {

Storage::AheadOutcome PostgresStorage::create_trial_from_drafts(
    int64_t study_id, std::string_view owner, int64_t budget_limit, int64_t first_number,
    const std::vector<TrialDraft>& drafts) {
  namespace pg = postgres;
  for (const TrialDraft& draft : drafts) {
    for (const auto& [key, value] : draft.user_attrs) storage_checks::check_user_attr(key, value);
  }
  const std::string token = pg::new_client_token(owner);
  bool waiting = false;
  AheadOutcome outcome;
  {
    std::lock_guard lock(mutex_);
    pg::Connection& db = *connection_;
    outcome = db.transaction(pg::Connection::Mode::kWrite, [&](bool maybe_committed) {
      AheadOutcome result;
      if (maybe_committed) {
        if (std::optional<FrozenTrial> mine = pg::find_by_token(db, url_, study_id, token, owner)) {
          result.status = AheadStatus::kCreated;
          result.trial = std::move(mine);
          return result;
        }
      }
      // The lock, the stamp of pending finishes, the insert and COMMIT: one round trip, so the
      // study's lock is held for the server's work alone.
      std::vector<pg::Connection::Statement> statements = pg::lock_study_statements(study_id);
      const size_t insert_at = statements.size();
      const int64_t start_ms = now_ms();
      statements.push_back(pg::insert_drafted_statement(study_id, owner, token, start_ms,
                                                        budget_limit, first_number, drafts));
      std::vector<pg::Result> results = db.execute_pipeline(statements, /*then_commit=*/true);
      if (results[1].rows() == 0) storage_checks::throw_unknown_study(study_id, url_);
      const int64_t counted = results[1].integer(0, 1);
      const pg::Result& inserted = results[insert_at];
      if (!inserted.is_null(0, 0)) {
        FrozenTrial trial;
        trial.id = inserted.integer(0, 0);
        trial.number = inserted.integer(0, 1);
        trial.version = inserted.integer(0, 2);
        trial.state = TrialState::kRunning;
        trial.owner = std::string(owner);
        trial.start_time_ms = start_ms;
        const TrialDraft& draft = drafts[static_cast<size_t>(trial.number - first_number)];
        trial.config = draft.config;
        trial.user_attrs = draft.user_attrs;
        result.status = AheadStatus::kCreated;
        result.trial = std::move(trial);
      } else if (budget_limit > 0 && counted >= budget_limit) {
        // kBudgetSpent
      } else if (inserted.boolean(0, 4)) {
        waiting = true;
      } else {
        result.status = AheadStatus::kOvertaken;
        result.next_number = inserted.integer(0, 3);
      }
      return result;
    });
    if (outcome.trial) db.note_row_id(outcome.trial->id);
  }
  // A waiting trial is claimed the usual way (rare: enqueued and requeued trials).
  if (waiting) {
    return Storage::create_trial_from_drafts(study_id, owner, budget_limit, first_number,
                                             drafts);
  }
  return outcome;
}

}  // namespace winnow

// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Storage in a PostgreSQL database, shared by any number of processes on any number of hosts.
// Every write to a study that decides something (a trial's number, a budget check, the claim of
// a waiting trial, a proposal) is one transaction that first takes the study's lock (bumping its
// change counter), so those writers are serialised exactly as SQLite's file lock serialises
// them and commit in version order. The usual finish and report of a running trial by its own
// process decide nothing of the study and skip the lock: they leave the trial's version pending
// (above every version), the next writer under the lock stamps it, and reads return such a trial with every read until
// then (with version 0). Readers never wait (a snapshot). Writers of different studies do not
// wait for each other.
//
// The connection survives the server restarting or going away for a while: an operation is
// retried on a new connection until StorageOptions::reconnect_seconds pass (see
// postgres_connection.h); work whose commit may have been lost is recognised, not repeated.
// The schema is documented in docs/storage.md.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "winnow/storage.h"

namespace winnow {

namespace postgres {
class Connection;
}

class PostgresStorage final : public Storage {
 public:
  // Connects to `url` (postgresql://... or postgres://...) and creates the tables if missing.
  // Throws StorageError naming the URL (without password) when the server cannot be reached,
  // refuses the connection, or the database holds tables of a newer Winnow.
  PostgresStorage(const std::string& url, const StorageOptions& options = {});
  ~PostgresStorage() override;

  int64_t create_study(const StudyRecord& study) override;
  std::optional<StudyRecord> find_study(std::string_view name) override;
  std::vector<StudyRecord> list_studies() override;
  void set_study_space(int64_t study_id, const std::string& space_json) override;
  bool replace_study_space(int64_t study_id, const std::string& expected,
                           const std::string& desired) override;
  void set_study_user_attr(int64_t study_id, std::string_view key,
                           std::string_view json_value) override;
  void delete_study(int64_t study_id) override;
  void rename_study(int64_t study_id, std::string_view new_name) override;

  std::optional<FrozenTrial> create_trial(int64_t study_id, const Config& config, TrialState state,
                                          std::string_view owner, int64_t budget_limit,
                                          std::optional<int64_t> retry_of,
                                          const std::map<std::string, std::string>& user_attrs = {},
                                          std::optional<int64_t> number = std::nullopt) override;
  std::optional<FrozenTrial> create_decided_trial(int64_t study_id,
                                                  std::optional<int64_t> since_version,
                                                  std::string_view owner, int64_t budget_limit,
                                                  const TrialDecider& decide) override;
  int64_t next_trial_number(int64_t study_id) override;
  // One round trip: the lock, the changes since `since_version`, the conditional insert and
  // COMMIT go in one pipeline, so the study's lock is never held across the network.
  AheadOutcome create_trial_ahead(int64_t study_id, int64_t since_version,
                                  std::string_view owner, int64_t budget_limit,
                                  const TrialDraft& draft,
                                  std::optional<int64_t> expected_number) override;
  // Asks in blocks: the lock, the checks, the running trial and the held ones in one statement
  // (postgres_held.cc).
  bool holds_trials() const override { return true; }
  AheadOutcome create_trials_ahead(int64_t study_id, std::string_view owner,
                                   int64_t budget_limit, const std::vector<TrialDraft>& drafts,
                                   std::optional<int64_t> expected_number) override;
  std::optional<int64_t> start_held_trial(int64_t trial_id, std::string_view owner) override;
  int release_held_trials(int64_t study_id, const std::vector<int64_t>& trial_ids,
                          std::string_view owner) override;
  std::optional<FrozenTrial> claim_waiting_trial(int64_t study_id, std::string_view owner,
                                                 int64_t budget_limit) override;
  void report(int64_t trial_id, int64_t step, double value,
              const TrialHolder& holder = {}) override;
  void set_user_attr(int64_t trial_id, std::string_view key, std::string_view json_value,
                     const TrialHolder& holder = {}) override;
  void finish_trial(int64_t trial_id, const TrialOutcome& outcome) override;
  void heartbeat(const std::vector<int64_t>& trial_ids, std::string_view owner) override;
  void discard_failed_trial(int64_t trial_id) override;

  std::vector<FrozenTrial> trials(int64_t study_id, int64_t since_version = 0) override;
  std::optional<FrozenTrial> trial(int64_t trial_id) override;
  int64_t counted_trials(int64_t study_id) override;
  int recover_orphaned_trials(int64_t study_id, const OrphanPolicy& policy) override;

  std::string url() const override { return url_; }

  // The URL as messages may show it: the password, if the URL holds one, is removed.
  static std::string display_url(std::string_view url);

  // How many times the connection replanned its statements as the tables grew
  // (postgres::Connection::note_row_id).
  int64_t plan_resets();

 private:
  // create_trial and create_decided_trial: one write transaction that locks the study, checks
  // the budget, and for an ask (`is_ask`) claims a waiting trial when one waits, or else asks
  // `decide` and inserts what it returns. An ask's COMMIT does not wait for its flush under the
  // lock; the ask waits for it after (postgres::wait_for_flush). Trials added by hand (enqueue,
  // retries) keep the session's own commit.
  std::optional<FrozenTrial> insert_decided(int64_t study_id,
                                            std::optional<int64_t> since_version,
                                            TrialState state, std::string_view owner,
                                            int64_t budget_limit,
                                            std::optional<int64_t> retry_of, bool is_ask,
                                            const TrialDecider& decide);

  // An ask made ahead whose COMMIT's answer was lost, asked again: what its first attempt did
  // (kCreated with its trial, if still the caller's; kOvertaken if the trial was taken since),
  // or nullopt when it made nothing. Inside the retried transaction, with mutex_ held.
  std::optional<AheadOutcome> recover_lost_ask(int64_t study_id, const std::string& token,
                                               std::string_view owner);

  const std::string url_;  // display_url() of the URL given
  std::mutex mutex_;
  std::unique_ptr<postgres::Connection> connection_;  // guarded by mutex_
};

}  // namespace winnow

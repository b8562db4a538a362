// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Storage in one SQLite file, shared safely by the threads of a process (one connection behind a
// mutex) and by several processes (SQLite's file locks; every write is one BEGIN IMMEDIATE
// transaction, retried while another process holds the lock). The schema is documented in
// docs/storage.md for plain-SQL queries.
//
// Like any SQLite connection, an open SqliteStorage must not be used across fork(): a child
// process opens its own.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "winnow/storage.h"

namespace winnow {

namespace sqlite {
class Database;
}

class SqliteStorage final : public Storage {
 public:
  // Opens the database at `path`, creating the file (not its folder) if missing. Throws
  // StorageError naming the path when the folder does not exist, the file cannot be opened, is
  // not a Winnow database, or was written by a newer Winnow.
  explicit SqliteStorage(const std::string& path, const StorageOptions& options = {});
  ~SqliteStorage() override;

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
  // The value of a PRAGMA on this connection, as text ("synchronous" -> "1"): for diagnostics.
  std::string pragma(const std::string& name);

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
  std::optional<FrozenTrial> claim_waiting_trial(int64_t study_id, std::string_view owner,
                                                 int64_t budget_limit) override;
  void report(int64_t trial_id, int64_t step, double value,
              const TrialHolder& holder = {}) override;
  void set_user_attr(int64_t trial_id, std::string_view key, std::string_view json_value,
                     const TrialHolder& holder = {}) override;
  void finish_trial(int64_t trial_id, const TrialOutcome& outcome) override;
  void discard_failed_trial(int64_t trial_id) override;

  std::vector<FrozenTrial> trials(int64_t study_id, int64_t since_version = 0) override;
  std::optional<FrozenTrial> trial(int64_t trial_id) override;
  int64_t counted_trials(int64_t study_id) override;
  void heartbeat(const std::vector<int64_t>& trial_ids, std::string_view owner) override;
  int recover_orphaned_trials(int64_t study_id, const OrphanPolicy& policy) override;

  std::string url() const override { return url_; }

 private:
  const std::string url_;  // "sqlite:///absolute/path"
  std::mutex mutex_;
  std::unique_ptr<sqlite::Database> database_;  // guarded by mutex_
};

}  // namespace winnow

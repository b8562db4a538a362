// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// In-process storage: everything lives in this object and is lost with it. Thread-safe (one
// mutex around every call); each call is atomic because it runs entirely under that mutex.
// Behaves exactly like the SQLite storage (both pass tests/unit/storage_test.cc), so a study can
// be tried in memory and moved to a file without surprises.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <vector>

#include "winnow/storage.h"

namespace winnow {

class MemoryStorage final : public Storage {
 public:
  MemoryStorage() = default;

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

  std::string url() const override { return "memory"; }

 private:
  struct StudyData {
    StudyRecord record;
    std::vector<int64_t> trial_ids;                // index = trial number
    std::set<int64_t> waiting_numbers;             // ordered: begin() is the oldest
    std::map<int64_t, int64_t> number_by_version;  // one entry per trial: its current version
    int64_t counted = 0;
    bool deleted = false;  // ids index studies_, so a deleted study keeps its slot
  };
  struct TrialData {
    int64_t study_id;
    FrozenTrial trial;
    int64_t heartbeat_ms = 0;  // 0: none yet (the start time stands in)
    int requeues = 0;          // times recover_orphaned_trials put it back in the queue
  };

  // All private members below require mutex_ to be held.
  StudyData& study_or_throw(int64_t study_id);
  TrialData& trial_or_throw(int64_t trial_id);
  bool budget_spent(const StudyData& study, int64_t budget_limit) const;
  // Appends a trial with the study's next number (the caller checked the budget).
  FrozenTrial insert_trial(int64_t study_id, const Config& config, TrialState state,
                           std::string_view owner, std::optional<int64_t> retry_of,
                           const std::map<std::string, std::string>& user_attrs);
  // Moves the study's oldest waiting trial (there is one) to running under `owner`.
  FrozenTrial claim_oldest_waiting(StudyData& study, std::string_view owner);
  // The study's trials whose version is greater than `since_version`, in number order.
  std::vector<FrozenTrial> changed_trials(const StudyData& study, int64_t since_version) const;
  // Applies `change` to a trial and keeps every derived index (waiting set, version index,
  // budget counter) in step with it; stamps the trial with a new version.
  template <typename Change>
  void update_trial(TrialData& data, Change&& change);

  std::mutex mutex_;
  std::vector<StudyData> studies_;  // study id = index + 1 (ids start at 1, as in SQLite)
  std::vector<TrialData> trials_;   // trial id = index + 1
  int64_t version_ = 0;             // storage-wide change counter
};

}  // namespace winnow

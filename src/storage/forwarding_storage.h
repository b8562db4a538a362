// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// A Storage that forwards every call to another one (LevelDB's EnvWrapper): a decorator
// overrides only the calls it changes (caching, retrying, injecting faults or, in tests, another
// process's writes at a chosen instant).
#pragma once

#include <memory>
#include <utility>

#include "winnow/storage.h"

namespace winnow {

class ForwardingStorage : public Storage {
 public:
  explicit ForwardingStorage(std::shared_ptr<Storage> target) : target_(std::move(target)) {}

  int64_t create_study(const StudyRecord& study) override { return target_->create_study(study); }
  std::optional<StudyRecord> find_study(std::string_view name) override {
    return target_->find_study(name);
  }
  std::vector<StudyRecord> list_studies() override { return target_->list_studies(); }
  void set_study_space(int64_t study_id, const std::string& space_json) override {
    target_->set_study_space(study_id, space_json);
  }
  void set_study_user_attr(int64_t study_id, std::string_view key,
                           std::string_view json_value) override {
    target_->set_study_user_attr(study_id, key, json_value);
  }
  bool replace_study_space(int64_t study_id, const std::string& expected,
                           const std::string& desired) override {
    return target_->replace_study_space(study_id, expected, desired);
  }
  void delete_study(int64_t study_id) override { target_->delete_study(study_id); }
  void rename_study(int64_t study_id, std::string_view new_name) override {
    target_->rename_study(study_id, new_name);
  }
  std::optional<FrozenTrial> create_trial(int64_t study_id, const Config& config,
                                          TrialState state, std::string_view owner,
                                          int64_t budget_limit, std::optional<int64_t> retry_of,
                                          const std::map<std::string, std::string>& user_attrs = {},
                                          std::optional<int64_t> number = std::nullopt) override {
    return target_->create_trial(study_id, config, state, owner, budget_limit, retry_of,
                                 user_attrs, number);
  }
  std::optional<FrozenTrial> create_decided_trial(int64_t study_id,
                                                  std::optional<int64_t> since_version,
                                                  std::string_view owner, int64_t budget_limit,
                                                  const TrialDecider& decide) override {
    return target_->create_decided_trial(study_id, since_version, owner, budget_limit, decide);
  }
  AheadOutcome create_trial_ahead(int64_t study_id, int64_t since_version,
                                  std::string_view owner, int64_t budget_limit,
                                  const TrialDraft& draft,
                                  std::optional<int64_t> expected_number) override {
    return target_->create_trial_ahead(study_id, since_version, owner, budget_limit, draft,
                                       expected_number);
  }
  bool holds_trials() const override { return target_->holds_trials(); }
  AheadOutcome create_trials_ahead(int64_t study_id, std::string_view owner,
                                   int64_t budget_limit, const std::vector<TrialDraft>& drafts,
                                   std::optional<int64_t> expected_number) override {
    // Through this object's create_trial_ahead for a single draft, or where the target holds
    // none, so that a wrapper of that call sees single asks as before.
    if (drafts.size() <= 1 || !target_->holds_trials()) {
      return Storage::create_trials_ahead(study_id, owner, budget_limit, drafts, expected_number);
    }
    return target_->create_trials_ahead(study_id, owner, budget_limit, drafts, expected_number);
  }
  std::optional<int64_t> start_held_trial(int64_t trial_id, std::string_view owner) override {
    return target_->start_held_trial(trial_id, owner);
  }
  int release_held_trials(int64_t study_id, const std::vector<int64_t>& trial_ids,
                          std::string_view owner) override {
    return target_->release_held_trials(study_id, trial_ids, owner);
  }
  int64_t next_trial_number(int64_t study_id) override {
    return target_->next_trial_number(study_id);
  }
  std::optional<FrozenTrial> claim_waiting_trial(int64_t study_id, std::string_view owner,
                                                 int64_t budget_limit) override {
    return target_->claim_waiting_trial(study_id, owner, budget_limit);
  }
  void report(int64_t trial_id, int64_t step, double value,
              const TrialHolder& holder = {}) override {
    target_->report(trial_id, step, value, holder);
  }
  void set_user_attr(int64_t trial_id, std::string_view key, std::string_view json_value,
                     const TrialHolder& holder = {}) override {
    target_->set_user_attr(trial_id, key, json_value, holder);
  }
  void finish_trial(int64_t trial_id, const TrialOutcome& outcome) override {
    target_->finish_trial(trial_id, outcome);
  }
  void discard_failed_trial(int64_t trial_id) override { target_->discard_failed_trial(trial_id); }
  std::vector<FrozenTrial> trials(int64_t study_id, int64_t since_version = 0) override {
    return target_->trials(study_id, since_version);
  }
  std::optional<FrozenTrial> trial(int64_t trial_id) override { return target_->trial(trial_id); }
  int64_t counted_trials(int64_t study_id) override { return target_->counted_trials(study_id); }
  void heartbeat(const std::vector<int64_t>& trial_ids, std::string_view owner) override {
    target_->heartbeat(trial_ids, owner);
  }
  int recover_orphaned_trials(int64_t study_id, const OrphanPolicy& policy) override {
    return target_->recover_orphaned_trials(study_id, policy);
  }
  std::string url() const override { return target_->url(); }

 protected:
  Storage& target() { return *target_; }

 private:
  std::shared_ptr<Storage> target_;
};

}  // namespace winnow

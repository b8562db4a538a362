// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "storage/memory_storage.h"

#include <algorithm>

#include "common/strings.h"
#include "storage/process_owner.h"
#include "storage/storage_checks.h"
#include "winnow/error.h"

namespace winnow {

using storage_checks::is_counted;

MemoryStorage::StudyData& MemoryStorage::study_or_throw(int64_t study_id) {
  if (study_id < 1 || study_id > static_cast<int64_t>(studies_.size()) ||
      studies_[study_id - 1].deleted) {
    storage_checks::throw_unknown_study(study_id, url());
  }
  return studies_[study_id - 1];
}

MemoryStorage::TrialData& MemoryStorage::trial_or_throw(int64_t trial_id) {
  if (trial_id < 1 || trial_id > static_cast<int64_t>(trials_.size())) {
    storage_checks::throw_unknown_trial(trial_id, url());
  }
  return trials_[trial_id - 1];
}

bool MemoryStorage::budget_spent(const StudyData& study, int64_t budget_limit) const {
  return budget_limit > 0 && study.counted >= budget_limit;
}

template <typename Change>
void MemoryStorage::update_trial(TrialData& data, Change&& change) {
  StudyData& study = studies_[data.study_id - 1];
  FrozenTrial& trial = data.trial;
  study.counted -= is_counted(trial.state, trial.interrupted);
  if (trial.state == TrialState::kWaiting) study.waiting_numbers.erase(trial.number);
  study.number_by_version.erase(trial.version);
  change(trial);
  trial.version = ++version_;
  study.number_by_version.emplace(trial.version, trial.number);
  if (trial.state == TrialState::kWaiting) study.waiting_numbers.insert(trial.number);
  study.counted += is_counted(trial.state, trial.interrupted);
}

int64_t MemoryStorage::create_study(const StudyRecord& study) {
  storage_checks::check_new_study(study);
  std::lock_guard lock(mutex_);
  for (const StudyData& existing : studies_) {
    if (!existing.deleted && existing.record.name == study.name) {
      storage_checks::throw_duplicate_study(study.name, url());
    }
  }
  StudyData data;
  data.record = study;
  data.record.id = static_cast<int64_t>(studies_.size()) + 1;
  if (data.record.created_ms == 0) data.record.created_ms = now_ms();
  studies_.push_back(std::move(data));
  return studies_.back().record.id;
}

std::optional<StudyRecord> MemoryStorage::find_study(std::string_view name) {
  std::lock_guard lock(mutex_);
  for (const StudyData& study : studies_) {
    if (!study.deleted && study.record.name == name) return study.record;
  }
  return std::nullopt;
}

std::vector<StudyRecord> MemoryStorage::list_studies() {
  std::lock_guard lock(mutex_);
  std::vector<StudyRecord> out;
  for (const StudyData& study : studies_) {
    if (!study.deleted) out.push_back(study.record);
  }
  return out;
}

void MemoryStorage::set_study_space(int64_t study_id, const std::string& space_json) {
  std::lock_guard lock(mutex_);
  study_or_throw(study_id).record.space_json = space_json;
}

bool MemoryStorage::replace_study_space(int64_t study_id, const std::string& expected,
                                        const std::string& desired) {
  std::lock_guard lock(mutex_);
  std::string& stored = study_or_throw(study_id).record.space_json;
  if (stored != expected) return false;
  stored = desired;
  return true;
}

void MemoryStorage::set_study_user_attr(int64_t study_id, std::string_view key,
                                        std::string_view json_value) {
  std::lock_guard lock(mutex_);
  study_or_throw(study_id).record.user_attrs[std::string(key)] = std::string(json_value);
}

void MemoryStorage::delete_study(int64_t study_id) {
  std::lock_guard lock(mutex_);
  StudyData& study = study_or_throw(study_id);
  study.deleted = true;
  study.trial_ids.clear();
  study.waiting_numbers.clear();
  study.number_by_version.clear();
  study.counted = 0;
}

void MemoryStorage::rename_study(int64_t study_id, std::string_view new_name) {
  std::lock_guard lock(mutex_);
  StudyData& study = study_or_throw(study_id);
  storage_checks::check_study_name(new_name);
  for (const StudyData& other : studies_) {
    if (!other.deleted && &other != &study && other.record.name == new_name) {
      storage_checks::throw_duplicate_study(new_name, url());
    }
  }
  study.record.name = std::string(new_name);
}

std::optional<FrozenTrial> MemoryStorage::create_trial(int64_t study_id, const Config& config,
                                                       TrialState state, std::string_view owner,
                                                       int64_t budget_limit,
                                                       std::optional<int64_t> retry_of,
    const std::map<std::string, std::string>& user_attrs, std::optional<int64_t> number) {
  storage_checks::check_initial_state(state);
  for (const auto& [key, value] : user_attrs) storage_checks::check_user_attr(key, value);
  std::lock_guard lock(mutex_);
  StudyData& study = study_or_throw(study_id);
  if (budget_spent(study, budget_limit)) return std::nullopt;
  if (number && *number != static_cast<int64_t>(study.trial_ids.size())) return std::nullopt;
  return insert_trial(study_id, config, state, owner, retry_of, user_attrs);
}

std::optional<FrozenTrial> MemoryStorage::create_decided_trial(
    int64_t study_id, std::optional<int64_t> since_version, std::string_view owner,
    int64_t budget_limit, const TrialDecider& decide) {
  std::lock_guard lock(mutex_);
  StudyData& study = study_or_throw(study_id);
  if (budget_spent(study, budget_limit)) return std::nullopt;
  if (!study.waiting_numbers.empty()) return claim_oldest_waiting(study, owner);
  std::vector<FrozenTrial> changed;
  if (since_version) changed = changed_trials(study, *since_version);
  std::optional<TrialDraft> draft =
      decide(static_cast<int64_t>(study.trial_ids.size()), std::move(changed));
  if (!draft) return std::nullopt;
  for (const auto& [key, value] : draft->user_attrs) storage_checks::check_user_attr(key, value);
  return insert_trial(study_id, draft->config, TrialState::kRunning, owner, std::nullopt,
                      draft->user_attrs);
}

FrozenTrial MemoryStorage::insert_trial(int64_t study_id, const Config& config, TrialState state,
                                        std::string_view owner, std::optional<int64_t> retry_of,
                                        const std::map<std::string, std::string>& user_attrs) {
  StudyData& study = studies_[study_id - 1];
  TrialData data{study_id, FrozenTrial{}};
  FrozenTrial& trial = data.trial;
  trial.id = static_cast<int64_t>(trials_.size()) + 1;
  trial.number = static_cast<int64_t>(study.trial_ids.size());
  trial.state = state;
  trial.config = config;
  trial.owner = std::string(owner);
  trial.retry_of = retry_of;
  trial.user_attrs = user_attrs;
  if (state == TrialState::kRunning) trial.start_time_ms = now_ms();
  trial.version = ++version_;

  study.trial_ids.push_back(trial.id);
  study.number_by_version.emplace(trial.version, trial.number);
  if (state == TrialState::kWaiting) study.waiting_numbers.insert(trial.number);
  study.counted += is_counted(trial.state, trial.interrupted);
  trials_.push_back(std::move(data));
  return trials_.back().trial;
}

int64_t MemoryStorage::next_trial_number(int64_t study_id) {
  std::lock_guard lock(mutex_);
  return static_cast<int64_t>(study_or_throw(study_id).trial_ids.size());
}

std::optional<FrozenTrial> MemoryStorage::claim_waiting_trial(int64_t study_id,
                                                              std::string_view owner,
                                                              int64_t budget_limit) {
  std::lock_guard lock(mutex_);
  StudyData& study = study_or_throw(study_id);
  if (budget_spent(study, budget_limit) || study.waiting_numbers.empty()) return std::nullopt;
  return claim_oldest_waiting(study, owner);
}

FrozenTrial MemoryStorage::claim_oldest_waiting(StudyData& study, std::string_view owner) {
  TrialData& data = trials_[study.trial_ids[*study.waiting_numbers.begin()] - 1];
  update_trial(data, [&](FrozenTrial& trial) {
    trial.state = TrialState::kRunning;
    trial.owner = std::string(owner);
    trial.start_time_ms = now_ms();
  });
  return data.trial;
}

void MemoryStorage::report(int64_t trial_id, int64_t step, double value,
                           const TrialHolder& holder) {
  std::lock_guard lock(mutex_);
  TrialData& data = trial_or_throw(trial_id);
  storage_checks::check_holder(holder, trial_id, data.trial.number, data.trial.state,
                               data.trial.interrupted, data.trial.owner,
                               data.trial.start_time_ms);
  if (data.trial.state != TrialState::kRunning) {
    storage_checks::throw_wrong_state("report to", trial_id, data.trial.number, data.trial.state);
  }
  update_trial(data, [&](FrozenTrial& trial) { trial.intermediate[step] = value; });
}

void MemoryStorage::set_user_attr(int64_t trial_id, std::string_view key,
                                  std::string_view json_value, const TrialHolder& holder) {
  storage_checks::check_user_attr(key, json_value);
  std::lock_guard lock(mutex_);
  TrialData& data = trial_or_throw(trial_id);
  storage_checks::check_holder(holder, trial_id, data.trial.number, data.trial.state,
                               data.trial.interrupted, data.trial.owner,
                               data.trial.start_time_ms);
  if (is_finished(data.trial.state)) {
    storage_checks::throw_wrong_state("set a user attribute of", trial_id, data.trial.number,
                                      data.trial.state);
  }
  update_trial(data, [&](FrozenTrial& trial) {
    trial.user_attrs[std::string(key)] = std::string(json_value);
  });
}

void MemoryStorage::finish_trial(int64_t trial_id, const TrialOutcome& outcome) {
  std::lock_guard lock(mutex_);
  TrialData& data = trial_or_throw(trial_id);
  storage_checks::check_finish_owner(outcome, trial_id, data.trial.number, data.trial.state,
                                     data.trial.interrupted, data.trial.owner,
                                     data.trial.start_time_ms);
  if (data.trial.state != TrialState::kRunning) {
    storage_checks::throw_wrong_state("finish", trial_id, data.trial.number, data.trial.state);
  }
  const StudyData& study = studies_[data.study_id - 1];
  storage_checks::check_outcome(outcome, study.record.directions.size(), trial_id,
                                data.trial.number);
  update_trial(data, [&](FrozenTrial& trial) {
    trial.state = outcome.state;
    trial.values = outcome.values;
    trial.metrics = outcome.metrics;
    trial.constraints = outcome.constraints;
    trial.end_time_ms = now_ms();
    bool failed = outcome.state == TrialState::kFailed;
    trial.failure_reason = failed ? outcome.failure_reason : std::string();
    trial.interrupted = failed && outcome.interrupted;
    if (outcome.config) trial.config = *outcome.config;
  });
}

std::vector<FrozenTrial> MemoryStorage::trials(int64_t study_id, int64_t since_version) {
  std::lock_guard lock(mutex_);
  return changed_trials(study_or_throw(study_id), since_version);
}

std::vector<FrozenTrial> MemoryStorage::changed_trials(const StudyData& study,
                                                       int64_t since_version) const {
  std::vector<int64_t> numbers;
  for (auto it = study.number_by_version.upper_bound(since_version);
       it != study.number_by_version.end(); ++it) {
    numbers.push_back(it->second);
  }
  std::sort(numbers.begin(), numbers.end());
  std::vector<FrozenTrial> out;
  out.reserve(numbers.size());
  for (int64_t number : numbers) out.push_back(trials_[study.trial_ids[number] - 1].trial);
  return out;
}

std::optional<FrozenTrial> MemoryStorage::trial(int64_t trial_id) {
  std::lock_guard lock(mutex_);
  if (trial_id < 1 || trial_id > static_cast<int64_t>(trials_.size())) return std::nullopt;
  return trials_[trial_id - 1].trial;
}

int64_t MemoryStorage::counted_trials(int64_t study_id) {
  std::lock_guard lock(mutex_);
  return study_or_throw(study_id).counted;
}

void MemoryStorage::discard_failed_trial(int64_t trial_id) {
  std::lock_guard lock(mutex_);
  TrialData& data = trial_or_throw(trial_id);
  if (data.trial.state != TrialState::kFailed) {
    storage_checks::throw_wrong_state("discard", trial_id, data.trial.number, data.trial.state);
  }
  if (data.trial.interrupted) return;
  update_trial(data, [](FrozenTrial& trial) { trial.interrupted = true; });
}

void MemoryStorage::heartbeat(const std::vector<int64_t>& trial_ids, std::string_view owner) {
  std::lock_guard lock(mutex_);
  const int64_t now = now_ms();
  for (int64_t trial_id : trial_ids) {
    if (trial_id < 1 || trial_id > static_cast<int64_t>(trials_.size())) continue;
    TrialData& data = trials_[trial_id - 1];
    if (data.trial.state == TrialState::kRunning && data.trial.owner == owner) {
      data.heartbeat_ms = now;
    }
  }
}

int MemoryStorage::recover_orphaned_trials(int64_t study_id, const OrphanPolicy& policy) {
  std::lock_guard lock(mutex_);
  StudyData& study = study_or_throw(study_id);
  const int64_t now = now_ms();
  int recovered = 0;
  for (int64_t trial_id : study.trial_ids) {
    TrialData& data = trials_[trial_id - 1];
    if (data.trial.state != TrialState::kRunning) continue;
    int64_t last_sign = data.heartbeat_ms != 0 ? data.heartbeat_ms : data.trial.start_time_ms;
    if (!owner_is_lost(data.trial.owner, last_sign, now, policy.lease_ms)) continue;
    ++recovered;
    bool requeue = policy.requeue && data.requeues == 0;
    if (requeue) {
      ++data.requeues;
      data.heartbeat_ms = 0;
    }
    update_trial(data, [&](FrozenTrial& trial) {
      if (requeue) {
        // It will run again from the start: what the dead attempt reported would mislead a
        // pruner comparing the new run's steps.
        trial.state = TrialState::kWaiting;
        trial.owner.clear();
        trial.start_time_ms = 0;
        trial.intermediate.clear();
      } else {
        trial.state = TrialState::kFailed;
        trial.interrupted = true;
        trial.failure_reason = policy.reason;
        trial.end_time_ms = now;
      }
    });
  }
  return recovered;
}

}  // namespace winnow

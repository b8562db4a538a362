// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "dashboard/study_cache.h"

#include <algorithm>

namespace winnow::dashboard {

StudyCache::StudyCache(std::shared_ptr<Storage> storage, std::chrono::milliseconds max_age)
    : storage_(std::move(storage)), max_age_(max_age) {}

std::shared_ptr<const StudySnapshot> StudyCache::refresh(Entry& entry,
                                                         const StudyRecord& record) {
  std::lock_guard refresh_lock(entry.refresh);
  const auto now = std::chrono::steady_clock::now();
  std::shared_ptr<const StudySnapshot> current;
  bool fresh = false;
  {
    std::lock_guard lock(mutex_);
    current = entry.snapshot;
    fresh = now - entry.refreshed < max_age_;
  }
  if (current && current->study.id == record.id && fresh) {
    return current;
  }
  // A study deleted and created again under the same name starts from scratch.
  const bool same_study = current && current->study.id == record.id;
  const int64_t since = same_study ? current->version : 0;
  std::vector<FrozenTrial> changed = storage_->trials(record.id, since);
  auto next = std::make_shared<StudySnapshot>();
  next->study = record;
  if (same_study && changed.empty()) {
    next->trials = current->trials;  // the record may still have changed (a grown space)
    next->version = current->version;
  } else {
    if (same_study) next->trials = current->trials;
    next->version = since;
    for (FrozenTrial& trial : changed) {
      next->version = std::max(next->version, trial.version);
      const auto number = static_cast<size_t>(trial.number);
      if (number >= next->trials.size()) next->trials.resize(number + 1);
      next->trials[number] = std::move(trial);
    }
    // Numbers are dense; a gap (a trial being created as we read) is dropped until it arrives.
    auto gap = std::find_if(next->trials.begin(), next->trials.end(),
                            [](const FrozenTrial& t) { return t.number < 0; });
    if (gap != next->trials.end()) {
      next->version = std::min(next->version, since);
      next->trials.erase(gap, next->trials.end());
    }
  }
  std::lock_guard lock(mutex_);
  entry.snapshot = next;
  entry.refreshed = now;
  return next;
}

std::vector<std::shared_ptr<const StudySnapshot>> StudyCache::all() {
  std::vector<std::shared_ptr<const StudySnapshot>> snapshots;
  for (const StudyRecord& record : storage_->list_studies()) {
    Entry* entry;
    {
      std::lock_guard lock(mutex_);
      std::unique_ptr<Entry>& slot = entries_[record.name];
      if (!slot) slot = std::make_unique<Entry>();
      entry = slot.get();
    }
    snapshots.push_back(refresh(*entry, record));
  }
  return snapshots;
}

std::shared_ptr<const StudySnapshot> StudyCache::get(std::string_view name) {
  std::optional<StudyRecord> record = storage_->find_study(name);
  if (!record) return nullptr;
  Entry* entry;
  {
    std::lock_guard lock(mutex_);
    std::unique_ptr<Entry>& slot = entries_[record->name];
    if (!slot) slot = std::make_unique<Entry>();
    entry = slot.get();
  }
  return refresh(*entry, *record);
}

void StudyCache::invalidate(std::string_view name) {
  std::lock_guard lock(mutex_);
  auto found = entries_.find(name);
  if (found != entries_.end()) found->second->refreshed = {};
}

ImportanceReport StudyCache::importance(const StudySnapshot& snapshot,
                                        const ImportanceOptions& options) {
  const std::string key = snapshot.study.name + "/" + std::to_string(snapshot.study.id) + "/" +
                          std::to_string(snapshot.version) + "/" +
                          std::string(to_string(options.method)) + "/" +
                          std::to_string(options.objective);
  {
    std::lock_guard lock(mutex_);
    auto found = importance_.find(key);
    if (found != importance_.end()) return found->second;
  }
  ImportanceReport report = parameter_importance(snapshot.study, snapshot.trials, options);
  std::lock_guard lock(mutex_);
  // Older versions of the study are of no further use.
  const std::string prefix = snapshot.study.name + "/";
  for (auto it = importance_.begin(); it != importance_.end();) {
    it = it->first.starts_with(prefix) ? importance_.erase(it) : std::next(it);
  }
  importance_.emplace(key, report);
  return report;
}

}  // namespace winnow::dashboard

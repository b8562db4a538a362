// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "dashboard/study_cache.h"

#include <algorithm>
#include <map>

namespace winnow::dashboard {
namespace {

// Folds what can change in a trial whose change is not stamped yet (its state, its number of
// values and of reported steps) into `digest` (FNV-1a over 64-bit words).
uint64_t digest_pending(uint64_t digest, const FrozenTrial& trial) {
  if (digest == 0) digest = 14695981039346656037ull;
  for (uint64_t word : {static_cast<uint64_t>(trial.number), static_cast<uint64_t>(trial.state),
                        static_cast<uint64_t>(trial.values.size()),
                        static_cast<uint64_t>(trial.intermediate.size())}) {
    digest = (digest ^ word) * 1099511628211ull;
  }
  return digest;
}

}  // namespace

void TrialList::put(std::vector<FrozenTrial> trials) {
  std::map<size_t, std::shared_ptr<std::vector<FrozenTrial>>> copies;  // chunk -> its new copy
  for (FrozenTrial& trial : trials) {
    const auto number = static_cast<size_t>(trial.number);
    const size_t c = number / kChunk;
    while (chunks_.size() <= c) {
      chunks_.push_back(std::make_shared<const std::vector<FrozenTrial>>());
    }
    auto& copy = copies[c];
    if (!copy) copy = std::make_shared<std::vector<FrozenTrial>>(*chunks_[c]);
    if (copy->size() <= number % kChunk) copy->resize(number % kChunk + 1);
    (*copy)[number % kChunk] = std::move(trial);
    size_ = std::max(size_, number + 1);
  }
  for (auto& [c, copy] : copies) chunks_[c] = std::move(copy);
  // Every chunk but the last holds kChunk trials; one a gap left short is padded with empty
  // trials (number -1), which the caller truncates.
  for (size_t c = 0; c + 1 < chunks_.size(); ++c) {
    if (chunks_[c]->size() < kChunk) {
      auto full = std::make_shared<std::vector<FrozenTrial>>(*chunks_[c]);
      full->resize(kChunk);
      chunks_[c] = std::move(full);
    }
  }
  if (!chunks_.empty() && chunks_.back()->size() < size_ - (chunks_.size() - 1) * kChunk) {
    auto last = std::make_shared<std::vector<FrozenTrial>>(*chunks_.back());
    last->resize(size_ - (chunks_.size() - 1) * kChunk);
    chunks_.back() = std::move(last);
  }
}

void TrialList::truncate(size_t size) {
  if (size >= size_) return;
  size_ = size;
  chunks_.resize((size + kChunk - 1) / kChunk);
  if (!chunks_.empty() && size % kChunk != 0) {
    auto last = std::make_shared<std::vector<FrozenTrial>>(*chunks_.back());
    last->resize(size % kChunk);
    chunks_.back() = std::move(last);
  }
}

std::span<const FrozenTrial> TrialList::flat() const {
  std::call_once(flat_once_, [&] {
    flat_.reserve(size_);
    for (const FrozenTrial& trial : *this) flat_.push_back(trial);
  });
  return flat_;
}

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
  if (same_study && changed.empty() && current->study.space_json == record.space_json &&
      current->study.user_attrs == record.user_attrs && current->study.name == record.name) {
    std::lock_guard lock(mutex_);
    entry.refreshed = now;  // nothing changed: the snapshot stays
    return current;
  }
  auto next = std::make_shared<StudySnapshot>();
  next->study = record;
  next->version = since;
  if (same_study) {
    // Shares every chunk with the current snapshot until put() copies one.
    next->trials = current->trials;
  }
  for (const FrozenTrial& trial : changed) {
    next->version = std::max(next->version, trial.version);
    if (trial.version == 0) next->pending = digest_pending(next->pending, trial);
  }
  next->trials.put(std::move(changed));
  // Numbers are dense; a gap (a trial being created as we read) is dropped until it arrives.
  for (size_t i = 0; i < next->trials.size(); ++i) {
    if (next->trials[i].number < 0) {
      next->version = std::min(next->version, since);
      next->trials.truncate(i);
      break;
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
                          std::to_string(snapshot.pending) + "/" +
                          std::string(to_string(options.method)) + "/" +
                          std::to_string(options.objective);
  {
    std::lock_guard lock(mutex_);
    auto found = importance_.find(key);
    if (found != importance_.end()) return found->second;
  }
  ImportanceReport report = parameter_importance(snapshot.study, snapshot.trials.flat(), options);
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

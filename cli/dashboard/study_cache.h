// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// What the dashboard reads from storage: one snapshot per study, brought up to date with the
// trials changed since its version (Storage::trials(study, since_version)), so a study of
// 100,000 trials is read once and then only its changes. Snapshots are immutable and shared:
// a request works on the one it got while a refresh builds the next.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "winnow/importance.h"
#include "winnow/storage.h"

namespace winnow::dashboard {

// A study's trials by number, in chunks shared between snapshots: a refresh copies only the
// chunks whose trials changed (while a study runs, the last ones), not 100,000 trials.
class TrialList {
 public:
  static constexpr size_t kChunk = 1024;

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const FrozenTrial& operator[](size_t i) const { return (*chunks_[i / kChunk])[i % kChunk]; }
  const FrozenTrial& back() const { return (*this)[size_ - 1]; }

  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = FrozenTrial;
    using difference_type = std::ptrdiff_t;
    using pointer = const FrozenTrial*;
    using reference = const FrozenTrial&;
    Iterator(const TrialList* list, size_t index) : list_(list), index_(index) {}
    const FrozenTrial& operator*() const { return (*list_)[index_]; }
    const FrozenTrial* operator->() const { return &(*list_)[index_]; }
    Iterator& operator++() {
      ++index_;
      return *this;
    }
    bool operator==(const Iterator& other) const { return index_ == other.index_; }
    bool operator!=(const Iterator& other) const { return index_ != other.index_; }

   private:
    const TrialList* list_;
    size_t index_;
  };
  Iterator begin() const { return {this, 0}; }
  Iterator end() const { return {this, size_}; }

  TrialList() = default;
  // A copy shares every chunk; only flat() is not shared.
  TrialList(const TrialList& other) : chunks_(other.chunks_), size_(other.size_) {}
  TrialList& operator=(const TrialList& other) {
    chunks_ = other.chunks_;
    size_ = other.size_;
    return *this;
  }

  // Puts each trial at its number (growing the list), copying each chunk they fall in once.
  void put(std::vector<FrozenTrial> trials);
  // Drops every trial from `size` on.
  void truncate(size_t size);
  // The trials in one contiguous block, built once per snapshot, for the analyses that take a
  // span (Pareto front, importance). Thread-safe.
  std::span<const FrozenTrial> flat() const;

 private:
  std::vector<std::shared_ptr<const std::vector<FrozenTrial>>> chunks_;
  size_t size_ = 0;
  mutable std::once_flag flat_once_;
  mutable std::vector<FrozenTrial> flat_;
};

struct StudySnapshot {
  StudyRecord study;
  TrialList trials;
  int64_t version = 0;  // the largest trial version seen
  // A digest of the trials whose change the storage has not stamped yet (version 0, returned by
  // every read): with the version, it tells two snapshots' histories apart.
  uint64_t pending = 0;
};

class StudyCache {
 public:
  // A snapshot younger than `max_age` is served without asking the storage again.
  StudyCache(std::shared_ptr<Storage> storage, std::chrono::milliseconds max_age);

  // Every study of the storage, each brought up to date.
  std::vector<std::shared_ptr<const StudySnapshot>> all();
  // The named study up to date, or nullptr when the storage has none of that name.
  std::shared_ptr<const StudySnapshot> get(std::string_view name);

  // Makes the next get() of the study read the storage, whatever its snapshot's age (after this
  // process changed the study).
  void invalidate(std::string_view name);

  // The importance of a snapshot's parameters, computed once per study version and options.
  ImportanceReport importance(const StudySnapshot& snapshot, const ImportanceOptions& options);

  Storage& storage() { return *storage_; }

 private:
  struct Entry {
    std::mutex refresh;  // one refresh of a study at a time
    std::shared_ptr<const StudySnapshot> snapshot;
    std::chrono::steady_clock::time_point refreshed;
  };
  std::shared_ptr<const StudySnapshot> refresh(Entry& entry, const StudyRecord& record);

  std::shared_ptr<Storage> storage_;
  std::chrono::milliseconds max_age_;
  std::mutex mutex_;  // guards entries_ and importance_
  std::map<std::string, std::unique_ptr<Entry>, std::less<>> entries_;
  std::map<std::string, ImportanceReport> importance_;  // "<study>/<version>/<pending>/..."
};

}  // namespace winnow::dashboard

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
#include <string>
#include <string_view>
#include <vector>

#include "winnow/importance.h"
#include "winnow/storage.h"

namespace winnow::dashboard {

struct StudySnapshot {
  StudyRecord study;
  std::vector<FrozenTrial> trials;  // by number
  int64_t version = 0;              // the largest trial version seen
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
  std::map<std::string, ImportanceReport> importance_;  // "<study>/<version>/<options>"
};

}  // namespace winnow::dashboard

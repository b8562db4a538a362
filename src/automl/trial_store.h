// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// What a finished AutoML trial leaves for the ensemble: its out-of-fold predictions (float32,
// over the validation plan's scored rows) and its fold models (as bytes). Only the `capacity`
// best trials, and the `per_family` best of each model family (so the ensemble can draw on
// diverse models even when one family fills the top), are kept: memory stays bounded however
// long the search runs, and within a byte budget. With a directory,
// each kept trial is also a file there (written atomically, removed when evicted), so a fit
// interrupted and started again finds them.
#pragma once
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace winnow::automl {

struct StoredTrial {
  int64_t trial = 0;
  double loss = 0;          // smaller is better
  double score = 0;         // the metric as reported
  double fit_seconds = 0;
  std::string family;
  std::string config_json;
  std::vector<float> oof;               // scored rows * outputs
  std::vector<std::string> fold_models; // save_fold_model() bytes, one per fold
};

class TrialStore {
 public:
  // `directory` empty keeps everything in memory.
  // `max_bytes` bounds the predictions and fold models held: past it, the worst trials go first
  // (the best one always stays).
  TrialStore(size_t capacity, size_t per_family, uint64_t max_bytes, std::string directory);
  // Keeps the trial if it is among the best `capacity`; thread-safe.
  void add(StoredTrial trial);
  // Reads the kept trials from the directory (those of `complete_trials` only) and returns
  // how many were found.
  size_t load(const std::vector<int64_t>& complete_trials, size_t expected_oof_size);
  // The kept trials, best first.
  std::vector<const StoredTrial*> best() const;
  bool empty() const;

 private:
  std::string path_of(int64_t trial) const;
  void write(const StoredTrial& trial) const;
  // Trials that are neither among the best `capacity_` nor among their family's best
  // `per_family_`, worst first.
  std::vector<int64_t> surplus() const;
  size_t capacity_;
  size_t per_family_;
  uint64_t max_bytes_;
  std::string directory_;
  mutable std::mutex mutex_;
  std::map<int64_t, StoredTrial> trials_;
};

}  // namespace winnow::automl

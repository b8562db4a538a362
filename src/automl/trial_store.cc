// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "automl/trial_store.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "automl/serial.h"
#include "winnow/error.h"

namespace winnow::automl {
namespace {
constexpr uint32_t kTrialFileVersion = 1;
}  // namespace

TrialStore::TrialStore(size_t capacity, size_t per_family, uint64_t max_bytes,
                       std::string directory)
    : capacity_(std::max<size_t>(capacity, 1)),
      per_family_(per_family),
      max_bytes_(max_bytes),
      directory_(std::move(directory)) {
  if (!directory_.empty()) {
    std::error_code error;
    std::filesystem::create_directories(directory_, error);
    if (error) throw Error("cannot create " + directory_ + ": " + error.message());
  }
}

std::string TrialStore::path_of(int64_t trial) const {
  return directory_ + "/trial-" + std::to_string(trial) + ".bin";
}

void TrialStore::write(const StoredTrial& trial) const {
  Writer out;
  out.u32(kTrialFileVersion);
  out.i64(trial.trial);
  out.f64(trial.loss);
  out.f64(trial.score);
  out.f64(trial.fit_seconds);
  out.str(trial.family);
  out.str(trial.config_json);
  out.floats(trial.oof);
  out.u64(trial.fold_models.size());
  for (const std::string& bytes : trial.fold_models) out.str(bytes);
  std::string path = path_of(trial.trial);
  std::string temporary = path + ".tmp";
  {
    std::ofstream file(temporary, std::ios::binary | std::ios::trunc);
    file.write(out.buffer().data(), static_cast<std::streamsize>(out.buffer().size()));
    if (!file) throw Error("cannot write " + temporary);
  }
  std::filesystem::rename(temporary, path);
}

namespace {
uint64_t bytes_of(const StoredTrial& trial) {
  uint64_t bytes = trial.oof.size() * sizeof(float);
  for (const std::string& model : trial.fold_models) bytes += model.size();
  return bytes;
}
}  // namespace

std::vector<int64_t> TrialStore::surplus() const {
  std::vector<const StoredTrial*> ranked;
  for (const auto& [number, trial] : trials_) ranked.push_back(&trial);
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const StoredTrial* a, const StoredTrial* b) { return a->loss < b->loss; });
  std::map<std::string, size_t> seen;
  std::vector<int64_t> out;
  uint64_t bytes = 0;
  for (size_t rank = 0; rank < ranked.size(); ++rank) {
    size_t in_family = seen[ranked[rank]->family]++;
    bool wanted = rank < capacity_ || in_family < per_family_;
    uint64_t size = bytes_of(*ranked[rank]);
    if (!wanted || (rank > 0 && bytes + size > max_bytes_)) {
      out.push_back(ranked[rank]->trial);
    } else {
      bytes += size;
    }
  }
  std::reverse(out.begin(), out.end());
  return out;
}

void TrialStore::add(StoredTrial trial) {
  if (!std::isfinite(trial.loss)) return;
  std::lock_guard lock(mutex_);
  int64_t number = trial.trial;
  trials_[number] = std::move(trial);
  std::vector<int64_t> drop = surplus();
  bool kept = std::find(drop.begin(), drop.end(), number) == drop.end();
  for (int64_t surplus_trial : drop) {
    if (surplus_trial != number && !directory_.empty()) {
      std::filesystem::remove(path_of(surplus_trial));
    }
    trials_.erase(surplus_trial);
  }
  if (kept && !directory_.empty()) write(trials_.at(number));
}

size_t TrialStore::load(const std::vector<int64_t>& complete_trials, size_t expected_oof_size) {
  if (directory_.empty()) return 0;
  std::lock_guard lock(mutex_);
  for (int64_t number : complete_trials) {
    std::ifstream file(path_of(number), std::ios::binary);
    if (!file) continue;
    std::ostringstream buffer;
    buffer << file.rdbuf();
    std::string bytes = buffer.str();
    try {
      Reader in(bytes);
      if (in.u32() != kTrialFileVersion) continue;
      StoredTrial trial;
      trial.trial = in.i64();
      trial.loss = in.f64();
      trial.score = in.f64();
      trial.fit_seconds = in.f64();
      trial.family = in.str();
      trial.config_json = in.str();
      trial.oof = in.floats();
      uint64_t folds = in.count(1u << 10);
      for (uint64_t f = 0; f < folds; ++f) trial.fold_models.push_back(in.str());
      if (trial.trial != number || trial.oof.size() != expected_oof_size) continue;
      trials_[number] = std::move(trial);
    } catch (const Error&) {
      continue;  // a file cut short by a crash: the trial is simply not a candidate
    }
  }
  for (int64_t surplus_trial : surplus()) trials_.erase(surplus_trial);
  return trials_.size();
}

bool TrialStore::empty() const {
  std::lock_guard lock(mutex_);
  return trials_.empty();
}

std::vector<const StoredTrial*> TrialStore::best() const {
  std::lock_guard lock(mutex_);
  std::vector<const StoredTrial*> out;
  for (const auto& [number, trial] : trials_) out.push_back(&trial);
  std::stable_sort(out.begin(), out.end(),
                   [](const StoredTrial* a, const StoredTrial* b) { return a->loss < b->loss; });
  return out;
}

}  // namespace winnow::automl

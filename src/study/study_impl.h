// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include "study/metric_limits.h"
#include "winnow/study.h"

namespace winnow {

struct StudyCore {
  std::shared_ptr<Storage> storage;
  SearchSpace space;
  StudyOptions options;
  StudyRecord record;
  std::string owner;  // this_process_owner()

  // Sampling is serialised: the sampler sees every trial created before it, including the ones
  // this process's other workers just started.
  std::mutex sampler_mutex;
  std::unique_ptr<Sampler> sampler;
  int64_t initial_trial_count = -1;
  // Budget schedulers and pruners. BOHB's random fraction draws from `random_sampler`.
  std::unique_ptr<Scheduler> scheduler;
  std::unique_ptr<Sampler> random_sampler;
  // The study's budget; min = max = 1 when it declares none.
  BudgetSpec budget;
  // StudyOptions::constraints, parsed.
  std::vector<MetricLimit> limits;

  // Cache of the study's trials, indexed by number (numbers are gapless), kept current through
  // Storage::trials(since_version) so a sync costs what changed, not the study's size.
  std::mutex history_mutex;
  std::vector<FrozenTrial> history;
  int64_t last_version = 0;

  void sync_history();  // requires history_mutex
  std::optional<Trial> make_trial(FrozenTrial record);
  // The next trial of a budget scheduler; requires sampler_mutex.
  std::optional<Trial> ask_scheduled(const std::string& owner, int64_t budget_limit);
  bool should_prune(const FrozenTrial& trial);
};

}  // namespace winnow

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
  // What the user should know about how this Study object differs from the stored study.
  std::vector<std::string> notes;
  // Store the proposing sampler's name with every trial (the study's sampler was changed).
  bool record_sampler = false;

  // Sampling is serialised: the sampler sees every trial created before it, including the ones
  // this process's other workers just started.
  std::mutex sampler_mutex;
  std::unique_ptr<Sampler> sampler;
  // The number this process expects its next trial to get, for samplers that read no history;
  // -1 until read from storage (again after another process took the expected one).
  int64_t next_number = -1;
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

  // What to create next: a configuration, its system attributes, and the trial number it was
  // proposed for (it must be created under exactly that number). Both require sampler_mutex;
  // nullopt when the sampler has nothing left to propose.
  struct Proposal {
    Config config;
    std::map<std::string, std::string> attrs;
    int64_t number = 0;
  };
  std::optional<Proposal> propose();
  std::optional<Proposal> propose_scheduled();
  bool should_prune(const FrozenTrial& trial);
};

}  // namespace winnow

// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Reports and the final test evaluation of algorithm-configuration studies (studies with
// instances, winnow/instances.h; docs/configuration.md).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "winnow/instances.h"
#include "winnow/study.h"
#include "winnow/trial.h"

namespace winnow {

struct InstanceRunCost {
  std::string instance;
  uint64_t seed = 0;
  double cost = 0;  // +inf for a failed run of a value cost
  bool censored = false;
  bool failed = false;
  bool finished = false;
};

struct ConfigurationSummary {
  int64_t id = -1;
  Config config;
  int64_t runs = 0;       // tuning runs, finished or not
  int64_t finished = 0;
  double mean_cost = 0;   // over its finished runs (+inf with a failed value run)
  int64_t censored = 0;   // runs cut at their cap or the cutoff
  std::string status;     // "incumbent", "alive", "eliminated", "rejected"
  std::string reason;     // why it was eliminated or rejected, or became the incumbent
};

struct ConfigurationReport {
  bool is_configuration = false;  // the study holds runs on instances
  RunCostKind cost = RunCostKind::kValue;
  std::optional<int64_t> incumbent;
  std::vector<ConfigurationSummary> configurations;  // in order of their first run
  std::vector<InstanceRunCost> incumbent_train;      // the incumbent's tuning runs
  std::vector<InstanceRunCost> incumbent_test;       // its runs on the test instances
  std::optional<double> test_cost;  // mean over the test instances, once all have finished
  int64_t tuning_runs = 0;
  int64_t test_runs = 0;
  int64_t censored_runs = 0;
  double run_seconds = 0;           // wall time of every run, tuning and test
  std::vector<std::string> notes;   // e.g. racing's soft restarts
};

// What the runs say: the configurations, their verdicts, the incumbent (intensification's last
// incumbent; under racing, among the configurations never eliminated and run on at least half
// as many instances as the most run one, the lowest mean cost over the instances they share).
ConfigurationReport configuration_report(const StudyRecord& study,
                                         std::span<const FrozenTrial> trials);
std::string format_configuration_report(const ConfigurationReport& report, int top);
std::string configuration_report_json(const ConfigurationReport& report);

// Once no tuning run is running (other workers' last runs can still change the incumbent; a
// stop request ends the wait), records the verdicts of the last runs with the study
// (Study::record_closing_decisions), then runs the incumbent on every test instance it has not
// run on yet, `jobs` at a time, as trials marked as test runs (never seen by the configurators; they do not count in a study's trial
// budget check, which happens before them). The seed of test instance i is the same for every
// study, so two configurators are compared on the same runs. Returns the number of runs made.
int evaluate_incumbent_on_test(Study& study, const Objective& objective, int jobs,
                               const StopSignal* stop);

}  // namespace winnow

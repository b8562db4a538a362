// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The parts of a command objective's run that belong to algorithm configuration: the
// instance and seed a trial runs with, its time limit (the cutoff, or a tighter cap set by
// racing or intensification), and the cost of a runtime-costed run.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "runner/process.h"
#include "winnow/command.h"
#include "winnow/storage.h"
#include "winnow/study.h"

namespace winnow {

struct InstanceRun {
  std::optional<double> limit;  // seconds the run may take: its cap, else the cutoff
};

// Sets placeholders.instance and placeholders.seed from the trial's attributes and returns the
// run's limit.
InstanceRun prepare_instance_run(const CommandObjectiveOptions& options, const Trial& trial,
                                 CommandPlaceholders& placeholders);

// The command template with options.seed_arg in its place (see CommandObjectiveOptions).
std::vector<std::string> command_with_seed_arg(const CommandObjectiveOptions& options);

// The outcome of a finished run. kRuntime: an accepted exit is complete with the measured wall
// time; a run killed at its limit is complete, censored, at InstanceSet::censored_cost. kValue:
// a run killed at the cutoff fails, saying so.
TrialOutcome instance_run_outcome(const CommandObjectiveOptions& options, const InstanceRun& run,
                                  const ProcessResult& process, TrialOutcome outcome);

}  // namespace winnow

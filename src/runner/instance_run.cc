// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "runner/instance_run.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/strings.h"
#include "winnow/attributes.h"

namespace winnow {
namespace {

std::optional<std::string> attr_text(const Trial& trial, std::string_view key) {
  const auto& attrs = trial.record().user_attrs;
  auto it = attrs.find(std::string(key));
  if (it == attrs.end()) return std::nullopt;
  nlohmann::json value = nlohmann::json::parse(it->second, nullptr, false);
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_integer()) return std::to_string(value.get<int64_t>());
  if (value.is_number()) return format_double(value.get<double>());
  return std::nullopt;
}

bool accepted(const CommandObjectiveOptions& options, int exit_code) {
  return std::find(options.exit_codes.begin(), options.exit_codes.end(), exit_code) !=
         options.exit_codes.end();
}

}  // namespace

InstanceRun prepare_instance_run(const CommandObjectiveOptions& options, const Trial& trial,
                                 CommandPlaceholders& placeholders) {
  placeholders.instances = true;
  placeholders.instance = attr_text(trial, kInstanceAttr);
  placeholders.seed = attr_text(trial, kRunSeedAttr);
  InstanceRun run;
  if (options.cutoff_seconds > 0) run.limit = options.cutoff_seconds;
  if (std::optional<std::string> cap = attr_text(trial, kCapAttr)) {
    double seconds = std::strtod(cap->c_str(), nullptr);
    if (seconds > 0) run.limit = run.limit ? std::min(*run.limit, seconds) : seconds;
  }
  return run;
}

std::vector<std::string> command_with_seed_arg(const CommandObjectiveOptions& options) {
  std::vector<std::string> command = options.command;
  if (options.seed_arg.empty()) return command;
  auto named = std::find_if(command.begin(), command.end(), [](const std::string& argument) {
    return argument.find("{instance}") != std::string::npos;
  });
  command.insert(named, options.seed_arg);
  return command;
}

TrialOutcome instance_run_outcome(const CommandObjectiveOptions& options, const InstanceRun& run,
                                  const ProcessResult& process, TrialOutcome outcome) {
  const bool at_limit = process.ending == ProcessEnding::kTimedOut && run.limit &&
                        (options.timeout_seconds <= 0 || *run.limit < options.timeout_seconds);
  // What the run cost the machine, for users who account for a configurator's CPU time (and
  // for capping's measured savings); a metric the program reported itself stands.
  outcome.metrics.emplace("cpu_seconds", process.cpu_seconds);
  if (options.cost == RunCostKind::kValue) {
    if (at_limit) {
      outcome.failure_reason = "ran past the cutoff of " + format_double(*run.limit) + " s";
    }
    return outcome;
  }
  InstanceSet costing;
  costing.cutoff_seconds = options.cutoff_seconds;
  costing.par_factor = options.par_factor;
  const bool exited_well =
      process.ending == ProcessEnding::kExited && accepted(options, process.exit_code);
  if (!exited_well && !at_limit) return outcome;  // a crash, a stop, a refused exit status
  TrialOutcome timed;
  timed.state = TrialState::kComplete;
  timed.metrics["runtime"] = process.elapsed_seconds;
  timed.metrics["cpu_seconds"] = outcome.metrics.at("cpu_seconds");
  const bool censored = at_limit || (options.cutoff_seconds > 0 &&
                                     process.elapsed_seconds >= options.cutoff_seconds);
  if (censored) {
    timed.metrics["censored"] = 1;
    timed.values = {costing.censored_cost(at_limit ? *run.limit : options.cutoff_seconds)};
  } else {
    timed.values = {process.elapsed_seconds};
  }
  return timed;
}

}  // namespace winnow

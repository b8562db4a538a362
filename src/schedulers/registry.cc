// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "schedulers/registry.h"

#include <utility>
#include <vector>

#include "common/strings.h"
#include "samplers/sampler_util.h"
#include "winnow/error.h"

namespace winnow {
namespace {

using SchedulerFactory = std::unique_ptr<Scheduler> (*)(const SchedulerOptions&, uint64_t);

// One line per scheduler.
const std::vector<std::pair<std::string, SchedulerFactory>>& scheduler_registry() {
  static const std::vector<std::pair<std::string, SchedulerFactory>> kSchedulers = {
      {"none", &create_no_scheduler},
      {"median", &create_median_pruner},
      {"percentile", &create_percentile_pruner},
      {"sh", &create_successive_halving},
      {"hyperband", &create_hyperband},
      {"asha", &create_asha},
      {"bohb", &create_bohb},
      {"sh_pruner", &create_sh_pruner},
      {"hyperband_pruner", &create_hyperband_pruner},
      {"threshold", &create_threshold_pruner},
  };
  return kSchedulers;
}

// Every trial runs to its end at the full budget.
class NoScheduler final : public Scheduler {
 public:
  std::string_view name() const override { return "none"; }
  bool assigns_budgets() const override { return false; }
};

}  // namespace

std::unique_ptr<Scheduler> create_no_scheduler(const SchedulerOptions& options, uint64_t) {
  SamplerOptionReader("none", options, "scheduler").finish();
  return std::make_unique<NoScheduler>();
}

SamplerSpec parse_scheduler_spec(std::string_view text) {
  try {
    return SamplerSpec::parse(text);
  } catch (const Error& e) {
    std::string message = e.what();
    if (message.rfind("sampler spec", 0) == 0) message.replace(0, 7, "scheduler");
    throw Error(message);
  }
}

void check_sampler_for_budget_scheduler(std::string_view sampler, std::string_view scheduler) {
  if (!sampler_traits(sampler).learns_from_any_trials) {
    std::vector<std::string> usable;
    for (const std::string& name : sampler_names()) {
      if (sampler_traits(name).learns_from_any_trials) usable.push_back(name);
    }
    throw Error("sampler '" + std::string(sampler) + "' cannot be combined with scheduler '" +
                std::string(scheduler) +
                "' (it cannot learn from trials at mixed budgets); use one of " +
                join(usable, ", "));
  }
}

std::unique_ptr<Scheduler> create_scheduler(const SamplerSpec& spec, uint64_t seed) {
  for (const auto& [name, factory] : scheduler_registry()) {
    if (name == spec.name) return factory(spec.options, seed);
  }
  std::vector<std::string> names = scheduler_names();
  throw Error("unknown scheduler '" + spec.name + "'" + did_you_mean(spec.name, names) +
              "; available: " + join(names, ", "));
}

std::vector<std::string> scheduler_names() {
  std::vector<std::string> names;
  for (const auto& entry : scheduler_registry()) names.push_back(entry.first);
  return names;
}

}  // namespace winnow

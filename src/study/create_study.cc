// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Study::create: checks the options against the space and the storage, then creates the study or
// joins the stored one of the same name.
#include <random>

#include "common/strings.h"
#include "samplers/registry.h"
#include "samplers/sampler_util.h"
#include "schedulers/registry.h"
#include "space/space_diff.h"
#include "space/space_json.h"
#include "study/study_impl.h"
#include "winnow/error.h"
#include "winnow/study.h"

namespace winnow {

namespace {

std::string describe_directions(const std::vector<Direction>& directions) {
  std::vector<std::string> names;
  for (Direction d : directions) names.emplace_back(to_string(d));
  std::string text = "[";  // appended, not "[" + ... + "]": GCC 12 warns wrongly on that
  text += join(names, ", ");
  text += ']';
  return text;
}

void check_budget_scheduler(const StudyOptions& options, const SamplerSpec& scheduler) {
  if (!options.budget) {
    throw Error("study '" + options.name + "': scheduler '" + scheduler.name +
                "' gives trials budgets, so the study needs one: set StudyOptions::budget (in a "
                "study file, a [budget] table with min and max)");
  }
  if (options.directions.size() != 1) {
    throw Error("study '" + options.name + "': scheduler '" + scheduler.name +
                "' compares trials on one objective, but the study has " +
                std::to_string(options.directions.size()));
  }
}

// Algorithm configuration: one trial is one run, and the sampler (or intensification) decides
// which; a scheduler or pruner would cut runs on its own terms.
void check_configuration_study(const StudyOptions& options, const SamplerSpec& scheduler,
                               const Scheduler& created) {
  if (options.directions.size() != 1) {
    throw Error("study '" + options.name + "': algorithm configuration optimises one cost per "
                "run, but the study has " + std::to_string(options.directions.size()) +
                " objectives");
  }
  if (created.assigns_budgets() || created.prunes()) {
    throw Error("study '" + options.name + "': scheduler '" + scheduler.name + "' cannot be "
                "used with instances: racing and capping decide how long each run gets");
  }
  if (options.instances->train.empty()) {
    throw Error("study '" + options.name + "': no training instances");
  }
  if (options.instances->cost == RunCostKind::kRuntime &&
      !(options.instances->cutoff_seconds > 0)) {
    throw Error("study '" + options.name + "': a runtime cost needs a cutoff");
  }
}

// Under a budget scheduler the sampler sees only the trials of one budget, which changes over
// time: samplers that replay their own past proposals (CMA-ES) or walk a fixed list (grid)
// cannot follow that. "auto" becomes what the scheduler's paper uses, starting to model as soon
// as a budget has min_points complete trials.
SamplerSpec sampler_for_budget_scheduler(const SamplerSpec& sampler, const SamplerSpec& scheduler,
                                         const Scheduler& created, const SearchSpace& space) {
  // The scheduler withholds the model's training set until a budget has min_points complete
  // trials, so a model-based sampler needs no start-up phase of its own on top of that.
  auto min_points = scheduler.options.find("min_points");
  std::string n_startup = min_points != scheduler.options.end()
                              ? min_points->second
                              : std::to_string(space.params().size() + 2);
  SamplerSpec adjusted = sampler;
  if (sampler.name == "auto") adjusted = SamplerSpec{std::string(created.default_sampler())};
  check_sampler_for_budget_scheduler(adjusted.name, scheduler.name);
  if (sampler_traits(adjusted.name).takes_n_startup && !adjusted.options.contains("n_startup")) {
    adjusted.options["n_startup"] = n_startup;
  }
  return adjusted;
}

}  // namespace

Study Study::create(std::shared_ptr<Storage> storage, SearchSpace space, StudyOptions options) {
  if (!storage) throw Error("Study::create: no storage given");
  if (options.name.empty()) throw Error("the study name must not be empty");
  if (!(options.lease_seconds > 0)) {
    throw Error("study '" + options.name + "': lease_seconds = " +
                format_short(options.lease_seconds) + ". Violated constraint: > 0");
  }
  if (options.directions.empty()) throw Error("a study needs at least one direction");
  if (!options.objective_names.empty() &&
      options.objective_names.size() != options.directions.size()) {
    throw Error("study '" + options.name + "': " + std::to_string(options.objective_names.size()) +
                " objective names for " + std::to_string(options.directions.size()) +
                " directions");
  }
  space.validate();
  SamplerSpec sampler_spec = SamplerSpec::parse(options.sampler);
  uint64_t seed = options.seed ? *options.seed : std::random_device{}();

  auto impl = std::make_unique<StudyCore>();
  impl->storage_holds = storage->holds_trials();
  SamplerSpec scheduler_spec = parse_scheduler_spec(options.scheduler);
  impl->scheduler = create_scheduler(scheduler_spec, mix_seed(seed, 0x5c4ed));
  if (options.budget) {
    options.budget->validate();
    impl->budget = *options.budget;
  } else {
    impl->budget = BudgetSpec{.min = 1, .max = 1};
  }
  if (impl->scheduler->assigns_budgets()) {
    if (space.is_define_by_run()) {
      throw Error("study '" + options.name + "': scheduler '" + scheduler_spec.name +
                  "' continues configurations at larger budgets, which needs a declared space; "
                  "with a define-by-run objective use a pruner (median, percentile)");
    }
    check_budget_scheduler(options, scheduler_spec);
    impl->scheduler->check_budget(impl->budget);
    sampler_spec =
        sampler_for_budget_scheduler(sampler_spec, scheduler_spec, *impl->scheduler, space);
    impl->random_sampler = create_sampler(SamplerSpec{"random"}, mix_seed(seed, 0xb0b));
  }
  impl->sampler = create_sampler(sampler_spec, seed);
  if (options.instances) {
    check_configuration_study(options, scheduler_spec, *impl->scheduler);
    if (!sampler_traits(sampler_spec.name).configures_runs) {
      impl->sampler = wrap_in_intensification(std::move(impl->sampler), seed);
    }
  }
  impl->sampler_spec = sampler_spec;
  impl->seed = seed;
  impl->proposes_ahead = sampler_traits(sampler_spec.name).proposes_ahead &&
                         !impl->scheduler->assigns_budgets() && !options.instances;
  impl->draws_at_random = sampler_traits(sampler_spec.name).draws_at_random;
  impl->draws_from_any_position = sampler_traits(sampler_spec.name).draws_from_any_position &&
                                  !impl->scheduler->assigns_budgets() && !options.instances;
  impl->salt_base = (static_cast<uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}();
  for (const std::string& text : options.constraints) {
    impl->limits.push_back(parse_metric_limit(text));
  }
  impl->storage = storage;
  impl->owner = this_process_owner();

  StudyRecord wanted;
  wanted.name = options.name;
  wanted.directions = options.directions;
  wanted.objective_names = options.objective_names;
  wanted.space_json = space.to_json();
  wanted.sampler = sampler_spec.to_string();
  wanted.created_ms = now_ms();

  // Two processes may start the same study at once: the loser of the insert opens it.
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::optional<StudyRecord> existing = storage->find_study(options.name);
    if (existing) {
      if (!options.load_if_exists) {
        throw StudyExistsError("study '" + options.name + "' already exists in " +
                               storage->url());
      }
      if (existing->directions != wanted.directions) {
        throw Error("study '" + options.name + "' in " + storage->url() + " has directions " +
                    describe_directions(existing->directions) + ", not " +
                    describe_directions(wanted.directions));
      }
      if (space.is_define_by_run()) {
        // A define-by-run objective brings no space of its own: it works in the stored one
        // (grown by every process so far, or declared by a study file).
        space = space_from_json(existing->space_json);
        wanted.space_json = existing->space_json;
      } else if (existing->space_json != wanted.space_json) {
        SpaceDiff diff = diff_spaces(existing->space_json, wanted.space_json);
        if (!diff.incompatible.empty()) {
          throw Error("study '" + options.name + "' in " + storage->url() +
                      " was created with another search space, and these changes would leave "
                      "its trials outside the new one:\n  - " +
                      join(diff.incompatible, "\n  - ") +
                      "\nWidening a range, adding a choice or a parameter, or dropping a "
                      "forbidden clause is allowed; for anything else use another study name "
                      "(or another storage).");
        }
        if (!diff.compatible.empty()) {
          storage->set_study_space(existing->id, wanted.space_json);
          existing->space_json = wanted.space_json;
          impl->notes.push_back("the search space of study '" + options.name +
                                "' changed: " + join(diff.compatible, "; "));
        }
      }
      impl->record = *existing;
      if (existing->sampler != wanted.sampler) {
        // Allowed (a study may move on to another sampler), but never silently: every trial
        // from now on records the sampler that proposed it.
        impl->record_sampler = true;
        impl->notes.push_back("study '" + options.name + "' was created with sampler '" +
                              existing->sampler + "'; this run uses '" + wanted.sampler +
                              "' (each trial records the sampler that proposed it)");
      }
      break;
    }
    try {
      wanted.id = storage->create_study(wanted);
      impl->record = wanted;
      break;
    } catch (const StorageError&) {
      throw;
    } catch (const Error&) {
      if (attempt == 1) throw;
    }
  }
  if (storage->url() != "memory") {
    impl->lease = std::make_unique<LeaseKeeper>(storage, impl->record.id, impl->owner,
                                                options.lease_seconds);
  }
  if (options.instances) {
    const InstanceSet& instances = *options.instances;
    std::string settings = std::string("{\"cost\": \"") +
                           (instances.cost == RunCostKind::kRuntime ? "runtime" : "value") +
                           "\", \"cutoff\": " + format_double(instances.cutoff_seconds) +
                           ", \"par\": " + format_double(instances.par_factor) + "}";
    if (impl->record.user_attrs[std::string(kRunCostAttr)] != settings) {
      storage->set_study_user_attr(impl->record.id, kRunCostAttr, settings);
      impl->record.user_attrs[std::string(kRunCostAttr)] = settings;
    }
  }
  impl->space = std::move(space);
  impl->options = std::move(options);
  return Study(std::move(impl));
}

}  // namespace winnow

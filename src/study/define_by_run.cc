// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Define-by-run: the objective names its parameters as it runs (Trial::suggest), and the study's
// space grows with them. The sampler still proposes a whole configuration when a trial starts,
// over every parameter known then, so model-based samplers model parameters that only some
// trials ask for (TPE groups parameters by the trials they were active in); a trial stores only
// the parameters it asked for, so the others count as inactive there.
#include <iostream>
#include <mutex>
#include <random>
#include <shared_mutex>

#include "common/strings.h"
#include "samplers/sampler_util.h"
#include "space/encoding.h"
#include "space/space_diff.h"
#include "space/space_json.h"
#include "study/study_impl.h"
#include "winnow/error.h"

namespace winnow {
namespace {

// A parameter's place in the seeded stream must not depend on the standard library. The basis
// is not FNV's own; it stays, because it places every stored study's parameters.
uint64_t name_hash(std::string_view name) { return fnv1a_64(name, 1469598103934665603ull); }

std::string definition_conflict(const std::string& study, const ParamSpec& asked,
                                const ParamSpec& known) {
  return "parameter '" + asked.name + "' is asked for as " + describe_param(asked) +
         ", but study '" + study + "' defines it as " + describe_param(known) +
         " (a parameter keeps one definition for the whole study; use another name for "
         "another range)";
}

// Throws winnow::Error naming the parameter when `spec` is not a valid definition.
void validate_alone(const ParamSpec& spec) {
  SearchSpace alone;
  alone.define_by_run().add(spec);
  alone.validate();
}

}  // namespace

std::string Study::space_json() const {
  std::shared_lock space_lock(impl_->space_mutex);
  return impl_->space.to_json();
}

size_t Study::space_size() const {
  std::shared_lock space_lock(impl_->space_mutex);
  return impl_->space.size();
}

ParamValue Trial::suggest(const ParamSpec& spec) {
  if (study_ == nullptr) throw Error("suggest: trial " + std::to_string(number()) + " has no study");
  return study_->suggest(*this, spec);
}

ParamValue StudyCore::suggest(Trial& trial, const ParamSpec& spec) {
  const bool define_by_run = space.is_define_by_run();
  // The common case, a parameter the study knows: compared and drawn under the shared lock,
  // without copying its definition.
  for (int attempt = 0; attempt < 2; ++attempt) {
    {
      std::shared_lock space_lock(space_mutex);
      int index = space.index_of(spec.name);
      if (index >= 0) {
        const ParamSpec& known = space.params()[static_cast<size_t>(index)];
        if (!same_definition(spec, known)) {
          validate_alone(spec);
          throw Error(definition_conflict(record.name, spec, known));
        }
        auto asked = trial.record_.config.find(spec.name);
        if (asked != trial.record_.config.end()) return asked->second;
        return draw(trial, known);
      }
    }
    if (attempt == 1) break;
    validate_alone(spec);
    if (!define_by_run) {
      std::vector<std::string> names;
      for (const ParamSpec& p : space.params()) names.push_back(p.name);
      throw Error("parameter '" + spec.name + "' is not in the declared search space of study '" +
                  record.name + "'" + did_you_mean(spec.name, names));
    }
    std::lock_guard sampler_lock(sampler_mutex);
    grow_space(&spec);
  }
  throw Error("parameter '" + spec.name + "' could not be added to study '" + record.name + "'");
}

// The value of a known parameter the trial asks for the first time. Requires space_mutex.
ParamValue StudyCore::draw(Trial& trial, const ParamSpec& known) {
  if (!space.is_define_by_run()) {
    auto it = trial.record_.config.find(known.name);
    if (it == trial.record_.config.end()) {
      throw Error("parameter '" + known.name + "' is inactive in trial " +
                  std::to_string(trial.number()) + " (condition: " + known.condition + ")");
    }
    return it->second;
  }
  if (auto it = trial.proposal_.find(known.name); it != trial.proposal_.end()) {
    try {
      return trial.record_.config[known.name] = coerce_value(known, it->second);
    } catch (const Error& error) {
      // An enqueued value outside the range the objective asks for: a model could not place
      // it, so one is drawn instead, and the user is told rather than left to wonder.
      std::cerr << "winnow: warning: trial " << trial.number() << ": the queued value of '"
                << known.name << "' does not fit what the objective asks for (" << error.what()
                << "); a value was drawn instead\n";
    }
  }
  // A parameter first known after this trial started: a uniform draw, from the trial's own
  // place in the seeded stream.
  std::mt19937_64 rng(mix_seed(mix_seed(seed, static_cast<uint64_t>(trial.number())),
                               name_hash(known.name)));
  double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
  return trial.record_.config[known.name] = decode_unit(known, u);
}

void StudyCore::grow_space(const ParamSpec* added) {
  // Compare and set: when another process grew the stored space in between, merge again.
  while (true) {
    std::optional<StudyRecord> stored = storage->find_study(record.name);
    if (!stored || stored->id != record.id) {
      throw Error("study '" + record.name + "' is no longer in " + storage->url());
    }
    SearchSpace merged = space_from_json(stored->space_json);
    merged.define_by_run();
    bool changed = false;
    for (const ParamSpec& local : space.params()) {
      if (merged.find(local.name) == nullptr) {
        merged.add(local);
        changed = true;
      }
    }
    if (added != nullptr) {
      if (const ParamSpec* other = merged.find(added->name)) {
        if (!same_definition(*added, *other)) {
          throw Error(definition_conflict(record.name, *added, *other));
        }
      } else {
        ParamSpec spec = *added;
        spec.default_value.reset();
        spec.condition.clear();
        merged.add(std::move(spec));
        changed = true;
      }
    }
    merged.validate();
    std::string merged_json = merged.to_json();
    if (changed && !storage->replace_study_space(record.id, stored->space_json, merged_json)) {
      continue;
    }
    {
      std::unique_lock space_lock(space_mutex);
      space = std::move(merged);
      space_stale = false;
    }
    record.space_json = std::move(merged_json);
    // The samplers' views of the history and their models are shaped by the space: make them
    // anew, as for a resumed study; they rebuild from the stored trials.
    sampler = create_sampler(sampler_spec, seed);
    return;
  }
}

}  // namespace winnow

// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "samplers/registry.h"

#include <utility>
#include <vector>

#include "common/strings.h"
#include "winnow/error.h"

namespace winnow {
namespace {

using SamplerFactory = std::unique_ptr<Sampler> (*)(const SamplerOptions&, uint64_t);

struct Registration {
  std::string name;
  SamplerFactory factory;
  SamplerTraits traits;
};

constexpr SamplerTraits kAnyObjectives{.multi_objective = true};
constexpr SamplerTraits kRandom{.multi_objective = true, .draws_from_any_position = true};
// The model-based samplers: they propose from whatever history they are shown.
constexpr SamplerTraits kModelBased{
    .multi_objective = true, .takes_n_startup = true, .proposes_ahead = true};
constexpr SamplerTraits kTpe{.multi_objective = true,
                             .takes_n_startup = true,
                             .proposes_ahead = true,
                             .draws_at_random = true};

// One line per sampler.
const std::vector<Registration>& sampler_registry() {
  static const std::vector<Registration> kSamplers = {
      {"random", &create_random_sampler, kRandom},
      {"sobol", &create_sobol_sampler, kAnyObjectives},
      {"grid", &create_grid_sampler, {.multi_objective = true, .learns_from_any_trials = false}},
      {"tpe", &create_tpe_sampler, kTpe},
      {"motpe", &create_motpe_sampler, kTpe},
      {"gp", &create_gp_sampler, kModelBased},
      {"cmaes", &create_cmaes_sampler, {.learns_from_any_trials = false}},
      {"auto", &create_auto_sampler, kAnyObjectives},
      {"nsga2", &create_nsga2_sampler, kAnyObjectives},
      {"rf", &create_rf_sampler, {.takes_n_startup = true, .proposes_ahead = true}},
      {"race", &create_race_sampler, {.learns_from_any_trials = false, .configures_runs = true}},
  };
  return kSamplers;
}

const Registration& find_registration(std::string_view name) {
  for (const Registration& entry : sampler_registry()) {
    if (entry.name == name) return entry;
  }
  std::vector<std::string> names = sampler_names();
  throw Error("unknown sampler '" + std::string(name) + "'" + did_you_mean(name, names) +
              "; available: " + join(names, ", "));
}

}  // namespace

SamplerSpec SamplerSpec::parse(std::string_view text) {
  SamplerSpec spec;
  std::string trimmed = trim(text);
  size_t colon = trimmed.find(':');
  spec.name = trim(trimmed.substr(0, colon));
  if (spec.name.empty()) throw Error("sampler spec '" + trimmed + "' has no sampler name");
  if (colon == std::string::npos) return spec;
  std::string rest = trimmed.substr(colon + 1);
  size_t start = 0;
  while (start <= rest.size()) {
    size_t comma = rest.find(',', start);
    std::string item = trim(rest.substr(start, comma == std::string::npos ? std::string::npos
                                                                           : comma - start));
    if (!item.empty()) {
      size_t equals = item.find('=');
      if (equals == std::string::npos) {
        throw Error("sampler spec '" + trimmed + "': option '" + item + "' needs the form key=value");
      }
      std::string key = trim(item.substr(0, equals));
      if (key.empty()) throw Error("sampler spec '" + trimmed + "': an option has no key");
      spec.options[key] = trim(item.substr(equals + 1));
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return spec;
}

std::string SamplerSpec::to_string() const {
  std::string text = name;
  char separator = ':';
  for (const auto& [key, value] : options) {
    text += separator + key + "=" + value;
    separator = ',';
  }
  return text;
}

std::unique_ptr<Sampler> create_sampler(const SamplerSpec& spec, uint64_t seed) {
  return find_registration(spec.name).factory(spec.options, seed);
}

SamplerTraits sampler_traits(std::string_view name) { return find_registration(name).traits; }

std::vector<std::string> sampler_names() {
  std::vector<std::string> names;
  for (const Registration& entry : sampler_registry()) names.push_back(entry.name);
  return names;
}

}  // namespace winnow

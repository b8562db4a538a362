// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Factories of the built-in samplers, one per file in src/samplers/; registry.cc maps names to
// them.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "winnow/sampler.h"

namespace winnow {

using SamplerOptions = std::map<std::string, std::string>;

std::unique_ptr<Sampler> create_random_sampler(const SamplerOptions& options, uint64_t seed);
std::unique_ptr<Sampler> create_sobol_sampler(const SamplerOptions& options, uint64_t seed);
std::unique_ptr<Sampler> create_grid_sampler(const SamplerOptions& options, uint64_t seed);
std::unique_ptr<Sampler> create_tpe_sampler(const SamplerOptions& options, uint64_t seed);
std::unique_ptr<Sampler> create_motpe_sampler(const SamplerOptions& options, uint64_t seed);
std::unique_ptr<Sampler> create_gp_sampler(const SamplerOptions& options, uint64_t seed);
std::unique_ptr<Sampler> create_cmaes_sampler(const SamplerOptions& options, uint64_t seed);
std::unique_ptr<Sampler> create_auto_sampler(const SamplerOptions& options, uint64_t seed);
std::unique_ptr<Sampler> create_nsga2_sampler(const SamplerOptions& options, uint64_t seed);
std::unique_ptr<Sampler> create_rf_sampler(const SamplerOptions& options, uint64_t seed);
std::unique_ptr<Sampler> create_race_sampler(const SamplerOptions& options, uint64_t seed);
// Algorithm configuration with a sampler that only proposes configurations: SMAC-style
// intensification decides each run (src/samplers/intensify.cc). Without instances in the
// context it is `inner` itself.
std::unique_ptr<Sampler> wrap_in_intensification(std::unique_ptr<Sampler> inner, uint64_t seed);

}  // namespace winnow

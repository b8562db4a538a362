// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The "gp" sampler's proposal for two or three objectives, or for one with constraints
// (gp_multi_objective.cc): one GP per objective on the shared encoding, log EHVI over the
// feasible front (gp_ehvi.h; EI with one objective), constraints by the probability that each
// holds, running trials as kriging-believer fantasies.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <vector>

#include "samplers/gp_common.h"
#include "winnow/sampler.h"

namespace winnow::gp {

// The most objectives EHVI is computed for: its box decomposition grows as n^(m-1).
inline constexpr size_t kMaxObjectives = 3;

// Proposes the next configuration of a study with 1..kMaxObjectives objectives and at least two
// complete trials. `evaluated` holds the snapped encodings of every configuration already
// evaluated or running. Deterministic in (seed, trial count, history).
std::optional<Config> propose_multi_objective(const SampleContext& context,
                                              const GpOptions& options, uint64_t seed,
                                              const std::set<std::vector<double>>& evaluated);

}  // namespace winnow::gp

// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// What a study with several objectives (or constraints) has found: its Pareto front and how much
// of the objective space the front dominates (hypervolume), over time.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "winnow/storage.h"
#include "winnow/trial.h"

namespace winnow {

// Indices of the Pareto front: complete, feasible trials (constraint values <= 0) that no other
// such trial dominates, in trial order. With one objective, the best feasible trial(s).
std::vector<size_t> pareto_front_trials(std::span<const FrozenTrial> trials,
                                        std::span<const Direction> directions);

// The reference point Winnow uses when none is given, in the objectives' own directions: for each
// objective, the worst value among complete feasible trials moved a tenth of the observed range
// further (worst + 1 when every value is equal). A minimised objective's reference is above its
// values, a maximised one's below. Empty when no trial is complete and feasible.
std::vector<double> automatic_reference_point(std::span<const FrozenTrial> trials,
                                              std::span<const Direction> directions);

// Hypervolume dominated by the front of `trials` and bounded by `reference` (in the objectives'
// own directions): exact for 2 and 3 objectives and for moderate fronts beyond; a Monte Carlo
// estimate for very large fronts with 4+ objectives (`exact` false).
struct FrontHypervolume {
  double value = 0;
  bool exact = true;
};
FrontHypervolume front_hypervolume(std::span<const FrozenTrial> trials,
                                   std::span<const Direction> directions,
                                   std::span<const double> reference);

// Hypervolume of the front of the first k trials (by number), at about `points` values of k
// evenly spread up to every trial: (k, hypervolume) pairs.
std::vector<std::pair<int64_t, double>> hypervolume_history(std::span<const FrozenTrial> trials,
                                                            std::span<const Direction> directions,
                                                            std::span<const double> reference,
                                                            int points = 10);

// `winnow show --pareto`: the front as a table (trial, values, feasibility, parameters) sorted by
// the first objective, its hypervolume and reference point, and the hypervolume history.
// Throws winnow::Error when `reference` has the wrong length.
std::string pareto_report(const StudyRecord& study, std::span<const FrozenTrial> trials,
                          const std::optional<std::vector<double>>& reference = std::nullopt);

}  // namespace winnow

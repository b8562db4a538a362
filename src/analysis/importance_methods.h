// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The two estimators behind winnow/importance.h, on plain numbers: importance.cc picks the trials
// and encodes the parameters, these rate them.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "winnow/importance.h"

namespace winnow {

// fANOVA on the rows of `x` (row-major, `n_features` columns, every value in [0, 1]) against
// `y`: each feature's main-effect variance as a fraction of the total, averaged over the trees
// whose prediction varies at all, and the standard deviation of that fraction over them.
struct FanovaFractions {
  std::vector<double> mean;
  std::vector<double> std;
};
FanovaFractions fanova_fractions(std::span<const double> x, size_t n_features,
                                 std::span<const double> y, const ImportanceOptions& options);

// How one parameter's values are binned for PED-ANOVA: `cells` grid cells over [0, 1] (a unit
// value u falls in cell floor(u * cells)); `categorical` cells are unordered choices.
struct PedAnovaGrid {
  int cells = 50;
  bool categorical = false;
};

// PED-ANOVA's Pearson divergence of one parameter: the density of `unit_values` among the best
// `options.target_quantile` of `y` (lowest when `minimize`) against their density among all.
double ped_anova_divergence(std::span<const double> unit_values, std::span<const double> y,
                            bool minimize, const PedAnovaGrid& grid,
                            const ImportanceOptions& options);

}  // namespace winnow

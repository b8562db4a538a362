// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// PED-ANOVA (Watanabe, Bansal and Hutter 2023), eq. 6: the importance of a parameter is the
// Pearson divergence  sum_k p_all(k) (p_top(k) / p_all(k) - 1)^2  between the density of its
// values among the best trials and among all of them, over the cells of a grid. Both densities
// are Parzen estimators on the grid as in the authors' code (and Optuna's evaluator): a discrete
// Gaussian kernel per occupied cell, weighted by its count, with Scott's bandwidth (never below
// half a cell at 1.64 sigma), plus a wide prior kernel at the centre of weight 1; a categorical
// parameter's kernel is its own choice plus the prior spread evenly over all choices.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "analysis/importance_methods.h"

namespace winnow {
namespace {

double normal_cdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

std::vector<double> cell_counts(std::span<const double> unit_values,
                                std::span<const size_t> rows, int cells) {
  std::vector<double> counts(cells, 0.0);
  for (size_t row : rows) {
    int cell = static_cast<int>(std::floor(unit_values[row] * cells));
    ++counts[std::clamp(cell, 0, cells - 1)];
  }
  return counts;
}

constexpr double kPriorWeight = 1.0;

// Probability of each cell under the Parzen estimator of `counts` (an ordered grid).
std::vector<double> numeric_density(const std::vector<double>& counts) {
  const int n = static_cast<int>(counts.size());
  const double total = std::accumulate(counts.begin(), counts.end(), 0.0);
  double mean = 0;
  for (int k = 0; k < n; ++k) mean += k * counts[k] / total;
  double squares = 0;
  for (int k = 0; k < n; ++k) squares += counts[k] * (k - mean) * (k - mean);
  double sigma = std::sqrt(squares / std::max(1.0, total - 1));
  // Scott's rule with the interquartile range guarding against heavy tails.
  double q25 = -1, q75 = -1, cumulative = 0;
  for (int k = 0; k < n; ++k) {
    cumulative += counts[k];
    if (q25 < 0 && counts[k] > 0 && cumulative >= std::floor(total / 4)) q25 = k;
    if (q75 < 0 && counts[k] > 0 && cumulative > std::floor(total * 3 / 4)) q75 = k;
  }
  if (q75 < 0) q75 = q25;
  sigma = 1.059 * std::min((q75 - q25) / 1.34, sigma) * std::pow(total, -0.2);
  sigma = std::max(sigma, 0.5 / 1.64);

  // A discrete Gaussian truncated to the grid: the mass of [k - 1/2, k + 1/2], renormalised.
  auto add_kernel = [&](std::vector<double>& density, double centre, double width,
                        double weight) {
    double inside = normal_cdf((n - 0.5 - centre) / width) - normal_cdf((-0.5 - centre) / width);
    for (int k = 0; k < n; ++k) {
      double mass = normal_cdf((k + 0.5 - centre) / width) -
                    normal_cdf((k - 0.5 - centre) / width);
      density[k] += weight * mass / inside;
    }
  };
  std::vector<double> density(n, 0.0);
  const double norm = total + kPriorWeight;
  for (int k = 0; k < n; ++k) {
    if (counts[k] > 0) add_kernel(density, k, sigma, counts[k] / norm);
  }
  add_kernel(density, 0.5 * (n - 1), n, kPriorWeight / norm);
  return density;
}

std::vector<double> categorical_density(const std::vector<double>& counts) {
  const int n = static_cast<int>(counts.size());
  const double total = std::accumulate(counts.begin(), counts.end(), 0.0);
  const double norm = total + kPriorWeight;
  std::vector<double> density(n, kPriorWeight / norm / n);  // the prior: every choice alike
  const double spread = kPriorWeight / n;
  for (int k = 0; k < n; ++k) {
    if (counts[k] == 0) continue;
    // An observation's kernel: its own choice plus the prior's share of every choice.
    for (int j = 0; j < n; ++j) {
      density[j] += counts[k] / norm * ((j == k ? 1.0 : 0.0) + spread) / (1.0 + kPriorWeight);
    }
  }
  return density;
}

}  // namespace

double ped_anova_divergence(std::span<const double> unit_values, std::span<const double> y,
                            bool minimize, const PedAnovaGrid& grid,
                            const ImportanceOptions& options) {
  const size_t n = y.size();
  std::vector<size_t> all(n);
  std::iota(all.begin(), all.end(), 0);
  // The best trials: those at or better than the quantile's value, at least two of them.
  std::vector<size_t> ranked = all;
  std::stable_sort(ranked.begin(), ranked.end(), [&](size_t a, size_t b) {
    return minimize ? y[a] < y[b] : y[a] > y[b];
  });
  size_t keep = static_cast<size_t>(std::ceil(options.target_quantile * static_cast<double>(n)));
  keep = std::clamp<size_t>(keep, std::min<size_t>(2, n), n);
  const double cutoff = y[ranked[keep - 1]];
  while (keep < n && y[ranked[keep]] == cutoff) ++keep;  // ties with the cutoff are in
  std::span<const size_t> top(ranked.data(), keep);

  const int cells = std::max(1, grid.cells);
  auto density = [&](std::span<const size_t> rows) {
    std::vector<double> counts = cell_counts(unit_values, rows, cells);
    return grid.categorical ? categorical_density(counts) : numeric_density(counts);
  };
  const std::vector<double> p_top = density(top);
  const std::vector<double> p_all = density(all);
  double divergence = 0;
  for (int k = 0; k < cells; ++k) {
    double local = p_all[k] + 1e-12, best = p_top[k] + 1e-12;
    divergence += local * (best / local - 1) * (best / local - 1);
  }
  return divergence;
}

}  // namespace winnow

// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Friedman's statistic and Conover's post-hoc difference follow Conover, "Practical
// Nonparametric Statistics" (3rd ed., 1999, section 5.8), which is what irace's race uses.
#include "configuration/statistics.h"

#include <algorithm>
#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <limits>
#include <numeric>

namespace winnow::configuration {
namespace {

double chi_squared_survival(double statistic, double degrees) {
  if (!(statistic > 0)) return 1;
  return boost::math::cdf(boost::math::complement(
      boost::math::chi_squared_distribution<double>(degrees), statistic));
}

double student_quantile(double probability, double degrees) {
  return boost::math::quantile(boost::math::students_t_distribution<double>(degrees),
                               probability);
}

double student_survival(double t, double degrees) {
  return boost::math::cdf(
      boost::math::complement(boost::math::students_t_distribution<double>(degrees), t));
}

double normal_survival(double z) {
  return boost::math::cdf(boost::math::complement(boost::math::normal_distribution<double>(), z));
}

// Wilcoxon's signed-rank test on paired costs, normal approximation with the tie and
// continuity corrections (as R's wilcox.test with exact = FALSE).
EliminationResult wilcoxon(const std::vector<double>& a, const std::vector<double>& b,
                           double alpha) {
  EliminationResult result;
  result.survivors = {true, true};
  result.test = "Wilcoxon";
  std::vector<double> differences;
  for (size_t i = 0; i < a.size(); ++i) {
    double d;
    if (std::isinf(a[i]) || std::isinf(b[i])) {
      if (std::isinf(a[i]) && std::isinf(b[i])) continue;
      d = std::isinf(a[i]) ? 1 : -1;  // only the sign matters past the ranks of the finite
      d *= std::numeric_limits<double>::max();
    } else {
      d = a[i] - b[i];
    }
    if (d != 0) differences.push_back(d);
  }
  const size_t n = differences.size();
  if (n < 2) return result;
  std::vector<double> magnitudes(n);
  for (size_t i = 0; i < n; ++i) magnitudes[i] = std::abs(differences[i]);
  std::vector<double> ranks = average_ranks(magnitudes);
  double w_plus = 0;
  for (size_t i = 0; i < n; ++i) {
    if (differences[i] > 0) w_plus += ranks[i];
  }
  const double nn = static_cast<double>(n);
  const double mean = nn * (nn + 1) / 4;
  // Tie correction: sum of (t^3 - t) over groups of equal magnitudes.
  std::vector<double> sorted = magnitudes;
  std::sort(sorted.begin(), sorted.end());
  double ties = 0;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && sorted[j] == sorted[i]) ++j;
    double t = static_cast<double>(j - i);
    ties += t * t * t - t;
    i = j;
  }
  const double variance = nn * (nn + 1) * (2 * nn + 1) / 24 - ties / 48;
  if (!(variance > 0)) return result;
  const double z_raw = w_plus - mean;
  const double correction = z_raw > 0 ? 0.5 : (z_raw < 0 ? -0.5 : 0);
  const double z = (z_raw - correction) / std::sqrt(variance);
  result.p_value = std::min(1.0, 2 * normal_survival(std::abs(z)));
  if (result.p_value < alpha) {
    // w_plus large: a's costs are the larger ones, so a loses.
    result.survivors[z > 0 ? 0 : 1] = false;
  }
  return result;
}

}  // namespace

std::vector<double> average_ranks(const std::vector<double>& values) {
  const size_t n = values.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return values[a] < values[b]; });
  std::vector<double> ranks(n);
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && values[order[j]] == values[order[i]]) ++j;
    const double rank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2;
    for (size_t k = i; k < j; ++k) ranks[order[k]] = rank;
    i = j;
  }
  return ranks;
}

EliminationResult friedman_elimination(const std::vector<std::vector<double>>& costs,
                                       double alpha) {
  const size_t k = costs.size();
  EliminationResult result;
  result.survivors.assign(k, true);
  result.test = "Friedman";
  if (k < 2 || costs[0].size() < 2) return result;
  if (k == 2) return wilcoxon(costs[0], costs[1], alpha);
  const size_t n = costs[0].size();
  std::vector<double> rank_sums(k, 0);
  double a = 0;  // sum of squared ranks
  for (size_t b = 0; b < n; ++b) {
    std::vector<double> block(k);
    for (size_t j = 0; j < k; ++j) block[j] = costs[j][b];
    std::vector<double> ranks = average_ranks(block);
    for (size_t j = 0; j < k; ++j) {
      rank_sums[j] += ranks[j];
      a += ranks[j] * ranks[j];
    }
  }
  const double nn = static_cast<double>(n), kk = static_cast<double>(k);
  const double c = nn * kk * (kk + 1) * (kk + 1) / 4;
  if (!(a - c > 1e-12)) return result;  // every block tied throughout
  double spread = 0, squares = 0;
  for (double r : rank_sums) {
    spread += (r - nn * (kk + 1) / 2) * (r - nn * (kk + 1) / 2);
    squares += r * r;
  }
  const double statistic = (kk - 1) * spread / (a - c);
  result.p_value = chi_squared_survival(statistic, kk - 1);
  if (!(result.p_value < alpha)) return result;
  const double degrees = (nn - 1) * (kk - 1);
  const double critical = student_quantile(1 - alpha / 2, degrees) *
                          std::sqrt(2 * (nn * a - squares) / degrees);
  const double best = *std::min_element(rank_sums.begin(), rank_sums.end());
  for (size_t j = 0; j < k; ++j) result.survivors[j] = rank_sums[j] <= best + critical;
  return result;
}

EliminationResult ttest_elimination(const std::vector<std::vector<double>>& costs, double alpha) {
  const size_t k = costs.size();
  EliminationResult result;
  result.survivors.assign(k, true);
  result.test = "t";
  if (k < 2 || costs[0].size() < 2) return result;
  const size_t n = costs[0].size();
  // Failures as ten times the block's worst finite cost.
  std::vector<std::vector<double>> finite = costs;
  for (size_t b = 0; b < n; ++b) {
    double worst = 0;
    for (size_t j = 0; j < k; ++j) {
      if (std::isfinite(costs[j][b])) worst = std::max(worst, std::abs(costs[j][b]));
    }
    for (size_t j = 0; j < k; ++j) {
      if (!std::isfinite(costs[j][b])) finite[j][b] = 10 * worst + 1;
    }
  }
  std::vector<double> means(k);
  for (size_t j = 0; j < k; ++j) {
    means[j] = std::accumulate(finite[j].begin(), finite[j].end(), 0.0) / static_cast<double>(n);
  }
  const size_t best = static_cast<size_t>(std::min_element(means.begin(), means.end()) -
                                          means.begin());
  double smallest_p = 1;
  for (size_t j = 0; j < k; ++j) {
    if (j == best) continue;
    double mean = 0, square = 0;
    for (size_t b = 0; b < n; ++b) mean += finite[j][b] - finite[best][b];
    mean /= static_cast<double>(n);
    for (size_t b = 0; b < n; ++b) {
      double d = finite[j][b] - finite[best][b] - mean;
      square += d * d;
    }
    const double sd = std::sqrt(square / static_cast<double>(n - 1));
    double p;
    if (sd == 0) {
      p = mean > 0 ? 0 : 1;  // the same difference on every block
    } else {
      const double t = mean / (sd / std::sqrt(static_cast<double>(n)));
      p = 2 * student_survival(std::abs(t), static_cast<double>(n - 1));
    }
    smallest_p = std::min(smallest_p, p);
    if (mean > 0 && p < alpha) result.survivors[j] = false;
  }
  result.p_value = smallest_p;
  return result;
}

}  // namespace winnow::configuration

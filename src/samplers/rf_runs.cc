// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "samplers/rf_runs.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "samplers/gp_acquisition.h"

namespace winnow {
namespace {

// SMAC's RFRImputator: at most two refits, and stop once the imputed values move less than
// this (here on the model's scale, a log cost for runtimes).
constexpr int kImputationRounds = 2;
constexpr double kImputationChange = 1e-2;

double normal_pdf(double z) { return std::exp(-0.5 * z * z) / std::sqrt(2 * std::numbers::pi); }
double normal_cdf(double z) { return 0.5 * std::erfc(-z / std::numbers::sqrt2); }

// (phi(a) - phi(b)) / (Phi(b) - Phi(a)) for 0 <= a < b, through erfcx so that it stays finite
// where both tails underflow: Q(z) = 1 - Phi(z) = erfcx(z / sqrt 2) phi(z) sqrt(pi / 2).
double upper_tail_ratio(double a, double b) {
  const double shrink = std::isinf(b) ? 0.0 : std::exp(-0.5 * (b - a) * (b + a));
  const double numerator = 1 - shrink;
  const double denominator =
      std::sqrt(std::numbers::pi / 2) *
      (gp::erfcx(a / std::numbers::sqrt2) -
       (std::isinf(b) ? 0.0 : gp::erfcx(b / std::numbers::sqrt2) * shrink));
  return numerator / denominator;
}

}  // namespace

double truncated_normal_mean(double mean, double variance, double lower, double upper) {
  const double sigma = std::sqrt(std::max(variance, RandomForestSurrogate::kVarianceFloor));
  double a = (lower - mean) / sigma, b = (upper - mean) / sigma;
  double result;
  if (!(b > a)) {
    result = lower;
  } else if (a >= 0) {
    result = mean + sigma * upper_tail_ratio(a, b);
  } else if (b <= 0) {
    // The mirror image of an interval in the upper tail.
    result = mean - sigma * upper_tail_ratio(-b, -a);
  } else {
    result = mean + sigma * (normal_pdf(a) - normal_pdf(b)) / (normal_cdf(b) - normal_cdf(a));
  }
  if (!std::isfinite(result)) result = std::max(lower, mean);
  return std::clamp(result, lower, std::max(lower, upper));
}

void impute_censored(std::span<const double> x, size_t n_features, std::vector<double>& y,
                     const std::vector<uint8_t>& censored, double upper,
                     const RandomForestSurrogateOptions& options) {
  std::vector<size_t> open, closed;
  for (size_t i = 0; i < y.size(); ++i) (censored[i] ? open : closed).push_back(i);
  if (open.empty() || closed.size() < 2) return;
  std::vector<double> x_closed, y_closed;
  for (size_t i : closed) {
    x_closed.insert(x_closed.end(), x.begin() + static_cast<ptrdiff_t>(i * n_features),
                    x.begin() + static_cast<ptrdiff_t>((i + 1) * n_features));
    y_closed.push_back(y[i]);
  }
  RandomForestSurrogate forest;
  forest.fit(x_closed, n_features, y_closed, options);
  std::vector<double> lower;
  for (size_t i : open) lower.push_back(y[i]);
  for (int round = 0;; ++round) {
    double change = 0;
    for (size_t k = 0; k < open.size(); ++k) {
      const size_t i = open[k];
      auto [mean, variance] = forest.predict(x.subspan(i * n_features, n_features));
      const double imputed = truncated_normal_mean(mean, variance, lower[k], upper);
      change = std::max(change, std::abs(imputed - y[i]));
      y[i] = imputed;
    }
    if ((round > 0 && change < kImputationChange) || round + 1 >= kImputationRounds) return;
    forest.fit(x, n_features, y, options);
  }
}

}  // namespace winnow

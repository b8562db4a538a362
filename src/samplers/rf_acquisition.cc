// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "samplers/rf_acquisition.h"

#include <cmath>
#include <numbers>

#include "samplers/gp_acquisition.h"

namespace winnow::rf {
namespace {

double normal_cdf(double z) { return 0.5 * std::erfc(-z / std::numbers::sqrt2); }

// Phi(z) / phi(z), increasing in z; through erfcx where both underflow.
double mills_ratio(double z) {
  constexpr double kRootHalfPi = 1.2533141373155003;  // sqrt(pi / 2)
  if (z <= 0) return kRootHalfPi * gp::erfcx(-z / std::numbers::sqrt2);
  return normal_cdf(z) / std::exp(-0.5 * z * z) * (2.0 * kRootHalfPi);
}

}  // namespace

// log EI of a minimised target at a point with predictive mean and variance, against `best`.
// Plain: log(sigma h(z)). Log-normal (the model predicts log costs): EI of exp(f),
//   exp(best) Phi(a) - exp(mean + var / 2) Phi(a - sigma),  a = (best - mean) / sigma,
// rewritten as exp(best) phi(a) (R(a) - R(a - sigma)) with R = Phi / phi where it underflows.
double log_expected_improvement(double mean, double variance, double best, bool log_normal) {
  const double sigma = std::sqrt(variance);
  const double a = (best - mean) / sigma;
  if (!log_normal) return std::log(sigma) + gp::log_h(a);
  if (a > 0) {
    double ei = std::exp(best) * normal_cdf(a) -
                std::exp(mean + 0.5 * variance) * normal_cdf(a - sigma);
    if (ei > 0) return std::log(ei);
  }
  double difference = mills_ratio(a) - mills_ratio(a - sigma);
  // For a tiny sigma the difference cancels; R' = 1 + z R(z) gives it to first order.
  if (!(difference > 0)) difference = sigma * (1.0 + a * mills_ratio(a));
  const double log_phi = -0.5 * a * a - 0.9189385332046728;  // log phi(a)
  return best + log_phi + std::log(difference);
}

}  // namespace winnow::rf

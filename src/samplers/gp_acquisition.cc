// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "samplers/gp_acquisition.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "common/math_constants.h"

namespace winnow::gp {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kSqrtHalf = 0.70710678118654752440;
constexpr double kInvSqrt2Pi = 0.39894228040143267794;
constexpr double kHalfLogHalfPi = 0.22579135264472743236;  // c2 = log(pi / 2) / 2

double normal_cdf(double z) { return 0.5 * std::erfc(-z * kSqrtHalf); }

}  // namespace

// expm1 near 0, log1p further out.
double log1mexp(double w) {
  return w > -0.6931471805599453 ? std::log(-std::expm1(w)) : std::log1p(-std::exp(w));
}

double log_normal_cdf(double z) {
  if (z > -1.0) return std::log1p(-0.5 * std::erfc(z * kSqrtHalf));
  double t = -z * kSqrtHalf;
  return std::log(0.5 * erfcx(t)) - t * t;
}

// ---- Random --------------------------------------------------------------------------------

double Random::uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

double Random::normal() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  double u1 = 1.0 - uniform();  // (0, 1]
  double u2 = uniform();
  double radius = std::sqrt(-2.0 * std::log(u1));
  spare_ = radius * std::sin(2.0 * kPi * u2);
  has_spare_ = true;
  return radius * std::cos(2.0 * kPi * u2);
}

uint64_t Random::below(uint64_t bound) {
  return std::min(bound - 1, static_cast<uint64_t>(uniform() * static_cast<double>(bound)));
}

// ---- log EI --------------------------------------------------------------------------------

double erfcx(double x) {
  if (x < 12.0) return std::exp(x * x) * std::erfc(x);
  // Continued fraction erfc(x) = exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...))))
  // (Abramowitz & Stegun 7.1.14), evaluated bottom-up; at x >= 12 forty terms are exact to
  // rounding. Below 12, exp(x^2) erfc(x) loses at most ~x^2 ulps.
  double tail = x;
  for (int k = 40; k >= 1; --k) tail = x + (0.5 * k) / tail;
  return 1.0 / (std::sqrt(kPi) * tail);
}

double log_h(double z) {
  if (z > -1.0) {
    // Eq. (9), first branch: h is well above underflow here.
    return std::log(z * normal_cdf(z) + std::exp(-0.5 * z * z) * kInvSqrt2Pi);
  }
  // h(z) = phi(z) (1 + z Phi(z)/phi(z)) and for z < 0, Phi(z)/phi(z) = sqrt(pi/2) erfcx(-z/sqrt2),
  // so log h = -z^2/2 - c1 + log1mexp(log(erfcx(-z/sqrt2) |z|) + c2)  (second branch).
  constexpr double kInvSqrtEpsilon = 67108864.0;  // 1 / sqrt(2^-52)
  if (z > -kInvSqrtEpsilon) {
    double w = std::log(erfcx(-z * kSqrtHalf) * -z) + kHalfLogHalfPi;
    if (w < 0.0) return -0.5 * z * z - kHalfLog2Pi + log1mexp(w);
    // w rounds to >= 0 only within a few ulps of the third branch's domain; fall through.
  }
  // Third branch: 1 + z Phi(z)/phi(z) -> 1/z^2 as z -> -inf.
  return -0.5 * z * z - kHalfLog2Pi - 2.0 * std::log(-z);
}

double log_h_derivative(double z) {
  // h'(z) = Phi(z). For z <= -1 both are formed in log space: log Phi(z) = log(erfcx(t)/2) - t^2
  // with t = -z/sqrt2, so the exp(-z^2/2) factors cancel before anything underflows.
  if (z > -1.0) {
    double cdf = normal_cdf(z);
    return cdf / (z * cdf + std::exp(-0.5 * z * z) * kInvSqrt2Pi);
  }
  double t = -z * kSqrtHalf;
  double log_cdf = std::log(0.5 * erfcx(t)) - t * t;
  return std::exp(log_cdf - log_h(z));
}

double LogExpectedImprovement::value(const double* x) const {
  double mean = 0.0, variance = 0.0;
  model_.predict(x, &mean, &variance);
  double sigma = std::sqrt(std::max(variance, 0.0) + kVarianceFloor);
  return std::log(sigma) + log_h((incumbent_ - mean) / sigma);
}

double LogExpectedImprovement::value_and_gradient(const double* x, double* gradient) const {
  const size_t d = static_cast<size_t>(model_.theta().size()) - 2;
  std::vector<double> mean_gradient(d), variance_gradient(d);
  double mean = 0.0, variance = 0.0;
  model_.predict_with_gradient(x, &mean, &variance, mean_gradient.data(), variance_gradient.data());
  bool clamped = variance <= 0.0;
  double sigma = std::sqrt(std::max(variance, 0.0) + kVarianceFloor);
  double z = (incumbent_ - mean) / sigma;
  double slope = log_h_derivative(z);
  for (size_t j = 0; j < d; ++j) {
    double dsigma = clamped ? 0.0 : variance_gradient[j] / (2.0 * sigma);
    double dz = (-mean_gradient[j] - z * dsigma) / sigma;
    gradient[j] = dsigma / sigma + slope * dz;
  }
  return std::log(sigma) + log_h(z);
}

Eigen::VectorXd LogExpectedImprovement::values(const Eigen::MatrixXd& points) const {
  Eigen::VectorXd mean, variance;
  model_.predict_batch(points, &mean, &variance);
  Eigen::VectorXd out(points.cols());
  for (Eigen::Index c = 0; c < points.cols(); ++c) {
    double sigma = std::sqrt(std::max(variance[c], 0.0) + kVarianceFloor);
    out[c] = std::log(sigma) + log_h((incumbent_ - mean[c]) / sigma);
  }
  return out;
}

// ---- Maximisation --------------------------------------------------------------------------

namespace {

// Cells worth trying for a discrete or categorical dimension from `current`: every other cell
// when there are few (or the dimension is categorical: choices have no order), otherwise the
// neighbours at distances 1, 2, 4, ... on both sides, a cheap line search along the grid.
std::vector<uint64_t> alternative_cells(const InputSpace& inputs, size_t j, uint64_t current) {
  constexpr uint64_t kExhaustive = 16;
  uint64_t n = inputs.cells(j);
  std::vector<uint64_t> cells;
  if (inputs.kind(j) == DimensionKind::kCategorical || n <= kExhaustive) {
    for (uint64_t k = 0; k < n; ++k) {
      if (k != current) cells.push_back(k);
    }
    return cells;
  }
  for (uint64_t distance = 1; distance < n; distance *= 2) {
    if (current >= distance) cells.push_back(current - distance);
    if (current + distance < n) cells.push_back(current + distance);
  }
  return cells;
}

ScoredPoint local_search(const Acquisition& acquisition, const InputSpace& inputs,
                         ScoredPoint start, const AcquisitionOptions& options) {
  const size_t d = inputs.dimensions();
  std::vector<size_t> continuous, discrete;
  for (size_t j = 0; j < d; ++j) {
    if (inputs.kind(j) == DimensionKind::kContinuous) {
      continuous.push_back(j);
    } else if (inputs.cells(j) > 1) {
      discrete.push_back(j);
    }
  }
  // Preconditioning: optimise z_j = x_j / l_j so that every coordinate moves the kernel by the
  // same amount per unit step (Optuna's _gradient_ascent); the box becomes [0, 1/l_j].
  std::vector<double> scale(continuous.size()), lower(continuous.size(), 0.0),
      upper(continuous.size());
  for (size_t i = 0; i < continuous.size(); ++i) {
    scale[i] = acquisition.lengthscale(continuous[i]);
    upper[i] = 1.0 / scale[i];
  }
  ScoredPoint best = std::move(start);
  std::vector<double> x = best.x, gradient(d);
  Objective negative = [&](const double* z, double* out) {
    for (size_t i = 0; i < continuous.size(); ++i) {
      x[continuous[i]] = std::clamp(z[i] * scale[i], 0.0, 1.0);
    }
    double value = acquisition.value_and_gradient(x.data(), gradient.data());
    for (size_t i = 0; i < continuous.size(); ++i) out[i] = -gradient[continuous[i]] * scale[i];
    return -value;
  };
  constexpr int kMaxRounds = 4;
  for (int round = 0; round < kMaxRounds; ++round) {
    bool improved = false;
    if (!continuous.empty()) {
      x = best.x;
      std::vector<double> z(continuous.size());
      for (size_t i = 0; i < continuous.size(); ++i) {
        z[i] = std::min(best.x[continuous[i]] / scale[i], upper[i]);
      }
      double value = -minimize_lbfgs(negative, z, lower, upper, options.local_evaluations, 1e-6);
      if (value > best.value) {
        for (size_t i = 0; i < continuous.size(); ++i) {
          best.x[continuous[i]] = std::clamp(z[i] * scale[i], 0.0, 1.0);
        }
        best.value = value;
        improved = true;
      }
    }
    for (size_t j : discrete) {
      std::vector<double> trial = best.x;
      uint64_t current = inputs.cell_of(j, best.x[j]);
      for (uint64_t cell : alternative_cells(inputs, j, current)) {
        trial[j] = inputs.centre(j, cell);
        double value = acquisition.value(trial.data());
        if (value > best.value) {
          best.value = value;
          best.x[j] = trial[j];
          improved = true;
        }
      }
    }
    // With no discrete dimension, a second L-BFGS run would start where the first converged.
    if (!improved || discrete.empty()) break;
  }
  return best;
}

}  // namespace

std::vector<ScoredPoint> maximize_acquisition(const Acquisition& acquisition,
                                              const InputSpace& inputs,
                                              const Eigen::MatrixXd& anchors, Random& random,
                                              const AcquisitionOptions& options) {
  const Eigen::Index d = static_cast<Eigen::Index>(inputs.dimensions());
  const Eigen::Index m = std::max(1, options.candidates);
  const Eigen::Index perturbed = anchors.cols() > 0 ? m / 4 : 0;
  Eigen::MatrixXd points(d, m);
  for (Eigen::Index c = 0; c < m - perturbed; ++c) {
    for (Eigen::Index j = 0; j < d; ++j) points(j, c) = random.uniform();
  }
  // Perturbations of the best points at three scales (coarse to fine), each touching about
  // three coordinates (at least one): late in a run the maximiser of EI sits next to the
  // incumbent, where uniform points are too sparse to land.
  static constexpr double kScales[] = {0.1, 0.02, 0.004};
  const double probability = std::min(1.0, 3.0 / static_cast<double>(d));
  for (Eigen::Index c = m - perturbed; c < m; ++c) {
    Eigen::Index anchor = static_cast<Eigen::Index>(random.below(anchors.cols()));
    double scale = kScales[random.below(3)];
    Eigen::Index forced = static_cast<Eigen::Index>(random.below(d));
    for (Eigen::Index j = 0; j < d; ++j) {
      double u = anchors(j, anchor);
      if (j == forced || random.uniform() < probability) {
        size_t dim = static_cast<size_t>(j);
        if (inputs.kind(dim) == DimensionKind::kContinuous) {
          u = std::clamp(u + scale * random.normal(), 0.0, 1.0);
        } else if (inputs.cells(dim) > 1) {
          uint64_t n = inputs.cells(dim), current = inputs.cell_of(dim, u), cell = current;
          if (inputs.kind(dim) == DimensionKind::kCategorical) {
            cell = (current + 1 + random.below(n - 1)) % n;
          } else {
            auto step = static_cast<int64_t>(
                std::llround(scale * static_cast<double>(n) * random.normal()));
            if (step == 0) step = random.uniform() < 0.5 ? -1 : 1;
            int64_t moved = std::clamp<int64_t>(static_cast<int64_t>(current) + step, 0,
                                                static_cast<int64_t>(n) - 1);
            cell = static_cast<uint64_t>(moved);
          }
          u = inputs.centre(dim, cell);
        }
      }
      points(j, c) = u;
    }
  }
  for (Eigen::Index c = 0; c < m; ++c) inputs.snap({points.col(c).data(), static_cast<size_t>(d)});

  Eigen::VectorXd values = acquisition.values(points);
  std::vector<Eigen::Index> order(static_cast<size_t>(m));
  std::iota(order.begin(), order.end(), Eigen::Index{0});
  auto score = [&](Eigen::Index c) {
    return std::isfinite(values[c]) ? values[c] : -std::numeric_limits<double>::infinity();
  };
  std::stable_sort(order.begin(), order.end(),
                   [&](Eigen::Index a, Eigen::Index b) { return score(a) > score(b); });

  std::vector<ScoredPoint> scored;
  scored.reserve(static_cast<size_t>(m + options.local_searches));
  int starts = std::min<int>(options.local_searches, static_cast<int>(m));
  for (int i = 0; i < starts; ++i) {
    Eigen::Index c = order[static_cast<size_t>(i)];
    ScoredPoint start{std::vector<double>(points.col(c).data(), points.col(c).data() + d),
                      score(c)};
    scored.push_back(local_search(acquisition, inputs, std::move(start), options));
  }
  for (Eigen::Index c : order) {
    scored.push_back(
        {std::vector<double>(points.col(c).data(), points.col(c).data() + d), score(c)});
  }
  std::stable_sort(scored.begin(), scored.end(),
                   [](const ScoredPoint& a, const ScoredPoint& b) { return a.value > b.value; });
  return scored;
}

}  // namespace winnow::gp

// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "samplers/gp_ehvi.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>

#include "common/math_constants.h"
#include "winnow/error.h"

namespace winnow::gp {
namespace {

// Added to each posterior variance, as in LogExpectedImprovement: a point on top of an
// observation keeps a finite log.
constexpr double kVarianceFloor = 1e-12;

// log(h(b) - h(a)) for a < b, a possibly -infinity: the log of the standardised expectation
// E[(b - max(a, Z))^+]. Since h' = Phi, h(b) - h(a) is the integral of Phi over [a, b]; when
// that is a sliver of h(b) the difference of logs would cancel, and the midpoint rule is exact
// to a relative (b - a)^2 z^2 / 24.
double log_h_difference(double a, double b) {
  if (a == -kInfinity) return log_h(b);
  double log_b = log_h(b), gap = log_h(a) - log_b;
  if (gap < -1e-3) return log_b + log1mexp(gap);
  return std::log(b - a) + log_normal_cdf(0.5 * (a + b));
}

}  // namespace

BoxDecomposition decompose_non_dominated(const std::vector<double>& points, size_t objectives,
                                         const std::vector<double>& reference) {
  if (objectives < 1 || objectives > 3 || reference.size() != objectives ||
      points.size() % objectives != 0) {
    throw Error("decompose_non_dominated: needs 1 to 3 objectives with a reference point of as "
                "many values; got " + std::to_string(objectives) + " objectives, a reference of " +
                std::to_string(reference.size()) + " and " + std::to_string(points.size()) +
                " values");
  }
  const size_t m = objectives;
  std::vector<std::array<double, 3>> inside;
  for (size_t i = 0; i < points.size() / m; ++i) {
    std::array<double, 3> p{0.0, 0.0, 0.0};
    bool strictly_below = true;
    for (size_t j = 0; j < m; ++j) {
      p[j] = points[i * m + j];
      strictly_below = strictly_below && p[j] < reference[j];  // NaN is not below
    }
    if (strictly_below) inside.push_back(p);
  }
  std::sort(inside.begin(), inside.end());

  BoxDecomposition out;
  out.objectives = m;
  out.intervals.resize(m);
  if (m == 1) {  // the improvement over the best value: EI
    out.intervals[0].push_back({-kInfinity, inside.empty() ? reference[0] : inside[0][0]});
    out.boxes.push_back(0);
    return out;
  }
  std::vector<std::map<std::pair<double, double>, uint32_t>> index(m);
  auto add_box = [&](const std::array<double, 3>& lower, const std::array<double, 3>& upper) {
    for (size_t j = 0; j < m; ++j) {
      if (!(upper[j] > lower[j])) return;
    }
    for (size_t j = 0; j < m; ++j) {
      auto [it, added] = index[j].try_emplace({lower[j], upper[j]},
                                              static_cast<uint32_t>(out.intervals[j].size()));
      if (added) out.intervals[j].push_back({lower[j], upper[j]});
      out.boxes.push_back(it->second);
    }
  };

  double height = reference[1];                    // 2 objectives: lowest second coordinate
  std::vector<std::pair<double, double>> staircase;  // 3: (second, third), second ascending
  auto include = [&](const std::array<double, 3>& p) {
    if (m == 2) {
      height = std::min(height, p[1]);
      return;
    }
    auto after = std::upper_bound(staircase.begin(), staircase.end(), std::make_pair(p[1], kInfinity));
    if (after != staircase.begin() && std::prev(after)->second <= p[2]) return;  // dominated
    auto last = after;
    while (last != staircase.end() && last->second >= p[2]) ++last;
    after = staircase.erase(after, last);
    staircase.insert(after, {p[1], p[2]});
  };
  const size_t n = inside.size();
  for (size_t i = 0; i <= n; ++i) {
    if (i > 0) include(inside[i - 1]);
    double low = i == 0 ? -kInfinity : inside[i - 1][0];
    double high = i == n ? reference[0] : inside[i][0];
    if (!(high > low)) continue;
    if (m == 2) {
      add_box({low, -kInfinity, 0.0}, {high, height, 0.0});
      continue;
    }
    double previous = -kInfinity, top = reference[2];
    for (const auto& [second, third] : staircase) {
      add_box({low, previous, -kInfinity}, {high, second, top});
      previous = second;
      top = third;
    }
    add_box({low, previous, -kInfinity}, {high, reference[1], top});
  }
  return out;
}

LogExpectedHypervolumeImprovement::LogExpectedHypervolumeImprovement(
    std::vector<const GaussianProcess*> objectives, BoxDecomposition boxes,
    std::vector<ConstraintModel> constraints)
    : objectives_(std::move(objectives)),
      boxes_(std::move(boxes)),
      constraints_(std::move(constraints)) {
  if (objectives_.empty() || boxes_.objectives != objectives_.size()) {
    throw Error("LogExpectedHypervolumeImprovement: one model per objective of the boxes");
  }
  dimensions_ = static_cast<size_t>(objectives_[0]->theta().size()) - 2;
}

double LogExpectedHypervolumeImprovement::lengthscale(size_t j) const {
  double log_sum = 0.0;
  for (const GaussianProcess* model : objectives_) log_sum += std::log(model->lengthscale(j));
  return std::exp(log_sum / static_cast<double>(objectives_.size()));
}

double LogExpectedHypervolumeImprovement::evaluate(const double* means, const double* variances,
                                                   double* mean_slope,
                                                   double* variance_slope) const {
  const size_t m = objectives_.size();
  const bool slopes = mean_slope != nullptr;
  // Per objective and distinct interval: log sigma (h(b) - h(a)) without the log sigma, and its
  // derivatives with respect to the mean and the standard deviation.
  std::vector<std::vector<double>> log_terms(m), mean_terms(m), sigma_terms(m);
  std::vector<double> sigmas(m);
  double total = 0.0;
  for (size_t j = 0; j < m; ++j) {
    double sigma = std::sqrt(std::max(variances[j], 0.0) + kVarianceFloor);
    sigmas[j] = sigma;
    total += std::log(sigma);
    const auto& intervals = boxes_.intervals[j];
    log_terms[j].resize(intervals.size());
    if (slopes) mean_terms[j].resize(intervals.size()), sigma_terms[j].resize(intervals.size());
    for (size_t q = 0; q < intervals.size(); ++q) {
      double b = (intervals[q].second - means[j]) / sigma;
      double a = intervals[q].first == -kInfinity ? -kInfinity : (intervals[q].first - means[j]) / sigma;
      double log_d = log_h_difference(a, b);
      log_terms[j][q] = log_d;
      if (!slopes) continue;
      // d log(h(b) - h(a)) / d mu = -(Phi(b) - Phi(a)) / (sigma D), and / d sigma
      // = -(b Phi(b) - a Phi(a)) / (sigma D), with D = h(b) - h(a); the ratios in log space.
      double ratio_b = std::exp(log_normal_cdf(b) - log_d);
      double ratio_a = a == -kInfinity ? 0.0 : std::exp(log_normal_cdf(a) - log_d);
      double a_ratio_a = a == -kInfinity ? 0.0 : a * ratio_a;
      mean_terms[j][q] = -(ratio_b - ratio_a) / sigma;
      sigma_terms[j][q] = -(b * ratio_b - a_ratio_a) / sigma;
    }
  }
  const size_t count = boxes_.box_count();
  std::vector<double> box_logs(count);
  double largest = -kInfinity;
  for (size_t k = 0; k < count; ++k) {
    double sum = 0.0;
    for (size_t j = 0; j < m; ++j) sum += log_terms[j][boxes_.boxes[k * m + j]];
    box_logs[k] = sum;
    largest = std::max(largest, sum);
  }
  double log_sum = -kInfinity;
  if (largest > -kInfinity) {
    double sum = 0.0;
    for (double v : box_logs) sum += std::exp(v - largest);
    log_sum = largest + std::log(sum);
  }
  total += log_sum;
  if (slopes) {
    for (size_t j = 0; j < m; ++j) {
      mean_slope[j] = 0.0;
      variance_slope[j] = 1.0 / sigmas[j];  // d log sigma / d sigma, converted below
    }
    if (log_sum > -kInfinity) {
      for (size_t k = 0; k < count; ++k) {
        double weight = std::exp(box_logs[k] - log_sum);
        if (weight == 0.0) continue;
        for (size_t j = 0; j < m; ++j) {
          uint32_t q = boxes_.boxes[k * m + j];
          mean_slope[j] += weight * mean_terms[j][q];
          variance_slope[j] += weight * sigma_terms[j][q];
        }
      }
    }
    for (size_t j = 0; j < m; ++j) {
      variance_slope[j] = variances[j] > 0.0 ? variance_slope[j] / (2.0 * sigmas[j]) : 0.0;
    }
  }
  for (size_t c = 0; c < constraints_.size(); ++c) {
    const size_t slot = m + c;
    double sigma = std::sqrt(std::max(variances[slot], 0.0) + kVarianceFloor);
    double z = (constraints_[c].threshold - means[slot]) / sigma;
    double log_cdf = log_normal_cdf(z);
    total += log_cdf;
    if (!slopes) continue;
    double ratio = std::exp(-0.5 * z * z - kHalfLog2Pi - log_cdf);  // phi(z) / Phi(z)
    mean_slope[slot] = -ratio / sigma;
    variance_slope[slot] = variances[slot] > 0.0 ? -ratio * z / sigma / (2.0 * sigma) : 0.0;
  }
  return total;
}

double LogExpectedHypervolumeImprovement::value(const double* x) const {
  const size_t models = objectives_.size() + constraints_.size();
  std::vector<double> means(models), variances(models);
  for (size_t i = 0; i < models; ++i) {
    const GaussianProcess& model =
        i < objectives_.size() ? *objectives_[i] : *constraints_[i - objectives_.size()].model;
    model.predict(x, &means[i], &variances[i]);
  }
  return evaluate(means.data(), variances.data(), nullptr, nullptr);
}

double LogExpectedHypervolumeImprovement::value_and_gradient(const double* x,
                                                             double* gradient) const {
  const size_t models = objectives_.size() + constraints_.size(), d = dimensions_;
  std::vector<double> means(models), variances(models), mean_slope(models),
      variance_slope(models);
  std::vector<double> mean_gradients(models * d), variance_gradients(models * d);
  for (size_t i = 0; i < models; ++i) {
    const GaussianProcess& model =
        i < objectives_.size() ? *objectives_[i] : *constraints_[i - objectives_.size()].model;
    model.predict_with_gradient(x, &means[i], &variances[i], &mean_gradients[i * d],
                                &variance_gradients[i * d]);
  }
  double value = evaluate(means.data(), variances.data(), mean_slope.data(), variance_slope.data());
  for (size_t k = 0; k < d; ++k) {
    double sum = 0.0;
    for (size_t i = 0; i < models; ++i) {
      sum += mean_slope[i] * mean_gradients[i * d + k] +
             variance_slope[i] * variance_gradients[i * d + k];
    }
    gradient[k] = sum;
  }
  return value;
}

Eigen::VectorXd LogExpectedHypervolumeImprovement::values(const Eigen::MatrixXd& points) const {
  const size_t models = objectives_.size() + constraints_.size();
  std::vector<Eigen::VectorXd> means(models), variances(models);
  for (size_t i = 0; i < models; ++i) {
    const GaussianProcess& model =
        i < objectives_.size() ? *objectives_[i] : *constraints_[i - objectives_.size()].model;
    model.predict_batch(points, &means[i], &variances[i]);
  }
  Eigen::VectorXd out(points.cols());
  std::vector<double> mean(models), variance(models);
  for (Eigen::Index c = 0; c < points.cols(); ++c) {
    for (size_t i = 0; i < models; ++i) mean[i] = means[i][c], variance[i] = variances[i][c];
    out[c] = evaluate(mean.data(), variance.data(), nullptr, nullptr);
  }
  return out;
}

}  // namespace winnow::gp

// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "samplers/gp_common.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <numeric>

#include "samplers/sampler_util.h"

namespace winnow::gp {
namespace {

constexpr int kFullFitEvaluations = 100;
constexpr int kShortFitEvaluations = 15;

// Yeo & Johnson (2000), "A new family of power transformations to improve normality or
// symmetry", eq. (2.1).
double yeo_johnson(double y, double lambda) {
  if (y >= 0.0) {
    return std::abs(lambda) < 1e-12 ? std::log1p(y) : (std::pow(y + 1.0, lambda) - 1.0) / lambda;
  }
  double mirrored = 2.0 - lambda;
  return std::abs(mirrored) < 1e-12 ? -std::log1p(-y)
                                    : -(std::pow(1.0 - y, mirrored) - 1.0) / mirrored;
}

}  // namespace

double nearly_as_good() { return std::log(1000.0); }

void clip_infinities(std::vector<double>& values) {
  double low = INFINITY, high = -INFINITY;
  for (double v : values) {
    if (std::isfinite(v)) low = std::min(low, v), high = std::max(high, v);
  }
  if (!std::isfinite(low)) low = high = 0.0;
  for (double& v : values) v = std::clamp(v, low, high);
}

std::vector<size_t> best_and_random(const std::vector<double>& values, size_t count,
                                    Random& random) {
  const size_t n = values.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return values[a] < values[b]; });
  for (size_t i = count / 2; i < count; ++i) {  // partial Fisher-Yates over the rest
    size_t pick = i + static_cast<size_t>(random.below(n - i));
    std::swap(order[i], order[pick]);
  }
  order.resize(count);
  std::sort(order.begin(), order.end());
  return order;
}

void standardise(Eigen::VectorXd& y) {
  double mean = y.mean();
  double sd = std::sqrt((y.array() - mean).square().mean());
  y = (y.array() - mean) / (sd > 0.0 ? sd : 1.0);
}

// The lambda in [-2, 2] maximises the Gaussian profile log-likelihood (sklearn's
// PowerTransformer; HEBO, Cowen-Rivers et al. 2022, fits its GP on values warped this way). A
// few huge values -- Rosenbrock far from its valley, a diverged training run -- otherwise
// dominate the fit and flatten everything the optimiser cares about; for values that already
// look Gaussian lambda stays near 1, the identity.
void power_transform(Eigen::VectorXd& y) {
  const double n = static_cast<double>(y.size());
  double log_jacobian_sum = 0.0;  // sum of sign(y) log(|y| + 1), d psi / dy = (|y|+1)^(+-(l-1))
  for (double v : y) log_jacobian_sum += std::copysign(std::log1p(std::abs(v)), v);
  auto log_likelihood = [&](double lambda) {
    Eigen::VectorXd t = y.unaryExpr([&](double v) { return yeo_johnson(v, lambda); });
    double variance = (t.array() - t.mean()).square().mean();
    if (!(variance > 0.0) || !std::isfinite(variance)) return -HUGE_VAL;
    return -0.5 * n * std::log(variance) + (lambda - 1.0) * log_jacobian_sum;
  };
  // Golden-section search: the profile likelihood is unimodal in lambda for practical data.
  const double ratio = 0.5 * (std::sqrt(5.0) - 1.0);
  double a = -2.0, b = 2.0;
  double c = b - ratio * (b - a), e = a + ratio * (b - a);
  double fc = log_likelihood(c), fe = log_likelihood(e);
  for (int i = 0; i < 50; ++i) {
    if (fc > fe) {
      b = e, e = c, fe = fc;
      c = b - ratio * (b - a), fc = log_likelihood(c);
    } else {
      a = c, c = e, fc = fe;
      e = a + ratio * (b - a), fe = log_likelihood(e);
    }
  }
  double lambda = 0.5 * (a + b);
  if (!std::isfinite(log_likelihood(lambda))) return;
  y = y.unaryExpr([&](double v) { return yeo_johnson(v, lambda); });
}

Eigen::VectorXd prepare_targets(std::span<const double> values, bool transform) {
  Eigen::VectorXd y =
      Eigen::Map<const Eigen::VectorXd>(values.data(), static_cast<Eigen::Index>(values.size()));
  standardise(y);
  if (transform) {
    power_transform(y);
    standardise(y);
  }
  return y;
}

std::optional<std::string> latest_attr(std::span<const FrozenTrial> history,
                                       const std::string& key) {
  for (auto it = history.rbegin(); it != history.rend(); ++it) {
    auto attr = it->user_attrs.find(key);
    if (attr != it->user_attrs.end()) return attr->second;
  }
  return std::nullopt;
}

std::optional<Eigen::VectorXd> theta_from_json(const std::string& text, size_t size) {
  nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
  if (!json.is_array() || json.size() != size) return std::nullopt;  // another space's fit
  Eigen::VectorXd theta(static_cast<Eigen::Index>(size));
  for (size_t i = 0; i < size; ++i) {
    if (!json[i].is_number() || !std::isfinite(json[i].get<double>())) return std::nullopt;
    theta[static_cast<Eigen::Index>(i)] = json[i].get<double>();
  }
  return theta;
}

FitResult fit_for_proposal(const InputSpace& inputs, const Eigen::MatrixXd& points,
                           const Eigen::VectorXd& y, const std::vector<double>& ranks,
                           size_t complete_count, const std::optional<Eigen::VectorXd>& warm,
                           const ModelOptions& model_options, const GpOptions& options,
                           Random& random) {
  const size_t d = inputs.dimensions();
  const auto count = static_cast<int64_t>(complete_count);
  bool full = !warm || count <= options.full_fit_until || count % options.refit_every == 0;
  std::vector<Eigen::VectorXd> starts;
  if (warm) starts.push_back(*warm);
  if (full) starts.push_back(default_theta(d));
  int evaluations = full ? kFullFitEvaluations : kShortFitEvaluations;
  if (points.cols() <= options.fit_points) {
    return fit_kernel(inputs, points, y, starts, model_options, evaluations);
  }
  std::vector<size_t> rows = best_and_random(ranks, static_cast<size_t>(options.fit_points), random);
  Eigen::MatrixXd fit_points(points.rows(), static_cast<Eigen::Index>(rows.size()));
  Eigen::VectorXd fit_y(static_cast<Eigen::Index>(rows.size()));
  for (size_t i = 0; i < rows.size(); ++i) {
    auto column = static_cast<Eigen::Index>(i), row = static_cast<Eigen::Index>(rows[i]);
    fit_points.col(column) = points.col(row);
    fit_y[column] = y[row];
  }
  return fit_kernel(inputs, fit_points, fit_y, starts, model_options, evaluations);
}

Eigen::MatrixXd encode_trials(const SearchSpace& space, const InputSpace& inputs,
                              const std::vector<const FrozenTrial*>& trials) {
  Eigen::MatrixXd points(static_cast<Eigen::Index>(space.size()),
                         static_cast<Eigen::Index>(trials.size()));
  for (size_t i = 0; i < trials.size(); ++i) {
    std::vector<double> x = space.encode(trials[i]->config).x;
    inputs.snap(x);
    points.col(static_cast<Eigen::Index>(i)) = Eigen::Map<Eigen::VectorXd>(x.data(), points.rows());
  }
  return points;
}

std::optional<Config> choose_scored(const SearchSpace& space, const InputSpace& inputs,
                                    const std::vector<ScoredPoint>& scored,
                                    const std::set<std::vector<double>>& seen, double tolerance) {
  std::optional<Config> duplicate;
  double duplicate_value = 0.0;
  for (const ScoredPoint& point : scored) {
    if (duplicate && point.value < duplicate_value - tolerance) break;
    Config config = space.decode(point.x);
    if (space.is_forbidden(config)) continue;
    std::vector<double> x = space.encode(config).x;
    inputs.snap(x);
    if (!seen.contains(x)) return config;
    if (!duplicate) {
      duplicate = std::move(config);
      duplicate_value = point.value;
    }
  }
  return duplicate;
}

Config uniform_allowed(const SearchSpace& space, Random& random) {
  std::vector<double> x(space.size());
  return draw_allowed(space, [&](int) {
    for (double& v : x) v = random.uniform();
    return space.decode(x);
  });
}

}  // namespace winnow::gp

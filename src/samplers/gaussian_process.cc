// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "samplers/gaussian_process.h"

#include <nlopt.h>

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace winnow::gp {
namespace {

constexpr double kSqrt5 = 2.23606797749978969641;
constexpr double kLog2Pi = 1.83787706640934548356;

// Matérn-5/2 as a function of r^2 (so its derivative is finite at r = 0, where duplicated and
// snapped points sit): value m and dm/d(r^2).
inline double matern52(double r2, double* derivative) {
  double r = kSqrt5 * std::sqrt(r2);
  double e = std::exp(-r);
  if (derivative != nullptr) *derivative = -(5.0 / 6.0) * (1.0 + r) * e;
  return (1.0 + r + r * r / 3.0) * e;
}

// delta_j of the kernel for one pair of snapped coordinates.
inline double dimension_distance(double a, double b, bool categorical) {
  double diff = a - b;
  return categorical ? (diff != 0.0 ? 1.0 : 0.0) : diff * diff;
}

std::vector<uint8_t> categorical_mask(const InputSpace& inputs) {
  std::vector<uint8_t> mask(inputs.dimensions());
  for (size_t j = 0; j < mask.size(); ++j) {
    mask[j] = inputs.kind(j) == DimensionKind::kCategorical;
  }
  return mask;
}

// Cholesky factorisation that survives a nearly singular matrix: on failure it adds a jitter to
// the diagonal, ten times larger on every retry (as GPyTorch's psd_safe_cholesky does). Returns
// false if even the largest jitter fails (only with non-finite entries).
bool factorise_with_jitter(Eigen::MatrixXd& matrix, Eigen::LLT<Eigen::MatrixXd>& cholesky) {
  cholesky.compute(matrix);
  if (cholesky.info() == Eigen::Success) return true;
  double scale = std::max(matrix.diagonal().mean(), 1e-300);
  double added = 0.0;
  for (double jitter = 1e-10 * scale; jitter <= 1e-2 * scale; jitter *= 10.0) {
    matrix.diagonal().array() += jitter - added;
    added = jitter;
    cholesky.compute(matrix);
    if (cholesky.info() == Eigen::Success) return true;
  }
  return false;
}

// Log priors (the normalising constants are dropped). They are Optuna's GPSampler defaults
// (optuna/_gp/prior.py), chosen because they keep the fit sane with ten points:
//   lambda_j = 1/l_j^2:  log p = -(0.1 / lambda + 0.1 lambda), mode at l = 1 (the cube's side),
//                        a factor e^-10 at l = 0.1 or l = 10;
//   s:                   Gamma(2, 1)       (mode 1, the variance of the standardised targets);
//   sigma^2:             Gamma(1.1, 30)    (mean 0.037: little noise unless the data insist).
// Returns the log prior and adds its gradient with respect to theta to `gradient`.
double log_prior(const Eigen::VectorXd& theta, size_t d, const ModelOptions& options,
                 Eigen::VectorXd* gradient) {
  double value = 0.0;
  for (size_t j = 0; j < d; ++j) {
    double lambda = std::exp(2.0 * theta[j]);
    value -= 0.1 / lambda + 0.1 * lambda;
    if (gradient) (*gradient)[j] += 0.2 / lambda - 0.2 * lambda;
  }
  double s = std::exp(theta[d]);
  value += std::log(s) - s;
  if (gradient) (*gradient)[d] += 1.0 - s;
  if (!options.deterministic) {
    double excess = std::exp(theta[d + 1]);
    double noise = options.noise_floor + excess;
    value += 0.1 * std::log(noise) - 30.0 * noise;
    if (gradient) (*gradient)[d + 1] += (0.1 / noise - 30.0) * excess;
  }
  return value;
}

double noise_of(const Eigen::VectorXd& theta, size_t d, const ModelOptions& options) {
  return options.noise_floor + (options.deterministic ? 0.0 : std::exp(theta[d + 1]));
}

struct LbfgsState {
  const Objective* objective;
  std::vector<double> best_x;
  double best_value = std::numeric_limits<double>::infinity();
  int evaluations = 0;
};

double lbfgs_callback(unsigned n, const double* x, double* gradient, void* data) {
  auto* state = static_cast<LbfgsState*>(data);
  ++state->evaluations;
  std::vector<double> scratch;
  if (gradient == nullptr) {
    scratch.resize(n);
    gradient = scratch.data();
  }
  double value = (*state->objective)(x, gradient);
  if (!std::isfinite(value)) {
    // L-BFGS cannot use an infinite value; a huge one with no slope sends its line search back.
    value = 1e100;
    std::fill(gradient, gradient + n, 0.0);
  }
  if (value < state->best_value) {
    state->best_value = value;
    state->best_x.assign(x, x + n);
  }
  return value;
}

}  // namespace

// ---- InputSpace ----------------------------------------------------------------------------

InputSpace::InputSpace(const SearchSpace& space) {
  const std::vector<ParamSpec>& params = space.params();
  dims_.resize(params.size());
  for (size_t j = 0; j < params.size(); ++j) {
    const ParamSpec& spec = params[j];
    Dimension& dim = dims_[j];
    if (spec.kind == ParamKind::kCategorical) {
      dim.kind = DimensionKind::kCategorical;
      dim.cells = spec.choices.size();
    } else if (spec.kind == ParamKind::kOrdinal) {
      // An ordinal is an integer on its index: (index + 0.5) / n is exactly a linear grid's
      // cell centre, and its order carries information a Hamming distance would throw away.
      dim.kind = DimensionKind::kDiscrete;
      dim.cells = spec.choices.size();
    } else if (spec.kind == ParamKind::kInt || spec.step.has_value()) {
      uint64_t n = space.cardinality(j).value_or(0);
      if (spec.log && n > kMaxTabulatedCells) continue;  // continuous, see kMaxTabulatedCells
      dim.kind = DimensionKind::kDiscrete;
      dim.cells = n;
      if (spec.log) {
        // Cell k holds low + k*step; decode() rounds on the value scale, so the edge between
        // cells k and k+1 is the encoding of the midpoint value.
        double step = spec.step.value_or(1.0);
        for (uint64_t k = 0; k < n; ++k) {
          double value = spec.low + static_cast<double>(k) * step;
          dim.centres.push_back(space.encode_value(j, value));
          if (k + 1 < n) dim.upper_edges.push_back(space.encode_value(j, value + 0.5 * step));
        }
      }
    }
    if (dim.kind != DimensionKind::kContinuous) all_continuous_ = false;
  }
}

uint64_t InputSpace::cell_of(size_t j, double u) const {
  const Dimension& dim = dims_[j];
  assert(dim.kind != DimensionKind::kContinuous && dim.cells > 0);
  if (std::isnan(u)) u = 0.5;  // as decode() does; converting NaN to an integer is undefined
  if (!dim.upper_edges.empty()) {
    return static_cast<uint64_t>(
        std::upper_bound(dim.upper_edges.begin(), dim.upper_edges.end(), u) -
        dim.upper_edges.begin());
  }
  double scaled = std::clamp(u, 0.0, 1.0) * static_cast<double>(dim.cells);
  return std::min(dim.cells - 1, static_cast<uint64_t>(scaled));
}

double InputSpace::centre(size_t j, uint64_t cell) const {
  const Dimension& dim = dims_[j];
  if (!dim.centres.empty()) return dim.centres[cell];
  return (static_cast<double>(cell) + 0.5) / static_cast<double>(dim.cells);
}

void InputSpace::snap(std::span<double> x) const {
  for (size_t j = 0; j < dims_.size(); ++j) {
    if (dims_[j].kind == DimensionKind::kContinuous) {
      x[j] = std::isnan(x[j]) ? 0.5 : std::clamp(x[j], 0.0, 1.0);
    } else {
      x[j] = centre(j, cell_of(j, x[j]));
    }
  }
}

// ---- Hyperparameters ------------------------------------------------------------------------

size_t theta_size(size_t dimensions) { return dimensions + 2; }

void theta_bounds(size_t dimensions, std::vector<double>* lower, std::vector<double>* upper) {
  // Lengthscales between e^-5 = 0.007 and e^5 = 148 cube sides: finer than any grid a study
  // resolves, coarser than "irrelevant". Signal variance within [e^-7, e^5] of the standardised
  // targets' variance. Noise excess down to e^-25, i.e. effectively at the floor.
  lower->assign(dimensions, -5.0);
  upper->assign(dimensions, 5.0);
  lower->push_back(-7.0);
  upper->push_back(5.0);
  lower->push_back(-25.0);
  upper->push_back(2.0);
}

Eigen::VectorXd default_theta(size_t dimensions) {
  Eigen::VectorXd theta = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(theta_size(dimensions)));
  theta[static_cast<Eigen::Index>(dimensions) + 1] = std::log(1e-2);
  return theta;
}

double negative_log_posterior(const InputSpace& inputs, const Eigen::MatrixXd& points,
                              const Eigen::VectorXd& y, const Eigen::VectorXd& theta,
                              const ModelOptions& options, Eigen::VectorXd* gradient) {
  const Eigen::Index d = points.rows(), n = points.cols();
  const std::vector<uint8_t> categorical = categorical_mask(inputs);
  Eigen::VectorXd lambda = (2.0 * theta.head(d)).array().exp();
  const double s = std::exp(theta[d]);
  const double noise = noise_of(theta, static_cast<size_t>(d), options);

  // Lower triangles of K and of dm/d(r^2).
  Eigen::MatrixXd kernel(n, n), derivative(gradient ? n : 0, gradient ? n : 0);
  for (Eigen::Index b = 0; b < n; ++b) {
    kernel(b, b) = s + noise;
    const double* xb = points.col(b).data();
    for (Eigen::Index a = b + 1; a < n; ++a) {
      const double* xa = points.col(a).data();
      double r2 = 0.0;
      for (Eigen::Index j = 0; j < d; ++j) {
        r2 += lambda[j] * dimension_distance(xa[j], xb[j], categorical[j]);
      }
      double dm = 0.0;
      kernel(a, b) = s * matern52(r2, gradient ? &dm : nullptr);
      if (gradient) derivative(a, b) = dm;
    }
  }
  Eigen::MatrixXd factorised = kernel;
  Eigen::LLT<Eigen::MatrixXd> cholesky;
  if (!factorise_with_jitter(factorised, cholesky)) {
    if (gradient) gradient->setZero(theta.size());
    return std::numeric_limits<double>::infinity();
  }
  Eigen::VectorXd alpha = cholesky.solve(y);
  double log_det_half = cholesky.matrixLLT().diagonal().array().log().sum();
  double value = 0.5 * y.dot(alpha) + log_det_half + 0.5 * static_cast<double>(n) * kLog2Pi;

  if (gradient == nullptr) {
    return value - log_prior(theta, static_cast<size_t>(d), options, nullptr);
  }

  // d log p / d theta_p = 1/2 sum_ab W_ab dK_ab/dtheta_p with W = alpha alpha^T - K^-1 (R&W
  // eq. 5.9). K is symmetric and dK_aa/d(lengthscale) = 0, so the off-diagonal sums run over
  // the lower triangle and count twice.
  Eigen::MatrixXd inverse = cholesky.solve(Eigen::MatrixXd::Identity(n, n));
  Eigen::VectorXd lengthscale_sum = Eigen::VectorXd::Zero(d);
  double signal_sum = 0.0, trace = 0.0;
  for (Eigen::Index b = 0; b < n; ++b) {
    double w_bb = alpha[b] * alpha[b] - inverse(b, b);
    trace += w_bb;
    signal_sum += 0.5 * w_bb * s;
    const double* xb = points.col(b).data();
    for (Eigen::Index a = b + 1; a < n; ++a) {
      double w_ab = alpha[a] * alpha[b] - inverse(a, b);
      signal_sum += w_ab * kernel(a, b);
      double g = w_ab * s * derivative(a, b);
      const double* xa = points.col(a).data();
      for (Eigen::Index j = 0; j < d; ++j) {
        lengthscale_sum[j] += g * dimension_distance(xa[j], xb[j], categorical[j]);
      }
    }
  }
  // dK_ab/dtheta_j = s m'(r^2) * 2 lambda_j delta_j,ab; the 1/2 of eq. 5.9 and the factor 2 of
  // the two triangles leave 2 lambda_j.
  Eigen::VectorXd log_likelihood_gradient(theta.size());
  log_likelihood_gradient.head(d) = 2.0 * lambda.cwiseProduct(lengthscale_sum);
  log_likelihood_gradient[d] = signal_sum;
  log_likelihood_gradient[d + 1] =
      options.deterministic ? 0.0 : 0.5 * std::exp(theta[d + 1]) * trace;
  double prior = log_prior(theta, static_cast<size_t>(d), options, &log_likelihood_gradient);
  *gradient = -log_likelihood_gradient;
  return value - prior;
}

FitResult fit_kernel(const InputSpace& inputs, const Eigen::MatrixXd& points,
                     const Eigen::VectorXd& y, std::span<const Eigen::VectorXd> starts,
                     const ModelOptions& options, int max_evaluations) {
  const size_t d = static_cast<size_t>(points.rows());
  std::vector<double> lower, upper;
  theta_bounds(d, &lower, &upper);
  // A deterministic objective does not fit the noise: its coordinate is pinned.
  size_t fitted = options.deterministic ? d + 1 : d + 2;
  lower.resize(fitted);
  upper.resize(fitted);

  FitResult result;
  result.objective = std::numeric_limits<double>::infinity();
  Eigen::VectorXd theta = default_theta(d);
  Objective objective = [&](const double* x, double* gradient) {
    for (size_t i = 0; i < fitted; ++i) theta[static_cast<Eigen::Index>(i)] = x[i];
    Eigen::VectorXd full_gradient;
    double value = negative_log_posterior(inputs, points, y, theta, options, &full_gradient);
    for (size_t i = 0; i < fitted; ++i) gradient[i] = full_gradient[static_cast<Eigen::Index>(i)];
    return value;
  };
  for (const Eigen::VectorXd& start : starts) {
    std::vector<double> x(fitted);
    for (size_t i = 0; i < fitted; ++i) {
      x[i] = std::clamp(start[static_cast<Eigen::Index>(i)], lower[i], upper[i]);
    }
    theta = start;
    // A change of 1e-4 in -log p is far below what moves a proposal; L-BFGS on this landscape
    // otherwise spends most of its evaluations polishing the last digits.
    double value =
        minimize_lbfgs(objective, x, lower, upper, max_evaluations, 1e-4, &result.evaluations);
    if (value < result.objective) {
      result.objective = value;
      result.theta = start;
      for (size_t i = 0; i < fitted; ++i) result.theta[static_cast<Eigen::Index>(i)] = x[i];
    }
  }
  if (result.theta.size() == 0) result.theta = default_theta(d);
  return result;
}

double minimize_lbfgs(const Objective& objective, std::vector<double>& x,
                      const std::vector<double>& lower, const std::vector<double>& upper,
                      int max_evaluations, double ftol_abs, int* evaluations) {
  const unsigned n = static_cast<unsigned>(x.size());
  LbfgsState state{&objective, x};
  nlopt_opt opt = nlopt_create(NLOPT_LD_LBFGS, n);
  if (opt == nullptr) throw std::bad_alloc();
  nlopt_set_lower_bounds(opt, lower.data());
  nlopt_set_upper_bounds(opt, upper.data());
  nlopt_set_min_objective(opt, &lbfgs_callback, &state);
  nlopt_set_maxeval(opt, std::max(1, max_evaluations));
  nlopt_set_ftol_abs(opt, ftol_abs);
  nlopt_set_xtol_abs1(opt, 1e-7);
  std::vector<double> work = x;
  double final_value = 0.0;
  // Failures (round-off limits, a line search that cannot progress) still leave the best point
  // seen in `state`, which is all we use.
  nlopt_optimize(opt, work.data(), &final_value);
  nlopt_destroy(opt);
  if (evaluations) *evaluations += state.evaluations;
  if (state.best_x.size() == n) x = state.best_x;
  return state.best_value;
}

// ---- GaussianProcess ------------------------------------------------------------------------

GaussianProcess::GaussianProcess(const InputSpace& inputs, Eigen::MatrixXd points,
                                 Eigen::VectorXd y, Eigen::VectorXd theta,
                                 const ModelOptions& options)
    : inputs_(inputs),
      options_(options),
      points_(std::move(points)),
      y_(std::move(y)),
      theta_(std::move(theta)),
      categorical_(categorical_mask(inputs)) {
  const Eigen::Index d = points_.rows();
  inverse_squared_lengthscales_ = (2.0 * theta_.head(d)).array().exp();
  signal_variance_ = std::exp(theta_[d]);
  noise_variance_ = noise_of(theta_, static_cast<size_t>(d), options_);
  factorise();
}

double GaussianProcess::lengthscale(size_t j) const {
  return std::exp(-theta_[static_cast<Eigen::Index>(j)]);
}

void GaussianProcess::factorise() {
  const Eigen::Index n = points_.cols();
  Eigen::MatrixXd kernel(n, n);
  Eigen::VectorXd row;
  for (Eigen::Index b = 0; b < n; ++b) {
    kernel_row(points_.col(b).data(), &row, nullptr);
    kernel.col(b) = row;
    kernel(b, b) += noise_variance_;
  }
  if (!factorise_with_jitter(kernel, cholesky_)) {
    throw std::logic_error("gp: kernel matrix is not positive definite (non-finite inputs?)");
  }
  alpha_ = cholesky_.solve(y_);
}

Eigen::VectorXd GaussianProcess::add_fantasies(const Eigen::MatrixXd& points) {
  Eigen::VectorXd mean, variance;
  if (points.cols() == 0) return mean;
  predict_batch(points, &mean, &variance);
  Eigen::Index n = points_.cols();
  points_.conservativeResize(Eigen::NoChange, n + points.cols());
  points_.rightCols(points.cols()) = points;
  y_.conservativeResize(n + points.cols());
  y_.tail(points.cols()) = mean;
  factorise();
  return mean;
}

void GaussianProcess::kernel_row(const double* x, Eigen::VectorXd* k,
                                 Eigen::VectorXd* derivative) const {
  const Eigen::Index d = points_.rows(), n = points_.cols();
  k->resize(n);
  if (derivative) derivative->resize(n);
  for (Eigen::Index a = 0; a < n; ++a) {
    const double* xa = points_.col(a).data();
    double r2 = 0.0;
    for (Eigen::Index j = 0; j < d; ++j) {
      r2 += inverse_squared_lengthscales_[j] * dimension_distance(x[j], xa[j], categorical_[j]);
    }
    double dm = 0.0;
    (*k)[a] = signal_variance_ * matern52(r2, derivative ? &dm : nullptr);
    if (derivative) (*derivative)[a] = signal_variance_ * dm;
  }
}

void GaussianProcess::predict(const double* x, double* mean, double* variance) const {
  Eigen::VectorXd k;
  kernel_row(x, &k, nullptr);
  *mean = k.dot(alpha_);
  cholesky_.matrixL().solveInPlace(k);
  *variance = signal_variance_ - k.squaredNorm();
}

void GaussianProcess::predict_with_gradient(const double* x, double* mean, double* variance,
                                            double* mean_gradient,
                                            double* variance_gradient) const {
  const Eigen::Index d = points_.rows();
  Eigen::VectorXd k, dk;  // dk = s m'(r^2_a): dk_a/dx_j = dk_a * lambda_j * 2 (x_j - X_aj)
  kernel_row(x, &k, &dk);
  *mean = k.dot(alpha_);
  Eigen::VectorXd v = k;
  cholesky_.matrixL().solveInPlace(v);
  *variance = signal_variance_ - v.squaredNorm();
  cholesky_.matrixU().solveInPlace(v);  // v = K^-1 k
  // d mean/dx_j  = sum_a alpha_a dk_a/dx_j,  d var/dx_j = -2 sum_a (K^-1 k)_a dk_a/dx_j; with
  // u = dk .* w both are 2 lambda_j (x_j sum(u) - (X u)_j).
  Eigen::VectorXd u_mean = dk.cwiseProduct(alpha_), u_var = dk.cwiseProduct(v);
  Eigen::VectorXd x_u_mean = points_ * u_mean, x_u_var = points_ * u_var;
  double sum_mean = u_mean.sum(), sum_var = u_var.sum();
  for (Eigen::Index j = 0; j < d; ++j) {
    if (inputs_.kind(static_cast<size_t>(j)) != DimensionKind::kContinuous) {
      mean_gradient[j] = variance_gradient[j] = 0.0;
      continue;
    }
    double scale = 2.0 * inverse_squared_lengthscales_[j];
    mean_gradient[j] = scale * (x[j] * sum_mean - x_u_mean[j]);
    variance_gradient[j] = -2.0 * scale * (x[j] * sum_var - x_u_var[j]);
  }
}

void GaussianProcess::predict_batch(const Eigen::MatrixXd& points, Eigen::VectorXd* mean,
                                    Eigen::VectorXd* variance) const {
  // The kernel between m candidates and n training points, m in the thousands: the numeric part
  // of r^2 as |a|^2 + |b|^2 - 2 a.b on lengthscale-scaled coordinates (one matrix product
  // instead of n*m*d scalar loops), clamped at 0 against cancellation (an absolute error of
  // ~1e-16 |a|^2, invisible in a screening of candidates; predict() is exact).
  const Eigen::Index d = points_.rows(), n = points_.cols(), m = points.cols();
  Eigen::VectorXd scale(d);
  for (Eigen::Index j = 0; j < d; ++j) {
    scale[j] =
        categorical_[static_cast<size_t>(j)] ? 0.0 : std::sqrt(inverse_squared_lengthscales_[j]);
  }
  Eigen::MatrixXd train = scale.asDiagonal() * points_;
  Eigen::MatrixXd query = scale.asDiagonal() * points;
  Eigen::MatrixXd r2 = -2.0 * (train.transpose() * query);
  r2.colwise() += train.colwise().squaredNorm().transpose();
  r2.rowwise() += query.colwise().squaredNorm();
  for (Eigen::Index j = 0; j < d; ++j) {
    if (!categorical_[static_cast<size_t>(j)]) continue;
    for (Eigen::Index c = 0; c < m; ++c) {
      for (Eigen::Index a = 0; a < n; ++a) {
        if (points_(j, a) != points(j, c)) r2(a, c) += inverse_squared_lengthscales_[j];
      }
    }
  }
  Eigen::ArrayXXd r = (5.0 * r2.array().max(0.0)).sqrt();
  Eigen::MatrixXd cross = (signal_variance_ * (1.0 + r + r.square() / 3.0) * (-r).exp()).matrix();
  *mean = cross.transpose() * alpha_;
  cholesky_.matrixL().solveInPlace(cross);
  *variance = (signal_variance_ - cross.colwise().squaredNorm().array()).matrix().transpose();
}

}  // namespace winnow::gp

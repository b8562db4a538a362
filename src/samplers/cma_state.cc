// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "samplers/cma_state.h"

#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <numeric>
#include <stdexcept>

namespace winnow {
namespace {

constexpr double kEigenFloor = 1e-8;  // replaces negative eigenvalues of C, as cmaes does
constexpr double kSigmaMax = 1e32;
constexpr double kTolFun = 1e-12;
constexpr double kTolXUp = 1e4;
constexpr double kTolCondition = 1e14;

}  // namespace

double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

double normal_quantile(double p) {
  // P. J. Acklam's rational approximation (relative error < 1.15e-9), then one Halley step on
  // normal_cdf, which brings it to machine precision.
  if (p <= 0.0) return -std::numeric_limits<double>::infinity();
  if (p >= 1.0) return std::numeric_limits<double>::infinity();
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                                 -2.759285104469687e+02, 1.383577518672690e+02,
                                 -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                 -1.556989798598866e+02, 6.680131188771972e+01,
                                 -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                                 -2.400758277161838e+00, -2.549732539343734e+00,
                                 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                                 2.445134137142996e+00, 3.754408661907416e+00};
  constexpr double p_low = 0.02425;
  double x = 0;
  if (p < p_low || p > 1 - p_low) {
    double q = std::sqrt(-2 * std::log(p < p_low ? p : 1 - p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    if (p > 1 - p_low) x = -x;
  } else {
    double q = p - 0.5, r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  }
  double e = normal_cdf(x) - p;
  double u = e * std::sqrt(2 * std::numbers::pi) * std::exp(0.5 * x * x);
  return x - u / (1 + 0.5 * x * u);
}

int CmaState::cell_of(const CmaAxis& axis, double u) {
  const auto& b = axis.boundaries;
  return static_cast<int>(std::upper_bound(b.begin(), b.end(), u) - b.begin());
}

struct CmaState::Impl {
  Impl(std::vector<CmaAxis> axes, Eigen::VectorXd mean, double sigma, Eigen::MatrixXd covariance,
       CmaSettings settings);
  int dimension() const { return static_cast<int>(mean_.size()); }
  void decompose();
  void correct_margin();
  CmaCandidate sample(const std::function<double()>& normal) const;
  void tell(std::span<const CmaSolution> solutions);
  std::string stop_reason() const;

  std::vector<CmaAxis> axes_;
  int lambda_ = 0;
  int mu_ = 0;
  Eigen::VectorXd weights_;  // lambda recombination weights: mu positive (sum 1), then <= 0
  bool active_ = false;
  double mu_eff_ = 0, c_sigma_ = 0, d_sigma_ = 0, c_c_ = 0, c_1_ = 0, c_mu_ = 0, chi_n_ = 0;
  double margin_ = 0;
  int max_resampling_ = 0;
  int eigen_interval_ = 1;  // generations between eigendecompositions

  Eigen::VectorXd mean_;
  double sigma_ = 0;
  Eigen::MatrixXd c_;
  Eigen::MatrixXd b_;  // eigenvectors of c_ (columns), as of the last decomposition
  Eigen::VectorXd d_;  // square roots of the eigenvalues of c_, likewise
  Eigen::VectorXd p_sigma_, p_c_;
  Eigen::VectorXd a_;
  int generation_ = 0;
  int decomposed_at_ = 0;

  // Stopping bookkeeping.
  double tol_x_ = 0;
  int history_length_ = 0;          // 10 + ceil(30 n / lambda) generations
  std::vector<double> best_worst_;  // ring of (best, worst) per generation
  int flat_generations_ = 0;        // consecutive generations with flat fitness
};

static Eigen::VectorXd to_eigen(const std::vector<double>& v) {
  return Eigen::Map<const Eigen::VectorXd>(v.data(), static_cast<Eigen::Index>(v.size()));
}
static std::vector<double> to_std(const Eigen::VectorXd& v) {
  return std::vector<double>(v.data(), v.data() + v.size());
}

CmaState::CmaState(std::vector<CmaAxis> axes, std::vector<double> mean, double sigma,
                   std::vector<double> covariance, CmaSettings settings) {
  const auto n = static_cast<Eigen::Index>(mean.size());
  Eigen::MatrixXd c;
  if (!covariance.empty()) {
    if (static_cast<Eigen::Index>(covariance.size()) != n * n) {
      throw std::invalid_argument("CmaState: covariance has the wrong shape");
    }
    c = Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
        covariance.data(), n, n);
  }
  impl_ = std::make_unique<Impl>(std::move(axes), to_eigen(mean), sigma, std::move(c), settings);
}
CmaState::~CmaState() = default;
CmaState::CmaState(CmaState&&) noexcept = default;
CmaState& CmaState::operator=(CmaState&&) noexcept = default;

int CmaState::dimension() const { return impl_->dimension(); }
int CmaState::population_size() const { return impl_->lambda_; }
int CmaState::generation() const { return impl_->generation_; }
double CmaState::margin() const { return impl_->margin_; }
const std::vector<CmaAxis>& CmaState::axes() const { return impl_->axes_; }
std::vector<double> CmaState::mean() const { return to_std(impl_->mean_); }
double CmaState::sigma() const { return impl_->sigma_; }
double CmaState::covariance(int i, int j) const { return impl_->c_(i, j); }
std::vector<double> CmaState::margin_scale() const { return to_std(impl_->a_); }
CmaCandidate CmaState::sample(const std::function<double()>& normal) const {
  return impl_->sample(normal);
}
void CmaState::tell(std::span<const CmaSolution> solutions) { impl_->tell(solutions); }
std::string CmaState::stop_reason() const { return impl_->stop_reason(); }

CmaState::Impl::Impl(std::vector<CmaAxis> axes, Eigen::VectorXd mean, double sigma,
                     Eigen::MatrixXd covariance, CmaSettings settings)
    : axes_(std::move(axes)), mean_(std::move(mean)), sigma_(sigma) {
  const int n = static_cast<int>(mean_.size());
  if (n < 1 || static_cast<int>(axes_.size()) != n || !(sigma > 0)) {
    throw std::invalid_argument("CmaState: inconsistent dimension or sigma");
  }
  if (covariance.size() == 0) covariance = Eigen::MatrixXd::Identity(n, n);
  if (covariance.rows() != n || covariance.cols() != n) {
    throw std::invalid_argument("CmaState: covariance has the wrong shape");
  }
  c_ = std::move(covariance);

  // Strategy parameters, [H16] Table 1 / eqs. 48-58. The negative weights of the worse half
  // ("active" CMA, as in cmaes) are used only with settings.active; without, this is the plain
  // (mu/mu_w, lambda)-CMA-ES.
  lambda_ = settings.population > 0 ? settings.population
                                    : 4 + static_cast<int>(std::floor(3 * std::log(n)));
  lambda_ = std::max(lambda_, 2);
  mu_ = lambda_ / 2;
  Eigen::VectorXd prime(lambda_);  // eq. 49
  for (int i = 0; i < lambda_; ++i) prime[i] = std::log((lambda_ + 1) / 2.0) - std::log(i + 1.0);
  Eigen::VectorXd positive = prime.head(mu_), negative = prime.tail(lambda_ - mu_);
  mu_eff_ = positive.sum() * positive.sum() / positive.squaredNorm();
  c_sigma_ = (mu_eff_ + 2) / (n + mu_eff_ + 5);                     // eq. 55
  d_sigma_ = 1 + 2 * std::max(0.0, std::sqrt((mu_eff_ - 1) / (n + 1)) - 1) + c_sigma_;
  c_c_ = (4 + mu_eff_ / n) / (n + 4 + 2 * mu_eff_ / n);             // eq. 56
  c_1_ = 2 / ((n + 1.3) * (n + 1.3) + mu_eff_);                     // eq. 57, alpha_cov = 2
  c_mu_ = std::min(1 - c_1_, 2 * (mu_eff_ - 2 + 1 / mu_eff_) /     // eq. 58
                                 ((n + 2) * (n + 2) + mu_eff_));
  // eq. 53: positive weights sum to 1; with active CMA the others are negative, scaled by the
  // smallest of eqs. 50-52 so C stays positive definite.
  weights_ = Eigen::VectorXd::Zero(lambda_);
  weights_.head(mu_) = positive / positive.sum();
  active_ = settings.active && negative.size() > 0 && negative.sum() < 0;
  if (active_) {
    double mu_eff_minus = negative.sum() * negative.sum() / negative.squaredNorm();
    double alpha = std::min({1 + c_1_ / c_mu_, 1 + 2 * mu_eff_minus / (mu_eff_ + 2),
                             (1 - c_1_ - c_mu_) / (n * c_mu_)});
    weights_.tail(lambda_ - mu_) = alpha * negative / -negative.sum();
  }
  chi_n_ = std::sqrt(n) * (1 - 1.0 / (4 * n) + 1.0 / (21.0 * n * n));  // E||N(0, I)||
  // [H16]: B and D need refreshing only every lambda / (c1 + c_mu) / n / 10 evaluations (in
  // practice every generation below a few hundred dimensions).
  eigen_interval_ = std::max(1, static_cast<int>(1.0 / ((c_1_ + c_mu_) * n * 10)));

  int n_discrete = 0;
  for (const CmaAxis& axis : axes_) n_discrete += axis.discrete() ? 1 : 0;
  margin_ = n_discrete == 0 ? 0.0 : settings.margin >= 0 ? settings.margin : 1.0 / (n * lambda_);
  max_resampling_ = settings.max_resampling > 0 ? settings.max_resampling : 10 * n;

  p_sigma_ = Eigen::VectorXd::Zero(n);
  p_c_ = Eigen::VectorXd::Zero(n);
  a_ = Eigen::VectorXd::Ones(n);
  tol_x_ = 1e-12 * sigma;
  history_length_ = 10 + static_cast<int>(std::ceil(30.0 * n / lambda_));
  best_worst_.assign(2 * history_length_, std::numeric_limits<double>::quiet_NaN());
  decompose();
}

void CmaState::Impl::decompose() {
  c_ = 0.5 * (c_ + c_.transpose());
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(c_);
  Eigen::VectorXd eigenvalues = solver.eigenvalues();
  for (Eigen::Index i = 0; i < eigenvalues.size(); ++i) {
    if (!(eigenvalues[i] > 0)) eigenvalues[i] = kEigenFloor;
  }
  b_ = solver.eigenvectors();
  d_ = eigenvalues.cwiseSqrt();
  c_ = b_ * eigenvalues.asDiagonal() * b_.transpose();
  decomposed_at_ = generation_;
}

CmaCandidate CmaState::Impl::sample(const std::function<double()>& normal) const {
  const int n = dimension();
  // Out-of-bounds draws are resampled up to max_resampling_ times, then the next draw is
  // clipped, as cmaes's CMA.ask does (clipping rather than mirroring keeps tell() given the point
  // that was actually evaluated).
  Eigen::VectorXd z(n), x(n);
  for (int attempt = 0;; ++attempt) {
    for (int i = 0; i < n; ++i) z[i] = normal();
    x = mean_ + sigma_ * (b_ * d_.cwiseProduct(z));  // eqs. 38-40
    bool feasible = true;
    for (int i = 0; i < n && feasible; ++i) {
      if (!axes_[i].discrete() && !(x[i] >= 0.0 && x[i] <= 1.0)) feasible = false;
    }
    if (feasible) break;
    if (attempt >= max_resampling_) {
      for (int i = 0; i < n; ++i) {
        if (!axes_[i].discrete()) x[i] = std::clamp(x[i], 0.0, 1.0);
      }
      break;
    }
  }
  CmaCandidate out{to_std(x), to_std(x)};
  for (int i = 0; i < n; ++i) {
    const CmaAxis& axis = axes_[i];
    if (!axis.discrete()) continue;
    // [HA22] eq. 11: the margin scales the deviation from the mean before rounding.
    double scaled = (x[i] - mean_[i]) * a_[i] + mean_[i];
    int cell = cell_of(axis, scaled);
    int last = static_cast<int>(axis.boundaries.size());
    double lo = cell == 0 ? 0.0 : axis.boundaries[cell - 1];
    double hi = cell == last ? 1.0 : axis.boundaries[cell];
    out.encoded[i] = 0.5 * (lo + hi);
  }
  return out;
}

void CmaState::Impl::tell(std::span<const CmaSolution> solutions) {
  const int n = dimension();
  if (static_cast<int>(solutions.size()) != lambda_) {
    throw std::invalid_argument("CmaState::tell: expected population_size() solutions");
  }
  std::vector<int> order(lambda_);
  std::iota(order.begin(), order.end(), 0);
  // Stable, so ties keep the caller's (trial number) order and replays rank identically.
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    return solutions[a].second < solutions[b].second;
  });
  const double best = solutions[order.front()].second;
  const double worst = solutions[order.back()].second;
  ++generation_;
  int slot = 2 * (generation_ % history_length_);
  best_worst_[slot] = best;
  best_worst_[slot + 1] = worst;
  // Flat fitness: the best and the ceil(0.7 lambda)-th best are equal (the test of Hansen's
  // purecmaes.m).
  int flat_rank = static_cast<int>(std::ceil(0.7 * lambda_)) - 1;
  flat_generations_ = best == solutions[order[flat_rank]].second ? flat_generations_ + 1 : 0;

  // Selection and recombination, eqs. 39-41 (c_m = 1).
  const int used = active_ ? lambda_ : mu_;
  Eigen::MatrixXd y(n, used);
  for (int i = 0; i < used; ++i) y.col(i) = (to_eigen(solutions[order[i]].first) - mean_) / sigma_;
  Eigen::VectorXd y_w = y.leftCols(mu_) * weights_.head(mu_);
  mean_ += sigma_ * y_w;

  // Cumulative step-size adaptation, eqs. 43-44. C^(-1/2) = B D^-1 B^T from the (possibly
  // slightly stale) decomposition.
  Eigen::MatrixXd c_inv_sqrt = b_ * d_.cwiseInverse().asDiagonal() * b_.transpose();
  p_sigma_ = (1 - c_sigma_) * p_sigma_ +
             std::sqrt(c_sigma_ * (2 - c_sigma_) * mu_eff_) * (c_inv_sqrt * y_w);
  double norm_p_sigma = p_sigma_.norm();
  sigma_ *= std::exp((c_sigma_ / d_sigma_) * (norm_p_sigma / chi_n_ - 1));
  sigma_ = std::min(sigma_, kSigmaMax);

  // h_sigma stalls the rank-one path while the step size is growing fast ([H16] after eq. 45,
  // with g + 1 the number of this generation; cmaes uses one generation more in the exponent).
  double correction = std::sqrt(1 - std::pow(1 - c_sigma_, 2.0 * generation_));
  double h_sigma = norm_p_sigma / correction < (1.4 + 2.0 / (n + 1)) * chi_n_ ? 1.0 : 0.0;
  p_c_ = (1 - c_c_) * p_c_ + h_sigma * std::sqrt(c_c_ * (2 - c_c_) * mu_eff_) * y_w;  // eq. 45

  // Covariance update, eqs. 46-47. Negative weights act on Mahalanobis-normalised steps.
  Eigen::VectorXd w = weights_.head(used);
  for (int i = mu_; i < used; ++i) {
    w[i] *= n / ((c_inv_sqrt * y.col(i)).squaredNorm() + 1e-8);
  }
  double delta_h_sigma = (1 - h_sigma) * c_c_ * (2 - c_c_);
  Eigen::MatrixXd rank_mu = y * w.asDiagonal() * y.transpose();
  c_ = (1 + c_1_ * delta_h_sigma - c_1_ - c_mu_ * weights_.sum()) * c_ +
       c_1_ * (p_c_ * p_c_.transpose()) + c_mu_ * rank_mu;
  c_ = 0.5 * (c_ + c_.transpose());

  if (margin_ > 0) correct_margin();
  if (generation_ - decomposed_at_ >= eigen_interval_) decompose();
}

void CmaState::Impl::correct_margin() {
  // [HA22] Algorithm 1 (lines 12-21), per discrete coordinate: keep the probability that the
  // margin-scaled sample leaves the mean's cell, on each side, at least margin_ / 2 (interior
  // cells, by adjusting A and the mean) or margin_ (outer cells, by moving the mean towards the
  // inner neighbour). The thresholds are the cell boundaries around the mean.
  const double alpha = margin_;
  for (int j = 0; j < dimension(); ++j) {
    const CmaAxis& axis = axes_[j];
    if (!axis.discrete()) continue;
    const auto& bounds = axis.boundaries;
    const int last = static_cast<int>(bounds.size());
    double m = mean_[j];
    int cell = cell_of(axis, m);
    bool outer = cell == 0 || cell == last;
    double low = cell == 0 ? bounds.front() : bounds[cell - 1];
    double up = cell == last ? bounds.back() : bounds[cell];
    double c_jj = std::max(c_(j, j), std::numeric_limits<double>::min());
    double scale = std::max(sigma_ * a_[j] * std::sqrt(c_jj), std::numeric_limits<double>::min());
    double low_cdf = normal_cdf((low - m) / scale);
    double up_cdf = normal_cdf((m - up) / scale);
    double mid_cdf = 1 - (low_cdf + up_cdf);
    if (outer) {
      // Probability of crossing the one boundary: push the mean so it is alpha (eq. 20).
      if (std::min(low_cdf, up_cdf) < alpha) {
        double direction = m > up ? 1.0 : m < up ? -1.0 : 0.0;
        mean_[j] = up + direction * scale * normal_quantile(1 - alpha);
      }
      continue;
    }
    // Interior cell: raise both tails to alpha / 2, renormalise (eq. 21), then solve for the
    // mean and A that give exactly these tails with sigma and C unchanged (eqs. 22-23).
    double lo = std::max(low_cdf, alpha / 2), hi = std::max(up_cdf, alpha / 2);
    double total = lo + mid_cdf + hi;
    double lo2 = lo + (1 - total) * (lo - alpha / 2) / (total - 1.5 * alpha);
    double hi2 = hi + (1 - total) * (hi - alpha / 2) / (total - 1.5 * alpha);
    lo2 = std::clamp(lo2, 1e-10, 0.5 - 1e-10);
    hi2 = std::clamp(hi2, 1e-10, 0.5 - 1e-10);
    double z_low = normal_quantile(1 - lo2), z_up = normal_quantile(1 - hi2);
    a_[j] = (up - low) / ((z_low + z_up) * sigma_ * std::sqrt(c_jj));
    mean_[j] = (low * z_up + up * z_low) / (z_low + z_up);
  }
}

std::string CmaState::Impl::stop_reason() const {
  const int n = dimension();
  // tolfun: the best and worst values of the last history_length_ generations lie within
  // kTolFun of each other.
  if (generation_ > history_length_) {
    auto [lo, hi] = std::minmax_element(best_worst_.begin(), best_worst_.end());
    if (*hi - *lo < kTolFun) return "tolfun";
  }
  // tolx: every coordinate's standard deviation and the evolution path are negligible (the
  // criterion of [H16]/pycma on sigma sqrt(C_ii); cmaes compares sigma C_ii).
  bool tiny = true;
  for (int i = 0; i < n && tiny; ++i) {
    tiny = sigma_ * std::sqrt(c_(i, i)) < tol_x_ && sigma_ * std::abs(p_c_[i]) < tol_x_;
  }
  if (tiny) return "tolx";
  if (sigma_ * d_.maxCoeff() > kTolXUp) return "tolxup";
  for (int i = 0; i < n; ++i) {
    if (mean_[i] == mean_[i] + 0.2 * sigma_ * std::sqrt(c_(i, i))) return "noeffectcoord";
  }
  int axis = generation_ % n;
  if (mean_ == mean_ + 0.1 * sigma_ * d_[axis] * b_.col(axis)) return "noeffectaxis";
  // The condition number of C (eigenvalue ratio; cmaes compares the ratio of their square roots
  // with the same 1e14, which lets C reach 1e28).
  double ratio = d_.maxCoeff() / d_.minCoeff();
  if (ratio * ratio > kTolCondition) return "conditioncov";
  // Flat fitness for 2 + n/3 generations in a row (Hansen's cmaes.m StopOnEqualFunctionValues):
  // the distribution cannot tell its samples apart, typically converged on a plateau or on one
  // configuration of a discrete problem.
  if (flat_generations_ >= static_cast<int>(std::ceil(2 + n / 3.0))) return "tolflat";
  return "";
}

CmaWarmStart estimate_warm_start(std::span<const CmaSolution> top, double sigma_min,
                                 double sigma_max, double fallback_sigma) {
  // [N21] estimates a promising distribution from the top gamma of earlier evaluations:
  // Sigma = alpha^2 I + the sample covariance of the top points, sigma = det(Sigma)^(1/2n),
  // C = Sigma / sigma^2. Deviations: the mean is the best point rather than the top points'
  // mean (a previous phase that found a basin should be refined from its best point); alpha is
  // 0.05 rather than 0.1 so tight clusters can give a small sigma (which is then clamped to
  // [sigma_min, sigma_max]); and with fewer than n + 1 points the covariance is not estimated
  // (C = I, sigma from the average variance).
  const auto n = static_cast<Eigen::Index>(top.front().first.size());
  CmaWarmStart out;
  out.mean = top.front().first;
  Eigen::MatrixXd covariance = Eigen::MatrixXd::Identity(n, n);
  auto flatten = [&] {
    out.covariance.clear();
    for (Eigen::Index i = 0; i < n; ++i) {
      for (Eigen::Index j = 0; j < n; ++j) out.covariance.push_back(covariance(i, j));
    }
  };
  flatten();
  if (top.size() < 2) {
    out.sigma = std::clamp(fallback_sigma, sigma_min, sigma_max);
    return out;
  }
  constexpr double kAlpha = 0.05;
  Eigen::VectorXd centre = Eigen::VectorXd::Zero(n);
  for (const auto& s : top) centre += to_eigen(s.first);
  centre /= static_cast<double>(top.size());
  Eigen::MatrixXd scatter = Eigen::MatrixXd::Zero(n, n);
  for (const auto& s : top) {
    Eigen::VectorXd d = to_eigen(s.first) - centre;
    scatter += d * d.transpose();
  }
  scatter /= static_cast<double>(top.size());
  if (static_cast<Eigen::Index>(top.size()) >= n + 1) {
    Eigen::MatrixXd sigma_matrix = scatter + kAlpha * kAlpha * Eigen::MatrixXd::Identity(n, n);
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(sigma_matrix);
    double log_det = solver.eigenvalues().array().max(kAlpha * kAlpha).log().sum();
    double sigma = std::exp(log_det / (2.0 * static_cast<double>(n)));
    covariance = sigma_matrix / (sigma * sigma);
    flatten();
    out.sigma = std::clamp(sigma, sigma_min, sigma_max);
  } else {
    double variance = kAlpha * kAlpha + scatter.trace() / static_cast<double>(n);
    out.sigma = std::clamp(std::sqrt(variance), sigma_min, sigma_max);
  }
  return out;
}

}  // namespace winnow

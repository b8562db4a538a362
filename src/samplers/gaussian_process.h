// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Gaussian-process regression on the unit-cube encoding, for the "gp" sampler (samplers/gp.cc).
//
// Kernel: Matérn-5/2 with one lengthscale per dimension (ARD), a signal variance s and a noise
// variance sigma^2 (Rasmussen & Williams 2006, eq. 4.17):
//   k(x, x') = s * (1 + sqrt(5) r + 5 r^2 / 3) * exp(-sqrt(5) r),  r^2 = sum_j lambda_j delta_j,
// where lambda_j = 1 / l_j^2 and delta_j is, per kind of dimension (see InputSpace):
//   continuous   (x_j - x'_j)^2;
//   discrete     the same after snapping both points to the centre of their cell (ints, stepped
//                floats and ordinals: Garrido-Merchán & Hernández-Lobato 2020, "Dealing with
//                categorical and integer-valued variables in Bayesian optimization with Gaussian
//                processes"), so the model is flat between two neighbouring integers;
//   categorical  0 for the same choice, 1 otherwise (Hamming, as Optuna's GPSampler).
//
// Hyperparameters live in one vector theta, in the log space the fit works in:
//   theta[j]     = log(1 / l_j)           for j < d  (log inverse lengthscale)
//   theta[d]     = log s
//   theta[d + 1] = log(sigma^2 - floor)   (the noise never goes below `noise_floor`)
// and are fitted by maximising the log marginal likelihood plus log priors (MAP) with analytic
// gradients and NLopt's L-BFGS (fit_kernel).
//
// Everything here is deterministic: the same inputs give bit-identical outputs.
#pragma once

#ifndef EIGEN_DONT_PARALLELIZE
#define EIGEN_DONT_PARALLELIZE  // one core per ask; the study may run samplers in many threads
#endif

#include <Eigen/Cholesky>
#include <Eigen/Core>

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "winnow/space.h"

namespace winnow::gp {

enum class DimensionKind { kContinuous, kDiscrete, kCategorical };

// What the kernel needs to know about each parameter of a space: its kind and, for discrete and
// categorical parameters, its cells in unit coordinates. A linear grid (and every categorical or
// ordinal parameter) has n equal cells; a log-scaled grid has cells whose edges are the midpoints
// between neighbouring values on the log scale, tabulated here.
class InputSpace {
 public:
  // Log-scaled grids with more values than this are modelled as continuous: a table would cost
  // memory for no visible gain (the cells are then finer than any lengthscale the fit finds).
  static constexpr uint64_t kMaxTabulatedCells = 4096;

  explicit InputSpace(const SearchSpace& space);

  size_t dimensions() const { return dims_.size(); }
  DimensionKind kind(size_t j) const { return dims_[j].kind; }
  bool all_continuous() const { return all_continuous_; }
  // Number of cells of a discrete or categorical dimension; 0 for a continuous one.
  uint64_t cells(size_t j) const { return dims_[j].cells; }
  uint64_t cell_of(size_t j, double u) const;
  double centre(size_t j, uint64_t cell) const;
  // Moves every discrete and categorical coordinate to the centre of its cell, in place.
  void snap(std::span<double> x) const;

 private:
  struct Dimension {
    DimensionKind kind = DimensionKind::kContinuous;
    uint64_t cells = 0;
    std::vector<double> upper_edges;  // log grids only: upper edge of cell k (size cells - 1)
    std::vector<double> centres;      // log grids only
  };
  std::vector<Dimension> dims_;
  bool all_continuous_ = true;
};

// Fixed parts of the model that are not fitted.
struct ModelOptions {
  // Lower bound of the noise variance on the standardised scale. It also makes duplicated
  // points harmless: the kernel matrix stays positive definite.
  double noise_floor = 1e-6;
  // The objective is noise-free: the noise variance is held at the floor, not fitted.
  bool deterministic = false;
};

// theta's size for d dimensions, its bounds for the fit, and the default starting point.
size_t theta_size(size_t dimensions);
void theta_bounds(size_t dimensions, std::vector<double>* lower, std::vector<double>* upper);
Eigen::VectorXd default_theta(size_t dimensions);

// -log p(y | X, theta) - log p(theta), the quantity fit_kernel minimises; `points` holds one
// snapped point per column. Writes the gradient with respect to theta when `gradient` is not
// null (Rasmussen & Williams eq. 5.9: d/dtheta log p = 1/2 tr((a a^T - K^-1) dK/dtheta)).
double negative_log_posterior(const InputSpace& inputs, const Eigen::MatrixXd& points,
                              const Eigen::VectorXd& y, const Eigen::VectorXd& theta,
                              const ModelOptions& options, Eigen::VectorXd* gradient);

struct FitResult {
  Eigen::VectorXd theta;
  double objective = 0.0;  // negative log posterior at theta
  int evaluations = 0;     // objective evaluations spent, over all starts
};

// Minimises negative_log_posterior from each start in turn (L-BFGS within theta_bounds, at most
// `max_evaluations` evaluations per start) and returns the best point found.
FitResult fit_kernel(const InputSpace& inputs, const Eigen::MatrixXd& points,
                     const Eigen::VectorXd& y, std::span<const Eigen::VectorXd> starts,
                     const ModelOptions& options, int max_evaluations);

// The posterior of a fitted GP. Predictions are for the latent function (without noise).
class GaussianProcess {
 public:
  // `points`: one snapped point per column; `y`: standardised targets. Keeps a reference to
  // `inputs`, which must outlive it.
  GaussianProcess(const InputSpace& inputs, Eigen::MatrixXd points, Eigen::VectorXd y,
                  Eigen::VectorXd theta, const ModelOptions& options);

  // Kriging believer (Ginsbourger et al. 2010): adds each point as an observation equal to the
  // current posterior mean there, keeping the hyperparameters, so the posterior variance
  // collapses around points that are being evaluated and the acquisition looks elsewhere.
  // Returns the believed values (the caller counts them in the incumbent, as the believer does:
  // otherwise the region around a promising running point keeps its expected improvement).
  Eigen::VectorXd add_fantasies(const Eigen::MatrixXd& points);

  size_t size() const { return static_cast<size_t>(y_.size()); }
  const Eigen::VectorXd& theta() const { return theta_; }
  double signal_variance() const { return signal_variance_; }
  double noise_variance() const { return noise_variance_; }
  // Lengthscale l_j = exp(-theta[j]).
  double lengthscale(size_t j) const;

  // Posterior mean and variance at one snapped point.
  void predict(const double* x, double* mean, double* variance) const;
  // The same plus their gradients with respect to x; the entries of discrete and categorical
  // dimensions are 0 (the kernel is piecewise constant there).
  void predict_with_gradient(const double* x, double* mean, double* variance, double* mean_gradient,
                             double* variance_gradient) const;
  // Posterior mean and variance at every column of `points` (snapped): predict() for many
  // points at once, with the distances computed by a matrix product (agrees to ~1e-10).
  void predict_batch(const Eigen::MatrixXd& points, Eigen::VectorXd* mean,
                     Eigen::VectorXd* variance) const;

 private:
  void factorise();
  // Kernel between x and every training point; `derivative` gets dk/d(r^2) when not null.
  void kernel_row(const double* x, Eigen::VectorXd* k, Eigen::VectorXd* derivative) const;

  const InputSpace& inputs_;
  ModelOptions options_;
  Eigen::MatrixXd points_;  // d x n
  Eigen::VectorXd y_;
  Eigen::VectorXd theta_;
  Eigen::VectorXd inverse_squared_lengthscales_;
  std::vector<uint8_t> categorical_;
  double signal_variance_ = 1.0;
  double noise_variance_ = 1e-6;
  Eigen::LLT<Eigen::MatrixXd> cholesky_;
  Eigen::VectorXd alpha_;  // K^-1 y
};

// Minimises f over the box [lower, upper] with NLopt's L-BFGS (NLOPT_LD_LBFGS) from x (updated
// in place to the best point seen). `objective(x, gradient)` returns f and writes its gradient.
// Returns the best value seen and adds the evaluations spent to *evaluations when not null.
using Objective = std::function<double(const double* x, double* gradient)>;
double minimize_lbfgs(const Objective& objective, std::vector<double>& x,
                      const std::vector<double>& lower, const std::vector<double>& upper,
                      int max_evaluations, double ftol_abs, int* evaluations = nullptr);

}  // namespace winnow::gp

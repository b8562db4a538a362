// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The acquisition of the "gp" sampler: log expected improvement for minimisation, computed so
// that it stays finite and informative where the improvement is astronomically unlikely, and
// its maximisation over a mixed continuous / discrete / categorical unit cube.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "samplers/gaussian_process.h"

namespace winnow::gp {

// Random draws that are bit-identical on every platform and standard library (the std
// distributions are not): 53-bit uniforms from mt19937_64 and Box-Muller normals.
class Random {
 public:
  explicit Random(uint64_t seed) : engine_(seed) {}
  double uniform();                // [0, 1)
  double normal();                 // N(0, 1)
  uint64_t below(uint64_t bound);  // uniform over [0, bound), bound > 0

 private:
  std::mt19937_64 engine_;
  bool has_spare_ = false;
  double spare_ = 0.0;
};

// erfcx(x) = exp(x^2) erfc(x) for x >= 0, accurate where erfc underflows.
double erfcx(double x);

// log h(z) with h(z) = phi(z) + z Phi(z) = E[max(0, z + N(0, 1))], the standardised expected
// improvement; computed in the three branches of Ament et al. 2023, "Unexpected Improvements
// to Expected Improvement for Bayesian Optimization", eq. (9), so it stays finite and
// increasing for z far below -38 where h itself underflows.
double log_h(double z);
// d log h / dz = Phi(z) / h(z), also stable for very negative z.
double log_h_derivative(double z);
// log Phi(z), the log of the standard normal CDF, finite for very negative z.
double log_normal_cdf(double z);
// log(1 - exp(w)) for w < 0, accurate near 0 and far below it (Mächler 2012).
double log1mexp(double w);

// What maximize_acquisition maximises: a function of a snapped unit point, larger is better.
class Acquisition {
 public:
  virtual ~Acquisition() = default;
  virtual double value(const double* x) const = 0;
  // Writes the gradient with respect to x (0 on discrete and categorical dimensions).
  virtual double value_and_gradient(const double* x, double* gradient) const = 0;
  // The value at every column of `points`.
  virtual Eigen::VectorXd values(const Eigen::MatrixXd& points) const = 0;
  // The length over which the acquisition changes along continuous dimension j, to precondition
  // the local search (a kernel lengthscale).
  virtual double lengthscale(size_t j) const = 0;
};

// log EI(x) = log sigma(x) + log h((incumbent - mu(x)) / sigma(x)) for minimisation of the
// (standardised) target, on the latent posterior of `model`.
class LogExpectedImprovement : public Acquisition {
 public:
  LogExpectedImprovement(const GaussianProcess& model, double incumbent)
      : model_(model), incumbent_(incumbent) {}

  const GaussianProcess& model() const { return model_; }
  double value(const double* x) const override;
  double value_and_gradient(const double* x, double* gradient) const override;
  Eigen::VectorXd values(const Eigen::MatrixXd& points) const override;
  double lengthscale(size_t j) const override { return model_.lengthscale(j); }

 private:
  // Added to the posterior variance so a point on top of an observation has a finite log EI
  // (Optuna's acqf_stabilizing_noise).
  static constexpr double kVarianceFloor = 1e-12;
  const GaussianProcess& model_;
  double incumbent_;
};

struct AcquisitionOptions {
  int candidates = 512;        // random and perturbed starting points, scored in one batch
  int local_searches = 10;     // best starting points refined by local search
  int local_evaluations = 50;  // L-BFGS evaluations per refinement of the continuous dims
};

struct ScoredPoint {
  std::vector<double> x;  // snapped unit point
  double value = 0.0;     // the acquisition's value there
};

// Maximises the acquisition: `options.candidates` starting points (three quarters uniform, one
// quarter perturbations of `anchors`, the best observed points, one per column) are scored;
// the best `local_searches` of them are refined by alternating L-BFGS on the continuous
// dimensions (preconditioned by the lengthscales, as Optuna's optim_mixed.py) with a search
// over neighbouring values of each discrete dimension and every choice of each categorical one.
// Returns every scored point, the refined ones included, best first, so the caller can fall
// back to the next one when the best is forbidden or a duplicate.
std::vector<ScoredPoint> maximize_acquisition(const Acquisition& acquisition,
                                              const InputSpace& inputs,
                                              const Eigen::MatrixXd& anchors, Random& random,
                                              const AcquisitionOptions& options);

}  // namespace winnow::gp

// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The (mu/mu_w, lambda)-CMA-ES as a pure ask-and-tell state, with the margin correction for
// discrete coordinates. No I/O, no clocks, no hidden random state: sample() draws from the
// normal variates it is handed and tell() is a pure function of the solutions it is given, so
// replaying the same tells on a fresh state reproduces the state bit for bit (the sampler in
// cmaes.cc rebuilds itself from stored trials that way).
//
// References (equation numbers refer to these):
//   [H16] N. Hansen, "The CMA Evolution Strategy: A Tutorial", arXiv:1604.00772 (2016).
//   [HA22] R. Hamano, S. Saito, M. Nomura, S. Shirakawa, "CMA-ES with Margin: Lower-Bounding
//          Marginal Probability for Mixed-Integer Black-Box Optimization", GECCO 2022
//          (arXiv:2205.13482).
//   [N21] M. Nomura, S. Watanabe, Y. Akimoto, Y. Ozaki, M. Onishi, "Warm Starting CMA-ES for
//         Hyperparameter Optimization", AAAI 2021 (arXiv:2012.06932).
// The CyberAgentAILab/cmaes package (the one Optuna's CmaEsSampler uses) was the reference for
// the stopping criteria and the margin bookkeeping; differences are noted where they occur.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace winnow {

// One coordinate of the search distribution, in the unit-cube encoding.
struct CmaAxis {
  // Empty: a continuous coordinate bounded to [0, 1] (samples outside are resampled, then
  // clipped). Otherwise the coordinate is discrete with boundaries.size() + 1 values, value i
  // owning [boundaries[i-1], boundaries[i]) of the unit interval; it is unbounded for the
  // search distribution (values beyond the outer boundaries map to the outer values) and gets
  // the margin correction of [HA22].
  std::vector<double> boundaries;
  bool discrete() const { return !boundaries.empty(); }
};

struct CmaSettings {
  // lambda; 0 = 4 + floor(3 ln n) [H16, eq. 48].
  int population = 0;
  // Lower bound alpha on the probability of leaving the mean's cell of a discrete coordinate
  // [HA22]; negative = 1 / (n lambda), the paper's recommendation; 0 disables the margin.
  double margin = -1.0;
  // Sample at most this many times per candidate before clipping (cmaes/Optuna use 10 n);
  // 0 = 10 n.
  int max_resampling = 0;
  // Active CMA [H16, eqs. 49-53]: the worse half gets negative weights in the covariance
  // update (as cmaes does). Off = the plain (mu/mu_w, lambda)-CMA-ES.
  bool active = false;
};

struct CmaCandidate {
  // The draw from N(m, sigma^2 C), with continuous coordinates repaired into [0, 1]: what
  // tell() must be given back.
  std::vector<double> raw;
  // The point to evaluate: continuous coordinates as in `raw`, discrete ones moved to the
  // centre of the cell the margin-scaled value falls in ([HA22], eq. 11).
  std::vector<double> encoded;
};

// A (raw point, objective value) pair; lower values are better.
using CmaSolution = std::pair<std::vector<double>, double>;

// The interface speaks std::vector so that users need not see Eigen (it is a private
// dependency of winnow_core); the implementation uses Eigen.
class CmaState {
 public:
  // `covariance` is row-major n x n, or empty for the identity. Throws std::invalid_argument
  // on inconsistent sizes or a non-positive sigma (programming errors of the caller, not user
  // mistakes).
  CmaState(std::vector<CmaAxis> axes, std::vector<double> mean, double sigma,
           std::vector<double> covariance, CmaSettings settings);
  ~CmaState();
  CmaState(CmaState&&) noexcept;
  CmaState& operator=(CmaState&&) noexcept;

  int dimension() const;
  int population_size() const;
  int generation() const;
  double margin() const;
  const std::vector<CmaAxis>& axes() const;
  std::vector<double> mean() const;
  double sigma() const;
  double covariance(int i, int j) const;
  // The per-coordinate scale A of [HA22] (1 for continuous coordinates).
  std::vector<double> margin_scale() const;

  // Draws one candidate. `normal` returns independent N(0, 1) variates; the state itself is
  // not changed, so any number of candidates may be drawn from one generation.
  CmaCandidate sample(const std::function<double()>& normal) const;

  // One generation update [H16, eqs. 39-47 with positive weights only] followed by the margin
  // correction [HA22, Alg. 1]. `solutions` must hold exactly population_size() entries.
  void tell(std::span<const CmaSolution> solutions);

  // The termination tests of the restart strategy (tolfun, tolx, tolxup, no effect axis, no
  // effect coordinate, condition number, flat fitness). Returns the name of the first test that
  // fires, or an empty string.
  std::string stop_reason() const;
  bool should_stop() const { return !stop_reason().empty(); }

  // Index of the value of discrete coordinate `axis` that unit-cube position `u` falls in.
  static int cell_of(const CmaAxis& axis, double u);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The warm-start distribution of [N21] in simple form (see cma_state.cc for the deviations).
struct CmaWarmStart {
  std::vector<double> mean;
  double sigma = 0;
  std::vector<double> covariance;  // row-major n x n
};
// `solutions` are earlier evaluations (lower is better); `top` of them (the best first) define
// the distribution. sigma is clamped to [sigma_min, sigma_max].
CmaWarmStart estimate_warm_start(std::span<const CmaSolution> top, double sigma_min,
                                 double sigma_max, double fallback_sigma);

// Standard normal distribution function and its inverse (Acklam's rational approximation
// refined by one Halley step, accurate to ~1e-15).
double normal_cdf(double x);
double normal_quantile(double p);

}  // namespace winnow

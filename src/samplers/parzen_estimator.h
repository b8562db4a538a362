// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The Parzen estimator of the TPE sampler: a weighted mixture of product kernels over some
// coordinates of the unit cube, one kernel per observation plus a wide prior kernel.
//
// This follows Optuna's `_ParzenEstimator` (optuna/samplers/_tpe/parzen_estimator.py, v3.x/4.x),
// which refines Bergstra et al., "Algorithms for Hyper-Parameter Optimization", NeurIPS 2011;
// Watanabe, "Tree-structured Parzen estimator: Understanding its algorithm components and their
// roles for better empirical performance", 2023 (arXiv:2304.11127), ablates each choice.
// Because every coordinate already lives in [0, 1] (log scales are linear there, integer cells
// are widened by half a step), Optuna's `high - low` is 1 throughout:
//   * numeric kernel: Gaussian N(mu, sigma) truncated to [0, 1]; prior kernel N(0.5, 1);
//   * discrete numeric (ints, stepped floats, ordinals on their index): the probability mass of
//     the value's cell under the same truncated Gaussian (Optuna's discrete distributions);
//   * categorical kernel: weight prior_weight / (n + 1) on every choice plus 1 on the observed
//     one, normalised; the prior kernel is uniform;
//   * bandwidth: Scott-like 0.2 * n^(-1 / (d + 4)) (BOHB, Optuna's multivariate mode), or the
//     larger distance to the sorted neighbours with the prior mean counted as an observation
//     and the endpoints ignored unless consider_endpoints (Hyperopt, Optuna's univariate mode),
//     per coordinate;
//   * "magic clip": sigma clipped to [max(min_bandwidth, (n + 2)^-clip_exponent), 1]; Optuna's
//     is min_bandwidth = 0.01, clip_exponent = 1, i.e. 1 / min(100, n + 2) (Watanabe 2023
//     studies both knobs);
//   * mixture weights: the caller's per-observation weights, then prior_weight for the prior,
//     normalised; with no observations the prior alone.
// Deviation: a discrete coordinate whose cells are narrower than 1/20 of a kernel's bandwidth
// uses the midpoint rule (with its second-order correction) instead of the difference of two
// normal tails; the relative error is below 1e-4 within 10 sigma and it keeps large integer
// ranges as fast as floats. Normal tails come from our own vectorised erfc (parzen_estimator.cc).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numbers>
#include <span>
#include <utility>
#include <vector>

#include "samplers/sampler_util.h"
#include "winnow/space.h"

namespace winnow {

// A counter-based stream of random numbers (SplitMix64 over (key, counter)), the same idea as
// the random sampler's: cheap to create per proposal and reproducible from (seed, trial count).
class UnitStream {
 public:
  explicit UnitStream(uint64_t key) : key_(key) {}
  double uniform() {  // in [0, 1)
    return static_cast<double>(mix_seed(key_, counter_++) >> 11) * 0x1.0p-53;
  }
  double normal() {  // standard normal (Box-Muller, both values used)
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double r = std::sqrt(-2.0 * std::log(1.0 - uniform()));  // 1 - u in (0, 1]: a finite log
    double angle = 2.0 * std::numbers::pi * uniform();
    spare_ = r * std::sin(angle);
    has_spare_ = true;
    return r * std::cos(angle);
  }

 private:
  uint64_t key_;
  uint64_t counter_ = 0;
  bool has_spare_ = false;
  double spare_ = 0.0;
};

// How one modelled coordinate is distributed, derived from its ParamSpec so that cells agree
// with SearchSpace::encode / decode.
struct ParzenDimension {
  enum class Kind { kContinuous, kDiscrete, kCategorical };
  Kind kind = Kind::kContinuous;
  // kDiscrete: number of grid values; kCategorical: number of choices.
  uint64_t cells = 0;
  // kDiscrete on a log scale (log ints): cells are unequal in the unit cube; value k is
  // low + k * step and owns [log(v - step/2), log(v + step/2)] mapped to [0, 1].
  bool log_cells = false;
  double low = 0.0, step = 1.0, log_low = 0.0, log_high = 1.0;

  static ParzenDimension from_spec(const ParamSpec& spec);
  // Index of the cell (value, choice) holding unit coordinate `u`.
  uint64_t cell_of(double u) const;
  // Unit coordinate that encodes the k-th value (what SearchSpace::encode gives it).
  double cell_center(uint64_t k) const;
  std::pair<double, double> cell_edges(uint64_t k) const;
  double max_cell_width() const {  // log grids are widest at the low end, linear ones even
    auto [lo, hi] = cell_edges(0);
    return hi - lo;
  }
};

inline uint64_t ParzenDimension::cell_of(double u) const {
  double k;
  if (log_cells) {
    double v = std::exp(log_low + u * (log_high - log_low));
    k = std::round((v - low) / step);
  } else {
    k = std::floor(u * static_cast<double>(cells));
  }
  if (!(k > 0.0)) return 0;  // also NaN
  return std::min(cells - 1, static_cast<uint64_t>(k));
}

inline double ParzenDimension::cell_center(uint64_t k) const {
  if (log_cells) {
    double v = low + static_cast<double>(k) * step;
    return std::clamp((std::log(v) - log_low) / (log_high - log_low), 0.0, 1.0);
  }
  return (static_cast<double>(k) + 0.5) / static_cast<double>(cells);
}

inline std::pair<double, double> ParzenDimension::cell_edges(uint64_t k) const {
  if (log_cells) {
    auto edge = [&](double v) {
      return std::clamp((std::log(v) - log_low) / (log_high - log_low), 0.0, 1.0);
    };
    double lo = k == 0 ? 0.0 : edge(low + (static_cast<double>(k) - 0.5) * step);
    double hi = k + 1 >= cells ? 1.0 : edge(low + (static_cast<double>(k) + 0.5) * step);
    return {lo, hi};
  }
  double n = static_cast<double>(cells);
  return {static_cast<double>(k) / n, static_cast<double>(k + 1) / n};
}

struct ParzenOptions {
  // Weight of the prior kernel, relative to the observations' weights as given to fit().
  double prior_weight = 1.0;
  // Kernel bandwidths: kScott is Optuna's multivariate rule 0.2 * n^(-1/(d+4)), the same for
  // every observation; kNeighbour is Optuna's univariate rule (the larger gap to the sorted
  // neighbours, the prior mean counted), applied to each coordinate.
  enum class Bandwidth { kScott, kNeighbour };
  Bandwidth bandwidth = Bandwidth::kNeighbour;
  bool consider_endpoints = false;  // kNeighbour: whether 0 and 1 count as neighbours
  // The "magic clip": bandwidths are at least max(min_bandwidth, (n + 2)^-clip_exponent).
  // Optuna: 0.01 and 1 (1 / min(100, n + 2)).
  double min_bandwidth = 0.01;
  double clip_exponent = 1.0;
  // false: continuous kernels are not divided by sigma, so every one peaks at 1/sqrt(2 pi)
  // whatever its bandwidth (Optuna < 3.5's densities); narrow kernels then weigh less and the
  // wide prior more. Discrete coordinates always use probability masses.
  bool normalized = true;
};

class ParzenEstimator {
 public:
  // `observations` is n x dims.size(), row-major, unit-cube coordinates (discrete and
  // categorical ones at their cell centres); `weights` has n non-negative entries.
  ParzenEstimator(std::span<const ParzenDimension> dims, std::span<const double> observations,
                  std::span<const double> weights, const ParzenOptions& options);
  ParzenEstimator() = default;
  // Refits in place, reusing this estimator's storage: a sampler that keeps its estimators
  // between proposals allocates (and page-faults in) nothing at steady state.
  void fit(std::span<const ParzenDimension> dims, std::span<const double> observations,
           std::span<const double> weights, const ParzenOptions& options);

  size_t dims() const { return dims_.size(); }
  size_t components() const { return log_weight_.size(); }

  // Appends `count` draws (row-major, count x dims()) to `out`; discrete and categorical
  // coordinates are returned at their cell centres.
  void sample(UnitStream& rng, size_t count, std::vector<double>& out,
              double recombine = 0.0) const;
  // log density (numeric coordinates) / probability (discrete and categorical) at each of the
  // `points.size() / dims()` row-major points; discrete points must be cell centres.
  std::vector<double> log_pdf(std::span<const double> points) const;

 private:
  struct Column {
    // Numeric: kernel means and bandwidths; continuous ones also inv_sigma and
    // scaled_mu = mu / sigma for log_pdf.
    std::vector<double> mu, sigma, inv_sigma, scaled_mu;
    // Discrete with every cell narrow next to every kernel (log_pdf's midpoint rule
    // throughout): handled like continuous ones, plus inv_sigma^2 / 24 for the correction.
    bool fine = false;
    std::vector<double> inv_sigma_sq_24;
    // Discrete: kernel k belongs to class kernel_class[k] of kernels with equal (mu, sigma).
    std::vector<uint32_t> kernel_class;
    std::vector<double> class_mu, class_inv_sigma, class_log_sigma;
    double max_inv_sigma = 0.0;
    // Categorical: each kernel's observed choice (UINT32_MAX for the prior), the kernels of
    // choice c at members[member_start[c] .. member_start[c + 1]), and the log probability an
    // observation row gives its own choice and any other.
    std::vector<uint32_t> choice, members, member_start;
    double log_hit = 0.0, log_miss = 0.0;
  };
  static void group_discrete_kernels(const ParzenDimension& dim, Column& col);

  std::vector<ParzenDimension> dims_;
  std::vector<Column> columns_;
  std::vector<double> log_weight_;  // normalised mixture weights, prior last
  std::vector<double> weight_cdf_;  // for drawing a kernel
  // Per kernel: log weight plus every coordinate's normalisation (truncation mass, and for
  // continuous coordinates -log(sigma * sqrt(2 pi))), so log_pdf only adds the kernels' shapes.
  std::vector<double> base_;
};

// Optuna's default_weights for n observations in trial-number order: 1 for the newest 25, a
// linear ramp from 1/n up to 1 for the older ones.
std::vector<double> default_weights(size_t n);

}  // namespace winnow

// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The acquisition of the "gp" sampler with two or three objectives: the log of the expected
// hypervolume improvement (EHVI; Emmerich, Giannakoglou, Naujoks 2006) under independent GP
// posteriors, exact, times the probability that every constraint holds.
//
// Exactness comes from a box decomposition: the region a new point y would add to the dominated
// hypervolume is the part of the non-dominated region (points below the reference that no
// front point weakly dominates) above y. Split that region into boxes [l, u]; then
//   HVI(y) = sum_boxes prod_j (u_j - max(l_j, y_j))^+
// and, the objectives being independent given x, the expectation factorises per box:
//   E[(u - max(l, Y))^+] = sigma (h(b) - h(a)),  a = (l - mu)/sigma, b = (u - mu)/sigma,
// with h(z) = phi(z) + z Phi(z) (because u - max(l, Y) = (u - Y)^+ - (l - Y)^+ on Y <= u, and
// E[(c - Y)^+] = sigma h((c - mu)/sigma)). Everything is summed in log space (log h of Ament et
// al. 2023, as LogEI), so the acquisition stays finite and informative far from any
// improvement, where EHVI itself underflows to 0.
#pragma once

#include <cstdint>
#include <vector>

#include "samplers/gaussian_process.h"
#include "samplers/gp_acquisition.h"

namespace winnow::gp {

// The non-dominated region of a set of points (minimised) below a reference point, split into
// boxes. Each box takes one interval per objective from a per-objective list of distinct
// intervals, so the acquisition evaluates each interval once per point however many boxes
// share it.
struct BoxDecomposition {
  size_t objectives = 0;
  // intervals[j]: distinct (lower, upper) of objective j; lower may be -infinity.
  std::vector<std::vector<std::pair<double, double>>> intervals;
  // Box k uses intervals[j][boxes[k * objectives + j]].
  std::vector<uint32_t> boxes;
  size_t box_count() const { return objectives == 0 ? 0 : boxes.size() / objectives; }
};

// Decomposes for 1 to 3 objectives (`points` row-major, one point per row of `objectives`
// values; points not strictly below the reference in every objective are ignored). With one
// objective the region is the single interval below the best value, and EHVI is EI. Sweeps the
// first objective: between consecutive first coordinates, the slab's non-dominated part is a
// staircase of the points already passed, in 2-D a single height, in 3-D one box per step of
// their (second, third) staircase. O(n^2) at worst for 3 objectives, O(n log n) for 2.
// Throws winnow::Error for other numbers of objectives.
BoxDecomposition decompose_non_dominated(const std::vector<double>& points, size_t objectives,
                                         const std::vector<double>& reference);

// A constraint modelled by a GP on standardised values: it holds where the latent value is at
// most `threshold` (the standardised 0).
struct ConstraintModel {
  const GaussianProcess* model = nullptr;
  double threshold = 0.0;
};

// log EHVI(x) + sum_c log P(constraint c holds at x).
class LogExpectedHypervolumeImprovement : public Acquisition {
 public:
  // One GP per objective (standardised, minimised), the decomposition of their front's
  // non-dominated region in the same units, and the constraints. The models must outlive this.
  LogExpectedHypervolumeImprovement(std::vector<const GaussianProcess*> objectives,
                                    BoxDecomposition boxes,
                                    std::vector<ConstraintModel> constraints);

  double value(const double* x) const override;
  double value_and_gradient(const double* x, double* gradient) const override;
  Eigen::VectorXd values(const Eigen::MatrixXd& points) const override;
  // The geometric mean of the objectives' lengthscales.
  double lengthscale(size_t j) const override;

 private:
  // The value from each model's posterior mean and variance at x (objectives first, then
  // constraints); with `mean_slope` and `variance_slope` not null, also d value / d mean and
  // d value / d variance per model.
  double evaluate(const double* means, const double* variances, double* mean_slope,
                  double* variance_slope) const;

  std::vector<const GaussianProcess*> objectives_;
  BoxDecomposition boxes_;
  std::vector<ConstraintModel> constraints_;
  size_t dimensions_ = 0;
};

}  // namespace winnow::gp

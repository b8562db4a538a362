// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Hypervolume: the volume of the region that a set of points dominates and a reference point
// bounds, HV(S, r) = vol( union over p in S of [p_1, r_1] x ... x [p_m, r_m] ). It measures a
// Pareto front by one number (larger is better) and judges single points by their exclusive
// contribution (MOTPE picks its good set by it).
//
// Conventions are those of pareto.h: every objective minimised, points as one row-major matrix
// of n_objectives columns. Only points strictly better than the reference in every objective
// count; the others (and those with a NaN) add nothing. The reference point must be finite and
// have n_objectives entries; a point with a -infinity coordinate inside the reference makes the
// volume +infinity. Bad sizes or a non-finite reference throw winnow::Error.
//
// Algorithms, all exact unless the options say otherwise:
//   1 objective   the distance from the best point to the reference.
//   2 objectives  sort and sweep, O(n log n).
//   3 objectives  the dimension sweep of Beume, Fonseca, Lopez-Ibanez, Paquete, Vahrenhold,
//                 "On the complexity of computing the hypervolume indicator", IEEE TEC 13(5),
//                 2009 (HV3D): sweep the third objective, keep the two-dimensional staircase in
//                 a balanced tree (std::map) and its area up to date; O(n log n).
//   4 and more    WFG (While, Bradstreet, Barone, "A fast way of calculating exact
//                 hypervolumes", IEEE TEC 16(1), 2012): the volume is the sum of the points'
//                 exclusive volumes, each the point's box minus the volume of its "limit set"
//                 (the other points clipped to the box), computed recursively. Like the
//                 authors' reference code we slice the last objective at the top of each level,
//                 and the recursion bottoms out in HV3D. Exponential in m in the worst case.
//
// Everything here is thread-safe: no shared state (the estimator's generator is local).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace winnow {

struct HypervolumeOptions {
  // With four or more objectives, the number of non-dominated points inside the reference above
  // which hypervolume() estimates by Monte Carlo instead of running WFG. Default: nullopt, which
  // means default_max_exact_points(n_objectives). With one to three objectives the exact
  // algorithms are always used (a million points take well under a second).
  std::optional<size_t> max_exact_points;
  // Samples drawn by the Monte Carlo estimator. Its standard error is
  // V * sqrt(p (1 - p) / samples) for the box volume V it samples and the dominated fraction p,
  // so 100,000 samples give at most 0.16 % of V. Default: 100000. Must be >= 1.
  int64_t monte_carlo_samples = 100000;
  // Seed of the estimator's generator; the same seed gives the same estimate. Default: 0.
  uint64_t seed = 0;
};

struct HypervolumeResult {
  double value = 0;
  bool exact = true;
  // Of a Monte Carlo estimate: sqrt of the estimator's variance, estimated from the samples;
  // 0 when exact.
  double standard_error = 0;
};

// The non-dominated point count up to which hypervolume() stays exact for `n_objectives`:
// unlimited for m <= 3, then 1500 for m = 4, 1000 for 5, 300 for 6, 120 for 7, 80 for 8, 40 for
// 9 and 10, 20 beyond. Each is about 0.1 s of WFG on one core of the development machine (AMD
// EPYC) for points spread over a sphere, where every point is non-dominated; a cost cap, not an
// accuracy statement.
size_t default_max_exact_points(size_t n_objectives);

// The hypervolume of `points` w.r.t. `reference`: exact, or estimated when options say so.
HypervolumeResult hypervolume(std::span<const double> points, size_t n_objectives,
                              std::span<const double> reference,
                              const HypervolumeOptions& options = {});

// The exact hypervolume, whatever it costs.
double exact_hypervolume(std::span<const double> points, size_t n_objectives,
                         std::span<const double> reference);

// A Monte Carlo estimate whatever the number of points: `samples` points drawn uniformly from the
// box between the best value of each objective and the reference, the estimate being the box
// volume times the fraction of samples some point dominates. Cost O(samples * n * m) at worst
// (a sample nothing dominates is checked against every point): 100,000 samples against 1,000
// non-dominated points take about 0.2 s.
HypervolumeResult estimate_hypervolume(std::span<const double> points, size_t n_objectives,
                                       std::span<const double> reference, int64_t samples,
                                       uint64_t seed);

// The exclusive contribution of each point, HV(S) - HV(S without the point), in the order of the
// points: 0 for a point outside the reference or weakly dominated by another (duplicates
// included, since removing one copy leaves the other). Exact: O(n log n) for two objectives;
// otherwise each point's box minus the hypervolume of its limit set, which for three objectives
// is O(n^2 log n) and with more runs WFG n times. Computing it as a difference of two volumes
// would lose the small contributions to cancellation; the limit set does not. A -infinity
// coordinate throws winnow::Error (the contributions would be infinity minus infinity).
std::vector<double> hypervolume_contributions(std::span<const double> points,
                                              size_t n_objectives,
                                              std::span<const double> reference);

// An automatic reference point, for when the user gave none. For each objective, from its finite
// values among the points: worst + margin * (worst - best); when all those values are equal,
// worst + margin * |worst|, or worst + 1 when that is 0 too; 1 when the objective has no finite
// value. Reports use margin = 0.1; the TPE sampler weighs its good trials with a wider one. The result is always strictly worse than every finite value, so each point with finite
// values contributes. Unlike Optuna's rule for MOTPE (max(1.1 w, 0.9 w) of the worst value w),
// the margin scales with the spread, so adding a constant to an objective moves the reference
// with it and leaves every volume unchanged.
std::vector<double> default_reference_point(std::span<const double> points, size_t n_objectives,
                                            double margin = 0.1);

}  // namespace winnow

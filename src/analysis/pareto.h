// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Pareto analysis of multi-objective results: which points no other point beats, in which layers
// ("fronts") the others fall, and how crowded each layer is. Serves the multi-objective samplers
// (MOTPE's good set, NSGA-II's selection) and the reports.
//
// Conventions shared with hypervolume.h:
//   - Every objective is minimised. Convert a study's values with to_minimization() first.
//   - A set of n points with m objectives is one row-major matrix: point i occupies
//     points[i * m, (i + 1) * m) (the layout the samplers keep their losses in).
//   - NaN counts as +infinity (the worst value) wherever points are compared, so every point has
//     a place; to_minimization() already makes that substitution.
//   - Sizes that do not fit (m = 0 with points, points.size() not a multiple of m, a violation
//     span of the wrong length) throw winnow::Error naming the function and the sizes.
//
// Constraints (Deb, "An efficient constraint handling method for genetic algorithms", 2000, as
// used by NSGA-II and Optuna's constraints_func) enter as one total violation per point:
//     violation = sum_i max(0, c_i),  constraint i satisfied when c_i <= 0;
// total_violations() computes it from raw constraint values. A point is feasible when its
// violation is 0; a NaN violation means "constraints unknown" (the constraint function failed).
// Ranking with violations, as Optuna's _fast_non_domination_rank does:
//   1. feasible points, by Pareto rank among the feasible;
//   2. then infeasible points, by violation alone (equal violations share a rank);
//   3. then points with unknown constraints, by Pareto rank among themselves.
// An empty violation span means every point is feasible.
//
// Everything here is a pure function of its arguments: thread-safe, no shared state.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "winnow/trial.h"

namespace winnow {

// The minimisation matrix of `values` (row-major, directions.size() columns): maximised
// objectives are negated and NaN becomes +infinity.
std::vector<double> to_minimization(std::span<const double> values,
                                    std::span<const Direction> directions);
// The same for one vector per point (FrozenTrial::values); each must have directions.size()
// entries.
std::vector<double> to_minimization(std::span<const std::vector<double>> values,
                                    std::span<const Direction> directions);

// True when `a` is no worse than `b` in every objective and strictly better in one (minimising).
bool pareto_dominates(std::span<const double> a, std::span<const double> b);

// Deb's constrained domination: a feasible point beats an infeasible one, of two infeasible
// points the smaller violation wins, two feasible points compare by pareto_dominates. A NaN
// violation loses to every known one; two NaN violations compare by pareto_dominates.
bool constrained_dominates(std::span<const double> a, double violation_a,
                           std::span<const double> b, double violation_b);

// Per point, sum_i max(0, c_i) over its `n_constraints` values (row-major like the points).
// NaN if any of its constraint values is NaN.
std::vector<double> total_violations(std::span<const double> constraints, size_t n_constraints);

// The non-domination rank of every point: 0 for the Pareto front, r + 1 for points dominated
// only by points of rank <= r. Identical points share a rank. `violations` (empty or one per
// point) switches to constrained ranking, see the top of this file.
// Cost: O(n log n) for one or two objectives (a sort and a sweep with binary search over the
// fronts); for more, the efficient non-dominated sort with binary search (Zhang, Tian, Cheng,
// Jin, "An efficient approach to nondominated sorting for evolutionary multiobjective
// optimization", IEEE TEC 19(2), 2015): O(m n log n) in good cases, O(m n^2) at worst, O(n)
// memory (Deb's fast non-dominated sort needs O(n^2)).
std::vector<size_t> non_dominated_ranks(std::span<const double> points, size_t n_objectives,
                                        std::span<const double> violations = {});

// The points of each rank, fronts[r] holding the indices of rank r in increasing order.
std::vector<std::vector<size_t>> non_dominated_fronts(std::span<const double> points,
                                                      size_t n_objectives,
                                                      std::span<const double> violations = {});

// Indices (increasing) of the points of rank 0: not dominated by any other point, or with
// violations, the feasible non-dominated points (or, if none is feasible, the least violating).
std::vector<size_t> pareto_front_indices(std::span<const double> points, size_t n_objectives,
                                         std::span<const double> violations = {});

// NSGA-II crowding distance (Deb, Pratap, Agarwal, Meyarivan, "A fast and elitist multiobjective
// genetic algorithm: NSGA-II", IEEE TEC 6(2), 2002, section III-B) of the points `members`
// (usually one front), returned in the order of `members`. Per objective the members are sorted
// (ties by their position in `members`); the first and last get +infinity and each other member
// adds (next - previous) / (max - min). As in Optuna, an objective in which all members are equal
// adds nothing, not even the infinities, and one whose range is infinite adds only the
// infinities. Fewer than three members: all +infinity.
std::vector<double> crowding_distances(std::span<const double> points, size_t n_objectives,
                                       std::span<const size_t> members);
// The same over all points.
std::vector<double> crowding_distances(std::span<const double> points, size_t n_objectives);

}  // namespace winnow

// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// How the TPE sampler (tpe.cc) splits the finished trials into the good ("below") set, which
// l(x) models, and the bad ("above") set, which g(x) models, and how it weighs the good ones
// when there are several objectives. Kept apart from tpe.cc so that the selection can be tested
// on hand-made sets.
//
// The order in which trials fill the good set is Optuna's _split_trials with a constraints_func
// (optuna/samplers/_tpe/sampler.py, v3.x/4.x):
//   1. complete feasible trials: with one objective by value; with several by non-domination
//      rank, the front that does not fit whole being cut by greedy hypervolume subset selection
//      (MOTPE: Ozaki, Tanigaki, Watanabe, Nomura, Onishi, "Multiobjective tree-structured Parzen
//      estimator", JAIR 73, 2022, section 4.1, after Optuna's _solve_hssp);
//   2. pruned feasible trials, by (last reported step, descending; value there), Optuna's
//      _get_pruned_trial_score (by the first objective);
//   3. infeasible trials (complete or pruned), by total violation FrozenTrial::
//      constraint_violation() (a NaN constraint counts as an infinite violation), so that while
//      nothing is feasible TPE models the least violating configurations.
// A trial without constraint values is feasible. Ties go to the earlier trial everywhere.
//
// Deviations from Optuna, on purpose:
//   * the reference point of the hypervolumes is analysis/hypervolume.h's
//     default_reference_point with a margin of reference_margin times the spread (by default
//     0.5 with two objectives, worst + 0.5 * (worst - best), and 0.1 with more), rather than Optuna's max(1.1 w, 0.9 w) of the
//     worst point w (with 0 replaced by 1e-12). Optuna's depends on where zero lies, so shifting
//     an objective by a constant changes its selection and weights (an objective near 0 gets a
//     reference 1e-12 above its worst value, which all but erases the contributions of that
//     objective's extremes); ours does not. The wide margin gives the extremes of the good set
//     a real share of l(x), which pushes the front outwards: against a margin of 0.1 it raised
//     the median hypervolume after 100 trials on ZDT1 (9.16 to 9.26), ZDT3 (8.99 to 9.25) and
//     the XGBoost trade-off (4745 to 4834), and after 300 on XGBoost (4971 to 5014). With
//     three objectives the extremes' share grows with the square of the margin, and on DTLZ2
//     0.5 lost (0.40 to 0.27 after 100 trials, 0.65 to 0.61 after 300; 0.2: 0.37 and 0.64),
//     so there it stays at 0.1 (bench/mo_suite, 10 and 20 seeds);
//   * a loss of -infinity is replaced, for the hypervolumes only, by a finite value better than
//     every finite loss of its objective (the contributions would be infinity minus infinity);
//   * the weight floor is relative (kMinHypervolumeWeight of the largest weight) where Optuna
//     adds an absolute 1e-12 to every contribution;
//   * pruned good trials (Optuna's multi-objective TPE does not rank them) and infeasible ones
//     get the floor weight, as Optuna gives infeasible ones; when no good trial is complete and
//     feasible, every good trial weighs 1.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "winnow/trial.h"

namespace winnow {

// The smallest weight of a good trial relative to the largest, with several objectives.
constexpr double kMinHypervolumeWeight = 1e-3;
// The margin of the reference point, as a fraction of each objective's spread (see above), when
// the caller gives none: 0.5 for two objectives, 0.1 for three or more.
double default_reference_margin(size_t n_objectives);

// Greedy hypervolume subset selection: `subset_size` of the n points (row-major, n_objectives
// columns, minimised), each time the one whose exclusive contribution to the hypervolume of the
// points chosen so far (w.r.t. `reference`) is largest, ties to the lower index. Returns the
// indices in the order chosen. This is Optuna's _solve_hssp, the (1 - 1/e)-approximation of
// Guerreiro, Fonseca, Paquete, "Greedy hypervolume subset selection in low dimensions",
// Evolutionary Computation 24(3), 2016. Contributions only shrink as the subset grows
// (submodularity), so stale ones are upper bounds and only the leading candidate is recomputed
// (Minoux's lazy greedy); it picks what the eager loop picks. Points outside the reference
// contribute 0 and come last, in index order. Requires subset_size <= n and finite losses below
// the reference or +infinity (see sanitized_losses).
std::vector<size_t> greedy_hypervolume_subset(std::span<const double> points,
                                              size_t n_objectives, size_t subset_size,
                                              std::span<const double> reference);

// Indices (increasing) of the `want` best points by non-domination rank; the front that does not
// fit whole is cut by greedy_hypervolume_subset with the reference default_reference_point of
// that front's points, with `reference_margin`. Infinite and NaN losses are allowed (NaN counts as +infinity).
std::vector<size_t> best_by_rank_and_hypervolume(std::span<const double> losses,
                                                 size_t n_objectives, size_t want,
                                                 std::optional<double> reference_margin = {});

// MOTPE's weights of good points (Optuna's _calculate_weights_below_for_multi_objective): each
// point's hypervolume contribution among `losses`, w.r.t. default_reference_point(losses,
// reference_margin),
// divided by the largest, and at least kMinHypervolumeWeight. One point weighs 1; when no point
// contributes (all equal), every weight is 1.
std::vector<double> hypervolume_weights(std::span<const double> losses, size_t n_objectives,
                                        std::optional<double> reference_margin = {});

// `losses` with -infinity replaced, per objective, by (best finite) - (spread) - 1, and NaN by
// +infinity: what the hypervolume functions accept.
std::vector<double> sanitized_losses(std::span<const double> losses, size_t n_objectives);

// The key pruned feasible trials are ranked by, smaller first (Optuna's
// _get_pruned_trial_score): the last reported step (later is better), then the value there
// (by the first objective, NaN last); a pruned trial without reports ranks last.
std::pair<double, double> pruned_trial_key(const FrozenTrial& trial,
                                           std::span<const Direction> directions);

struct TpeSplit {
  // One flag per trial of the input: 1 when it belongs to the good set.
  std::vector<uint8_t> good;
  // With several objectives, one weight per trial (those of the bad trials are 0); with one,
  // empty (tpe.cc then weighs the good set itself).
  std::vector<double> weights;
};

// Splits `trials`: complete ones (with directions.size() values each) and pruned ones, in any
// order; the good set has min(n_good, trials.size()) members, chosen as described at the top.
TpeSplit split_finished_trials(std::span<const FrozenTrial* const> trials,
                               std::span<const Direction> directions, size_t n_good,
                               std::optional<double> reference_margin = {});

// c-TPE's split for one constraint (Watanabe and Hutter, "c-TPE: Tree-structured Parzen
// estimator with inequality constraints for expensive hyperparameter optimization", IJCAI 2023,
// section 4): the trials that report constraint i go to its good set when c_i <= 0 and to its bad
// set otherwise (NaN included, as FrozenTrial::feasible counts it). The threshold is the
// constraint's bound itself rather than a quantile, so the split's gamma is the observed
// feasibility ratio of that constraint, gamma_i = |good| / (|good| + |bad|), which weighs
// the constraint's term in the acquisition (constraint_log_improvement). Deviation: the
// paper's code moves the best infeasible trial to the good set while nothing is feasible
// (its minimum of one good observation); we do not model such a constraint at all (models()
// is false) and let the ranking of split_finished_trials lead towards the feasible region.
struct ConstraintSplit {
  enum Membership : uint8_t { kInfeasible = 0, kFeasible = 1, kNotReported = 2 };
  // One entry per trial of the input.
  std::vector<uint8_t> membership;
  size_t n_feasible = 0, n_infeasible = 0;
  // Both sides observed: only then has the constraint a density ratio to model.
  bool models() const { return n_feasible > 0 && n_infeasible > 0; }
  double gamma() const {
    return static_cast<double>(n_feasible) / static_cast<double>(n_feasible + n_infeasible);
  }
};

// One split per constraint index up to the largest number of constraint values any trial
// reports; a trial reporting fewer is kNotReported for the missing ones.
std::vector<ConstraintSplit> split_by_constraints(std::span<const FrozenTrial* const> trials);

// log PI(x) of c-TPE (the paper's eq. 6 with its density-ratio form, eq. 8): the log of
// 1 / (gamma + (1 - gamma) g(x) / l(x)) given log_ratio = log l(x) - log g(x). Bounded above
// by -log gamma, so a constraint that nearly always holds (gamma near 1) barely counts while
// one that rarely holds can outweigh the objective; -infinity where l(x) = 0 < g(x) and
// 0 for gamma = 1. c-TPE's acquisition sums this over the objective and every constraint.
double log_probability_of_improvement(double gamma, double log_ratio);

}  // namespace winnow

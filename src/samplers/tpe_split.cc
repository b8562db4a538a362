// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "samplers/tpe_split.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>
#include <numeric>
#include <utility>

#include "analysis/hypervolume.h"
#include "analysis/pareto.h"
#include "common/math_constants.h"

namespace winnow {
namespace {

// The volume of the box between `point` and `reference`; 0 unless the point is strictly better
// in every objective.
double box_volume(const double* point, std::span<const double> reference) {
  double volume = 1.0;
  for (size_t j = 0; j < reference.size(); ++j) {
    if (!(point[j] < reference[j])) return 0.0;
    volume *= reference[j] - point[j];
  }
  return volume;
}

// Positions of `order` sorted by `key`, ties by position.
template <typename Key>
void sort_by(std::vector<size_t>& order, const std::vector<Key>& key) {
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return key[a] < key[b]; });
}

}  // namespace

double default_reference_margin(size_t n_objectives) { return n_objectives <= 2 ? 0.5 : 0.1; }

std::pair<double, double> pruned_trial_key(const FrozenTrial& trial,
                                           std::span<const Direction> directions) {
  if (trial.intermediate.empty()) return {1.0, 0.0};
  const double sign = !directions.empty() && directions[0] == Direction::kMaximize ? -1.0 : 1.0;
  auto [step, value] = *trial.intermediate.rbegin();
  return {-static_cast<double>(step), std::isnan(value) ? kInfinity : sign * value};
}

std::vector<double> sanitized_losses(std::span<const double> losses, size_t n_objectives) {
  const size_t m = n_objectives;
  std::vector<double> out(losses.begin(), losses.end());
  if (m == 0) return out;
  const size_t n = losses.size() / m;
  for (size_t j = 0; j < m; ++j) {
    double lo = kInfinity, hi = -kInfinity;
    for (size_t i = 0; i < n; ++i) {
      double v = out[i * m + j];
      if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
    }
    if (!std::isfinite(lo)) lo = hi = 0.0;
    for (size_t i = 0; i < n; ++i) {
      double& v = out[i * m + j];
      if (std::isnan(v)) v = kInfinity;
      if (v == -kInfinity) v = lo - (hi - lo) - 1.0;
    }
  }
  return out;
}

std::vector<size_t> greedy_hypervolume_subset(std::span<const double> points,
                                              size_t n_objectives, size_t subset_size,
                                              std::span<const double> reference) {
  const size_t m = n_objectives;
  const size_t n = m == 0 ? 0 : points.size() / m;
  assert(subset_size <= n && reference.size() == m);
  // A max-heap of candidates by (bound, lower index first). A bound is the candidate's
  // contribution w.r.t. the first `fresh` chosen points, so an upper bound w.r.t. more.
  struct Candidate {
    double bound;
    size_t index;
    size_t fresh;
  };
  auto lower = [](const Candidate& a, const Candidate& b) {
    return a.bound < b.bound || (a.bound == b.bound && a.index > b.index);
  };
  std::vector<Candidate> heap;
  std::vector<double> box(n);
  for (size_t i = 0; i < n; ++i) {
    box[i] = box_volume(&points[i * m], reference);
    heap.push_back({box[i], i, 0});
  }
  std::make_heap(heap.begin(), heap.end(), lower);
  std::vector<size_t> chosen;
  std::vector<double> chosen_rows, limit;
  while (chosen.size() < subset_size) {
    std::pop_heap(heap.begin(), heap.end(), lower);
    Candidate top = heap.back();
    heap.pop_back();
    if (top.fresh == chosen.size() || top.bound == 0.0) {
      chosen.push_back(top.index);
      const double* row = &points[top.index * m];
      chosen_rows.insert(chosen_rows.end(), row, row + m);
      continue;
    }
    // Its exclusive contribution: its box minus the part the chosen points already dominate,
    // the hypervolume of their "limit set" (each clipped to the box).
    limit.clear();
    const double* p = &points[top.index * m];
    for (size_t c = 0; c < chosen.size(); ++c) {
      for (size_t j = 0; j < m; ++j) limit.push_back(std::max(chosen_rows[c * m + j], p[j]));
    }
    double covered = exact_hypervolume(limit, m, reference);
    top.bound = std::clamp(box[top.index] - covered, 0.0, top.bound);
    top.fresh = chosen.size();
    heap.push_back(top);
    std::push_heap(heap.begin(), heap.end(), lower);
  }
  return chosen;
}

std::vector<size_t> best_by_rank_and_hypervolume(std::span<const double> losses,
                                                 size_t n_objectives, size_t want,
                                                 std::optional<double> reference_margin) {
  const size_t m = n_objectives;
  const size_t n = m == 0 ? 0 : losses.size() / m;
  want = std::min(want, n);
  std::vector<size_t> chosen;
  if (want == 0) return chosen;
  std::vector<std::vector<size_t>> fronts = non_dominated_fronts(losses, m);
  for (const std::vector<size_t>& front : fronts) {
    const size_t room = want - chosen.size();
    if (room == 0) break;
    if (front.size() <= room) {
      chosen.insert(chosen.end(), front.begin(), front.end());
      continue;
    }
    std::vector<double> rows;
    rows.reserve(front.size() * m);
    for (size_t i : front) rows.insert(rows.end(), &losses[i * m], &losses[i * m] + m);
    rows = sanitized_losses(rows, m);
    std::vector<double> reference = default_reference_point(rows, m, reference_margin.value_or(default_reference_margin(m)));
    for (size_t k : greedy_hypervolume_subset(rows, m, room, reference)) {
      chosen.push_back(front[k]);
    }
    break;
  }
  std::sort(chosen.begin(), chosen.end());
  return chosen;
}

std::vector<double> hypervolume_weights(std::span<const double> losses, size_t n_objectives,
                                        std::optional<double> reference_margin) {
  const size_t m = n_objectives;
  const size_t n = m == 0 ? 0 : losses.size() / m;
  if (n <= 1) return std::vector<double>(n, 1.0);
  std::vector<double> rows = sanitized_losses(losses, m);
  std::vector<double> reference = default_reference_point(rows, m, reference_margin.value_or(default_reference_margin(m)));
  std::vector<double> weights = hypervolume_contributions(rows, m, reference);
  double top = *std::max_element(weights.begin(), weights.end());
  if (!(top > 0.0) || !std::isfinite(top)) return std::vector<double>(n, 1.0);
  for (double& w : weights) w = std::max(w / top, kMinHypervolumeWeight);
  return weights;
}

TpeSplit split_finished_trials(std::span<const FrozenTrial* const> trials,
                               std::span<const Direction> directions, size_t n_good,
                               std::optional<double> reference_margin) {
  const size_t m = directions.size();
  TpeSplit split;
  split.good.assign(trials.size(), 0);
  std::vector<size_t> complete, pruned, infeasible;
  for (size_t i = 0; i < trials.size(); ++i) {
    const FrozenTrial& trial = *trials[i];
    if (!trial.feasible()) {
      infeasible.push_back(i);
    } else if (trial.state == TrialState::kComplete) {
      assert(trial.values.size() == m);
      complete.push_back(i);
    } else {
      pruned.push_back(i);
    }
  }
  n_good = std::min(n_good, trials.size());
  auto losses_of = [&](const std::vector<size_t>& members) {
    std::vector<double> values;
    values.reserve(members.size() * m);
    for (size_t i : members) {
      values.insert(values.end(), trials[i]->values.begin(), trials[i]->values.end());
    }
    if (m == 0) return std::vector<double>(members.size(), 0.0);
    return to_minimization(std::span<const double>(values), directions);
  };

  // 1. Complete feasible trials.
  const size_t from_complete = std::min(n_good, complete.size());
  std::vector<double> complete_losses = losses_of(complete);
  std::vector<size_t> complete_good;  // positions in `complete`
  if (m <= 1) {
    std::vector<size_t> order(complete.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return complete_losses[a] < complete_losses[b];
    });
    complete_good.assign(order.begin(), order.begin() + static_cast<ptrdiff_t>(from_complete));
  } else {
    complete_good =
        best_by_rank_and_hypervolume(complete_losses, m, from_complete, reference_margin);
  }
  for (size_t k : complete_good) split.good[complete[k]] = 1;
  size_t room = n_good - complete_good.size();

  // 2. Pruned feasible trials, then 3. infeasible ones.
  std::vector<std::pair<double, double>> pruned_keys;
  for (size_t i : pruned) pruned_keys.push_back(pruned_trial_key(*trials[i], directions));
  std::vector<double> violations;
  for (size_t i : infeasible) violations.push_back(trials[i]->constraint_violation());
  auto take_best = [&](const std::vector<size_t>& members, auto& keys) {
    std::vector<size_t> order(members.size());
    std::iota(order.begin(), order.end(), size_t{0});
    sort_by(order, keys);
    for (size_t k = 0; k < order.size() && room > 0; ++k, --room) {
      split.good[members[order[k]]] = 1;
    }
  };
  take_best(pruned, pruned_keys);
  take_best(infeasible, violations);

  if (m > 1) {
    // Weights by hypervolume contribution among the complete feasible good trials.
    split.weights.assign(trials.size(), 0.0);
    std::vector<double> good_losses;
    for (size_t k : complete_good) {
      good_losses.insert(good_losses.end(), &complete_losses[k * m], &complete_losses[k * m] + m);
    }
    std::vector<double> weights = hypervolume_weights(good_losses, m, reference_margin);
    const double others = complete_good.empty() ? 1.0 : kMinHypervolumeWeight;
    for (size_t i = 0; i < trials.size(); ++i) {
      if (split.good[i]) split.weights[i] = others;
    }
    for (size_t k = 0; k < complete_good.size(); ++k) {
      split.weights[complete[complete_good[k]]] = weights[k];
    }
  }
  return split;
}

std::vector<ConstraintSplit> split_by_constraints(std::span<const FrozenTrial* const> trials) {
  size_t n_constraints = 0;
  for (const FrozenTrial* trial : trials) {
    n_constraints = std::max(n_constraints, trial->constraints.size());
  }
  std::vector<ConstraintSplit> splits(n_constraints);
  for (size_t c = 0; c < n_constraints; ++c) {
    ConstraintSplit& split = splits[c];
    split.membership.assign(trials.size(), ConstraintSplit::kNotReported);
    for (size_t i = 0; i < trials.size(); ++i) {
      const std::vector<double>& values = trials[i]->constraints;
      if (c >= values.size()) continue;
      const bool feasible = values[c] <= 0.0;  // NaN counts as infeasible
      split.membership[i] = feasible ? ConstraintSplit::kFeasible : ConstraintSplit::kInfeasible;
      ++(feasible ? split.n_feasible : split.n_infeasible);
    }
  }
  return splits;
}

double log_probability_of_improvement(double gamma, double log_ratio) {
  assert(gamma > 0.0 && gamma <= 1.0);
  // -log(exp(log gamma) + exp(log(1 - gamma) - log_ratio)), computed as a log-sum-exp.
  const double a = std::log(gamma);
  const double b = gamma < 1.0 ? std::log1p(-gamma) - log_ratio : -kInfinity;
  if (std::isnan(b)) return -kInfinity;  // l and g both 0: worst, as tpe.cc scores a NaN ratio
  const double top = std::max(a, b);
  if (top == kInfinity) return -kInfinity;
  return -(top + std::log1p(std::exp(std::min(a, b) - top)));
}

}  // namespace winnow

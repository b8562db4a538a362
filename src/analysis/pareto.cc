// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "analysis/pareto.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

#include "common/math_constants.h"
#include "winnow/error.h"

namespace winnow {
namespace {

size_t checked_count(std::span<const double> points, size_t m, const char* function) {
  if (points.empty()) return 0;
  if (m == 0 || points.size() % m != 0) {
    throw Error(std::string(function) + ": " + std::to_string(points.size()) +
                " values do not form rows of n_objectives = " + std::to_string(m));
  }
  return points.size() / m;
}

void check_violations(std::span<const double> violations, size_t n, const char* function) {
  if (!violations.empty() && violations.size() != n) {
    throw Error(std::string(function) + ": " + std::to_string(violations.size()) +
                " violations for " + std::to_string(n) + " points");
  }
}

// NaN compares as +infinity (the header's convention); sorting needs a strict weak order.
double worst_if_nan(double v) { return std::isnan(v) ? kInfinity : v; }

// Rows of a subset of the points, NaN replaced, so the sorts below may compare freely.
struct Rows {
  std::vector<double> values;  // row-major, m columns
  size_t m = 0;
  const double* row(size_t i) const { return values.data() + i * m; }
};

Rows gather(std::span<const double> points, size_t m, std::span<const size_t> subset) {
  Rows rows{std::vector<double>(subset.size() * m), m};
  for (size_t k = 0; k < subset.size(); ++k) {
    for (size_t j = 0; j < m; ++j) rows.values[k * m + j] = worst_if_nan(points[subset[k] * m + j]);
  }
  return rows;
}

// Positions 0..n-1 in lexicographic order of their rows, and for each position in that order
// whether its row equals the previous one.
std::vector<size_t> lexicographic_order(const Rows& rows, size_t n) {
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const double* ra = rows.row(a);
    const double* rb = rows.row(b);
    for (size_t j = 0; j < rows.m; ++j) {
      if (ra[j] != rb[j]) return ra[j] < rb[j];
    }
    return a < b;
  });
  return order;
}

bool same_row(const Rows& rows, size_t a, size_t b) {
  return std::equal(rows.row(a), rows.row(a) + rows.m, rows.row(b));
}

// Two objectives. After removing duplicates and sorting lexicographically, an earlier point q
// dominates a later p exactly when q.y <= p.y, so front k dominates p iff the smallest y seen in
// front k is <= p.y. Those minima never decrease with k (a point joins front k only because
// front k - 1 dominates it), so the first front that does not dominate p is a binary search.
std::vector<size_t> ranks_two_objectives(const Rows& rows, size_t n) {
  std::vector<size_t> order = lexicographic_order(rows, n);
  std::vector<size_t> rank(n);
  std::vector<double> front_min_y;
  for (size_t k = 0; k < n; ++k) {
    size_t p = order[k];
    if (k > 0 && same_row(rows, p, order[k - 1])) {
      rank[p] = rank[order[k - 1]];
      continue;
    }
    double y = rows.row(p)[1];
    auto it = std::upper_bound(front_min_y.begin(), front_min_y.end(), y);
    rank[p] = static_cast<size_t>(it - front_min_y.begin());
    if (it == front_min_y.end()) {
      front_min_y.push_back(y);
    } else {
      *it = y;
    }
  }
  return rank;
}

// Any number of objectives: efficient non-dominated sort, binary-search variant (ENS-BS, Zhang
// et al. 2015). Points are visited in lexicographic order, so none is dominated by a later one,
// and a distinct earlier q dominates p iff q is no worse in objectives 1..m-1 (objective 0 is
// already no worse). If front k does not dominate p, neither does front k + 1 (each of its
// points is dominated by one in front k), which makes the search over fronts a bisection.
std::vector<size_t> ranks_many_objectives(const Rows& rows, size_t n) {
  std::vector<size_t> order = lexicographic_order(rows, n);
  std::vector<size_t> rank(n);
  std::vector<std::vector<size_t>> fronts;
  auto front_dominates = [&](const std::vector<size_t>& front, const double* p) {
    // Latest members first: they are the closest in objective 0, so the likeliest dominators.
    for (auto it = front.rbegin(); it != front.rend(); ++it) {
      const double* q = rows.row(*it);
      bool no_worse = true;
      for (size_t j = 1; j < rows.m && no_worse; ++j) no_worse = q[j] <= p[j];
      if (no_worse) return true;
    }
    return false;
  };
  for (size_t k = 0; k < n; ++k) {
    size_t p = order[k];
    if (k > 0 && same_row(rows, p, order[k - 1])) {
      rank[p] = rank[order[k - 1]];
      continue;
    }
    size_t lo = 0, hi = fronts.size();  // the answer lies in [lo, hi]
    while (lo < hi) {
      size_t mid = lo + (hi - lo) / 2;
      if (front_dominates(fronts[mid], rows.row(p))) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    if (lo == fronts.size()) fronts.emplace_back();
    fronts[lo].push_back(p);
    rank[p] = lo;
  }
  return rank;
}

// Ranks of the points `subset` among themselves, by objectives.
std::vector<size_t> ranks_of_subset(std::span<const double> points, size_t m,
                                    std::span<const size_t> subset) {
  Rows rows = gather(points, m, subset);
  if (m <= 2) {
    if (m == 1) {
      // One objective is the two-objective case with a constant second objective.
      Rows padded{std::vector<double>(subset.size() * 2, 0.0), 2};
      for (size_t k = 0; k < subset.size(); ++k) padded.values[2 * k] = rows.values[k];
      return ranks_two_objectives(padded, subset.size());
    }
    return ranks_two_objectives(rows, subset.size());
  }
  return ranks_many_objectives(rows, subset.size());
}

// Dense ranks of violations: equal violations share a rank.
std::vector<size_t> ranks_by_violation(std::span<const double> violations,
                                       std::span<const size_t> subset) {
  std::vector<double> distinct;
  for (size_t i : subset) distinct.push_back(violations[i]);
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  std::vector<size_t> rank;
  for (size_t i : subset) {
    rank.push_back(static_cast<size_t>(
        std::lower_bound(distinct.begin(), distinct.end(), violations[i]) - distinct.begin()));
  }
  return rank;
}

}  // namespace

std::vector<double> to_minimization(std::span<const double> values,
                                    std::span<const Direction> directions) {
  size_t m = directions.size();
  size_t n = checked_count(values, m, "to_minimization");
  std::vector<double> out(values.begin(), values.end());
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < m; ++j) {
      double& v = out[i * m + j];
      if (directions[j] == Direction::kMaximize) v = -v;
      v = worst_if_nan(v);
    }
  }
  return out;
}

std::vector<double> to_minimization(std::span<const std::vector<double>> values,
                                    std::span<const Direction> directions) {
  std::vector<double> flat;
  flat.reserve(values.size() * directions.size());
  for (size_t i = 0; i < values.size(); ++i) {
    if (values[i].size() != directions.size()) {
      throw Error("to_minimization: point " + std::to_string(i) + " has " +
                  std::to_string(values[i].size()) + " values for " +
                  std::to_string(directions.size()) + " objectives");
    }
    flat.insert(flat.end(), values[i].begin(), values[i].end());
  }
  return to_minimization(std::span<const double>(flat), directions);
}

bool pareto_dominates(std::span<const double> a, std::span<const double> b) {
  if (a.size() != b.size()) {
    throw Error("pareto_dominates: points of " + std::to_string(a.size()) + " and " +
                std::to_string(b.size()) + " objectives");
  }
  bool strictly = false;
  for (size_t j = 0; j < a.size(); ++j) {
    double x = worst_if_nan(a[j]), y = worst_if_nan(b[j]);
    if (x > y) return false;
    if (x < y) strictly = true;
  }
  return strictly;
}

bool constrained_dominates(std::span<const double> a, double violation_a,
                           std::span<const double> b, double violation_b) {
  bool unknown_a = std::isnan(violation_a), unknown_b = std::isnan(violation_b);
  if (unknown_a || unknown_b) {
    if (unknown_a && unknown_b) return pareto_dominates(a, b);
    return unknown_b;
  }
  bool feasible_a = violation_a <= 0, feasible_b = violation_b <= 0;
  if (feasible_a && feasible_b) return pareto_dominates(a, b);
  if (feasible_a != feasible_b) return feasible_a;
  return violation_a < violation_b;
}

std::vector<double> total_violations(std::span<const double> constraints, size_t n_constraints) {
  if (n_constraints == 0) {
    if (!constraints.empty()) throw Error("total_violations: values without n_constraints");
    return {};
  }
  size_t n = checked_count(constraints, n_constraints, "total_violations");
  std::vector<double> out(n, 0.0);
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < n_constraints; ++j) {
      double c = constraints[i * n_constraints + j];
      out[i] += std::isnan(c) ? c : std::max(0.0, c);
    }
  }
  return out;
}

std::vector<size_t> non_dominated_ranks(std::span<const double> points, size_t n_objectives,
                                        std::span<const double> violations) {
  size_t n = checked_count(points, n_objectives, "non_dominated_ranks");
  check_violations(violations, n, "non_dominated_ranks");
  std::vector<size_t> rank(n, 0);
  std::vector<size_t> feasible, infeasible, unknown;
  for (size_t i = 0; i < n; ++i) {
    if (violations.empty() || violations[i] <= 0) {
      feasible.push_back(i);
    } else if (std::isnan(violations[i])) {
      unknown.push_back(i);
    } else {
      infeasible.push_back(i);
    }
  }
  // Each tier starts one past the largest rank of the tiers before it.
  size_t next_rank = 0;
  auto place = [&](std::span<const size_t> tier, const std::vector<size_t>& tier_rank) {
    size_t top = 0;
    for (size_t k = 0; k < tier.size(); ++k) {
      rank[tier[k]] = next_rank + tier_rank[k];
      top = std::max(top, tier_rank[k] + 1);
    }
    next_rank += top;
  };
  place(feasible, ranks_of_subset(points, n_objectives, feasible));
  place(infeasible, ranks_by_violation(violations, infeasible));
  place(unknown, ranks_of_subset(points, n_objectives, unknown));
  return rank;
}

std::vector<std::vector<size_t>> non_dominated_fronts(std::span<const double> points,
                                                      size_t n_objectives,
                                                      std::span<const double> violations) {
  std::vector<size_t> rank = non_dominated_ranks(points, n_objectives, violations);
  std::vector<std::vector<size_t>> fronts;
  for (size_t i = 0; i < rank.size(); ++i) {
    if (rank[i] >= fronts.size()) fronts.resize(rank[i] + 1);
    fronts[rank[i]].push_back(i);
  }
  return fronts;
}

std::vector<size_t> pareto_front_indices(std::span<const double> points, size_t n_objectives,
                                         std::span<const double> violations) {
  std::vector<size_t> rank = non_dominated_ranks(points, n_objectives, violations);
  std::vector<size_t> front;
  for (size_t i = 0; i < rank.size(); ++i) {
    if (rank[i] == 0) front.push_back(i);
  }
  return front;
}

std::vector<double> crowding_distances(std::span<const double> points, size_t n_objectives,
                                       std::span<const size_t> members) {
  size_t n = checked_count(points, n_objectives, "crowding_distances");
  for (size_t i : members) {
    if (i >= n) {
      throw Error("crowding_distances: member " + std::to_string(i) + " of " +
                  std::to_string(n) + " points");
    }
  }
  size_t count = members.size();
  std::vector<double> distance(count, count < 3 ? kInfinity : 0.0);
  if (count < 3) return distance;
  Rows rows = gather(points, n_objectives, members);
  std::vector<size_t> by(count);
  for (size_t j = 0; j < n_objectives; ++j) {
    std::iota(by.begin(), by.end(), size_t{0});
    std::stable_sort(by.begin(), by.end(),
                     [&](size_t a, size_t b) { return rows.row(a)[j] < rows.row(b)[j]; });
    double lo = rows.row(by.front())[j], hi = rows.row(by.back())[j];
    double width = hi - lo;
    if (!(width > 0)) continue;
    distance[by.front()] = distance[by.back()] = kInfinity;
    if (!std::isfinite(width)) continue;
    for (size_t k = 1; k + 1 < count; ++k) {
      distance[by[k]] += (rows.row(by[k + 1])[j] - rows.row(by[k - 1])[j]) / width;
    }
  }
  return distance;
}

std::vector<double> crowding_distances(std::span<const double> points, size_t n_objectives) {
  size_t n = checked_count(points, n_objectives, "crowding_distances");
  std::vector<size_t> all(n);
  std::iota(all.begin(), all.end(), size_t{0});
  return crowding_distances(points, n_objectives, all);
}

}  // namespace winnow

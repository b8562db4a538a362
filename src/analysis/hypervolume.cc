// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "analysis/hypervolume.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <random>
#include <string>
#include <utility>

#include "common/math_constants.h"
#include "winnow/error.h"

namespace winnow {
namespace {

// Row-major points of `m` columns.
struct Front {
  std::vector<double> values;
  size_t m = 0;
  size_t size() const { return m == 0 ? 0 : values.size() / m; }
  const double* row(size_t i) const { return values.data() + i * m; }
};

size_t checked_count(std::span<const double> points, size_t m, std::span<const double> reference,
                     const char* function) {
  if (m == 0 || points.size() % m != 0) {
    throw Error(std::string(function) + ": " + std::to_string(points.size()) +
                " values do not form rows of n_objectives = " + std::to_string(m));
  }
  if (reference.size() != m) {
    throw Error(std::string(function) + ": reference point of " +
                std::to_string(reference.size()) + " values for " + std::to_string(m) +
                " objectives");
  }
  for (size_t j = 0; j < m; ++j) {
    if (!std::isfinite(reference[j])) {
      throw Error(std::string(function) + ": reference[" + std::to_string(j) + "] = " +
                  std::to_string(reference[j]) + " is not finite");
    }
  }
  return points.size() / m;
}

// The points strictly better than the reference in every objective (NaN never is), and their
// positions in the input.
Front inside_reference(std::span<const double> points, size_t m,
                       std::span<const double> reference, std::vector<size_t>* positions) {
  Front front{{}, m};
  size_t n = points.size() / m;
  for (size_t i = 0; i < n; ++i) {
    const double* p = points.data() + i * m;
    bool inside = true;
    for (size_t j = 0; j < m && inside; ++j) inside = p[j] < reference[j];
    if (!inside) continue;
    front.values.insert(front.values.end(), p, p + m);
    if (positions != nullptr) positions->push_back(i);
  }
  return front;
}

bool has_minus_infinity(const Front& front) {
  return std::any_of(front.values.begin(), front.values.end(),
                     [](double v) { return v == -kInfinity; });
}

// Indices of the rows of `values` (n rows of `m`) that no other row weakly dominates, keeping
// the first of identical rows, in lexicographic order of the rows. The sort makes one pass
// enough: a row can only be weakly dominated by one that sorts before it, and a kept row q
// before p is no worse in column 0, so only columns 1.. are compared.
void non_dominated_rows(const double* values, size_t n, size_t m, std::vector<size_t>& order,
                        std::vector<size_t>& kept) {
  order.resize(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const double* ra = values + a * m;
    const double* rb = values + b * m;
    for (size_t j = 0; j < m; ++j) {
      if (ra[j] != rb[j]) return ra[j] < rb[j];
    }
    return a < b;
  });
  kept.clear();
  for (size_t p : order) {
    const double* rp = values + p * m;
    bool dominated = false;
    for (auto it = kept.rbegin(); it != kept.rend() && !dominated; ++it) {
      const double* rq = values + *it * m;
      dominated = true;
      for (size_t j = 1; j < m && dominated; ++j) dominated = rq[j] <= rp[j];
    }
    if (!dominated) kept.push_back(p);
  }
}

double box_volume(const double* p, const double* reference, size_t m) {
  double volume = 1;
  for (size_t j = 0; j < m; ++j) volume *= reference[j] - p[j];
  return volume;
}

double hypervolume_1d(const double* values, size_t n, const double* reference) {
  double best = reference[0];
  for (size_t i = 0; i < n; ++i) best = std::min(best, values[i]);
  return reference[0] - best;
}

// Sorted by the first objective, each point that improves on the best second objective so far
// adds the strip between its second objective and the previous best.
double sweep_2d(const std::pair<double, double>* sorted, size_t n, double reference_x,
                double reference_y) {
  double area = 0, best_y = reference_y;
  for (size_t i = 0; i < n; ++i) {
    auto [x, y] = sorted[i];
    if (y < best_y) {
      area += (reference_x - x) * (best_y - y);
      best_y = y;
    }
  }
  return area;
}

double hypervolume_2d(const double* values, size_t n, const double* reference) {
  std::vector<std::pair<double, double>> points(n);
  for (size_t i = 0; i < n; ++i) points[i] = {values[2 * i], values[2 * i + 1]};
  std::sort(points.begin(), points.end());
  return sweep_2d(points.data(), n, reference[0], reference[1]);
}

// HV3D (Beume et al. 2009, section III): sweep the third objective upwards; between two
// consecutive values the slice is the area dominated by the points seen so far in the first two
// objectives. That area is kept up to date while inserting into the staircase, a map from x to y
// holding the mutually non-dominated points seen so far (y decreasing as x increases). Each point
// is inserted and erased at most once: O(n log n).
double hypervolume_3d(const double* values, size_t n, const double* reference) {
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return values[3 * a + 2] < values[3 * b + 2]; });
  const double rx = reference[0], ry = reference[1], rz = reference[2];
  std::map<double, double> staircase;
  double area = 0, volume = 0;
  for (size_t k = 0; k < n; ++k) {
    const double* p = values + 3 * order[k];
    const double px = p[0], py = p[1];
    auto it = staircase.lower_bound(px);  // first x >= px
    double height = ry;                   // the staircase's y just left of px
    if (it != staircase.begin()) height = std::prev(it)->second;
    bool dominated = height <= py || (it != staircase.end() && it->first == px && it->second <= py);
    if (!dominated) {
      // Added area: integral over x in [px, rx) of max(0, staircase(x) - py), walking right
      // through the points p now dominates (erasing them) until one lies below py.
      double x = px;
      bool closed = false;
      while (it != staircase.end()) {
        area += (it->first - x) * (height - py);
        if (it->second < py) {
          closed = true;
          break;
        }
        x = it->first;
        height = it->second;
        it = staircase.erase(it);
      }
      if (!closed) area += (rx - x) * (height - py);
      staircase.emplace_hint(it, px, py);
    }
    double next_z = k + 1 < n ? values[3 * order[k + 1] + 2] : rz;
    volume += area * (next_z - p[2]);
  }
  return volume;
}

// WFG with slicing (While et al. 2012 and their reference implementation wfg.c): with the
// points sorted from worst to best in the last objective z, the volume is
//     sum_j (r_z - z_j) * exclusive_{m-1}(p_j relative to p_{j+1..n-1})
// (telescoping the slices between consecutive z values), and the exclusive volume of p in m - 1
// dimensions is its box minus the volume of the limit set {max(p, q)} of the later points,
// reduced to its non-dominated rows. Each level keeps its buffers from call to call, so beyond
// the base case's own the recursion allocates only while they grow.
class Wfg {
 public:
  Wfg(const double* reference, size_t m) : reference_(reference), levels_(m) {}

  // `front` must hold mutually non-dominated points, all inside the reference.
  double volume(const Front& front) {
    levels_[0].points = front.values;
    return level_volume(0, front.size(), front.m);
  }

 private:
  struct Level {
    std::vector<double> points;  // this level's input, `m` columns
    std::vector<size_t> by_last, order, kept;
    std::vector<double> limit;
  };

  double level_volume(size_t depth, size_t n, size_t m) {
    Level& level = levels_[depth];
    const double* points = level.points.data();
    if (n == 0) return 0;
    if (n == 1) return box_volume(points, reference_, m);
    if (m == 1) return hypervolume_1d(points, n, reference_);
    if (m == 2) return hypervolume_2d(points, n, reference_);
    if (m == 3) return hypervolume_3d(points, n, reference_);

    std::vector<size_t>& order = level.by_last;
    order.resize(n);
    std::iota(order.begin(), order.end(), size_t{0});
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return points[a * m + m - 1] > points[b * m + m - 1];
    });
    const size_t sub = m - 1;
    Level& next = levels_[depth + 1];
    double total = 0;
    for (size_t j = 0; j < n; ++j) {
      const double* p = points + order[j] * m;
      double exclusive = box_volume(p, reference_, sub);
      if (j + 1 < n) {
        level.limit.clear();
        bool covered = false;
        for (size_t i = j + 1; i < n && !covered; ++i) {
          const double* q = points + order[i] * m;
          bool no_worse = true;
          for (size_t k = 0; k < sub; ++k) {
            level.limit.push_back(std::max(p[k], q[k]));
            no_worse = no_worse && q[k] <= p[k];
          }
          covered = no_worse;  // q's slice covers p's: nothing exclusive left
        }
        if (covered) continue;
        size_t count = level.limit.size() / sub;
        non_dominated_rows(level.limit.data(), count, sub, level.order, level.kept);
        next.points.resize(level.kept.size() * sub);
        for (size_t r = 0; r < level.kept.size(); ++r) {
          std::copy_n(level.limit.data() + level.kept[r] * sub, sub, next.points.data() + r * sub);
        }
        exclusive -= level_volume(depth + 1, level.kept.size(), sub);
      }
      total += (reference_[m - 1] - p[m - 1]) * exclusive;
    }
    return total;
  }

  const double* reference_;
  std::vector<Level> levels_;
};

// The exact volume of points inside the reference; with four or more objectives they must also
// be mutually non-dominated (the algorithms for fewer skip dominated points by themselves).
double volume_of_front(const Front& front, const double* reference) {
  size_t n = front.size();
  switch (front.m) {
    case 1: return hypervolume_1d(front.values.data(), n, reference);
    case 2: return hypervolume_2d(front.values.data(), n, reference);
    case 3: return hypervolume_3d(front.values.data(), n, reference);
    default: return Wfg(reference, front.m).volume(front);
  }
}

Front select_rows(const Front& from, std::span<const size_t> rows) {
  Front out{std::vector<double>(rows.size() * from.m), from.m};
  for (size_t r = 0; r < rows.size(); ++r) {
    std::copy_n(from.row(rows[r]), from.m, out.values.data() + r * from.m);
  }
  return out;
}

Front non_dominated_front(const Front& front) {
  std::vector<size_t> order, kept;
  non_dominated_rows(front.values.data(), front.size(), front.m, order, kept);
  return select_rows(front, kept);
}

// Exclusive contributions with two objectives in O(n log n). With F0 the front (x increasing,
// y decreasing), point i alone dominates the rectangle R_i = [x_i, x_{i+1}) x [y_i, y_{i-1})
// (x_{n} = r_x, y_{-1} = r_y) minus what the remaining points cover of it, and those can only be
// points of F1, the front of everything but F0, whose x lies in [x_i, x_{i+1}): a contiguous run
// of F1 in x order, swept against the corner (x_{i+1}, y_{i-1}). A copy of a point of F0 lands in
// F1 and covers all of R_i, giving 0 as it should.
void contributions_2d(const Front& front, std::span<const size_t> positions,
                      std::span<const double> reference, std::vector<double>& out) {
  size_t n = front.size();
  std::vector<size_t> order, first;
  non_dominated_rows(front.values.data(), n, 2, order, first);
  std::vector<bool> in_first(n, false);
  for (size_t i : first) in_first[i] = true;
  std::vector<size_t> rest;
  for (size_t i = 0; i < n; ++i) {
    if (!in_first[i]) rest.push_back(i);
  }
  Front rest_front = select_rows(front, rest);
  std::vector<size_t> second_rows;
  non_dominated_rows(rest_front.values.data(), rest.size(), 2, order, second_rows);
  std::vector<std::pair<double, double>> second;  // x increasing, y decreasing
  for (size_t r : second_rows) second.emplace_back(rest_front.row(r)[0], rest_front.row(r)[1]);

  size_t s = 0;
  for (size_t k = 0; k < first.size(); ++k) {
    const double* p = front.row(first[k]);
    double right = k + 1 < first.size() ? front.row(first[k + 1])[0] : reference[0];
    double top = k > 0 ? front.row(first[k - 1])[1] : reference[1];
    while (s < second.size() && second[s].first < p[0]) ++s;
    size_t end = s;
    while (end < second.size() && second[end].first < right) ++end;
    double covered = sweep_2d(second.data() + s, end - s, right, top);
    out[positions[first[k]]] = (right - p[0]) * (top - p[1]) - covered;
    s = end;
  }
}

}  // namespace

size_t default_max_exact_points(size_t n_objectives) {
  switch (n_objectives) {
    case 0: case 1: case 2: case 3: return std::numeric_limits<size_t>::max();
    case 4: return 1500;
    case 5: return 1000;
    case 6: return 300;
    case 7: return 120;
    case 8: return 80;
    case 9: case 10: return 40;
    default: return 20;
  }
}

double exact_hypervolume(std::span<const double> points, size_t n_objectives,
                         std::span<const double> reference) {
  checked_count(points, n_objectives, reference, "exact_hypervolume");
  Front inside = inside_reference(points, n_objectives, reference, nullptr);
  if (inside.size() == 0) return 0;
  if (has_minus_infinity(inside)) return kInfinity;
  return volume_of_front(n_objectives <= 3 ? inside : non_dominated_front(inside),
                         reference.data());
}

HypervolumeResult estimate_hypervolume(std::span<const double> points, size_t n_objectives,
                                       std::span<const double> reference, int64_t samples,
                                       uint64_t seed) {
  checked_count(points, n_objectives, reference, "estimate_hypervolume");
  if (samples < 1) {
    throw Error("estimate_hypervolume: samples = " + std::to_string(samples) +
                ". Violated constraint: >= 1");
  }
  const size_t m = n_objectives;
  Front inside = inside_reference(points, m, reference, nullptr);
  if (inside.size() == 0) return {0, true, 0};
  if (has_minus_infinity(inside)) return {kInfinity, true, 0};
  Front front = non_dominated_front(inside);
  size_t n = front.size();

  std::vector<double> low(reference.begin(), reference.end());
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < m; ++j) low[j] = std::min(low[j], front.row(i)[j]);
  }
  double box = box_volume(low.data(), reference.data(), m);
  // Largest boxes first: they dominate the most samples, so the search for a dominating point
  // usually ends early.
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::vector<double> size(n);
  for (size_t i = 0; i < n; ++i) size[i] = box_volume(front.row(i), reference.data(), m);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return size[a] > size[b]; });
  Front sorted = select_rows(front, order);

  std::mt19937_64 engine(seed);
  std::vector<double> sample(m);
  int64_t hits = 0;
  for (int64_t s = 0; s < samples; ++s) {
    for (size_t j = 0; j < m; ++j) {
      // 53 random bits: a uniform double in [0, 1), the same on every platform.
      double u = static_cast<double>(engine() >> 11) * 0x1.0p-53;
      sample[j] = low[j] + u * (reference[j] - low[j]);
    }
    for (size_t i = 0; i < n; ++i) {
      const double* p = sorted.row(i);
      size_t j = 0;
      while (j < m && p[j] <= sample[j]) ++j;
      if (j == m) {
        ++hits;
        break;
      }
    }
  }
  double fraction = static_cast<double>(hits) / static_cast<double>(samples);
  double error = box * std::sqrt(fraction * (1 - fraction) / static_cast<double>(samples));
  return {box * fraction, false, error};
}

HypervolumeResult hypervolume(std::span<const double> points, size_t n_objectives,
                              std::span<const double> reference,
                              const HypervolumeOptions& options) {
  checked_count(points, n_objectives, reference, "hypervolume");
  if (options.monte_carlo_samples < 1) {
    throw Error("hypervolume: monte_carlo_samples = " +
                std::to_string(options.monte_carlo_samples) + ". Violated constraint: >= 1");
  }
  Front inside = inside_reference(points, n_objectives, reference, nullptr);
  if (inside.size() == 0) return {0, true, 0};
  if (has_minus_infinity(inside)) return {kInfinity, true, 0};
  if (n_objectives <= 3) return {volume_of_front(inside, reference.data()), true, 0};
  Front front = non_dominated_front(inside);
  size_t limit = options.max_exact_points.value_or(default_max_exact_points(n_objectives));
  if (front.size() > limit) {
    return estimate_hypervolume(front.values, n_objectives, reference,
                                options.monte_carlo_samples, options.seed);
  }
  return {volume_of_front(front, reference.data()), true, 0};
}

std::vector<double> hypervolume_contributions(std::span<const double> points,
                                              size_t n_objectives,
                                              std::span<const double> reference) {
  size_t n = checked_count(points, n_objectives, reference, "hypervolume_contributions");
  const size_t m = n_objectives;
  std::vector<double> out(n, 0.0);
  std::vector<size_t> positions;
  Front inside = inside_reference(points, m, reference, &positions);
  if (inside.size() == 0) return out;
  if (has_minus_infinity(inside)) {
    throw Error("hypervolume_contributions: a point has a value of -infinity");
  }
  if (m == 2) {
    contributions_2d(inside, positions, reference, out);
    return out;
  }
  // Only F0 (the front) contributes, and only F0 and F1 (the front of the rest) can bound a
  // contribution: a point dominated by another point q, other than the one whose contribution is
  // computed, clips to a box inside q's clipped box.
  std::vector<size_t> order, first, second_rows;
  non_dominated_rows(inside.values.data(), inside.size(), m, order, first);
  std::vector<bool> in_first(inside.size(), false);
  for (size_t i : first) in_first[i] = true;
  std::vector<size_t> rest;
  for (size_t i = 0; i < inside.size(); ++i) {
    if (!in_first[i]) rest.push_back(i);
  }
  Front rest_front = select_rows(inside, rest);
  non_dominated_rows(rest_front.values.data(), rest.size(), m, order, second_rows);
  std::vector<size_t> bounding = first;
  for (size_t r : second_rows) bounding.push_back(rest[r]);

  std::vector<size_t> kept;
  for (size_t i : first) {
    const double* p = inside.row(i);
    Front limit{{}, m};
    bool covered = false;
    for (size_t q_index : bounding) {
      if (q_index == i) continue;
      const double* q = inside.row(q_index);
      bool no_worse = true;
      for (size_t j = 0; j < m; ++j) {
        limit.values.push_back(std::max(p[j], q[j]));
        no_worse = no_worse && q[j] <= p[j];
      }
      if (no_worse) {
        covered = true;
        break;
      }
    }
    if (covered) continue;
    double shared;
    if (m <= 3) {
      shared = volume_of_front(limit, reference.data());
    } else {
      non_dominated_rows(limit.values.data(), limit.size(), m, order, kept);
      shared = volume_of_front(select_rows(limit, kept), reference.data());
    }
    out[positions[i]] = box_volume(p, reference.data(), m) - shared;
  }
  return out;
}

std::vector<double> default_reference_point(std::span<const double> points,
                                            size_t n_objectives, double margin_fraction) {
  if (n_objectives == 0 || points.size() % n_objectives != 0) {
    throw Error("default_reference_point: " + std::to_string(points.size()) +
                " values do not form rows of n_objectives = " + std::to_string(n_objectives));
  }
  size_t n = points.size() / n_objectives;
  std::vector<double> reference(n_objectives);
  for (size_t j = 0; j < n_objectives; ++j) {
    double best = kInfinity, worst = -kInfinity;
    for (size_t i = 0; i < n; ++i) {
      double v = points[i * n_objectives + j];
      if (!std::isfinite(v)) continue;
      best = std::min(best, v);
      worst = std::max(worst, v);
    }
    if (worst == -kInfinity) {
      reference[j] = 1;
      continue;
    }
    double margin = margin_fraction * (worst - best);
    if (!(margin > 0)) margin = margin_fraction * std::abs(worst);
    if (!(margin > 0)) margin = 1;
    double r = worst + margin;
    // A margin below half an ulp of `worst` would round away; the next double is still worse.
    if (!(r > worst)) r = std::nextafter(worst, kInfinity);
    // worst - best may overflow to infinity; the reference must stay finite.
    if (!std::isfinite(r)) r = std::nextafter(worst, kInfinity);
    reference[j] = r;
  }
  return reference;
}

}  // namespace winnow

// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// WFG1-WFG9: Huband, Hingston, Barone, While, "A review of multiobjective test problems and a
// scalable test problem toolkit", IEEE Trans. Evolutionary Computation 10(5), 2006: the shape
// functions (Table IX), transformations (Table X) and problems (Table XIV), with M = 2
// objectives, k = 4 position and l = 4 distance parameters, z_i in [0, 2i] (1-based), D = 1,
// S_m = 2m, A = (1, ..., 1) (WFG3: A_2.. = 0, which M = 2 does not have, so WFG3 is not
// degenerate here). Every objective is f_m = x_M + S_m h_m(x_1, ..., x_{M-1}).
// bench/mo_functions_wfg.py must stay the same operation for operation (compare_mo.sh
// cross-checks the two); both match pymoo's pymoo/problems/many/wfg.py to 1e-13 at 3,000 random
// points per problem.
//
// Pareto-optimal points: the distance parameters at y_i = 0.35 put x_M at 0 (s_linear, s_multi
// and s_decept are 0 there), except WFG8 and WFG9, whose b_param makes y_i depend on the mean of
// the parameters before (WFG8) or after (WFG9) it: y_i = 0.35^(1 / exponent) (the generators of
// the WFG toolkit and of pymoo do the same).
//
// WFG1 in double precision: no double z has z / 12 == 0.35 (0.35 * 12 / 12 is
// 0.3499999999999999), so s_linear of x5 is at least 8.5e-17, b_flat turns that into 2^-53 and
// b_poly(., 0.02) into 2^-1.06 = 0.48: x_M = 12 * 0.48 / (10 + 12 + 14 + 16) = 0.1107 at best
// (pymoo computes the same). The attainable front is the analytic one moved by that much along
// the diagonal; WFG1's reference, best hypervolume and checks use it.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "mo_functions_internal.h"

namespace winnow_bench::mo_detail {
namespace {

constexpr int kM = 2, kK = 4, kL = 4, kN = kK + kL;
constexpr double kParamA = 0.98 / 49.98;  // b_param's A in WFG7-9
constexpr double kEpsilon = 1e-10;
const double kWfg1Offset = 12 * std::pow(2.0, -53 * 0.02) / 52;

double upper(int i) { return 2.0 * (i + 1); }

// Rounding may leave a transformation's [0, 1] by a hair: snap such values back.
double correct(double v) {
  if (v < 0 && v >= -kEpsilon) return 0.0;
  if (v > 1 && v <= 1 + kEpsilon) return 1.0;
  return v;
}

double s_linear(double y, double a) {
  return correct(std::abs(y - a) / std::abs(std::floor(a - y) + a));
}

double s_decept(double y, double a, double b, double c) {
  double t1 = std::floor(y - a + b) * (1 - c + (a - b) / b) / (a - b);
  double t2 = std::floor(a + b - y) * (1 - c + (1 - a - b) / b) / (1 - a - b);
  return correct(1 + (std::abs(y - a) - b) * (t1 + t2 + 1 / b));
}

double s_multi(double y, double a, double b, double c) {
  double t1 = std::abs(y - c) / (2 * (std::floor(c - y) + c));
  double t2 = (4 * a + 2) * kPi * (0.5 - t1);
  return correct((1 + std::cos(t2) + 4 * b * t1 * t1) / (b + 2));
}

double b_flat(double y, double a, double b, double c) {
  return correct(a + std::min(0.0, std::floor(y - b)) * (a * (b - y) / b) -
                 std::min(0.0, std::floor(c - y)) * ((1 - a) * (y - c) / (1 - c)));
}

double b_poly(double y, double alpha) { return correct(std::pow(y, alpha)); }

double b_param_exponent(double u) {
  return 0.02 + (50 - 0.02) * (kParamA - (1 - 2 * u) * std::abs(std::floor(0.5 - u) + kParamA));
}

double b_param(double y, double u) { return correct(std::pow(y, b_param_exponent(u))); }

double r_sum(const Vector& y, const Vector& w) {
  double num = 0.0, den = 0.0;
  for (size_t i = 0; i < y.size(); ++i) {
    num += y[i] * w[i];
    den += w[i];
  }
  return correct(num / den);
}

Vector slice(const Vector& y, int from, int to) { return Vector(y.begin() + from, y.begin() + to); }

double mean(const Vector& y) { return r_sum(y, Vector(y.size(), 1.0)); }
double mean(const Vector& y, int from, int to) { return mean(slice(y, from, to)); }

double r_nonsep(const Vector& y, int a) {
  const int m = static_cast<int>(y.size());
  double num = 0.0;
  for (int j = 0; j < m; ++j) {
    num += y[j];
    for (int k = 0; k < a - 1; ++k) num += std::abs(y[j] - y[(1 + j + k) % m]);
  }
  const double half = std::ceil(a / 2.0);
  return correct(num / (m * half * (1 + 2 * a - 2 * half) / a));
}

// The M - 1 position groups reduced, then the distance parameters reduced: t_1..t_M.
template <typename Reduce>
Vector reduce_groups(const Vector& y, Reduce position, double distance) {
  const int gap = kK / (kM - 1);
  Vector t;
  for (int i = 0; i < kM - 1; ++i) t.push_back(position(slice(y, i * gap, (i + 1) * gap)));
  t.push_back(distance);
  return t;
}

// h_1..h_M on the position values x_1..x_{M-1}: convex (WFG1, WFG2) ending in mixed (WFG1,
// alpha = 1, A = 5) or disconnected (WFG2, alpha = beta = 1, A = 5), linear (WFG3), concave.
Vector shapes(int which, const Vector& x) {
  Vector half;
  for (double v : x) half.push_back(v * kPi / 2);
  Vector out;
  for (int m = 1; m <= kM; ++m) {
    double value = 1.0;
    if (which == 3) {
      for (int i = 0; i < kM - m; ++i) value *= x[i];
      if (m > 1) value *= 1 - x[kM - m];
    } else if ((which == 1 || which == 2) && m < kM) {
      for (int i = 0; i < kM - m; ++i) value *= 1 - std::cos(half[i]);
      if (m > 1) value *= 1 - std::sin(half[kM - m]);
    } else if (which == 1) {
      value = 1 - x[0] - std::cos(2 * 5 * kPi * x[0] + kPi / 2) / (2 * 5 * kPi);
    } else if (which == 2) {
      double c = std::cos(5 * x[0] * kPi);
      value = 1 - x[0] * c * c;
    } else {
      for (int i = 0; i < kM - m; ++i) value *= std::sin(half[i]);
      if (m > 1) value *= std::cos(half[kM - m]);
    }
    out.push_back(correct(value));
  }
  return out;
}

Vector wfg(int which, const Vector& z) {
  Vector y(kN);
  for (int i = 0; i < kN; ++i) y[i] = z[i] / upper(i);
  const Vector original = y;
  Vector a(kM - 1, 1.0), t;
  auto distance_linear = [&y] {
    for (int i = kK; i < kN; ++i) y[i] = s_linear(y[i], 0.35);
  };
  auto mean_of = [](const Vector& g) { return mean(g); };
  auto nonsep_of = [](const Vector& g) { return r_nonsep(g, static_cast<int>(g.size())); };
  if (which == 1) {
    distance_linear();
    for (int i = kK; i < kN; ++i) y[i] = b_flat(y[i], 0.8, 0.75, 0.85);
    for (double& v : y) v = b_poly(v, 0.02);
    Vector w;
    for (int i = 0; i < kN; ++i) w.push_back(2.0 * (i + 1));
    const int gap = kK / (kM - 1);
    for (int i = 0; i < kM - 1; ++i) {
      t.push_back(r_sum(slice(y, i * gap, (i + 1) * gap), slice(w, i * gap, (i + 1) * gap)));
    }
    t.push_back(r_sum(slice(y, kK, kN), slice(w, kK, kN)));
  } else if (which == 2 || which == 3) {
    distance_linear();
    Vector reduced = slice(y, 0, kK);
    for (int j = 0; j < kL / 2; ++j) {
      reduced.push_back(r_nonsep(slice(y, kK + 2 * j, kK + 2 * j + 2), 2));
    }
    t = reduce_groups(reduced, mean_of, mean(slice(reduced, kK, kK + kL / 2)));
    if (which == 3) {
      for (int i = 1; i < kM - 1; ++i) a[i] = 0.0;  // degenerate for M >= 3
    }
  } else if (which == 4 || which == 5) {
    for (double& v : y) v = which == 4 ? s_multi(v, 30, 10, 0.35) : s_decept(v, 0.35, 0.001, 0.05);
    t = reduce_groups(y, mean_of, mean(y, kK, kN));
  } else if (which == 6) {
    distance_linear();
    t = reduce_groups(y, nonsep_of, r_nonsep(slice(y, kK, kN), kL));
  } else if (which == 7) {
    for (int i = 0; i < kK; ++i) y[i] = b_param(original[i], mean(original, i + 1, kN));
    distance_linear();
    t = reduce_groups(y, mean_of, mean(y, kK, kN));
  } else if (which == 8) {
    for (int i = kK; i < kN; ++i) y[i] = b_param(original[i], mean(original, 0, i));
    distance_linear();
    t = reduce_groups(y, mean_of, mean(y, kK, kN));
  } else if (which == 9) {
    for (int i = 0; i < kN - 1; ++i) y[i] = b_param(original[i], mean(original, i + 1, kN));
    for (int i = 0; i < kN; ++i) {
      y[i] = i < kK ? s_decept(y[i], 0.35, 0.001, 0.05) : s_multi(y[i], 30, 95, 0.35);
    }
    t = reduce_groups(y, nonsep_of, r_nonsep(slice(y, kK, kN), kL));
  } else {
    throw std::logic_error("no WFG" + std::to_string(which));
  }
  Vector x;
  for (int i = 0; i < kM - 1; ++i) x.push_back(std::max(t[kM - 1], a[i]) * (t[i] - 0.5) + 0.5);
  Vector h = shapes(which, x);
  Vector f;
  for (int m = 0; m < kM; ++m) f.push_back(t[kM - 1] + 2.0 * (m + 1) * h[m]);
  return f;
}

// Normalised distance values that put x_M at 0 for these normalised positions.
Vector optimal_distances(int which, const Vector& position) {
  if (which == 8) {  // y_i^(b_param exponent of the mean before it) must be 0.35
    Vector y = position;
    for (int i = kK; i < kN; ++i) y.push_back(std::pow(0.35, 1 / b_param_exponent(mean(y, 0, i))));
    return slice(y, kK, kN);
  }
  if (which == 9) {  // the same with the mean after it, from the last one back
    Vector y(kL, 0.0);
    y[kL - 1] = 0.35;
    for (int i = kL - 2; i >= 0; --i) {
      y[i] = std::pow(0.35, 1 / b_param_exponent(mean(y, i + 1, kL)));
    }
    return y;
  }
  return Vector(kL, 0.35);
}

// The configuration whose normalised values z_i / (2i) are exactly y where a double allows
// (the nearest doubles are tried): WFG1's b_poly magnifies any miss.
winnow::Config config_of(const Vector& y) {
  winnow::Config config;
  const double inf = std::numeric_limits<double>::infinity();
  for (int i = 0; i < kN; ++i) {
    double z = y[i] * upper(i);
    for (int step = 0; step < 4; ++step) {
      if (z / upper(i) < y[i]) {
        z = std::nextafter(z, inf);
      } else if (z / upper(i) > y[i]) {
        z = std::nextafter(z, -inf);
      }
    }
    config[param_name(i)] = std::min(z, upper(i));
  }
  return config;
}

// A Pareto-optimal configuration with position value x_1 = t, inverting the position
// transformations: WFG1's b_poly (y = t^50), s_decept's steep side (y = 0.35 - 0.001 t gives t),
// b_param (y = w^(1 / exponent), from the last position back, as its exponent depends on the
// values after it), r_nonsep (of (v, 0, v, 0) is v: WFG6, WFG9). WFG4's s_multi has no
// inverse: y = t sweeps x_1 over [0, 1] non-monotonically, which a dense t still covers.
winnow::Config pareto_config(int which, double t) {
  Vector position;
  if (which == 1) {
    position.assign(kK, std::pow(t, 50));
  } else if (which == 5) {
    position.assign(kK, 0.35 - 0.001 * t);
  } else if (which == 6) {
    for (int i = 0; i < kK / 2; ++i) position.insert(position.end(), {t, 0.0});
  } else if (which == 7 || which == 9) {
    // b_param's targets: t (WFG7); WFG9: s_decept's inverse at t, and 0.35 (its zero).
    Vector target(kK, t);
    if (which == 9) {
      for (int i = 0; i < kK; ++i) target[i] = i % 2 == 0 ? 0.35 - 0.001 * t : 0.35;
    }
    Vector y(kK, 0.0), distance = optimal_distances(which, {});
    y.insert(y.end(), distance.begin(), distance.end());
    for (int i = kK - 1; i >= 0; --i) {
      y[i] = std::pow(target[i], 1 / b_param_exponent(mean(y, i + 1, kN)));
    }
    position = slice(y, 0, kK);
  } else {
    position.assign(kK, t);
  }
  Vector y = position, distance = optimal_distances(which, position);
  y.insert(y.end(), distance.begin(), distance.end());
  return config_of(y);
}

double residual(int which, const Vector& f) {
  if (which == 1 || which == 2) {
    double shift = which == 1 ? kWfg1Offset : 0.0;
    double x = 2 / kPi * std::acos(std::clamp(1 - (f[0] - shift) / 2, -1.0, 1.0));
    if (which == 1) return f[1] - shift - 4 * (1 - x + std::sin(10 * kPi * x) / (10 * kPi));
    double c = std::cos(5 * kPi * x);
    return f[1] - 4 * (1 - x * c * c);
  }
  if (which == 3) return f[0] / 2 + f[1] / 4 - 1;
  return (f[0] / 2) * (f[0] / 2) + (f[1] / 4) * (f[1] / 4) - 1;
}

// Hand-derived values: the front's ends (h_1 = 0 or 1) and a middle point (x_1 = 1/2: concave
// (sqrt 2, 2 sqrt 2), WFG2 (2 (1 - sqrt 1/2), 4) as cos(2.5 pi) = 0). Position values: WFG4's
// s_multi is 0 at 0.35 and 1 at 0; WFG5's s_decept is 0 at 0.35 and C = 0.05 at 0; b_param, b_poly
// keep 0 and 1; r_nonsep(1/2, 0, 1/2, 0) = 1/2; WFG9: pareto_config's x_1 = t.
KnownPoints known_points(int which) {
  auto at = [which](Vector position, Vector expected) {
    Vector y = position, distance = optimal_distances(which, position);
    y.insert(y.end(), distance.begin(), distance.end());
    return std::pair{config_of(y), expected};
  };
  const double h = std::sqrt(0.5), d = kWfg1Offset;
  const Vector zeros(kK, 0.0), ones(kK, 1.0), halves(kK, 0.5), at35(kK, 0.35);
  switch (which) {
    case 1: return {at(zeros, {d, 4.0 + d}), at(ones, {2.0 + d, d})};
    case 2: return {at(zeros, {0.0, 4.0}), at(ones, {2.0, 0.0}), at(halves, {2 * (1 - h), 4.0})};
    case 3: return {at(Vector(kK, 0.25), {0.5, 3.0}), at(ones, {2.0, 0.0})};
    case 4: return {at(at35, {0.0, 4.0}), at(zeros, {2.0, 0.0})};
    case 5:
      return {at(at35, {0.0, 4.0}),
              at(zeros, {2 * std::sin(0.025 * kPi), 4 * std::cos(0.025 * kPi)})};
    case 6: return {at({0.5, 0.0, 0.5, 0.0}, {2 * h, 4 * h}), at({1.0, 0.0, 1.0, 0.0}, {2.0, 0.0})};
    case 7: return {at(zeros, {0.0, 4.0}), at(ones, {2.0, 0.0})};
    case 8: return {at(halves, {2 * h, 4 * h}), at(zeros, {0.0, 4.0})};
    default:
      return {{pareto_config(9, 0.0), {0.0, 4.0}}, {pareto_config(9, 0.5), {2 * h, 4 * h}},
              {pareto_config(9, 1.0), {2.0, 0.0}}};
  }
}

}  // namespace

std::vector<MultiObjectiveProblem> wfg_problems() {
  // Reference points (mo_reference_points.py; mo_functions.h lists them). Best hypervolumes:
  // r1 r2 minus the area under the front: WFG3's triangle 4, WFG4-9's quarter ellipse 2 pi,
  // WFG1 and WFG2 numerically (mo_reference_points.py; WFG2's front is the running minimum of
  // its disconnected curve); WFG1's front is moved by kWfg1Offset, so (r1 - d) (r2 - d) - area.
  const Vector references[9] = {{3.0, 4.6}, {2.2, 4.4}, {2.2, 4.4}, {2.2, 4.4}, {2.2, 4.4},
                                {2.3, 4.4}, {2.2, 4.4}, {2.2, 4.4}, {2.2, 4.4}};
  const double areas[9] = {2.894277514846, 3.528882112774, 4.0, 2 * kPi, 2 * kPi,
                           2 * kPi, 2 * kPi, 2 * kPi, 2 * kPi};
  std::vector<std::pair<double, double>> bounds;
  for (int i = 0; i < kN; ++i) bounds.push_back({0.0, upper(i)});
  std::vector<MultiObjectiveProblem> all;
  for (int which = 1; which <= 9; ++which) {
    const Vector& r = references[which - 1];
    const double d = which == 1 ? kWfg1Offset : 0.0;
    std::string name = "wfg";
    name += std::to_string(which);
    MultiObjectiveProblem p = box_problem(
        name, "x_i in [0, 2i], n = 8 (k = 4, l = 4), M = 2", bounds, r,
        (r[0] - d) * (r[1] - d) - areas[which - 1],
        [which](const Vector& z) { return wfg(which, z); });
    p.pareto_config = [which](const Vector& t) { return pareto_config(which, t[0]); };
    p.front_residual = [which](const Vector& f) { return residual(which, f); };
    p.known_points = known_points(which);
    all.push_back(std::move(p));
  }
  return all;
}

}  // namespace winnow_bench::mo_detail

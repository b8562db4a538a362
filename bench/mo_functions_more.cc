// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// ZDT4, ZDT6, DTLZ1 and DTLZ3-7, and our variants zdt1_shifted, dtlz2_rotated, convex_rotated
// and mixed (mo_functions.h has the definitions and sources in words);
// bench/mo_functions_more.py must stay the same operation for operation (compare_mo.sh
// cross-checks the two at random points). The ZDT and DTLZ formulas match pymoo's
// (pymoo/problems/multi/zdt.py, pymoo/problems/many/dtlz.py) to 1e-14 at 3,000 random points.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "mo_functions_internal.h"

namespace winnow_bench::mo_detail {
namespace {

using winnow::Config;
using winnow::ParamValue;

const double kHalf = std::sqrt(0.5);

double zdt1_residual(const Vector& f) { return f[1] - (1 - std::sqrt(f[0])); }

double sphere_residual(const Vector& f) {
  double s = 0;
  for (double v : f) s += v * v;
  return s - 1;
}

// ZDT4: g = 1 + 10 (n - 1) + sum_{i >= 1} (x_i^2 - 10 cos(4 pi x_i)); the front is ZDT1's (g = 1
// at x_i = 0), with 21^9 local fronts around it.
Vector zdt4(const Vector& x) {
  double f1 = x[0];
  double g = 1.0 + 10 * (static_cast<double>(x.size()) - 1);
  for (size_t i = 1; i < x.size(); ++i) g += x[i] * x[i] - 10 * std::cos(4 * kPi * x[i]);
  return {f1, g * (1 - std::sqrt(f1 / g))};
}

// ZDT6: f1 = 1 - exp(-4 x0) sin^6(6 pi x0), g = 1 + 9 (sum_{i >= 1} x_i / (n - 1))^0.25,
// f2 = g (1 - (f1 / g)^2). The front (g = 1) starts at f1's minimum, where the first peak of
// exp(-4x) sin^6(6 pi x) is: tan(6 pi x) = 9 pi.
Vector zdt6(const Vector& x) {
  double s = std::sin(6 * kPi * x[0]);
  double f1 = 1 - std::exp(-4 * x[0]) * std::pow(s, 6);
  double sum = 0;
  for (size_t i = 1; i < x.size(); ++i) sum += x[i];
  double g = 1 + 9 * std::pow(sum / (static_cast<double>(x.size()) - 1), 0.25);
  return {f1, g * (1 - (f1 / g) * (f1 / g))};
}

const double kZdt6F1Min = zdt6({std::atan(9 * kPi) / (6 * kPi), 0.0})[0];

// zdt1_shifted's optimum: a_i = 0.2 + 0.6 frac(i phi), in [0.2, 0.8), for x1..x29.
std::vector<double> shift() {
  std::vector<double> a(30);
  for (int i = 0; i < 30; ++i) a[i] = 0.2 + 0.6 * frac(static_cast<double>(i) * kPhi);
  return a;
}
const std::vector<double> kShift = shift();

Vector zdt1_shifted(const Vector& x) {
  double s = 0;
  for (size_t i = 1; i < x.size(); ++i) {
    s += std::abs(x[i] - kShift[i]) / std::max(kShift[i], 1 - kShift[i]);
  }
  double g = 1 + 9 * s / (static_cast<double>(x.size()) - 1);
  double f1 = x[0];
  return {f1, g * (1 - std::sqrt(f1 / g))};
}

// DTLZ's spherical map (Deb et al. 2005, eq. 8) on angles theta in units of pi/2.
Vector sphere(const Vector& theta, double g, int m) {
  Vector f(m);
  for (int j = 0; j < m; ++j) {
    double value = 1 + g;
    for (int i = 0; i < m - 1 - j; ++i) value *= std::cos(theta[i] * kPi / 2);
    if (j > 0) value *= std::sin(theta[m - 1 - j] * kPi / 2);
    f[j] = value;
  }
  return f;
}

// DTLZ1/3's g: 100 (k + sum (x_i - 1/2)^2 - cos(20 pi (x_i - 1/2))), 11^k - 1 local fronts.
double g_rastrigin(const Vector& x, int from) {
  double s = 0;
  for (size_t i = from; i < x.size(); ++i) {
    s += (x[i] - 0.5) * (x[i] - 0.5) - std::cos(20 * kPi * (x[i] - 0.5));
  }
  return 100 * (static_cast<double>(x.size() - from) + s);
}

double g_sphere(const Vector& x, int from) {
  double s = 0;
  for (size_t i = from; i < x.size(); ++i) s += (x[i] - 0.5) * (x[i] - 0.5);
  return s;
}

// DTLZ1: f_j = (1 + g) / 2 x_1 ... x_{M-j} (1 - x_{M-j+1}); the front is sum f = 1/2.
Vector dtlz1(const Vector& x) {
  const int m = 3;
  double g = g_rastrigin(x, m - 1);
  Vector f(m);
  for (int j = 0; j < m; ++j) {
    double value = 0.5 * (1 + g);
    for (int i = 0; i < m - 1 - j; ++i) value *= x[i];
    if (j > 0) value *= 1 - x[m - 1 - j];
    f[j] = value;
  }
  return f;
}

Vector dtlz3(const Vector& x) { return sphere({x[0], x[1]}, g_rastrigin(x, 2), 3); }

// DTLZ4: the angles are x^alpha, alpha = 100: most of the box maps near the front's edges.
Vector dtlz4(const Vector& x) {
  return sphere({std::pow(x[0], 100), std::pow(x[1], 100)}, g_sphere(x, 2), 3);
}

// DTLZ5/6: theta_1 = x_1, theta_i = (1 + 2 g x_i) / (2 (1 + g)) (times pi/2 in sphere()):
// at g = 0 every theta_i (i >= 2) is 1/2, so the front is a curve (degenerate).
Vector dtlz56(const Vector& x, double g) {
  return sphere({x[0], 1 / (2 * (1 + g)) * (1 + 2 * g * x[1])}, g, 3);
}

Vector dtlz5(const Vector& x) { return dtlz56(x, g_sphere(x, 2)); }

Vector dtlz6(const Vector& x) {
  double g = 0;
  for (size_t i = 2; i < x.size(); ++i) g += std::pow(x[i], 0.1);
  return dtlz56(x, g);
}

// DTLZ7: f_i = x_i (i < M), g = 1 + 9 / k sum x_M, f_M = (1 + g) (M - sum f_i / (1 + g)
// (1 + sin(3 pi f_i))): 2^(M-1) disconnected regions.
Vector dtlz7(const Vector& x) {
  const int m = 3;
  const double k = static_cast<double>(x.size()) - m + 1;
  double s = 0;
  for (size_t i = m - 1; i < x.size(); ++i) s += x[i];
  double g = 1 + 9 / k * s;
  double h = m;
  for (int i = 0; i < m - 1; ++i) h -= x[i] / (1 + g) * (1 + std::sin(3 * kPi * x[i]));
  return {x[0], x[1], (1 + g) * h};
}

// DTLZ7's front has f1, f2 in [0, 0.2514] u [0.6316, 0.8594]: where phi(u) = u (1 + sin(3 pi u))
// sets a new maximum (the nadir behind the reference point, mo_functions_more.py's DTLZ7_U3).
// With g = 1, f3 = 6 - phi(f1) - phi(f2), so the volume the front dominates below (r1, r2, r3),
// r3 >= 6, is r1 r2 (r3 - 6) + r2 I(r1) + r1 I(r2), I(r) the integral of phi's running maximum
// up to r: kDtlz7Integral for r = 0.95 (mo_reference_points.py).
constexpr double kDtlz7Integral = 0.644184810797;

double dtlz7_residual(const Vector& f) {
  double s = 0;
  for (int i = 0; i < 2; ++i) s += f[i] * (1 + std::sin(3 * kPi * f[i]));
  return f[2] - (6 - s);
}

const Matrix kRotationDtlz = rotation(10, 0);
std::vector<double> weights_dtlz() {
  std::vector<double> c(10);
  for (int i = 0; i < 10; ++i) c[i] = std::pow(10.0, (2.0 * i - 9) / 9);
  return c;
}
const std::vector<double> kWeightsDtlz = weights_dtlz();

Vector dtlz2_rotated(const Vector& x) {
  Vector y;
  for (size_t i = 2; i < x.size(); ++i) y.push_back(x[i] - 0.5);
  Vector z = matrix_vector(kRotationDtlz, y);
  double g = 0;
  for (size_t i = 0; i < z.size(); ++i) g += kWeightsDtlz[i] * z[i] * z[i];
  return sphere({x[0], x[1]}, g, 3);
}

const Matrix kRotationConvex = rotation(10, 1000);
struct ConvexConstants {
  std::vector<double> scale, a, b;
};
ConvexConstants convex_constants() {
  ConvexConstants c;
  for (int i = 0; i < 10; ++i) {
    c.scale.push_back(std::pow(10.0, i / 9.0 - 0.5));
    c.a.push_back(0.25 + 0.5 * frac((i + 1) * kPhi));
    c.b.push_back(0.25 + 0.5 * frac((i + 1) * kPhi + 0.5));
  }
  return c;
}
const ConvexConstants kConvex = convex_constants();

double scaled_norm2(const Vector& y) {
  Vector z = matrix_vector(kRotationConvex, y);
  double s = 0;
  for (size_t i = 0; i < z.size(); ++i) s += (kConvex.scale[i] * z[i]) * (kConvex.scale[i] * z[i]);
  return s;
}

double difference_norm2(const Vector& x, const Vector& c) {
  Vector y(x.size());
  for (size_t i = 0; i < x.size(); ++i) y[i] = x[i] - c[i];
  return scaled_norm2(y);
}

const double kConvexLength2 = difference_norm2(kConvex.b, kConvex.a);

Vector convex_rotated(const Vector& x) {
  return {difference_norm2(x, kConvex.a) / kConvexLength2,
          difference_norm2(x, kConvex.b) / kConvexLength2};
}

double number(const Config& c, const char* name) {
  auto it = c.find(name);
  std::optional<double> value = it == c.end() ? std::nullopt : winnow::as_number(it->second);
  if (!value) throw std::runtime_error(std::string("mixed: no number ") + name);
  return *value;
}

Vector mixed(const Config& c) {
  auto it = c.find("shape");
  if (it == c.end() || !std::holds_alternative<std::string>(it->second)) {
    throw std::runtime_error("mixed: no shape");
  }
  const std::string& shape = std::get<std::string>(it->second);
  double x = number(c, "x"), n = number(c, "n");
  double g = 1 + 0.1 * (n - 3) * (n - 3);
  double h;
  if (shape == "convex") {
    double y = number(c, "y");
    g += 4 * (y - 0.3) * (y - 0.3);
    h = 1 - std::sqrt(x);
  } else if (shape == "linear") {
    h = 1 - x;
  } else if (shape == "concave") {
    h = 1 - x * x;
  } else {
    throw std::runtime_error("mixed: unknown shape '" + shape + "'");
  }
  return {x, g * h};
}

// Reference points: mo_reference_points.py (max(1.1 x the true front's nadir, the median over
// 10,000 uniform random points), rounded up to 2 significant digits); listed in mo_functions.h.
// Best hypervolumes w.r.t. r: fronts f2 = 1 - sqrt(f1) (ZDT4, zdt1_shifted, mixed): r1 r2 - 1/3;
// ZDT6 (f2 = 1 - f1^2 from a = kZdt6F1Min): (r1 - a) r2 - ((1 - a) - (1 - a^3) / 3); DTLZ1's
// simplex: r1 r2 r3 - (1/2)^3 / 6; unit sphere (DTLZ3, DTLZ4, dtlz2_rotated): r1 r2 r3 - pi/6;
// DTLZ5/6's curve f1 = f2 = cos(theta) / sqrt 2, f3 = sin(theta): the slice at height z is
// cut at sqrt((1 - z^2) / 2), which integrates to r1 r2 r3 - (r1 + r2) pi / (4 sqrt 2) + 1/3;
// convex_rotated (sqrt f1 + sqrt f2 = 1): r1 r2 - 1/6.
MultiObjectiveProblem with_checks(MultiObjectiveProblem p,
                                  std::function<Config(const Vector&)> pareto,
                                  std::function<double(const Vector&)> residual,
                                  KnownPoints known) {
  p.pareto_config = std::move(pareto);
  p.front_residual = std::move(residual);
  p.known_points = std::move(known);
  return p;
}

}  // namespace

std::vector<MultiObjectiveProblem> more_problems() {
  std::vector<MultiObjectiveProblem> all;
  const double third = 1.0 / 3.0, h = kHalf;
  std::vector<std::pair<double, double>> zdt4_bounds(10, {-5.0, 5.0});
  zdt4_bounds[0] = {0.0, 1.0};
  all.push_back(with_checks(
      box_problem("zdt4", "x0 in [0,1], x1..x9 in [-5,5]", zdt4_bounds, {1.1, 160.0},
                  1.1 * 160.0 - third, zdt4),
      [](const Vector& t) { return unit_config(10, t, 0.0); }, zdt1_residual,
      // g = 1 + 90 + 9 (0.25 - 10 cos(2 pi)) = 3.25 at x_i = 1/2.
      {{unit_config(10, {0.25}, 0.0), {0.25, 0.5}},
       {unit_config(10, {1.0}, 0.5), {1.0, 3.25 - std::sqrt(3.25)}}}));
  const double a = kZdt6F1Min, e = 1 - std::exp(-1.0 / 3);
  all.push_back(with_checks(
      unit_problem("zdt6", "[0,1]^10", 10, {1.1, 8.5},
                   (1.1 - a) * 8.5 - ((1 - a) - (1 - a * a * a) / 3), zdt6),
      [](const Vector& t) { return unit_config(10, t, 0.0); },
      [](const Vector& f) { return f[1] - (1 - f[0] * f[0]); },
      // sin(6 pi / 12) = 1; at x_i = 1, g = 10.
      {{unit_config(10, {0.0}, 0.0), {1.0, 0.0}},
       {unit_config(10, {1.0 / 12}, 0.0), {e, 1 - e * e}},
       {unit_config(10, {0.0}, 1.0), {1.0, 9.9}}}));
  Vector optimum(kShift.begin() + 1, kShift.end()), far = {0.0};
  for (size_t i = 1; i < kShift.size(); ++i) far.push_back(kShift[i] < 0.5 ? 1.0 : 0.0);
  Vector quarter = {0.25};
  quarter.insert(quarter.end(), optimum.begin(), optimum.end());
  all.push_back(with_checks(
      unit_problem("zdt1_shifted", "[0,1]^30, optimum x_i = 0.2 + 0.6 frac(i phi)", 30,
                   {1.1, 3.4}, 1.1 * 3.4 - third, zdt1_shifted),
      [optimum](const Vector& t) {
        Vector head = {t[0]};
        head.insert(head.end(), optimum.begin(), optimum.end());
        return unit_config(30, head, 0.0);
      },
      zdt1_residual,
      // Every |x_i - a_i| / max(a_i, 1 - a_i) is 1 at the far end: g = 10.
      {{unit_config(30, quarter, 0.0), {0.25, 0.5}}, {unit_config(30, far, 0.0), {0.0, 10.0}}}));

  auto at = [](int d, Vector head, double rest) { return unit_config(d, head, rest); };
  auto grid = [](int d, double rest) {
    return [d, rest](const Vector& t) { return unit_config(d, t, rest); };
  };
  const double r5 = 0.81 * 0.81 * 1.3 - (0.81 + 0.81) * kPi / (4 * std::sqrt(2.0)) + third;
  const double r6 = 3.7 * 3.8 * 7.3 - (3.7 + 3.8) * kPi / (4 * std::sqrt(2.0)) + third;
  // DTLZ1: g = 100 (5 - 5 * 0.75) = 125 at x_i = 0; DTLZ3: 100 (10 - 7.5) = 250; DTLZ4: 0.5^100
  // ~ 0 and g = 2.5 at x_i = 0; DTLZ5: g = 2.5 and theta_2 = 6/7 at x_2 = 1; DTLZ6: g = 10,
  // theta_2 = 1/22; DTLZ7: f3 = 2 (3 - 2 (1/6) / 2 * 2) = 16/3 at f = 1/6, and g = 10 at x_i = 1.
  all.push_back(with_checks(
      unit_problem("dtlz1", "[0,1]^7, M = 3", 7, {48.0, 47.0, 130.0},
                   48.0 * 47.0 * 130.0 - 0.5 * 0.5 * 0.5 / 6, dtlz1),
      grid(7, 0.5), [](const Vector& f) { return f[0] + f[1] + f[2] - 0.5; },
      {{at(7, {0.0, 0.0}, 0.5), {0.0, 0.0, 0.5}}, {at(7, {1.0, 1.0}, 0.5), {0.5, 0.0, 0.0}},
       {at(7, {0.5, 0.5}, 0.5), {0.125, 0.125, 0.25}},
       {at(7, {0.5, 0.5}, 0.0), {15.75, 15.75, 31.5}}}));
  all.push_back(with_checks(
      unit_problem("dtlz3", "[0,1]^12, M = 3", 12, {370.0, 380.0, 730.0},
                   370.0 * 380.0 * 730.0 - kPi / 6, dtlz3),
      grid(12, 0.5), sphere_residual,
      {{at(12, {0.0, 0.0}, 0.5), {1.0, 0.0, 0.0}}, {at(12, {0.5, 0.5}, 0.5), {0.5, 0.5, h}},
       {at(12, {0.0, 0.0}, 0.0), {251.0, 0.0, 0.0}}}));
  const double root = std::pow(0.5, 0.01);  // root^100 = 1/2
  all.push_back(with_checks(
      unit_problem("dtlz4", "[0,1]^12, M = 3", 12, {1.9, 1.1, 1.1}, 1.9 * 1.1 * 1.1 - kPi / 6,
                   dtlz4),
      // x^100 is the angle: undo the bias so that a grid of t is even.
      [](const Vector& t) {
        return unit_config(12, {std::pow(t[0], 0.01), std::pow(t[1], 0.01)}, 0.5);
      },
      sphere_residual,
      {{at(12, {1.0, 1.0}, 0.5), {0.0, 0.0, 1.0}}, {at(12, {root, root}, 0.5), {0.5, 0.5, h}},
       {at(12, {0.5, 0.5}, 0.0), {3.5, 0.0, 0.0}}}));
  all.push_back(with_checks(
      unit_problem("dtlz5", "[0,1]^12, M = 3", 12, {0.81, 0.81, 1.3}, r5, dtlz5), grid(12, 0.5),
      sphere_residual,
      {{at(12, {0.0, 0.3}, 0.5), {h, h, 0.0}}, {at(12, {0.5, 0.9}, 0.5), {0.5, 0.5, h}},
       {at(12, {0.0, 1.0}, 1.0),
        {3.5 * std::cos(3 * kPi / 7), 3.5 * std::sin(3 * kPi / 7), 0.0}}}));
  all.push_back(with_checks(
      unit_problem("dtlz6", "[0,1]^12, M = 3", 12, {3.7, 3.8, 7.3}, r6, dtlz6), grid(12, 0.0),
      sphere_residual,
      {{at(12, {0.5, 0.2}, 0.0), {0.5, 0.5, h}},
       {at(12, {0.0, 0.0}, 1.0), {11 * std::cos(kPi / 44), 11 * std::sin(kPi / 44), 0.0}}}));
  all.push_back(with_checks(
      unit_problem("dtlz7", "[0,1]^22, M = 3", 22, {0.95, 0.95, 19.0},
                   0.95 * 0.95 * (19.0 - 6) + 2 * 0.95 * kDtlz7Integral, dtlz7),
      grid(22, 0.0), dtlz7_residual,
      {{at(22, {0.0, 0.0}, 0.0), {0.0, 0.0, 6.0}},
       {at(22, {1.0 / 6, 1.0 / 6}, 0.0), {1.0 / 6, 1.0 / 6, 16.0 / 3}},
       {at(22, {0.0, 0.0}, 1.0), {0.0, 0.0, 33.0}}}));
  // y = 0.1 Q's first row: z = Q y = (0.1, 0, ..., 0), so g = c_0 / 100.
  Vector row = {0.0, 0.0};
  for (double q : kRotationDtlz[0]) row.push_back(0.5 + 0.1 * q);
  all.push_back(with_checks(
      unit_problem("dtlz2_rotated", "[0,1]^12, M = 3, distance rotated", 12, {1.1, 1.1, 1.9},
                   1.1 * 1.1 * 1.9 - kPi / 6, dtlz2_rotated),
      grid(12, 0.5), sphere_residual,
      {{at(12, {0.0, 0.0}, 0.5), {1.0, 0.0, 0.0}}, {at(12, {0.5, 0.5}, 0.5), {0.5, 0.5, h}},
       {at(12, row, 0.5), {1 + kWeightsDtlz[0] / 100, 0.0, 0.0}}}));

  Vector mid(10);
  for (int i = 0; i < 10; ++i) mid[i] = (kConvex.a[i] + kConvex.b[i]) / 2;
  all.push_back(with_checks(
      unit_problem("convex_rotated", "[0,1]^10, rotated and scaled quadratics", 10, {1.5, 1.6},
                   1.5 * 1.6 - 1.0 / 6, convex_rotated),
      [](const Vector& t) {
        Config c;
        for (int i = 0; i < 10; ++i) {
          c[param_name(i)] = kConvex.a[i] + t[0] * (kConvex.b[i] - kConvex.a[i]);
        }
        return c;
      },
      [](const Vector& f) { return std::sqrt(f[0]) + std::sqrt(f[1]) - 1; },
      {{at(10, kConvex.a, 0.0), {0.0, 1.0}}, {at(10, kConvex.b, 0.0), {1.0, 0.0}},
       {at(10, mid, 0.0), {0.25, 0.25}}}));

  MultiObjectiveProblem m;
  m.name = "mixed";
  m.domain = "shape {concave, linear, convex}, x in [0,1], int n in [0,10], y in [0,1] if convex";
  m.dimension = 4;
  m.objective_names = {"f1", "f2"};
  m.reference = {1.1, 1.1};
  m.best_hypervolume = 1.1 * 1.1 - third;
  m.default_trials = 300;
  auto s = [](const char* v) { return ParamValue(std::string(v)); };
  m.space.add_categorical("shape", {s("concave"), s("linear"), s("convex")})
      .add_float("x", 0.0, 1.0)
      .add_int("n", 0, 10)
      .add_float("y", 0.0, 1.0).when("shape == 'convex'");
  m.space.validate();
  m.evaluate = mixed;
  m.pareto_config = [s](const Vector& t) {
    return Config{{"shape", s("convex")}, {"x", t[0]}, {"n", int64_t{3}}, {"y", 0.3}};
  };
  m.front_residual = zdt1_residual;
  // g = 1 + 0.9 at n = 0; 1 + 4.9 + 4 * 0.49 = 7.86 at n = 10, y = 1.
  m.known_points = {
      {{{"shape", s("convex")}, {"x", 0.25}, {"n", int64_t{3}}, {"y", 0.3}}, {0.25, 0.5}},
      {{{"shape", s("linear")}, {"x", 0.25}, {"n", int64_t{3}}}, {0.25, 0.75}},
      {{{"shape", s("concave")}, {"x", 0.5}, {"n", int64_t{0}}}, {0.5, 1.9 * 0.75}},
      {{{"shape", s("convex")}, {"x", 0.0}, {"n", int64_t{10}}, {"y", 1.0}}, {0.0, 7.86}}};
  all.push_back(std::move(m));
  return all;
}

}  // namespace winnow_bench::mo_detail

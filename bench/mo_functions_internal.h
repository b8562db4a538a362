// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Pieces shared by the files that define the multi-objective problems (mo_functions.cc,
// mo_functions_more.cc, mo_functions_wfg.cc); bench/mo_functions_base.py holds their Python
// twins. Not part of mo_functions.h: the harnesses need only the problems.
#pragma once

#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "mo_functions.h"

namespace winnow_bench::mo_detail {

inline constexpr double kPi = 3.14159265358979323846;
// (sqrt(5) - 1) / 2 as a double: its multiples mod 1 spread evenly over [0, 1) (Weyl). The
// offsets and rotations below use only +, -, *, /, floor and sqrt in a fixed order, which IEEE
// arithmetic rounds exactly, so C++ and Python compute the same bits (a library random
// generator would not: the streams differ).
inline constexpr double kPhi = 0.6180339887498949;

inline double frac(double v) { return v - std::floor(v); }

using Matrix = std::vector<std::vector<double>>;

// An n x n rotation: the product of n Householder reflections I - 2 v v^T / (v^T v) (n even,
// so the determinant is +1), v_j = frac((salt + r n + j + 1) kPhi) - 1/2 for the r-th.
inline Matrix rotation(int n, int salt) {
  Matrix q(n, std::vector<double>(n, 0.0));
  for (int i = 0; i < n; ++i) q[i][i] = 1.0;
  std::vector<double> v(n);
  for (int r = 0; r < n; ++r) {
    for (int j = 0; j < n; ++j) v[j] = frac(static_cast<double>(salt + r * n + j + 1) * kPhi) - 0.5;
    double vv = 0.0;
    for (double value : v) vv += value * value;
    for (int i = 0; i < n; ++i) {
      double s = 0.0;
      for (int j = 0; j < n; ++j) s += q[i][j] * v[j];
      double c = 2 * s / vv;
      for (int j = 0; j < n; ++j) q[i][j] = q[i][j] - c * v[j];
    }
  }
  return q;
}

inline std::vector<double> matrix_vector(const Matrix& q, const std::vector<double>& y) {
  std::vector<double> out;
  for (const std::vector<double>& row : q) {
    double s = 0.0;
    for (size_t j = 0; j < row.size(); ++j) s += row[j] * y[j];
    out.push_back(s);
  }
  return out;
}

// "x7". (Built with +=: GCC 12 warns wrongly about "x" + std::to_string(i), -Wrestrict.)
inline std::string param_name(int i) {
  std::string name = "x";
  name += std::to_string(i);
  return name;
}

// x0, x1, ... of a configuration as numbers.
inline std::vector<double> vector_of(const winnow::Config& config, int dimension) {
  std::vector<double> x(dimension);
  for (int i = 0; i < dimension; ++i) {
    std::string name = param_name(i);
    auto it = config.find(name);
    if (it == config.end()) throw std::runtime_error("missing parameter " + name);
    std::optional<double> value = winnow::as_number(it->second);
    if (!value) throw std::runtime_error("parameter " + name + " is not a number");
    x[i] = *value;
  }
  return x;
}

// {x0: head[0], ..., x{d-1}: rest}: the configurations of the checks.
inline winnow::Config unit_config(int dimension, const std::vector<double>& head, double rest) {
  winnow::Config c;
  for (int i = 0; i < dimension; ++i) {
    c[param_name(i)] = i < static_cast<int>(head.size()) ? head[i] : rest;
  }
  return c;
}

using Vector = std::vector<double>;
using Objectives = std::function<Vector(const Vector&)>;
using KnownPoints = std::vector<std::pair<winnow::Config, Vector>>;

// A problem over x0..x{d-1}, each in [low_i, high_i].
MultiObjectiveProblem box_problem(std::string name, std::string domain,
                                  const std::vector<std::pair<double, double>>& bounds,
                                  Vector reference, std::optional<double> best_hypervolume,
                                  Objectives f);
MultiObjectiveProblem unit_problem(std::string name, std::string domain, int dimension,
                                   Vector reference, std::optional<double> best_hypervolume,
                                   Objectives f);

// ZDT4, ZDT6, DTLZ1 and DTLZ3-7, zdt1_shifted, dtlz2_rotated, convex_rotated, mixed
// (mo_functions_more.cc); WFG1-9 (mo_functions_wfg.cc).
std::vector<MultiObjectiveProblem> more_problems();
std::vector<MultiObjectiveProblem> wfg_problems();

}  // namespace winnow_bench::mo_detail

// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Definitions of the multi-objective problems; bench/mo_functions.py must stay formula for
// formula the same (compare_mo.sh cross-checks them at random points before every run).
#include "mo_functions.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <numbers>
#include <stdexcept>

#include "functions.h"

namespace winnow_bench {
namespace {

using winnow::Config;
using winnow::SearchSpace;

constexpr double kPi = std::numbers::pi;

std::vector<double> vector_of(const Config& config, int dimension) {
  std::vector<double> x(dimension);
  for (int i = 0; i < dimension; ++i) {
    std::string name = "x" + std::to_string(i);
    auto it = config.find(name);
    if (it == config.end()) throw std::runtime_error("missing parameter " + name);
    std::optional<double> value = winnow::as_number(it->second);
    if (!value) throw std::runtime_error("parameter " + name + " is not a number");
    x[i] = *value;
  }
  return x;
}

SearchSpace unit_box(int dimension) {
  SearchSpace space;
  for (int i = 0; i < dimension; ++i) space.add_float("x" + std::to_string(i), 0.0, 1.0);
  space.validate();
  return space;
}

// ZDT: f1 = x0, g = 1 + 9 / (n - 1) * sum_{i >= 1} x_i, f2 = g h(f1, g) (Zitzler et al. 2000,
// eqs. for T1-T3). The Pareto front is g = 1, i.e. x1..x{n-1} = 0.
double zdt_g(const std::vector<double>& x) {
  double sum = 0;
  for (size_t i = 1; i < x.size(); ++i) sum += x[i];
  return 1 + 9 * sum / static_cast<double>(x.size() - 1);
}

std::vector<double> zdt1(const std::vector<double>& x) {
  double f1 = x[0], g = zdt_g(x);
  return {f1, g * (1 - std::sqrt(f1 / g))};
}

std::vector<double> zdt2(const std::vector<double>& x) {
  double f1 = x[0], g = zdt_g(x);
  return {f1, g * (1 - (f1 / g) * (f1 / g))};
}

std::vector<double> zdt3(const std::vector<double>& x) {
  double f1 = x[0], g = zdt_g(x);
  return {f1, g * (1 - std::sqrt(f1 / g) - (f1 / g) * std::sin(10 * kPi * f1))};
}

// DTLZ2 with M objectives: g = sum_{i >= M-1} (x_i - 0.5)^2,
//   f_1 = (1 + g) cos(x_0 pi/2) ... cos(x_{M-2} pi/2)
//   f_j = (1 + g) cos(x_0 pi/2) ... cos(x_{M-j-1} pi/2) sin(x_{M-j} pi/2),  j = 2..M.
// The front is the unit sphere's positive orthant (g = 0: x_{M-1}.. = 0.5).
std::vector<double> dtlz2(const std::vector<double>& x, int m) {
  double g = 0;
  for (size_t i = m - 1; i < x.size(); ++i) g += (x[i] - 0.5) * (x[i] - 0.5);
  std::vector<double> f(m);
  for (int j = 0; j < m; ++j) {
    double value = 1 + g;
    for (int i = 0; i < m - 1 - j; ++i) value *= std::cos(x[i] * kPi / 2);
    if (j > 0) value *= std::sin(x[m - 1 - j] * kPi / 2);
    f[j] = value;
  }
  return f;
}

MultiObjectiveProblem analytic(std::string name, std::string domain, int dimension,
                               std::vector<std::string> objectives, std::vector<double> reference,
                               double best_hypervolume,
                               std::function<std::vector<double>(const std::vector<double>&)> f) {
  MultiObjectiveProblem p;
  p.name = std::move(name);
  p.domain = std::move(domain);
  p.dimension = dimension;
  p.objective_names = std::move(objectives);
  p.reference = std::move(reference);
  p.best_hypervolume = best_hypervolume;
  p.default_trials = 300;
  p.space = unit_box(dimension);
  p.evaluate = [dimension, f = std::move(f)](const Config& c) { return f(vector_of(c, dimension)); };
  return p;
}

// Reads the number after "key": in a one-line JSON object.
double json_field(const std::string& line, const char* key) {
  std::string quoted = std::string("\"") + key + "\":";
  size_t at = line.find(quoted);
  if (at == std::string::npos) throw std::runtime_error("no \"" + std::string(key) + "\" in '" + line + "'");
  const char* start = line.c_str() + at + quoted.size();
  char* end = nullptr;
  double value = std::strtod(start, &end);
  if (end == start) throw std::runtime_error("\"" + std::string(key) + "\" is not a number in '" + line + "'");
  return value;
}

std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

std::vector<double> run_xgb_objective(const std::string& program, const Config& config) {
  if (program.empty()) throw std::runtime_error("xgb: no path to xgb_tradeoff_objective (--xgb-objective)");
  std::string command = shell_quote(program);
  for (const auto& [name, value] : config) command += " " + name + "=" + json_value(value);
  command += " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) throw std::runtime_error("xgb: cannot run " + program + ": " + std::strerror(errno));
  std::string output;
  char buffer[512];
  while (size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, n);
  int status = pclose(pipe);
  while (!output.empty() && (output.back() == '\n' || output.back() == '\r')) output.pop_back();
  if (status != 0) {
    throw std::runtime_error("xgb: '" + command + "' failed (status " + std::to_string(status) +
                             "): " + output);
  }
  return {json_field(output, "error"), json_field(output, "nodes")};
}

std::vector<MultiObjectiveProblem> multi_objective_problems(const MultiObjectiveOptions& options) {
  std::vector<MultiObjectiveProblem> all;
  // Hypervolumes of the true fronts w.r.t. (1.1, 1.1): ZDT1 int_0^1 (1.1 - 1 + sqrt t) dt +
  // 0.1 * 1.1 = 0.1 + 2/3 + 0.11; ZDT2 0.1 + 1/3 + 0.11; ZDT3 by the trapezoid rule over 2e7
  // points of the g = 1 curve's running minimum (error < 1e-7); DTLZ2 1.1^3 - pi/6 (the box
  // minus the unit ball's octant).
  // Against (1.1, 11) each ZDT front adds the strip [0, 1.1] x [1.1, 11] (its point f1 = 0 has
  // f2 = 1): 1.1 * 9.9 = 10.89 more.
  const std::vector<double> zdt_reference = {1.1, 11.0}, literature = {1.1, 1.1};
  const double zdt_best[3] = {0.21 + 2.0 / 3.0, 0.21 + 1.0 / 3.0, 1.3317629};
  const char* zdt_names[3] = {"zdt1", "zdt2", "zdt3"};
  std::vector<double> (*zdt_functions[3])(const std::vector<double>&) = {zdt1, zdt2, zdt3};
  for (int i = 0; i < 3; ++i) {
    MultiObjectiveProblem p = analytic(zdt_names[i], "[0,1]^30", 30, {"f1", "f2"}, zdt_reference,
                                       zdt_best[i] + 1.1 * 9.9, zdt_functions[i]);
    p.literature_reference = literature;
    p.best_literature_hypervolume = zdt_best[i];
    all.push_back(std::move(p));
  }
  all.push_back(analytic("dtlz2", "[0,1]^12, M = 3", 12, {"f1", "f2", "f3"}, {1.1, 1.1, 1.1},
                         1.1 * 1.1 * 1.1 - kPi / 6,
                         [](const std::vector<double>& x) { return dtlz2(x, 3); }));

  MultiObjectiveProblem xgb;
  xgb.name = "xgb";
  xgb.domain = "XGBoost on Friedman #1: n_estimators 1..100 log, max_depth 1..6, eta [0.01,1] "
               "log, min_child_weight [0.1,100] log, subsample [0.5,1], lambda [1e-3,100] log";
  xgb.dimension = 6;
  xgb.objective_names = {"error", "nodes"};
  xgb.reference = {4.0, 2000.0};
  xgb.default_trials = 300;
  xgb.space.add_int("n_estimators", 1, 100).log()
      .add_int("max_depth", 1, 6)
      .add_float("eta", 0.01, 1.0).log()
      .add_float("min_child_weight", 0.1, 100.0).log()
      .add_float("subsample", 0.5, 1.0)
      .add_float("lambda", 1e-3, 100.0).log();
  xgb.space.validate();
  std::string program = options.xgb_objective;
  xgb.evaluate = [program](const Config& c) { return run_xgb_objective(program, c); };
  all.push_back(std::move(xgb));
  return all;
}

std::vector<std::string> multi_objective_self_check(const std::vector<MultiObjectiveProblem>& problems,
                                                    std::string* log) {
  std::vector<std::string> failures;
  auto note = [&](const std::string& line) {
    if (log) *log += line + "\n";
  };
  auto close = [](double a, double b) { return std::abs(a - b) <= 1e-12 * std::max(1.0, std::abs(b)); };
  for (const MultiObjectiveProblem& p : problems) {
    // (point, expected objectives): Pareto-optimal points, whose values follow from the front's
    // closed form, and one dominated point.
    std::vector<std::pair<Config, std::vector<double>>> cases;
    auto unit = [&](std::vector<double> head, double rest) {
      Config c;
      for (int i = 0; i < p.dimension; ++i) {
        c["x" + std::to_string(i)] = i < static_cast<int>(head.size()) ? head[i] : rest;
      }
      return c;
    };
    if (p.name == "zdt1") {
      cases.push_back({unit({0.25}, 0.0), {0.25, 0.5}});
      cases.push_back({unit({1.0}, 0.0), {1.0, 0.0}});
      cases.push_back({unit({0.0}, 1.0), {0.0, 10.0}});  // g = 10, f2 = g
    } else if (p.name == "zdt2") {
      cases.push_back({unit({0.5}, 0.0), {0.5, 0.75}});
      cases.push_back({unit({1.0}, 1.0), {1.0, 10 * (1 - 0.01)}});
    } else if (p.name == "zdt3") {
      // f2 = 1 - sqrt(f1) - f1 sin(10 pi f1): at f1 = 0.25, sin(2.5 pi) = 1.
      cases.push_back({unit({0.25}, 0.0), {0.25, 1 - 0.5 - 0.25}});
      cases.push_back({unit({0.0}, 0.0), {0.0, 1.0}});
    } else if (p.name == "dtlz2") {
      double h = std::sqrt(0.5);
      cases.push_back({unit({0.0, 0.0}, 0.5), {1.0, 0.0, 0.0}});
      cases.push_back({unit({1.0, 0.0}, 0.5), {std::cos(kPi / 2), 0.0, 1.0}});
      cases.push_back({unit({0.5, 0.5}, 0.5), {0.5, 0.5, h}});
      cases.push_back({unit({0.0, 0.5}, 1.0), {(1 + 2.5) * h, (1 + 2.5) * h, 0.0}});  // g = 10/4
    }
    for (auto& [config, expected] : cases) {
      try {
        p.space.check(config);
      } catch (const std::exception& e) {
        failures.push_back(p.name + ": a self-check point is not in the space: " + e.what());
        continue;
      }
      std::vector<double> f = p.evaluate(config);
      bool ok = f.size() == expected.size();
      std::string text;
      for (size_t j = 0; j < f.size(); ++j) {
        ok = ok && j < expected.size() && close(f[j], expected[j]);
        text += (j ? ", " : "") + json_number(f[j]);
      }
      note(p.name + " f = (" + text + ")" + (ok ? "" : "  <- expected otherwise"));
      if (!ok) failures.push_back(p.name + ": f(" + json_config(config) + ") = (" + text + ")");
    }
    if (p.name == "xgb") {
      // Determinism: the same configuration twice gives the same numbers.
      Config c = {{"n_estimators", int64_t{20}}, {"max_depth", int64_t{3}}, {"eta", 0.3},
                  {"min_child_weight", 1.0}, {"subsample", 0.8}, {"lambda", 1.0}};
      try {
        std::vector<double> a = p.evaluate(c), b = p.evaluate(c);
        note("xgb f = (" + json_number(a[0]) + ", " + json_number(a[1]) + ")");
        if (a != b) failures.push_back("xgb: two evaluations of one configuration differ");
        if (!(a[0] > 1.0 && a[0] < 4.0) || !(a[1] >= 3 && a[1] <= 20 * 15)) {
          failures.push_back("xgb: implausible objectives at a middling configuration");
        }
      } catch (const std::exception& e) {
        failures.push_back(std::string("xgb: ") + e.what());
      }
    }
  }
  return failures;
}

}  // namespace winnow_bench

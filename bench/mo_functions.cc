// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Definitions of the multi-objective problems; bench/mo_functions.py must stay formula for
// formula the same (compare_mo.sh cross-checks them at random points before every run).
#include "mo_functions.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "functions.h"
#include "mo_functions_internal.h"

namespace winnow_bench {

namespace mo_detail {

MultiObjectiveProblem box_problem(std::string name, std::string domain,
                                  const std::vector<std::pair<double, double>>& bounds,
                                  Vector reference, std::optional<double> best_hypervolume,
                                  Objectives f) {
  MultiObjectiveProblem p;
  p.name = std::move(name);
  p.domain = std::move(domain);
  p.dimension = static_cast<int>(bounds.size());
  for (size_t j = 0; j < reference.size(); ++j) {
    std::string objective = "f";
    objective += std::to_string(j + 1);
    p.objective_names.push_back(objective);
  }
  p.reference = std::move(reference);
  p.best_hypervolume = best_hypervolume;
  p.default_trials = 300;
  for (size_t i = 0; i < bounds.size(); ++i) {
    p.space.add_float(param_name(static_cast<int>(i)), bounds[i].first, bounds[i].second);
  }
  p.space.validate();
  int dimension = p.dimension;
  p.evaluate = [dimension, f = std::move(f)](const winnow::Config& c) {
    return f(vector_of(c, dimension));
  };
  return p;
}

MultiObjectiveProblem unit_problem(std::string name, std::string domain, int dimension,
                                   Vector reference, std::optional<double> best_hypervolume,
                                   Objectives f) {
  return box_problem(std::move(name), std::move(domain),
                     std::vector<std::pair<double, double>>(dimension, {0.0, 1.0}),
                     std::move(reference), best_hypervolume, std::move(f));
}

}  // namespace mo_detail

namespace {

using winnow::Config;
using namespace mo_detail;

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

// On g = 1 every f1 gives f2 = 1 - sqrt(f1) - f1 sin(10 pi f1) (the front is the part of that
// curve no other part dominates).
double zdt3_residual(const Vector& f) {
  return f[1] - (1 - std::sqrt(f[0]) - f[0] * std::sin(10 * kPi * f[0]));
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

std::vector<double> run_xgb_objective(const std::string& program, const Config& config,
                                      const std::string& task) {
  if (program.empty()) throw std::runtime_error("xgb: no path to xgb_tradeoff_objective (--xgb-objective)");
  std::string command = shell_quote(program);
  for (const auto& [name, value] : config) command += " " + name + "=" + json_value(value);
  if (!task.empty()) command += " task=" + shell_quote(task);
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
  std::function<double(const Vector&)> zdt_residuals[3] = {
      [](const Vector& f) { return f[1] - (1 - std::sqrt(f[0])); },
      [](const Vector& f) { return f[1] - (1 - f[0] * f[0]); }, zdt3_residual};
  // Known points: ZDT1 (0.25, 0.5) on the front, (0, 10) at g = 10; ZDT2 (0.5, 0.75) and
  // (1, 10 (1 - 0.01)) at g = 10; ZDT3 at f1 = 0.25, sin(2.5 pi) = 1: f2 = 1 - 0.5 - 0.25.
  const KnownPoints zdt_known[3] = {
      {{unit_config(30, {0.25}, 0.0), {0.25, 0.5}}, {unit_config(30, {1.0}, 0.0), {1.0, 0.0}},
       {unit_config(30, {0.0}, 1.0), {0.0, 10.0}}},
      {{unit_config(30, {0.5}, 0.0), {0.5, 0.75}},
       {unit_config(30, {1.0}, 1.0), {1.0, 10 * (1 - 0.01)}}},
      {{unit_config(30, {0.25}, 0.0), {0.25, 1 - 0.5 - 0.25}},
       {unit_config(30, {0.0}, 0.0), {0.0, 1.0}}}};
  for (int i = 0; i < 3; ++i) {
    MultiObjectiveProblem p = unit_problem(zdt_names[i], "[0,1]^30", 30, zdt_reference,
                                           zdt_best[i] + 1.1 * 9.9, zdt_functions[i]);
    p.literature_reference = literature;
    p.best_literature_hypervolume = zdt_best[i];
    p.pareto_config = [](const Vector& t) { return unit_config(30, t, 0.0); };
    p.front_residual = zdt_residuals[i];
    p.known_points = zdt_known[i];
    all.push_back(std::move(p));
  }
  MultiObjectiveProblem d2 = unit_problem("dtlz2", "[0,1]^12, M = 3", 12, {1.1, 1.1, 1.1},
                                          1.1 * 1.1 * 1.1 - kPi / 6,
                                          [](const Vector& x) { return dtlz2(x, 3); });
  d2.pareto_config = [](const Vector& t) { return unit_config(12, t, 0.5); };
  d2.front_residual = [](const Vector& f) { return f[0] * f[0] + f[1] * f[1] + f[2] * f[2] - 1; };
  const double h = std::sqrt(0.5);
  d2.known_points = {{unit_config(12, {0.0, 0.0}, 0.5), {1.0, 0.0, 0.0}},
                     {unit_config(12, {1.0, 0.0}, 0.5), {std::cos(kPi / 2), 0.0, 1.0}},
                     {unit_config(12, {0.5, 0.5}, 0.5), {0.5, 0.5, h}},
                     {unit_config(12, {0.0, 0.5}, 1.0), {3.5 * h, 3.5 * h, 0.0}}};  // g = 10/4
  all.push_back(std::move(d2));
  for (MultiObjectiveProblem& p : more_problems()) all.push_back(std::move(p));
  for (MultiObjectiveProblem& p : wfg_problems()) all.push_back(std::move(p));

  const char* domain = "n_estimators 1..100 log, max_depth 1..6, eta [0.01,1] log, "
                       "min_child_weight [0.1,100] log, subsample [0.5,1], lambda [1e-3,100] log";
  std::string program = options.xgb_objective;
  for (const char* task : {"", "classification"}) {
    MultiObjectiveProblem xgb;
    bool regression = *task == '\0';
    xgb.name = regression ? "xgb" : "xgb_cls";
    xgb.domain = std::string(regression ? "XGBoost on Friedman #1: "
                                        : "XGBoost on Hastie et al.'s 10.2 (log-loss): ") + domain;
    xgb.dimension = 6;
    xgb.objective_names = {regression ? "error" : "logloss", "nodes"};
    xgb.reference = {regression ? 4.0 : 0.69, 2000.0};  // see mo_functions.h
    xgb.default_trials = 300;
    xgb.space.add_int("n_estimators", 1, 100).log()
        .add_int("max_depth", 1, 6)
        .add_float("eta", 0.01, 1.0).log()
        .add_float("min_child_weight", 0.1, 100.0).log()
        .add_float("subsample", 0.5, 1.0)
        .add_float("lambda", 1e-3, 100.0).log();
    xgb.space.validate();
    std::string t = task;
    xgb.evaluate = [program, t](const Config& c) { return run_xgb_objective(program, c, t); };
    all.push_back(std::move(xgb));
  }

  // Report order: ZDT, DTLZ, WFG, our variants, the real trade-offs (as mo_functions.py).
  const std::vector<std::string> order = {
      "zdt1", "zdt2", "zdt3", "zdt4", "zdt6", "zdt1_shifted", "dtlz1", "dtlz2", "dtlz3", "dtlz4",
      "dtlz5", "dtlz6", "dtlz7", "dtlz2_rotated", "wfg1", "wfg2", "wfg3", "wfg4", "wfg5", "wfg6",
      "wfg7", "wfg8", "wfg9", "convex_rotated", "mixed", "xgb", "xgb_cls"};
  auto rank = [&](const MultiObjectiveProblem& p) {
    auto it = std::find(order.begin(), order.end(), p.name);
    if (it == order.end()) throw std::logic_error("mo_functions: no place for " + p.name);
    return it - order.begin();
  };
  std::stable_sort(all.begin(), all.end(), [&](const MultiObjectiveProblem& a,
                                               const MultiObjectiveProblem& b) {
    return rank(a) < rank(b);
  });
  return all;
}

std::vector<std::string> multi_objective_self_check(
    const std::vector<MultiObjectiveProblem>& problems, std::string* log) {
  std::vector<std::string> failures;
  auto note = [&](const std::string& line) {
    if (log) *log += line + "\n";
  };
  auto close = [](double a, double b) { return std::abs(a - b) <= 1e-12 * std::max(1.0, std::abs(b)); };
  for (const MultiObjectiveProblem& p : problems) {
    // Hand-derived values at known points: Pareto-optimal ones and dominated ones.
    for (const auto& [config, expected] : p.known_points) {
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
    if (p.pareto_config && p.front_residual) {
      // 50 scattered Pareto-optimal points (Weyl, as mo_functions.py): each on the front's
      // equation (1e-9: acos and the like lose a few digits near the ends).
      const size_t dims = p.reference.size() - 1;
      double worst = 0;
      for (int i = 0; i < 50; ++i) {
        std::vector<double> t(dims);
        for (size_t j = 0; j < dims; ++j) {
          t[j] = frac(static_cast<double>(7 + i * dims + j + 1) * kPhi);
        }
        Config config = p.pareto_config(t);
        try {
          p.space.check(config);
        } catch (const std::exception& e) {
          failures.push_back(p.name + ": a Pareto-optimal point is not in the space: " + e.what());
          break;
        }
        worst = std::max(worst, std::abs(p.front_residual(p.evaluate(config))));
      }
      note(p.name + ": largest front-equation residual at 50 Pareto-optimal points " +
           json_number(worst, 3));
      if (!(worst <= 1e-9)) {
        failures.push_back(p.name + ": Pareto-optimal points off the front by " +
                           json_number(worst, 3));
      }
    }
    if (p.name == "xgb" || p.name == "xgb_cls") {
      // Determinism: the same configuration twice gives the same numbers.
      Config c = {{"n_estimators", int64_t{20}}, {"max_depth", int64_t{3}}, {"eta", 0.3},
                  {"min_child_weight", 1.0}, {"subsample", 0.8}, {"lambda", 1.0}};
      try {
        std::vector<double> a = p.evaluate(c), b = p.evaluate(c);
        note(p.name + " f = (" + json_number(a[0]) + ", " + json_number(a[1]) + ")");
        if (a != b) failures.push_back(p.name + ": two evaluations of one configuration differ");
        double low = p.name == "xgb" ? 1.0 : 0.0;
        if (!(a[0] > low && a[0] < p.reference[0]) || !(a[1] >= 3 && a[1] <= 20 * 15)) {
          failures.push_back(p.name + ": implausible objectives at a middling configuration");
        }
      } catch (const std::exception& e) {
        failures.push_back(p.name + ": " + e.what());
      }
    }
  }
  return failures;
}

}  // namespace winnow_bench

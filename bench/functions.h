// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Test functions with known optima for the sampler benchmarks (bench/sampler_suite.cc,
// bench/ask_time.cc). bench/functions.py holds the same definitions for the Optuna side;
// `sampler_suite --points` and `functions.py --check-points` cross-check the two, and both
// have a `--self-check` that evaluates each function at its known minimiser.
//
// Continuous functions name their parameters x0, x1, ... in input order. Constants follow
// Surjanovic & Bingham's Virtual Library of Simulation Experiments (sfu.ca/~ssurjano), as also
// used by BoTorch's test_functions/synthetic.py; docs/benchmarks.md ("Samplers") lists domains
// and optima.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "winnow/space.h"

namespace winnow_bench {

struct TestFunction {
  std::string name;         // "branin", "hartmann6", ... (the --functions names)
  std::string domain;       // the domain, for humans ("[-5,10]^4")
  int dimension = 0;        // parameters active at once
  // The global minimum. Exact where the minimiser is known in closed form; for Hartmann the
  // published 6-digit values are too coarse (a sampler could beat them), so these are refined
  // local minima from the published minimisers (see functions.cc).
  double optimum = 0.0;
  winnow::SearchSpace space;  // validated
  winnow::Config minimiser;   // a configuration at which evaluate() returns ~optimum
  std::function<double(const winnow::Config&)> evaluate;
};

// Every function, in the order reports list them. Built once; safe to share between threads.
const std::vector<TestFunction>& test_functions();
// nullptr if no function has this name.
const TestFunction* find_test_function(std::string_view name);

// Evaluates every function at its minimiser and checks the result against its optimum and its
// minimiser against its space. Returns one line per problem (empty when all is well); writes a
// line per function to `log` when it is not null.
std::vector<std::string> self_check(std::string* log = nullptr);

// --- Shared by the bench programs: one-line JSON output. They use only the public API, and the
// project's JSON library stays private to winnow_core, so this small writer lives here.

std::string json_string(std::string_view text);
// Round-trip precision by default; JSON has no NaN or infinity, so those become null.
std::string json_number(double value, int significant_digits = 17);
std::string json_value(const winnow::ParamValue& value);
std::string json_config(const winnow::Config& config);

// Builds {"key": value, ...} in insertion order.
class JsonLine {
 public:
  JsonLine& text(std::string_view key, std::string_view value) { return raw(key, json_string(value)); }
  JsonLine& number(std::string_view key, double value, int significant_digits = 17) {
    return raw(key, json_number(value, significant_digits));
  }
  JsonLine& integer(std::string_view key, int64_t value) { return raw(key, std::to_string(value)); }
  JsonLine& numbers(std::string_view key, const std::vector<double>& values);
  JsonLine& raw(std::string_view key, std::string_view json);
  std::string str() const { return body_.empty() ? "{}" : body_ + "}"; }

 private:
  std::string body_;
};

// Splits a --samplers list on commas, keeping the options of a spec together:
// "tpe:startup=10,multivariate=true,gp" -> {"tpe:startup=10,multivariate=true", "gp"}. A piece
// holding '=' but no ':' continues the spec before it.
std::vector<std::string> split_sampler_specs(std::string_view text);

}  // namespace winnow_bench

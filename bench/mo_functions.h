// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The problems of the multi-objective benchmark (bench/mo_suite.cc); bench/mo_functions.py holds
// the same definitions for the Optuna side (bench/optuna_mo.py). `mo_suite --points N` and
// `mo_functions.py --check-points` cross-check the two, and both check known Pareto-optimal
// points with --self-check.
//
//   zdt1, zdt2, zdt3  Zitzler, Deb, Thiele, "Comparison of multiobjective evolutionary
//                     algorithms: empirical results", Evolutionary Computation 8(2), 2000,
//                     with n = 30 parameters x0..x29 in [0, 1]. Two objectives.
//   dtlz2             Deb, Thiele, Laumanns, Zitzler, "Scalable test problems for evolutionary
//                     multiobjective optimization", 2005 (eq. 8), with M = 3 objectives and
//                     n = 12 parameters (k = n - M + 1 = 10).
//   xgb               a real trade-off: XGBoost's validation RMSE against its number of tree
//                     nodes, evaluated by the program bench/xgb_tradeoff_objective (both sides
//                     run it as a subprocess, so both optimise the same objectives).
//
// Every objective is minimised. Each problem has a fixed reference point for the hypervolume:
//   ZDT    (1.1, 11): 1.1 times the objectives' upper bounds over the whole box (f1 <= 1,
//          f2 <= g <= 10; ZDT3's f2 also goes down to -0.77, which needs nothing special). The
//          usual (1.1, 1.1) suits runs of ~25,000 evaluations: after 300 trials in 30
//          dimensions hardly any sampler has a point with f2 < 1.1 (NSGA-II and random search
//          stop at f2 ~ 2-4), so every hypervolume would be 0. The volume w.r.t. (1.1, 1.1) is
//          recorded too ("literature_reference").
//   DTLZ2  (1.1, 1.1, 1.1), the usual one (300 trials already reach 10-80 % of the optimum).
//   xgb    (4.0, 2000): an RMSE of 4 (predicting the training mean scores 5.0; the noise floor
//          is 1) and 2,000 nodes, which holds the whole interesting part of the front (in random
//          search the front ends below ~800 nodes).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "winnow/space.h"

namespace winnow_bench {

struct MultiObjectiveProblem {
  std::string name;            // "zdt1", ... (the --problems names)
  std::string domain;          // for humans
  int dimension = 0;
  std::vector<std::string> objective_names;
  std::vector<double> reference;  // the hypervolume's reference point, one per objective
  // The reference point the literature uses when it differs from `reference` (ZDT: (1.1, 1.1));
  // empty otherwise.
  std::vector<double> literature_reference;
  // The hypervolume of the true Pareto front w.r.t. `reference` and `literature_reference`,
  // where known (closed form for ZDT1, ZDT2 and DTLZ2; numerical for ZDT3); nullopt for xgb.
  std::optional<double> best_hypervolume;
  std::optional<double> best_literature_hypervolume;
  int default_trials = 300;    // the budget of the benchmark
  winnow::SearchSpace space;   // validated
  // The objective values (minimised). Throws std::runtime_error when the evaluation fails (the
  // xgb program missing or failing); the harness records that trial as failed.
  std::function<std::vector<double>(const winnow::Config&)> evaluate;
};

struct MultiObjectiveOptions {
  // Path of bench/xgb_tradeoff_objective for the xgb problem. Default: empty, in which case
  // evaluating xgb throws (the other problems do not need it).
  std::string xgb_objective;
};

// Every problem in report order. Safe to share between threads (xgb starts a process per call).
std::vector<MultiObjectiveProblem> multi_objective_problems(const MultiObjectiveOptions& options);

// Runs `program` on `config` (name=value arguments, floats printed with 17 significant digits)
// and returns {error, nodes} from its JSON line. Throws std::runtime_error on failure.
std::vector<double> run_xgb_objective(const std::string& program, const winnow::Config& config);

// Evaluates each analytic problem at known Pareto-optimal points (and xgb at one point when
// its program is set). Returns one line per problem found (empty when all is well); writes a
// line per check to `log` when it is not null.
std::vector<std::string> multi_objective_self_check(const std::vector<MultiObjectiveProblem>& problems,
                                                    std::string* log = nullptr);

}  // namespace winnow_bench

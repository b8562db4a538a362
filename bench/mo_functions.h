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
//   zdt4, zdt6        the same paper, n = 10: ZDT4 (x0 in [0, 1], x1..x9 in [-5, 5]; 21^9 local
//                     fronts) and ZDT6 ([0, 1]^10; non-uniform, f1 >= 0.2808 on the front).
//   dtlz1 .. dtlz7    Deb, Thiele, Laumanns, Zitzler, "Scalable test problems for evolutionary
//                     multiobjective optimization", 2005 (sec. 6.1-6.7), M = 3 objectives,
//                     n = M + k - 1 in [0, 1]^n with k = 5 (DTLZ1), 10 (DTLZ2-6), 20 (DTLZ7).
//                     DTLZ4 with alpha = 100; DTLZ5/6 map the angles as
//                     theta_i = pi / (4 (1 + g)) (1 + 2 g x_i), i >= 2.
//   wfg1 .. wfg9      Huband, Hingston, Barone, While, "A review of multiobjective test
//                     problems and a scalable test problem toolkit", IEEE Trans. Evolutionary
//                     Computation 10(5), 2006 (Table XIV), M = 2, k = 4 position and l = 4
//                     distance parameters, x_i in [0, 2(i+1)], S_m = 2m, D = 1.
//   zdt1_shifted      ZDT1 with the optimum of x_i (i >= 1) moved from 0 to
//                     a_i = 0.2 + 0.6 frac(i phi) (phi = (sqrt 5 - 1) / 2):
//                     g = 1 + 9 / 29 sum |x_i - a_i| / max(a_i, 1 - a_i), so g still spans
//                     [1, 10] and the optimum is no longer at a corner of the box.
//   dtlz2_rotated     DTLZ2 (n = 12) with its distance variables rotated: z = Q (x_D - 1/2),
//                     g = sum_i c_i z_i^2, c_i = 10^((2i - 9) / 9) (0.1 to 10). A rotation alone
//                     would change nothing: DTLZ2's g is a sphere about 1/2; the weights make it
//                     an ellipsoid whose axes are not the coordinate axes (non-separable). g = 0
//                     only at x_D = 1/2, so the front and Pareto set are DTLZ2's.
//   convex_rotated    f_j = |D Q (x - c_j)|^2 / |D Q (b - a)|^2 on [0, 1]^10, c_1 = a, c_2 = b,
//                     a_i = 0.25 + 0.5 frac((i + 1) phi), b_i = 0.25 + 0.5 frac((i + 1) phi + 1/2),
//                     D = diag(10^(i/9 - 1/2)) (0.32 to 3.2), Q a rotation. Scaling after the
//                     rotation makes it non-separable (D Q, not Q D, which would be |D (x - c)|).
//                     The Pareto set is the segment from a to b; the front
//                     sqrt(f1) + sqrt(f2) = 1 is convex.
//                     Q (both problems): the product of n Householder reflections with vectors
//                     from the same Weyl sequence (mo_functions_internal.h, rotation()).
//   mixed             a mixed, conditional space: shape in {concave, linear, convex}, x in [0, 1],
//                     an integer n in [0, 10], and y in [0, 1], active only for shape = convex.
//                     g = 1 + 0.1 (n - 3)^2 (+ 4 (y - 0.3)^2 for convex), f1 = x,
//                     f2 = g h(x), h = 1 - x^2, 1 - x, 1 - sqrt(x). The front is convex's at n = 3,
//                     y = 0.3 (ZDT1's), but convex needs y tuned: at random y its g is ~1.5, and
//                     linear with n = 3 looks as good at first.
//   xgb               a real trade-off: XGBoost's validation RMSE against its number of tree
//                     nodes, evaluated by the program bench/xgb_tradeoff_objective (both sides
//                     run it as a subprocess, so both optimise the same objectives).
//   xgb_cls           the same program with task=classification: XGBoost's validation log-loss
//                     against its nodes on Hastie et al.'s 10.2 data (binary), same space.
//
// Every objective is minimised. Each problem has a fixed reference point for the hypervolume:
//   ZDT1-3 (1.1, 11): 1.1 times the objectives' upper bounds over the whole box (f1 <= 1,
//          f2 <= g <= 10; ZDT3's f2 also goes down to -0.77, which needs nothing special). The
//          usual (1.1, 1.1) suits runs of ~25,000 evaluations: after 300 trials in 30
//          dimensions hardly any sampler has a point with f2 < 1.1 (NSGA-II and random search
//          stop at f2 ~ 2-4), so every hypervolume would be 0. The volume w.r.t. (1.1, 1.1) is
//          recorded too ("literature_reference").
//   DTLZ2  (1.1, 1.1, 1.1), the usual one (300 trials already reach 10-80 % of the optimum).
//   the later analytic problems: per objective, max(1.1 x the true front's nadir, the median
//          over 10,000 uniformly random points of the space), rounded up to 2 significant
//          digits (bench/mo_reference_points.py derives and checks them), so that the whole
//          front counts and any point better than a typical random one adds volume:
//            zdt4 (1.1, 160)         zdt6 (1.1, 8.5)          zdt1_shifted (1.1, 3.4)
//            dtlz1 (48, 47, 130)     dtlz3 (370, 380, 730)    dtlz4 (1.9, 1.1, 1.1)
//            dtlz5 (0.81, 0.81, 1.3) dtlz6 (3.7, 3.8, 7.3)    dtlz7 (0.95, 0.95, 19)
//            dtlz2_rotated (1.1, 1.1, 1.9)                    convex_rotated (1.5, 1.6)
//            wfg1 (3.0, 4.6)  wfg6 (2.3, 4.4)  the other WFG (2.2, 4.4)   mixed (1.1, 1.1)
//          WFG1's front in double precision lies 0.1107 further out than on paper
//          (mo_functions_wfg.cc says why); its nadir is that front's.
//   xgb    (4.0, 2000): an RMSE of 4 (predicting the training mean scores 5.0; the noise floor
//          is 1) and 2,000 nodes, which holds the whole interesting part of the front (in random
//          search the front ends below ~800 nodes).
//   xgb_cls (0.69, 2000): a log-loss just below ln 2 = 0.693, what predicting 1/2 (XGBoost's
//          base score; the classes are balanced) scores, so only models that learnt something
//          count, and 2,000 nodes as for xgb.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
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
  // where known (closed forms, or numerical integrals: ZDT3, DTLZ7, WFG1, WFG2); nullopt for
  // xgb and xgb_cls.
  std::optional<double> best_hypervolume;
  std::optional<double> best_literature_hypervolume;
  int default_trials = 300;    // the budget of the benchmark
  winnow::SearchSpace space;   // validated
  // The objective values (minimised). Throws std::runtime_error when the evaluation fails (the
  // xgb program missing or failing); the harness records that trial as failed.
  std::function<std::vector<double>(const winnow::Config&)> evaluate;

  // For the checks (empty for xgb and xgb_cls). pareto_config maps t in [0, 1]^(M-1) to a
  // Pareto-optimal configuration, such that a grid of t covers the whole front (--self-check:
  // the hypervolume of that grid's values approaches best_hypervolume). front_residual is the
  // true front's equation, 0 on it. known_points: configurations with objective values derived
  // by hand (in the comments where the problems are defined).
  std::function<winnow::Config(const std::vector<double>& t)> pareto_config;
  std::function<double(const std::vector<double>& f)> front_residual;
  std::vector<std::pair<winnow::Config, std::vector<double>>> known_points;
};

struct MultiObjectiveOptions {
  // Path of bench/xgb_tradeoff_objective for the xgb and xgb_cls problems. Default: empty, in
  // which case evaluating them throws (the other problems do not need it).
  std::string xgb_objective;
};

// Every problem in report order: ZDT, DTLZ, WFG, our variants, xgb and xgb_cls. Safe to share
// between threads (xgb starts a process per call).
std::vector<MultiObjectiveProblem> multi_objective_problems(const MultiObjectiveOptions& options);

// Runs `program` on `config` (name=value arguments, floats printed with 17 significant digits;
// then task=TASK unless `task` is empty) and returns {error, nodes} from its JSON line. Throws
// std::runtime_error on failure.
std::vector<double> run_xgb_objective(const std::string& program, const winnow::Config& config,
                                      const std::string& task = "");

// Evaluates each analytic problem at its known points and at 50 scattered Pareto-optimal points
// (front_residual), and xgb and xgb_cls twice at one point when the program is set. Returns one
// line per problem found (empty when all is well); writes a line per check to `log` when it is
// not null.
std::vector<std::string> multi_objective_self_check(
    const std::vector<MultiObjectiveProblem>& problems, std::string* log = nullptr);

}  // namespace winnow_bench

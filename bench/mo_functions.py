#!/usr/bin/python3
# Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
"""The multi-objective benchmark's problems, for the Optuna side: the same definitions as
bench/mo_functions.cc (and mo_functions_more.cc, mo_functions_wfg.cc), formula for formula, with
the same reference points. bench/mo_functions.h describes every problem, its source and its
reference point; this module holds ZDT1-3, DTLZ2 and the XGBoost trade-offs and gathers the
others from mo_functions_more.py (ZDT4, ZDT6, DTLZ1, DTLZ3-7, zdt1_shifted, dtlz2_rotated,
convex_rotated, mixed) and mo_functions_wfg.py (WFG1-9).

  zdt1, zdt2, zdt3  Zitzler, Deb, Thiele (2000), n = 30, x in [0, 1]^30, reference (1.1, 11):
                    1.1 times the objectives' upper bounds over the box (f1 <= 1, f2 <= 10).
                    The literature's (1.1, 1.1) suits ~25,000 evaluations; after 300 trials in
                    30 dimensions hardly any sampler gets below f2 = 1.1, so every volume would
                    be 0. The volume w.r.t. (1.1, 1.1) is recorded as well.
  dtlz2             Deb, Thiele, Laumanns, Zitzler (2005), M = 3, n = 12 (k = 10),
                    reference (1.1, 1.1, 1.1)
  xgb               XGBoost's validation RMSE vs its number of tree nodes, evaluated by the C++
                    program bench/xgb_tradeoff_objective (the same one Winnow's harness runs),
                    reference (4.0, 2000): an RMSE of 4 (the constant predictor scores 5.0, the
                    noise floor is 1) and 2,000 nodes
  xgb_cls           the same program with task=classification: validation log-loss vs nodes on
                    Hastie et al.'s 10.2 data, reference (0.69, 2000): just below ln 2, what
                    predicting 1/2 scores
  the others        reference points from bench/mo_reference_points.py

Every objective is minimised. ZDT3's f2 goes down to -0.77; the reference bounds the volume
from above only, so that needs nothing special.

  /usr/bin/python3 bench/mo_functions.py --self-check --xgb-objective build/bench/xgb_tradeoff_objective
  build/bench/mo_suite --points 20 > points.jsonl
  /usr/bin/python3 bench/mo_functions.py --check-points points.jsonl --xgb-objective ...
"""

import argparse
import json
import math
import subprocess
import sys

import mo_functions_more
import mo_functions_wfg
from mo_functions_base import PI, Problem, unit_box, vec, weyl_points

def zdt_g(x):
    return 1 + 9 * sum(x[1:]) / (len(x) - 1)


def zdt1(x):
    f1, g = x[0], zdt_g(x)
    return [f1, g * (1 - math.sqrt(f1 / g))]


def zdt2(x):
    f1, g = x[0], zdt_g(x)
    return [f1, g * (1 - (f1 / g) * (f1 / g))]


def zdt3(x):
    f1, g = x[0], zdt_g(x)
    return [f1, g * (1 - math.sqrt(f1 / g) - (f1 / g) * math.sin(10 * PI * f1))]


def dtlz2(x, m):
    g = 0.0
    for v in x[m - 1:]:
        g += (v - 0.5) * (v - 0.5)
    f = []
    for j in range(m):
        value = 1 + g
        for i in range(m - 1 - j):
            value *= math.cos(x[i] * PI / 2)
        if j > 0:
            value *= math.sin(x[m - 1 - j] * PI / 2)
        f.append(value)
    return f


def format_arg(value):
    """int -> "12"; float -> its shortest round-trip repr (C++ prints 17 digits; both parse to
    the same double in the program)."""
    if isinstance(value, bool):
        raise ValueError("boolean parameter")
    return str(value) if isinstance(value, int) else repr(float(value))


def run_xgb_objective(program, config, task=None):
    """[error, nodes] from bench/xgb_tradeoff_objective (task: None for the regression of xgb,
    "classification" for xgb_cls); RuntimeError when it fails."""
    if not program:
        raise RuntimeError("xgb: no path to xgb_tradeoff_objective (--xgb-objective)")
    args = [program] + ["%s=%s" % (k, format_arg(v)) for k, v in sorted(config.items())]
    if task:
        args.append("task=" + task)
    try:
        done = subprocess.run(args, capture_output=True, text=True)
    except OSError as e:
        raise RuntimeError("xgb: cannot run %s: %s" % (program, e))
    if done.returncode != 0:
        raise RuntimeError("xgb: %s failed (status %d): %s" % (
            " ".join(args), done.returncode, (done.stdout + done.stderr).strip()))
    out = json.loads(done.stdout)
    return [float(out["error"]), float(out["nodes"])]


def analytic(name, domain, d, objectives, reference, best, f, literature=None, literature_best=None,
             **checks):
    return Problem(name, domain, unit_box(d), objectives, reference, best, 300,
                   lambda c: f(vec(c, d)), literature, literature_best, **checks)


def unit(d, head, rest):
    return {"x%d" % i: (head[i] if i < len(head) else rest) for i in range(d)}


def zdt(name, f, literature_best, residual, known):
    # Against (1.1, 11) the front adds the strip [0, 1.1] x [1.1, 11]: 1.1 * 9.9.
    return analytic(name, "[0,1]^30", 30, ["f1", "f2"], [1.1, 11.0], literature_best + 1.1 * 9.9,
                    f, [1.1, 1.1], literature_best, pareto_config=lambda t: unit(30, t, 0.0),
                    front_residual=residual, known_points=known, nadir=[1.0, 1.0])


def zdt3_residual(f):
    # On g = 1 every f1 gives f2 = 1 - sqrt(f1) - f1 sin(10 pi f1) (the front is the part of
    # that curve no other part dominates).
    return f[1] - (1 - math.sqrt(f[0]) - f[0] * math.sin(10 * PI * f[0]))


# Report order: the ZDT problems, DTLZ, WFG, our variants, the real trade-offs.
ORDER = (["zdt1", "zdt2", "zdt3", "zdt4", "zdt6", "zdt1_shifted", "dtlz1", "dtlz2", "dtlz3",
          "dtlz4", "dtlz5", "dtlz6", "dtlz7", "dtlz2_rotated"] + ["wfg%d" % i for i in range(1, 10)]
         + ["convex_rotated", "mixed", "xgb", "xgb_cls"])
XGB_DOMAIN = ("n_estimators 1..100 log, max_depth 1..6, eta [0.01,1] log, min_child_weight "
              "[0.1,100] log, subsample [0.5,1], lambda [1e-3,100] log")


def problems(xgb_objective=None):
    """Every problem in report order, as {name: Problem}."""
    xgb_params = [
        ("n_estimators", "int", 1, 100, True),
        ("max_depth", "int", 1, 6, False),
        ("eta", "float", 0.01, 1.0, True),
        ("min_child_weight", "float", 0.1, 100.0, True),
        ("subsample", "float", 0.5, 1.0, False),
        ("lambda", "float", 1e-3, 100.0, True),
    ]
    h = math.sqrt(0.5)
    all_ = [
        # True fronts' hypervolumes: see bench/mo_functions.cc.
        zdt("zdt1", zdt1, 0.21 + 2.0 / 3.0, lambda f: f[1] - (1 - math.sqrt(f[0])),
            [(unit(30, [0.25], 0.0), [0.25, 0.5]), (unit(30, [1.0], 0.0), [1.0, 0.0]),
             (unit(30, [0.0], 1.0), [0.0, 10.0])]),
        zdt("zdt2", zdt2, 0.21 + 1.0 / 3.0, lambda f: f[1] - (1 - f[0] * f[0]),
            [(unit(30, [0.5], 0.0), [0.5, 0.75]), (unit(30, [1.0], 1.0), [1.0, 10 * (1 - 0.01)])]),
        zdt("zdt3", zdt3, 1.3317629, zdt3_residual,
            [(unit(30, [0.25], 0.0), [0.25, 1 - 0.5 - 0.25]), (unit(30, [0.0], 0.0), [0.0, 1.0])]),
        analytic("dtlz2", "[0,1]^12, M = 3", 12, ["f1", "f2", "f3"], [1.1, 1.1, 1.1],
                 1.1 * 1.1 * 1.1 - PI / 6, lambda x: dtlz2(x, 3),
                 pareto_config=lambda t: unit(12, t, 0.5),
                 front_residual=lambda f: sum(v * v for v in f) - 1, nadir=[1.0, 1.0, 1.0],
                 known_points=[(unit(12, [0.0, 0.0], 0.5), [1.0, 0.0, 0.0]),
                               (unit(12, [1.0, 0.0], 0.5), [math.cos(PI / 2), 0.0, 1.0]),
                               (unit(12, [0.5, 0.5], 0.5), [0.5, 0.5, h]),
                               (unit(12, [0.0, 0.5], 1.0), [3.5 * h, 3.5 * h, 0.0])]),
        Problem("xgb", "XGBoost on Friedman #1: " + XGB_DOMAIN, xgb_params, ["error", "nodes"],
                [4.0, 2000.0], None, 300, lambda c: run_xgb_objective(xgb_objective, c)),
        # The reference: see bench/mo_functions.h.
        Problem("xgb_cls", "XGBoost on Hastie et al.'s 10.2 (log-loss): " + XGB_DOMAIN,
                xgb_params, ["logloss", "nodes"], [0.69, 2000.0], None, 300,
                lambda c: run_xgb_objective(xgb_objective, c, "classification")),
    ] + mo_functions_more.problems() + mo_functions_wfg.problems()
    by_name = {p.name: p for p in all_}
    assert sorted(by_name) == sorted(ORDER), "ORDER misses a problem"
    return {name: by_name[name] for name in ORDER}


def select(all_, names):
    """'all' or a comma-separated list of names -> [Problem]; raises SystemExit on a typo."""
    if names == "all":
        return list(all_.values())
    out = []
    for name in filter(None, names.split(",")):
        if name not in all_:
            sys.exit("unknown problem %r; known: %s" % (name, ", ".join(all_)))
        out.append(all_[name])
    return out


def close(a, b):
    return math.isclose(a, b, rel_tol=0, abs_tol=1e-12 * max(1.0, abs(b)))


def self_check(all_):
    """Hand-derived values at known points (the cases of the C++ self-check), the true front's
    equation at scattered Pareto-optimal points, and the xgb programs' determinism."""
    failed = False

    def fail(name, problem):
        nonlocal failed
        print("self-check FAILED: %s: %s" % (name, problem), file=sys.stderr)
        failed = True

    for p in all_.values():
        for config, expected in p.known_points:
            problems = p.check_member(config)
            f = p.evaluate(config)
            ok = len(f) == len(expected) and all(close(a, b) for a, b in zip(f, expected))
            print("%s f = (%s)%s" % (p.name, ", ".join(repr(v) for v in f),
                                     "" if ok else "  <- expected otherwise"))
            if not ok:
                problems.append("f(%s) = %r, expected %r" % (json.dumps(config), f, expected))
            for problem in problems:
                fail(p.name, problem)
        if p.pareto_config:
            # 50 scattered positions: each value on the front's equation (1e-9: acos and the
            # like lose a few digits near the ends).
            worst = 0.0
            for t in weyl_points(50, len(p.reference) - 1, 7):
                config = p.pareto_config(t)
                for problem in p.check_member(config):
                    fail(p.name, "a Pareto-optimal point is not in the space: " + problem)
                worst = max(worst, abs(p.front_residual(p.evaluate(config))))
            print("%s: largest front-equation residual at 50 Pareto-optimal points %.3g" % (
                p.name, worst))
            if not worst <= 1e-9:
                fail(p.name, "Pareto-optimal points off the front by %g" % worst)
        if p.name.startswith("xgb"):
            config = {"n_estimators": 20, "max_depth": 3, "eta": 0.3, "min_child_weight": 1.0,
                      "subsample": 0.8, "lambda": 1.0}
            try:
                a, b = p.evaluate(config), p.evaluate(config)
                print("%s f = (%r, %r)" % ((p.name,) + tuple(a)))
                if a != b:
                    fail(p.name, "two evaluations of one configuration differ")
            except RuntimeError as e:
                fail(p.name, str(e))
    if not failed:
        print("self-check passed: %d problems" % len(all_))
    return 1 if failed else 0


def check_points(all_, path):
    """Evaluates the points `mo_suite --points N` printed and compares the objective values."""
    mismatches, count, seen = 0, 0, set()
    with open(path) as lines:
        for line in lines:
            if not line.strip():
                continue
            row = json.loads(line)
            count += 1
            name = row["problem"]
            seen.add(name)
            if name not in all_:
                print("MISMATCH: C++ has a problem %r that Python does not" % name)
                mismatches += 1
                continue
            p = all_[name]
            problems = p.check_member(row["config"])
            if problems:
                print("MISMATCH %s: C++ point %s is not in the Python space: %s" % (
                    name, json.dumps(row["config"]), "; ".join(problems)))
                mismatches += 1
                continue
            for key in ("reference", "literature_reference"):
                if row.get(key) != getattr(p, key):
                    print("MISMATCH %s: C++ %s %r, Python %r" % (name, key, row.get(key), getattr(p, key)))
                    mismatches += 1
            values = p.evaluate(row["config"])
            expected = row["values"]
            if len(values) != len(expected) or not all(
                    math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) for a, b in zip(values, expected)):
                print("MISMATCH %s at %s: C++ %r, Python %r" % (
                    name, json.dumps(row["config"]), expected, values))
                mismatches += 1
    for name in all_:
        if name not in seen:
            print("MISMATCH: Python has a problem %r that C++ did not print" % name)
            mismatches += 1
    print("cross-check: %d points, %d problems, %d mismatches" % (count, len(seen), mismatches))
    return 1 if mismatches else 0


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--self-check", action="store_true")
    parser.add_argument("--check-points", metavar="FILE")
    parser.add_argument("--list", action="store_true")
    parser.add_argument("--xgb-objective", metavar="PATH",
                        help="bench/xgb_tradeoff_objective (for the xgb and xgb_cls problems)")
    args = parser.parse_args()
    all_ = problems(args.xgb_objective)
    if args.list:
        for p in all_.values():
            print("%-6s d=%-3d m=%d trials=%-4d reference=%r best_hv=%s%s\n  %s" % (
                p.name, p.dimension, len(p.reference), p.default_trials, tuple(p.reference),
                "%.8g" % p.best_hypervolume if p.best_hypervolume else "-",
                " literature=%r best_hv=%.8g" % (tuple(p.literature_reference), p.best_literature_hypervolume)
                if p.literature_reference else "", p.domain))
        return 0
    if args.check_points:
        return check_points(all_, args.check_points)
    if args.self_check:
        return self_check(all_)
    parser.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())

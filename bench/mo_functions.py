#!/usr/bin/python3
# Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
"""The multi-objective benchmark's problems, for the Optuna side: the same definitions as
bench/mo_functions.cc, formula for formula, with the same reference points.

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

Every objective is minimised. ZDT3's f2 goes down to -0.77; the reference bounds the volume
from above only, so that needs nothing special. bench/mo_functions.h says more.

  /usr/bin/python3 bench/mo_functions.py --self-check --xgb-objective build/bench/xgb_tradeoff_objective
  build/bench/mo_suite --points 20 > points.jsonl
  /usr/bin/python3 bench/mo_functions.py --check-points points.jsonl --xgb-objective ...
"""

import argparse
import json
import math
import subprocess
import sys

PI = math.pi


class Problem:
    """params: [(name, "float"|"int", low, high, log)] in the order of the C++ space."""

    def __init__(self, name, domain, params, objective_names, reference, best_hypervolume,
                 default_trials, evaluate, literature_reference=None,
                 best_literature_hypervolume=None):
        self.name = name
        self.domain = domain
        self.params = params
        self.dimension = len(params)
        self.objective_names = objective_names
        self.reference = reference
        self.best_hypervolume = best_hypervolume
        self.default_trials = default_trials
        self.evaluate = evaluate
        self.literature_reference = literature_reference  # None: the same as `reference`
        self.best_literature_hypervolume = best_literature_hypervolume

    def distributions(self):
        import optuna
        d = optuna.distributions
        return {n: (d.IntDistribution(lo, hi, log=log) if kind == "int"
                    else d.FloatDistribution(lo, hi, log=log))
                for n, kind, lo, hi, log in self.params}

    def check_member(self, config):
        """Problems with `config` as a member of this problem's space (empty list: fine)."""
        problems = []
        expected = {n for n, *_ in self.params}
        if set(config) != expected:
            problems.append("parameters %s, expected %s" % (sorted(config), sorted(expected)))
        for n, kind, lo, hi, _ in self.params:
            if n not in config:
                continue
            v = config[n]
            if kind == "int" and (not isinstance(v, int) or isinstance(v, bool)):
                problems.append("%s = %r is not an integer" % (n, v))
            elif not lo <= v <= hi:
                problems.append("%s = %r outside [%r, %r]" % (n, v, lo, hi))
        return problems


def vec(config, d):
    return [float(config["x%d" % i]) for i in range(d)]


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


def run_xgb_objective(program, config):
    """[error, nodes] from bench/xgb_tradeoff_objective; RuntimeError when it fails."""
    if not program:
        raise RuntimeError("xgb: no path to xgb_tradeoff_objective (--xgb-objective)")
    args = [program] + ["%s=%s" % (k, format_arg(v)) for k, v in sorted(config.items())]
    try:
        done = subprocess.run(args, capture_output=True, text=True)
    except OSError as e:
        raise RuntimeError("xgb: cannot run %s: %s" % (program, e))
    if done.returncode != 0:
        raise RuntimeError("xgb: %s failed (status %d): %s" % (
            " ".join(args), done.returncode, (done.stdout + done.stderr).strip()))
    out = json.loads(done.stdout)
    return [float(out["error"]), float(out["nodes"])]


def unit_box(d):
    return [("x%d" % i, "float", 0.0, 1.0, False) for i in range(d)]


def analytic(name, domain, d, objectives, reference, best, f, literature=None, literature_best=None):
    return Problem(name, domain, unit_box(d), objectives, reference, best, 300,
                   lambda c: f(vec(c, d)), literature, literature_best)


def zdt(name, f, literature_best):
    # Against (1.1, 11) the front adds the strip [0, 1.1] x [1.1, 11]: 1.1 * 9.9.
    return analytic(name, "[0,1]^30", 30, ["f1", "f2"], [1.1, 11.0], literature_best + 1.1 * 9.9,
                    f, [1.1, 1.1], literature_best)


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
    all_ = [
        # True fronts' hypervolumes: see bench/mo_functions.cc.
        zdt("zdt1", zdt1, 0.21 + 2.0 / 3.0),
        zdt("zdt2", zdt2, 0.21 + 1.0 / 3.0),
        zdt("zdt3", zdt3, 1.3317629),
        analytic("dtlz2", "[0,1]^12, M = 3", 12, ["f1", "f2", "f3"], [1.1, 1.1, 1.1],
                 1.1 * 1.1 * 1.1 - PI / 6, lambda x: dtlz2(x, 3)),
        Problem("xgb", "XGBoost on Friedman #1: n_estimators 1..100 log, max_depth 1..6, eta "
                "[0.01,1] log, min_child_weight [0.1,100] log, subsample [0.5,1], lambda "
                "[1e-3,100] log", xgb_params, ["error", "nodes"], [4.0, 2000.0], None, 300,
                lambda c: run_xgb_objective(xgb_objective, c)),
    ]
    return {p.name: p for p in all_}


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


def self_check(all_):
    """Pareto-optimal points of the analytic problems (the cases of mo_functions.cc) and the
    xgb program's determinism."""
    h = math.sqrt(0.5)

    def unit(d, head, rest):
        return {"x%d" % i: (head[i] if i < len(head) else rest) for i in range(d)}

    cases = {
        "zdt1": [(unit(30, [0.25], 0.0), [0.25, 0.5]), (unit(30, [1.0], 0.0), [1.0, 0.0]),
                 (unit(30, [0.0], 1.0), [0.0, 10.0])],
        "zdt2": [(unit(30, [0.5], 0.0), [0.5, 0.75]), (unit(30, [1.0], 1.0), [1.0, 10 * (1 - 0.01)])],
        "zdt3": [(unit(30, [0.25], 0.0), [0.25, 1 - 0.5 - 0.25]), (unit(30, [0.0], 0.0), [0.0, 1.0])],
        "dtlz2": [(unit(12, [0.0, 0.0], 0.5), [1.0, 0.0, 0.0]),
                  (unit(12, [1.0, 0.0], 0.5), [math.cos(PI / 2), 0.0, 1.0]),
                  (unit(12, [0.5, 0.5], 0.5), [0.5, 0.5, h]),
                  (unit(12, [0.0, 0.5], 1.0), [3.5 * h, 3.5 * h, 0.0])],
    }
    failed = False
    for p in all_.values():
        for config, expected in cases.get(p.name, []):
            problems = p.check_member(config)
            f = p.evaluate(config)
            ok = len(f) == len(expected) and all(
                math.isclose(a, b, rel_tol=0, abs_tol=1e-12 * max(1.0, abs(b))) for a, b in zip(f, expected))
            print("%s f = (%s)%s" % (p.name, ", ".join(repr(v) for v in f), "" if ok else "  <- expected otherwise"))
            if not ok:
                problems.append("f(%s) = %r, expected %r" % (json.dumps(config), f, expected))
            for problem in problems:
                print("self-check FAILED: %s: %s" % (p.name, problem), file=sys.stderr)
                failed = True
        if p.name == "xgb":
            config = {"n_estimators": 20, "max_depth": 3, "eta": 0.3, "min_child_weight": 1.0,
                      "subsample": 0.8, "lambda": 1.0}
            try:
                a, b = p.evaluate(config), p.evaluate(config)
                print("xgb f = (%r, %r)" % tuple(a))
                if a != b:
                    print("self-check FAILED: xgb: two evaluations of one configuration differ",
                          file=sys.stderr)
                    failed = True
            except RuntimeError as e:
                print("self-check FAILED: xgb: %s" % e, file=sys.stderr)
                failed = True
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
                        help="bench/xgb_tradeoff_objective (needed for the xgb problem)")
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

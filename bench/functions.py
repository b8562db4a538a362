#!/usr/bin/python3
# Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
"""The sampler benchmark's test functions, for the Optuna side: the same definitions as
bench/functions.cc, formula for formula (constants: Surjanovic & Bingham's Virtual Library of
Simulation Experiments, as in BoTorch's test_functions/synthetic.py).

  /usr/bin/python3 bench/functions.py --self-check          # each function at its minimiser
  build/bench/sampler_suite --points 20 > points.jsonl
  /usr/bin/python3 bench/functions.py --check-points points.jsonl   # C++ and Python agree

Each Function has `suggest(trial)`, which draws its parameters with Optuna's define-by-run API
(conditional parameters only in their branch), and `distributions()`, the fixed search space for
study.ask(...) when the function has no conditional parameters (None otherwise).
"""

import argparse
import json
import math
import sys

PI = math.pi


class Function:
    def __init__(self, name, domain, dimension, optimum, minimiser, evaluate, params, suggest=None):
        self.name = name
        self.domain = domain
        self.dimension = dimension
        self.optimum = optimum
        self.minimiser = minimiser
        self.evaluate = evaluate
        # Flat functions: [(name, low, high)] floats. Conditional ones pass suggest and params=None.
        self.params = params
        self._suggest = suggest

    def distributions(self):
        if self.params is None:
            return None
        import optuna
        return {n: optuna.distributions.FloatDistribution(lo, hi) for n, lo, hi in self.params}

    def suggest(self, trial):
        if self._suggest is not None:
            return self._suggest(trial)
        return {n: trial.suggest_float(n, lo, hi) for n, lo, hi in self.params}

    def check_member(self, config):
        """Problems with `config` as a member of this function's space (empty list: fine)."""
        if self.params is not None:
            expected = {n: (lo, hi) for n, lo, hi in self.params}
            problems = []
            if set(config) != set(expected):
                problems.append("parameters %s, expected %s" % (sorted(config), sorted(expected)))
            for n, (lo, hi) in expected.items():
                if n in config and not lo <= config[n] <= hi:
                    problems.append("%s = %r outside [%r, %r]" % (n, config[n], lo, hi))
            return problems
        return mixed_check(config)


def box(d, lo, hi):
    return [("x%d" % i, lo, hi) for i in range(d)]


def vec(config, d):
    return [float(config["x%d" % i]) for i in range(d)]


def branin(x):
    b, c, r, s, t = 5.1 / (4 * PI * PI), 5 / PI, 6.0, 10.0, 1 / (8 * PI)
    u = x[1] - b * x[0] * x[0] + c * x[0] - r
    return u * u + s * (1 - t) * math.cos(x[0]) + s


ALPHA = [1.0, 1.2, 3.0, 3.2]
H3_A = [[3.0, 10, 30], [0.1, 10, 35], [3.0, 10, 30], [0.1, 10, 35]]
H3_P = [[3689, 1170, 2673], [4699, 4387, 7470], [1091, 8732, 5547], [381, 5743, 8828]]
H6_A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14],
        [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
H6_P = [[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]]


def hartmann(x, a, p):
    total = 0.0
    for i in range(4):
        inner = sum(a[i][j] * (x[j] - 1e-4 * p[i][j]) ** 2 for j in range(len(x)))
        total += ALPHA[i] * math.exp(-inner)
    return -total


def rosenbrock(x):
    return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (x[i] - 1) ** 2 for i in range(len(x) - 1))


def ackley(x):
    d = len(x)
    squares = sum(v * v for v in x)
    cosines = sum(math.cos(2 * PI * v) for v in x)
    return -20 * math.exp(-0.2 * math.sqrt(squares / d)) - math.exp(cosines / d) + 20 + math.e


def levy(x):
    w = [1 + (v - 1) / 4 for v in x]
    total = math.sin(PI * w[0]) ** 2
    for i in range(len(x) - 1):
        total += (w[i] - 1) ** 2 * (1 + 10 * math.sin(PI * w[i] + 1) ** 2)
    total += (w[-1] - 1) ** 2 * (1 + math.sin(2 * PI * w[-1]) ** 2)
    return total


def styblinski_tang(x):
    return 0.5 * sum(v ** 4 - 16 * v * v + 5 * v for v in x)


# The mixed, conditional function (see bench/functions.cc for why it is shaped this way).
# Batch is an ordinal in Winnow; Optuna has no ordinal, so it is a categorical of ints there.
MODELS = ["linear", "tree", "knn"]
BATCHES = [16, 32, 64, 128, 256]
BATCH_PENALTY = {16: 0.4, 32: 0.15, 64: 0.05, 128: 0.0, 256: 0.1}
WEIGHTS = ["uniform", "distance"]


def mixed(c):
    batch = c["batch"]
    best_log_lr = -3.5 + 0.25 * math.log2(batch / 16)
    lr_gap = math.log10(c["lr"]) - best_log_lr
    dropout_gap = c["dropout"] - 0.15
    common = 0.2 * lr_gap ** 2 + BATCH_PENALTY[batch] + 2 * dropout_gap ** 2
    model = c["model"]
    if model == "linear":
        branch = 0.30 + 0.1 * (math.log10(c["alpha"]) + 3) ** 2 + 0.5 * (c["l1_ratio"] - 0.25) ** 2
    elif model == "tree":
        branch = 0.15 + 0.02 * (c["depth"] - 9) ** 2 + 0.08 * (math.log2(c["min_leaf"]) - 3) ** 2
    elif model == "knn":
        k_gap = math.log2(c["k"]) - 5
        branch = 1.2 * (1 - math.exp(-k_gap * k_gap / 0.8)) + (0.25 if c["weights"] == "uniform" else 0.0)
    else:
        raise ValueError("mixed: unknown model %r" % model)
    return common + branch


def mixed_suggest(trial):
    c = {
        "model": trial.suggest_categorical("model", MODELS),
        "lr": trial.suggest_float("lr", 1e-4, 1.0, log=True),
        "batch": trial.suggest_categorical("batch", BATCHES),
        "dropout": trial.suggest_float("dropout", 0.0, 0.5, step=0.05),
    }
    if c["model"] == "linear":
        c["alpha"] = trial.suggest_float("alpha", 1e-6, 1.0, log=True)
        c["l1_ratio"] = trial.suggest_float("l1_ratio", 0.0, 1.0)
    elif c["model"] == "tree":
        c["depth"] = trial.suggest_int("depth", 1, 20)
        c["min_leaf"] = trial.suggest_int("min_leaf", 1, 1024, log=True)
    else:
        c["k"] = trial.suggest_int("k", 1, 256, log=True)
        c["weights"] = trial.suggest_categorical("weights", WEIGHTS)
    return c


def mixed_check(c):
    problems = []
    branch = {"linear": {"alpha", "l1_ratio"}, "tree": {"depth", "min_leaf"},
              "knn": {"k", "weights"}}.get(c.get("model"))
    if branch is None:
        return ["model = %r is not one of %s" % (c.get("model"), MODELS)]
    expected = {"model", "lr", "batch", "dropout"} | branch
    if set(c) != expected:
        problems.append("parameters %s, expected %s" % (sorted(c), sorted(expected)))
        return problems

    def within(name, lo, hi, integer=False):
        v = c[name]
        if integer and (not isinstance(v, int) or isinstance(v, bool)):
            problems.append("%s = %r is not an integer" % (name, v))
        elif not lo <= v <= hi:
            problems.append("%s = %r outside [%r, %r]" % (name, v, lo, hi))

    within("lr", 1e-4, 1.0)
    within("dropout", 0.0, 0.5)
    if abs(c["dropout"] / 0.05 - round(c["dropout"] / 0.05)) > 1e-9:
        problems.append("dropout = %r is not a multiple of 0.05" % c["dropout"])
    if c["batch"] not in BATCHES:
        problems.append("batch = %r is not one of %s" % (c["batch"], BATCHES))
    if c["model"] == "linear":
        within("alpha", 1e-6, 1.0)
        within("l1_ratio", 0.0, 1.0)
    elif c["model"] == "tree":
        within("depth", 1, 20, integer=True)
        within("min_leaf", 1, 1024, integer=True)
    else:
        within("k", 1, 256, integer=True)
        if c["weights"] not in WEIGHTS:
            problems.append("weights = %r is not one of %s" % (c["weights"], WEIGHTS))
    return problems


def flat(name, domain, params, optimum, minimiser, f):
    d = len(params)
    point = {"x%d" % i: v for i, v in enumerate(minimiser)}
    return Function(name, domain, d, optimum, point, lambda c: f(vec(c, d)), params)


# Same order, names, domains and optima as bench/functions.cc (see the comments there on the
# Hartmann optima, refined beyond the published 6 digits, and Rosenbrock's domain).
FUNCTIONS = {f.name: f for f in [
    flat("branin", "[-5,10] x [0,15]", [("x0", -5.0, 10.0), ("x1", 0.0, 15.0)], 5 / (4 * PI),
         [PI, 2.275], branin),
    flat("hartmann3", "[0,1]^3", box(3, 0.0, 1.0), -3.862779787332663,
         [0.11458888122541287, 0.5556488954739371, 0.8525469842172746],
         lambda x: hartmann(x, H3_A, H3_P)),
    flat("hartmann6", "[0,1]^6", box(6, 0.0, 1.0), -3.322368011415515,
         [0.20168951185013023, 0.15001069290624647, 0.4768739753854737, 0.27533242908385863,
          0.31165161795254603, 0.6573005331434522],
         lambda x: hartmann(x, H6_A, H6_P)),
    flat("rosenbrock4", "[-5,10]^4", box(4, -5.0, 10.0), 0.0, [1.0] * 4, rosenbrock),
    flat("rosenbrock10", "[-5,10]^10", box(10, -5.0, 10.0), 0.0, [1.0] * 10, rosenbrock),
    flat("ackley5", "[-32.768,32.768]^5", box(5, -32.768, 32.768), 0.0, [0.0] * 5, ackley),
    flat("levy5", "[-10,10]^5", box(5, -10.0, 10.0), 0.0, [1.0] * 5, levy),
    flat("styblinski_tang5", "[-5,5]^5", box(5, -5.0, 5.0), -39.16616570377142 * 5,
         [-2.903534027771177] * 5, styblinski_tang),
    Function("mixed", "categorical model {linear, tree, knn}; log lr [1e-4, 1]; ordinal batch "
             "{16..256}; dropout [0, 0.5] step 0.05; 2 conditional params per branch", 6, 0.0,
             {"model": "knn", "lr": 10 ** -2.75, "batch": 128, "dropout": 0.15, "k": 32,
              "weights": "distance"}, mixed, None, mixed_suggest),
]}


def select(names):
    """'all' or a comma-separated list of names -> [Function]; raises SystemExit on a typo."""
    if names == "all":
        return list(FUNCTIONS.values())
    out = []
    for name in filter(None, names.split(",")):
        if name not in FUNCTIONS:
            sys.exit("unknown function %r; known: %s" % (name, ", ".join(FUNCTIONS)))
        out.append(FUNCTIONS[name])
    return out


def self_check():
    failed = False
    for f in FUNCTIONS.values():
        value = f.evaluate(f.minimiser)
        problems = f.check_member(f.minimiser)
        if not math.isclose(value, f.optimum, rel_tol=0, abs_tol=1e-9 * max(1.0, abs(f.optimum))):
            problems.append("f(minimiser) = %r differs from the optimum %r" % (value, f.optimum))
        print("%-17s f(minimiser) = %-24r optimum = %-24r diff = %.3g" % (
            f.name, value, f.optimum, value - f.optimum))
        for p in problems:
            print("self-check FAILED: %s: %s" % (f.name, p), file=sys.stderr)
            failed = True
    if not failed:
        print("self-check passed: %d functions" % len(FUNCTIONS))
    return 1 if failed else 0


def check_points(path):
    """Evaluates the points `sampler_suite --points N` printed and compares the values."""
    mismatches, count, seen = 0, 0, set()
    with open(path) as lines:
        for line in lines:
            if not line.strip():
                continue
            row = json.loads(line)
            count += 1
            name = row["function"]
            seen.add(name)
            if name not in FUNCTIONS:
                print("MISMATCH: C++ has a function %r that Python does not" % name)
                mismatches += 1
                continue
            f = FUNCTIONS[name]
            problems = f.check_member(row["config"])
            if problems:
                print("MISMATCH %s: C++ point %s is not in the Python space: %s" % (
                    name, json.dumps(row["config"]), "; ".join(problems)))
                mismatches += 1
                continue
            value = f.evaluate(row["config"])
            expected = row["value"]
            if not math.isclose(value, expected, rel_tol=1e-9, abs_tol=1e-12):
                print("MISMATCH %s at %s: C++ %r, Python %r" % (
                    name, json.dumps(row["config"]), expected, value))
                mismatches += 1
    for name in FUNCTIONS:
        if name not in seen:
            print("MISMATCH: Python has a function %r that C++ did not print" % name)
            mismatches += 1
    print("cross-check: %d points, %d functions, %d mismatches" % (count, len(seen), mismatches))
    return 1 if mismatches else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--self-check", action="store_true")
    parser.add_argument("--check-points", metavar="FILE")
    parser.add_argument("--list", action="store_true")
    args = parser.parse_args()
    if args.list:
        for f in FUNCTIONS.values():
            print("%-17s d=%-3d optimum=%-22r %s" % (f.name, f.dimension, f.optimum, f.domain))
        return 0
    if args.check_points:
        return check_points(args.check_points)
    if args.self_check:
        return self_check()
    parser.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
# Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
"""Sample efficiency through the Python API: Winnow against Optuna in one run.

Each (function, library, sampler, seed) is its own in-memory study, driven the way a user drives
either library: create_study(direction="minimize", sampler=...) and study.optimize(objective,
n_trials=N) with a define-by-run objective (trial.suggest_*). One JSON line per run on stdout:

  {"function": "branin", "library": "winnow", "library_version": "0.1.0", "sampler": "auto",
   "seed": 1, "trials": 100, "best": ..., "regret": best - optimum (null if unknown),
   "best_at": {"50": ..., "100": ...}, "seconds": ...}

"best_at" holds the best value found within the first B trials for each budget B of --trials,
all from one run of the largest budget (null where the run stopped before B trials). A run that
raises gets an "error" field (and the values it reached so far); a run whose study disagrees
with what the objective saw (study.best_value, the number of trials) gets a "problems" list.

Functions (--list prints them with domains and optima): the single-objective functions of the
C++ sampler suite (bench/sampler_suite.cc), imported from bench/functions.py, which ports
bench/functions.cc formula for formula and is cross-checked against it; plus two conditional
functions written here the Optuna way, where a categorical choice decides which further
parameters are suggested:
  model_family  a classifier (svm, forest, mlp) and its hyperparameters; svm has a nested
                kernel choice, mlp a variable number of layers (units_0..units_{n-1}).
  pipeline      scaler, reducer (none/pca/kbest with its own parameters), optimizer (sgd/adam);
                sgd's "nesterov" exists only when momentum >= 0.5 (a condition on a float).
Every suggested value is checked against its suggest_* call (type, range, step, choices) and
against trial.params; a violation fails the run with an "error".

Samplers (--samplers, comma-separated LIBRARY:NAME; seeds are 1..N for every sampler):
  winnow:auto    winnow.samplers.AutoSampler(seed=s)    (Winnow's default)
  winnow:tpe     winnow.samplers.TPESampler(seed=s)     (Winnow's TPE defaults to multivariate
                                                         with groups)
  optuna:tpe     optuna.samplers.TPESampler(seed=s)     (Optuna's default: independent TPE)
  optuna:tpe-mv  optuna.samplers.TPESampler(multivariate=True, group=True, seed=s)
  optuna:random  optuna.samplers.RandomSampler(seed=s)
  optuna:cmaes   optuna.samplers.CmaEsSampler(seed=s, warn_independent_sampling=False), only
                 if `import cmaes` works; otherwise a {"skipped": ...} line and a note on stderr.

  PYTHONPATH=build/python /usr/bin/python3 bench/python/suite.py --trials 50,100 --seeds 10 \\
      > suite.jsonl
  /usr/bin/python3 bench/python/summarize_suite.py suite.jsonl --budget 100
"""

import argparse
import json
import math
import os
import statistics
import sys
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import functions as cxx_functions  # noqa: E402  (bench/functions.py)


# --- The functions -------------------------------------------------------------------------

class BenchFunction:
    def __init__(self, name, domain, dimension, optimum, minimiser, suggest, evaluate):
        self.name = name
        self.domain = domain          # for humans
        self.dimension = dimension    # parameters active at once (text: may be a range)
        self.optimum = optimum        # None if unknown
        self.minimiser = minimiser    # a configuration at which evaluate() returns the optimum
        self.suggest = suggest        # trial -> config (define-by-run)
        self.evaluate = evaluate      # config -> value


def ported(fn):
    return BenchFunction(fn.name, fn.domain, str(fn.dimension), fn.optimum, fn.minimiser,
                         fn.suggest, fn.evaluate)


# model_family: choose a classifier, then its hyperparameters. The branch floors differ and the
# best branch looks worst at random: svm has a wide basin with floor 0.12 (rbf kernel), forest a
# floor of 0.06, and mlp reaches 0 but only with 3 layers of 128, 64, 32 units and a learning
# rate in a narrow band around 1e-3 (a random mlp scores about 1). f* = 0.
CLASSIFIERS = ["svm", "forest", "mlp"]
KERNELS = ["linear", "rbf", "poly"]
MLP_UNITS_LOG2 = [7, 6, 5, 4]


def model_family_suggest(trial):
    c = {"classifier": trial.suggest_categorical("classifier", CLASSIFIERS)}
    if c["classifier"] == "svm":
        c["svm_c"] = trial.suggest_float("svm_c", 1e-3, 1e3, log=True)
        c["kernel"] = trial.suggest_categorical("kernel", KERNELS)
        if c["kernel"] == "rbf":
            c["svm_gamma"] = trial.suggest_float("svm_gamma", 1e-4, 10.0, log=True)
        elif c["kernel"] == "poly":
            c["degree"] = trial.suggest_int("degree", 2, 5)
    elif c["classifier"] == "forest":
        c["n_estimators"] = trial.suggest_int("n_estimators", 10, 1000, log=True)
        c["max_depth"] = trial.suggest_int("max_depth", 2, 32)
        c["max_features"] = trial.suggest_float("max_features", 0.05, 1.0)
    else:
        c["n_layers"] = trial.suggest_int("n_layers", 1, 4)
        for i in range(c["n_layers"]):
            c["units_%d" % i] = trial.suggest_int("units_%d" % i, 8, 512, log=True)
        c["mlp_lr"] = trial.suggest_float("mlp_lr", 1e-5, 1e-1, log=True)
        c["mlp_dropout"] = trial.suggest_float("mlp_dropout", 0.0, 0.5)
    return c


def model_family(c):
    if c["classifier"] == "svm":
        value = 0.12 + 0.04 * (math.log10(c["svm_c"]) - 1) ** 2
        if c["kernel"] == "linear":
            return value + 0.10
        if c["kernel"] == "rbf":
            return value + 0.06 * (math.log10(c["svm_gamma"]) + 2) ** 2
        return value + 0.04 + 0.03 * (c["degree"] - 3) ** 2
    if c["classifier"] == "forest":
        return (0.06 + 0.015 * (math.log2(c["n_estimators"]) - 9) ** 2
                + 0.001 * (c["max_depth"] - 12) ** 2 + 0.6 * (c["max_features"] - 0.3) ** 2)
    n = c["n_layers"]
    value = 0.3 * abs(n - 3)
    for i in range(n):
        value += 0.02 * (math.log2(c["units_%d" % i]) - MLP_UNITS_LOG2[i]) ** 2
    lr_gap = math.log10(c["mlp_lr"]) + 3
    value += 1.0 - math.exp(-lr_gap * lr_gap / 0.25)
    return value + 0.8 * (c["mlp_dropout"] - 0.2) ** 2


# pipeline: scaler, then a reducer with its own parameters, then an optimizer with its own; sgd's
# "nesterov" is suggested only when momentum >= 0.5. adam is the easy branch (floor 0.04); the
# optimum is sgd with lr 1e-2, momentum 0.9 and nesterov, after a standard scaler and a
# 16-component pca without whitening. f* = 0.
SCALER_COST = {"none": 0.2, "standard": 0.0, "robust": 0.03}


def pipeline_suggest(trial):
    c = {"scaler": trial.suggest_categorical("scaler", list(SCALER_COST)),
         "reducer": trial.suggest_categorical("reducer", ["none", "pca", "kbest"])}
    if c["reducer"] == "pca":
        c["n_components"] = trial.suggest_int("n_components", 1, 64)
        c["whiten"] = trial.suggest_categorical("whiten", [False, True])
    elif c["reducer"] == "kbest":
        c["k"] = trial.suggest_int("k", 5, 100, step=5)
    c["optimizer"] = trial.suggest_categorical("optimizer", ["sgd", "adam"])
    if c["optimizer"] == "sgd":
        c["sgd_lr"] = trial.suggest_float("sgd_lr", 1e-4, 1.0, log=True)
        c["momentum"] = trial.suggest_float("momentum", 0.0, 0.99)
        if c["momentum"] >= 0.5:
            c["nesterov"] = trial.suggest_categorical("nesterov", [False, True])
    else:
        c["adam_lr"] = trial.suggest_float("adam_lr", 1e-5, 1e-1, log=True)
        c["beta1"] = trial.suggest_float("beta1", 0.5, 0.999)
    return c


def pipeline(c):
    value = SCALER_COST[c["scaler"]]
    if c["reducer"] == "none":
        value += 0.15
    elif c["reducer"] == "pca":
        value += 0.03 * (math.log2(c["n_components"]) - 4) ** 2 + (0.05 if c["whiten"] else 0.0)
    else:
        value += 0.05 + 5e-5 * (c["k"] - 30) ** 2
    if c["optimizer"] == "sgd":
        value += 0.4 * (math.log10(c["sgd_lr"]) + 2) ** 2 + 2 * (c["momentum"] - 0.9) ** 2
        if c["momentum"] < 0.5:
            value += 0.1
        elif not c["nesterov"]:
            value += 0.05
    else:
        value += (0.04 + 0.1 * (math.log10(c["adam_lr"]) + 3.5) ** 2
                  + 0.5 * (c["beta1"] - 0.9) ** 2)
    return value


OWN = [
    BenchFunction(
        "model_family",
        "categorical classifier {svm, forest, mlp}; svm: log C [1e-3,1e3], kernel {linear, rbf, "
        "poly}, rbf: log gamma [1e-4,10], poly: degree int [2,5]; forest: log int n_estimators "
        "[10,1000], int max_depth [2,32], max_features [0.05,1]; mlp: int n_layers [1,4], log int "
        "units_i [8,512] per layer, log lr [1e-5,1e-1], dropout [0,0.5]",
        "3-8", 0.0,
        {"classifier": "mlp", "n_layers": 3, "units_0": 128, "units_1": 64, "units_2": 32,
         "mlp_lr": 1e-3, "mlp_dropout": 0.2},
        model_family_suggest, model_family),
    BenchFunction(
        "pipeline",
        "categorical scaler {none, standard, robust}; reducer {none, pca, kbest}, pca: int "
        "n_components [1,64], whiten {False, True}, kbest: int k [5,100] step 5; optimizer "
        "{sgd, adam}, sgd: log lr [1e-4,1], momentum [0,0.99], nesterov {False, True} if "
        "momentum >= 0.5; adam: log lr [1e-5,1e-1], beta1 [0.5,0.999]",
        "5-8", 0.0,
        {"scaler": "standard", "reducer": "pca", "n_components": 16, "whiten": False,
         "optimizer": "sgd", "sgd_lr": 1e-2, "momentum": 0.9, "nesterov": True},
        pipeline_suggest, pipeline),
]

FUNCTIONS = {f.name: f for f in
             [ported(f) for f in cxx_functions.FUNCTIONS.values()] + OWN}


# --- Checking what the library hands the objective -----------------------------------------

class OutOfSpace(Exception):
    """A suggested value that is not a member of what the objective asked for."""


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


class CheckedTrial:
    """Passes suggest_* calls through to the library's trial and checks each answer."""

    def __init__(self, trial):
        self.trial = trial
        self.suggested = {}

    def _fail(self, name, value, why):
        raise OutOfSpace("trial %d: %s = %r: %s" % (self.trial.number, name, value, why))

    def suggest_float(self, name, low, high, *, step=None, log=False):
        v = self.trial.suggest_float(name, low, high, step=step, log=log)
        if not isinstance(v, float):
            self._fail(name, v, "suggest_float returned a %s" % type(v).__name__)
        if not low <= v <= high:
            self._fail(name, v, "outside [%r, %r]" % (low, high))
        if step is not None:
            k = (v - low) / step
            if abs(k - round(k)) > 1e-8:
                self._fail(name, v, "not on the grid %r + k * %r" % (low, step))
        self.suggested[name] = v
        return v

    def suggest_int(self, name, low, high, step=1, log=False):
        v = self.trial.suggest_int(name, low, high, step=step, log=log)
        if not _is_int(v):
            self._fail(name, v, "suggest_int returned a %s" % type(v).__name__)
        if not low <= v <= high:
            self._fail(name, v, "outside [%r, %r]" % (low, high))
        if (v - low) % step:
            self._fail(name, v, "not on the grid %r + k * %r" % (low, step))
        self.suggested[name] = v
        return v

    def suggest_categorical(self, name, choices):
        v = self.trial.suggest_categorical(name, choices)
        if not any(type(v) is type(c) and v == c for c in choices):
            self._fail(name, v, "(%s) not one of %r" % (type(v).__name__, list(choices)))
        self.suggested[name] = v
        return v

    def check_params(self):
        params = dict(self.trial.params)
        if params != self.suggested:
            raise OutOfSpace("trial %d: trial.params %r differ from the suggested values %r" % (
                self.trial.number, params, self.suggested))


# --- The samplers --------------------------------------------------------------------------

SAMPLERS = ["winnow:auto", "winnow:tpe", "optuna:tpe", "optuna:tpe-mv", "optuna:random",
            "optuna:cmaes"]


def cmaes_problem():
    """None if Optuna's CmaEsSampler can run here, else why not."""
    try:
        import cmaes  # noqa: F401
    except Exception as e:  # ImportError, or a broken install
        return "import cmaes failed (%s: %s)" % (type(e).__name__, e)
    return None


def library(name):
    if name == "winnow":
        import winnow
        return winnow
    import optuna
    return optuna


def make_sampler(key, seed):
    lib_name, name = key.split(":", 1)
    s = library(lib_name).samplers
    if key == "winnow:auto":
        return s.AutoSampler(seed=seed)
    if key in ("winnow:tpe", "optuna:tpe"):
        return s.TPESampler(seed=seed)
    if key == "optuna:tpe-mv":
        return s.TPESampler(multivariate=True, group=True, seed=seed)
    if key == "optuna:random":
        return s.RandomSampler(seed=seed)
    if key == "optuna:cmaes":
        return s.CmaEsSampler(seed=seed, warn_independent_sampling=False)
    raise ValueError("unknown sampler %r" % key)


def quiet():
    import optuna
    import winnow
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    winnow.logging.set_verbosity(winnow.logging.WARNING)
    # Optuna's ExperimentalWarning (multivariate, group) and the like, once per study otherwise.
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)


# --- One run -------------------------------------------------------------------------------

def run_one(fn, key, seed, budgets):
    lib_name, sampler_name = key.split(":", 1)
    lib = library(lib_name)
    n_trials = max(budgets)
    values = []

    def objective(trial):
        checked = CheckedTrial(trial)
        config = fn.suggest(checked)
        checked.check_params()
        value = fn.evaluate(config)
        values.append(value)
        return value

    error, problems = None, []
    start = time.perf_counter()
    try:
        study = lib.create_study(direction="minimize", sampler=make_sampler(key, seed))
        study.optimize(objective, n_trials=n_trials)
    except Exception as e:  # recorded; the benchmark goes on
        error = "%s: %s" % (type(e).__name__, e)
    seconds = time.perf_counter() - start

    best = min(values) if values else None
    if error is None:
        # The study should agree with what the objective saw.
        if len(values) != n_trials:
            problems.append("optimize(n_trials=%d) ran %d trials" % (n_trials, len(values)))
        try:
            complete = [t for t in study.trials if t.state == lib.trial.TrialState.COMPLETE]
            if len(complete) != len(values):
                problems.append("study.trials has %d complete trials, the objective ran %d"
                                % (len(complete), len(values)))
            if values and study.best_value != best:
                problems.append("study.best_value %r, the best value returned %r"
                                % (study.best_value, best))
            seen = [t.value for t in sorted(complete, key=lambda t: t.number)]
            if seen != values:
                problems.append("study.trials values differ from the values returned")
        except Exception as e:
            problems.append("reading the study: %s: %s" % (type(e).__name__, e))

    best_at = {}
    for b in sorted(budgets):
        best_at[str(b)] = min(values[:b]) if len(values) >= b else None
    row = {
        "function": fn.name,
        "library": lib_name,
        "library_version": lib.__version__,
        "sampler": sampler_name,
        "seed": seed,
        "trials": len(values),
        "best": best,
        "regret": best - fn.optimum if best is not None and fn.optimum is not None else None,
        "best_at": best_at,
        "seconds": round(seconds, 6),
    }
    if error is not None:
        row["error"] = error
    if problems:
        row["problems"] = problems
    return row


# --- Command line --------------------------------------------------------------------------

def self_check():
    failed = 0
    for f in FUNCTIONS.values():
        value = f.evaluate(f.minimiser)
        ok = f.optimum is None or math.isclose(value, f.optimum, rel_tol=0,
                                               abs_tol=1e-9 * max(1.0, abs(f.optimum)))
        print("%-17s f(minimiser) = %-24r optimum = %r%s" % (
            f.name, value, f.optimum, "" if ok else "   FAILED"))
        failed += not ok
    return 1 if failed else 0


def parse_list(text, known, what):
    if text == "all":
        return list(known)
    out = [t for t in text.split(",") if t]
    for t in out:
        if t not in known:
            raise SystemExit("--%s: unknown %r; known: %s" % (what, t, ", ".join(known)))
    if not out:
        raise SystemExit("--%s: nothing given" % what)
    return out


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--functions", default="all", help="comma-separated names; default all")
    parser.add_argument("--samplers", default="all",
                        help="comma-separated LIBRARY:NAME; default all (%s)" % ",".join(SAMPLERS))
    parser.add_argument("--trials", default="100",
                        help="budget, or several as a comma list (one run of the largest)")
    parser.add_argument("--seeds", type=int, default=10, help="seeds 1..N; default 10")
    parser.add_argument("--list", action="store_true", help="print the functions and exit")
    parser.add_argument("--self-check", action="store_true",
                        help="evaluate each function at its minimiser and exit")
    args = parser.parse_args()

    if args.list:
        for f in FUNCTIONS.values():
            print("%-17s d=%-4s optimum=%-22r %s" % (f.name, f.dimension, f.optimum, f.domain))
        return 0
    if args.self_check:
        return self_check()
    try:
        budgets = sorted({int(t) for t in args.trials.split(",") if t})
    except ValueError:
        parser.error("--trials: expected integers, e.g. 50,100")
    if not budgets or budgets[0] < 1 or args.seeds < 1:
        parser.error("--trials and --seeds must be >= 1")
    fns = [FUNCTIONS[n] for n in parse_list(args.functions, FUNCTIONS, "functions")]
    samplers = parse_list(args.samplers, SAMPLERS, "samplers")

    quiet()
    if "optuna:cmaes" in samplers:
        why = cmaes_problem()
        if why:
            import optuna
            samplers.remove("optuna:cmaes")
            print("note: skipping optuna:cmaes: %s" % why, file=sys.stderr)
            print(json.dumps({"library": "optuna", "library_version": optuna.__version__,
                              "sampler": "cmaes", "skipped": why}), flush=True)

    for fn in fns:
        for key in samplers:
            bests, errors = [], 0
            for seed in range(1, args.seeds + 1):
                row = run_one(fn, key, seed, budgets)
                print(json.dumps(row), flush=True)
                if "error" in row:
                    errors += 1
                    print("ERROR %s %s seed %d: %s" % (fn.name, key, seed, row["error"]),
                          file=sys.stderr)
                elif row["best"] is not None:
                    bests.append(row["best"])
                for p in row.get("problems", []):
                    print("PROBLEM %s %s seed %d: %s" % (fn.name, key, seed, p), file=sys.stderr)
            print("%-17s %-14s median best %-12s%s" % (
                fn.name, key, "%.6g" % statistics.median(bests) if bests else "-",
                " (%d errors)" % errors if errors else ""), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
# Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
"""Parameter importance, Winnow against Optuna on the same trials, in one run.

For each function, the same uniformly drawn trials go into an Optuna study (in memory) and into
a Winnow study (SQLite, through the winnow Python module). Optuna's fANOVA evaluator
(optuna.importance.FanovaImportanceEvaluator, scikit-learn's random forest) and
`winnow importance --method fanova|ped-anova --json` rate them; the script prints one JSON line
per function and method: the seconds each took (Winnow's figure is the whole command: process
start, reading the study, the forest), both rankings, Spearman's rank correlation between the
two fANOVA results and the largest difference of an importance.

  PYTHONPATH=build/python bench/record_results.sh bench/results/importance.jsonl -- \
      /usr/bin/python3 bench/importance/compare_optuna.py --winnow build/winnow \
      --functions branin,hartmann3,hartmann6,rosenbrock4,weighted6 --trials 1000 --seeds 3
  ... --functions rosenbrock10 --trials 10000 --seeds 1       # the 10,000 x 10 speed case

Needs python3-optuna and python3-sklearn (scripts/install-deps.sh --bench).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import functions  # noqa: E402  (bench/functions.py: the sampler suite's functions)

WEIGHTED = [("x%d" % i, 0.0, 1.0) for i in range(6)]


def weighted6(config):
    """Additive with known shares: weights 6..1 on x0..x5 (x5's weight 0: irrelevant)."""
    weights = [6, 5, 4, 2, 1, 0]
    return sum(w * config["x%d" % i] for i, w in enumerate(weights))


def problem(name):
    if name == "weighted6":
        return WEIGHTED, weighted6
    f = functions.FUNCTIONS[name]
    if f.params is None:
        sys.exit("%s has conditional parameters; Optuna's fANOVA rates only the common ones" % name)
    return f.params, f.evaluate


def spearman(a, b, names):
    ra = {n: i for i, n in enumerate(sorted(names, key=lambda n: -a[n]))}
    rb = {n: i for i, n in enumerate(sorted(names, key=lambda n: -b[n]))}
    n = len(names)
    if n < 2:
        return 1.0
    d2 = sum((ra[k] - rb[k]) ** 2 for k in names)
    return 1 - 6 * d2 / (n * (n * n - 1))


def optuna_fanova(study, seed, timeout):
    """Optuna's fANOVA importances and the seconds they took, in a child process so that a
    run longer than `timeout` can be stopped: (None, timeout) then."""
    import multiprocessing
    import optuna

    def work(queue):
        start = time.perf_counter()
        result = optuna.importance.get_param_importances(
            study, evaluator=optuna.importance.FanovaImportanceEvaluator(seed=seed))
        queue.put((dict(result), time.perf_counter() - start))

    queue = multiprocessing.get_context("fork").Queue()
    child = multiprocessing.get_context("fork").Process(target=work, args=(queue,))
    child.start()
    child.join(timeout)
    if child.is_alive():
        child.kill()
        child.join()
        return None, timeout
    return queue.get()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--winnow", default="build/winnow")
    parser.add_argument("--functions", default="branin,hartmann3,hartmann6,rosenbrock4,weighted6")
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--optuna-timeout", type=float, default=1800,
                        help="seconds Optuna's evaluator may take before it is stopped "
                             "(recorded as timed out)")
    parser.add_argument("--json", action="store_true", help="(lines are JSON either way)")
    args = parser.parse_args()

    import optuna
    import winnow
    optuna.logging.set_verbosity(optuna.logging.WARNING)

    for name in args.functions.split(","):
        params, evaluate = problem(name)
        names = [p[0] for p in params]
        for seed in range(args.seeds):
            rng = np.random.default_rng(seed)
            configs = [{n: float(rng.uniform(lo, hi)) for n, lo, hi in params}
                       for _ in range(args.trials)]
            values = [float(evaluate(c)) for c in configs]

            optuna_dists = {n: optuna.distributions.FloatDistribution(lo, hi) for n, lo, hi in params}
            optuna_study = optuna.create_study()
            optuna_study.add_trials([optuna.trial.create_trial(params=c, distributions=optuna_dists,
                                                               value=v)
                                     for c, v in zip(configs, values)])
            theirs, optuna_seconds = optuna_fanova(optuna_study, seed, args.optuna_timeout)
            with tempfile.TemporaryDirectory() as scratch:
                storage = "sqlite:///" + os.path.join(scratch, "study.db")
                winnow_dists = {n: winnow.distributions.FloatDistribution(lo, hi)
                                for n, lo, hi in params}
                study = winnow.create_study(storage=storage, study_name=name)
                study.add_trials([winnow.trial.create_trial(params=c, distributions=winnow_dists,
                                                            value=v)
                                  for c, v in zip(configs, values)])
                for method in ("fanova", "ped-anova"):
                    start = time.perf_counter()
                    out = subprocess.run([args.winnow, "importance", "--storage", storage,
                                          "--study", name, "--method", method,
                                          "--seed", str(seed), "--json"],
                                         check=True, capture_output=True, text=True).stdout
                    seconds = time.perf_counter() - start
                    ours = {item["param"]: item["importance"]
                            for item in json.loads(out)["importances"]}
                    line = {"benchmark": "importance", "function": name, "params": len(names),
                            "trials": args.trials, "seed": seed, "method": method,
                            "winnow_seconds": round(seconds, 4),
                            "winnow": {n: round(ours[n], 4) for n in names},
                            "optuna_fanova_seconds": round(optuna_seconds, 4)}
                    if theirs is None:
                        line["optuna_timed_out"] = True
                    else:
                        line.update({
                            "optuna_fanova": {n: round(theirs[n], 4) for n in names},
                            "spearman_vs_optuna_fanova": round(spearman(ours, theirs, names), 4),
                            "top_param_agrees": max(names, key=lambda n: ours[n]) ==
                                                max(names, key=lambda n: theirs[n]),
                            "max_abs_difference": round(max(abs(ours[n] - theirs[n])
                                                            for n in names), 4)})
                    print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()

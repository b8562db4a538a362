#!/usr/bin/python3
# Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
"""Sampler quality benchmark, Optuna side: the counterpart of bench/sampler_suite.cc.

Runs each (sampler, function, seed) as its own in-memory Optuna study of --trials trials on the
functions of bench/functions.py (the same definitions, domains and optima as the C++ suite) and
writes the same JSON lines, with "tool": "optuna":

  {"tool": "optuna", "sampler": "tpe", "function": "branin", "seed": 1, "trials": 100,
   "best": ..., "regret": ..., "ask_ms_mean": ..., "ask_ms_median": ..., "ask_ms_max": ...,
   "curve_at": [10, 25, 50, 100], "regret_curve": [...], "seconds": ...}

Samplers (--samplers, comma-separated):
  random            RandomSampler(seed=seed)
  tpe               TPESampler(seed=seed)                       (Optuna's default sampler)
  tpe:multivariate  TPESampler(multivariate=True, seed=seed)
  cmaes             CmaEsSampler(seed=seed)
  qmc               QMCSampler(scramble=True, seed=seed)  - scrambled Sobol. Optuna's default is
                    scramble=False, which ignores the seed and gives every seed the same
                    sequence; Winnow's sobol is scrambled, so this is the like-for-like setting.
Seeds are 1..N (QMCSampler treats seed 0 as "no seed").

Timing: what is timed is where Optuna samples. For functions without conditional parameters,
study.ask(fixed_distributions) - Optuna runs the relative sampler and then the independent
sampler for every parameter inside ask. For the conditional "mixed" function there is no fixed
space, so the timer covers study.ask() plus the define-by-run suggest_* calls (where the
independent sampling happens). The objective and study.tell() are not timed.

  /usr/bin/python3 bench/optuna_samplers.py --seeds 10 --trials 100 --output optuna.jsonl
  /usr/bin/python3 bench/optuna_samplers.py --samplers tpe --functions branin,mixed --seeds 2
"""

import argparse
import json
import logging
import math
import multiprocessing
import os
import statistics
import sys
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import functions  # noqa: E402  (bench/functions.py, next to this file)

import optuna  # noqa: E402

CURVE_AT = (10, 25, 50, 100)
SAMPLERS = ("random", "tpe", "tpe:multivariate", "cmaes", "qmc")


def quiet():
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    optuna.logging.disable_default_handler()
    logging.getLogger("optuna").setLevel(logging.ERROR)
    # ExperimentalWarning (multivariate TPE, QMC) and the like.
    warnings.filterwarnings("ignore")


def make_sampler(name, seed):
    s = optuna.samplers
    if name == "random":
        return s.RandomSampler(seed=seed)
    if name == "tpe":
        return s.TPESampler(seed=seed)
    if name == "tpe:multivariate":
        return s.TPESampler(multivariate=True, seed=seed)
    if name == "cmaes":
        return s.CmaEsSampler(seed=seed)
    if name == "qmc":
        return s.QMCSampler(scramble=True, seed=seed)
    raise ValueError("unknown sampler %r; known: %s" % (name, ", ".join(SAMPLERS)))


def run_one(task):
    sampler_name, function_name, seed, n_trials = task
    quiet()
    fn = functions.FUNCTIONS[function_name]
    row = {"tool": "optuna", "sampler": sampler_name, "function": fn.name, "seed": seed}
    ask_ms, curve_at, curve = [], [], []
    best, done, error = None, 0, None
    start = time.perf_counter()
    clock = time.perf_counter_ns
    try:
        study = optuna.create_study(sampler=make_sampler(sampler_name, seed), direction="minimize")
        distributions = fn.distributions()
        for _ in range(n_trials):
            if distributions is not None:
                before = clock()
                trial = study.ask(distributions)
                after = clock()
                params = trial.params
            else:
                before = clock()
                trial = study.ask()
                params = fn.suggest(trial)
                after = clock()
            ask_ms.append((after - before) / 1e6)
            value = fn.evaluate(params)
            study.tell(trial, value)
            best = value if best is None else min(best, value)
            done += 1
            if done in CURVE_AT:
                curve_at.append(done)
                curve.append(best - fn.optimum)
    except Exception as e:  # a failing run is recorded, the benchmark goes on
        error = "%s: %s" % (type(e).__name__, e)
    row["trials"] = done
    if done:
        row.update({
            "best": best,
            "regret": best - fn.optimum,
            "ask_ms_mean": round(statistics.fmean(ask_ms), 6),
            "ask_ms_median": round(statistics.median(ask_ms), 6),
            "ask_ms_max": round(max(ask_ms), 6),
            "curve_at": curve_at,
            "regret_curve": curve,
        })
    row["seconds"] = round(time.perf_counter() - start, 6)
    if error:
        row["error"] = error
    return row


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samplers", default=",".join(SAMPLERS))
    parser.add_argument("--functions", default="all")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=1,
                        help="runs in N processes (ask times are then not clean); default 1")
    parser.add_argument("--output", default="-", help="JSONL file; default stdout")
    args = parser.parse_args()
    if args.seeds < 1 or args.trials < 1 or args.jobs < 1:
        parser.error("--seeds, --trials and --jobs must be >= 1")
    samplers = [s for s in args.samplers.split(",") if s]
    for s in samplers:
        if s not in SAMPLERS:
            parser.error("--samplers: unknown sampler %r; known: %s" % (s, ", ".join(SAMPLERS)))
    fns = functions.select(args.functions)
    quiet()

    tasks = [(s, f.name, seed, args.trials)
             for s in samplers for f in fns for seed in range(1, args.seeds + 1)]
    out = sys.stdout if args.output == "-" else open(args.output, "w")
    groups = {}
    pool = multiprocessing.Pool(args.jobs) if args.jobs > 1 else None
    try:
        results = pool.imap_unordered(run_one, tasks) if pool else map(run_one, tasks)
        for row in results:
            out.write(json.dumps(row) + "\n")
            out.flush()
            group = groups.setdefault((row["sampler"], row["function"]), [])
            group.append(row)
            if len(group) == args.seeds:
                regrets = [r["regret"] for r in group if "error" not in r]
                asks = [r.get("ask_ms_mean", 0.0) for r in group]
                if regrets:
                    print("%-24s %-17s median regret %-11.4g mean ask %.3f ms%s" % (
                        row["sampler"], row["function"], statistics.median(regrets),
                        statistics.fmean(asks),
                        " (some runs failed)" if len(regrets) < len(group) else ""),
                        file=sys.stderr)
                else:
                    print("%-24s %-17s error: %s" % (row["sampler"], row["function"],
                                                     group[0]["error"]), file=sys.stderr)
    finally:
        if pool:
            pool.close()
            pool.join()
        if out is not sys.stdout:
            out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
# Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
"""Ask time of an Optuna sampler when the study already holds N complete trials: the
counterpart of bench/ask_time.cc.

For each (sampler, N): N complete trials at uniformly random configurations (drawn by a scratch
study with RandomSampler, copied in with study.add_trials) go into a fresh in-memory study with
the sampler under test; then, --asks times, study.ask(fixed_distributions) is timed (Optuna
samples every parameter inside ask: relative sampler, then independent sampler) and the trial is
told its true value (study.tell, timed separately), so ask k sees N + k trials, as in the C++
benchmark. The conditional "mixed" function has no fixed space: there the timer covers
study.ask() plus the suggest_* calls.

Samplers: random, tpe (TPESampler()), tpe:multivariate, cmaes, qmc (as in optuna_samplers.py).

  /usr/bin/python3 bench/optuna_ask_time.py                     # tpe, tpe:multivariate
  /usr/bin/python3 bench/optuna_ask_time.py --samplers tpe --n 1000 --asks 10 --json
"""

import argparse
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import functions  # noqa: E402
import optuna  # noqa: E402
from optuna_samplers import SAMPLERS, make_sampler, quiet  # noqa: E402


def random_trials(fn, n, seed):
    scratch = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed))
    distributions = fn.distributions()
    for _ in range(n):
        trial = scratch.ask(distributions) if distributions is not None else scratch.ask()
        params = trial.params if distributions is not None else fn.suggest(trial)
        scratch.tell(trial, fn.evaluate(params))
    return scratch.get_trials(deepcopy=False)


def measure(sampler_name, fn, base, n, asks, max_seconds, seed):
    row = {"tool": "optuna", "sampler": sampler_name, "function": fn.name,
           "dimension": fn.dimension, "n_trials": n}
    ask_ms, tell_ms = [], []
    clock = time.perf_counter_ns
    try:
        study = optuna.create_study(sampler=make_sampler(sampler_name, seed))
        study.add_trials(base[:n])
        distributions = fn.distributions()
        start = time.perf_counter()
        for a in range(asks):
            if a >= 3 and time.perf_counter() - start > max_seconds:
                break
            before = clock()
            if distributions is not None:
                trial = study.ask(distributions)
                params = trial.params
            else:
                trial = study.ask()
                params = fn.suggest(trial)
            after = clock()
            ask_ms.append((after - before) / 1e6)
            value = fn.evaluate(params)
            before = clock()
            study.tell(trial, value)
            tell_ms.append((clock() - before) / 1e6)
    except Exception as e:  # recorded, the benchmark goes on
        row["error"] = "%s: %s" % (type(e).__name__, e)
    row["asks"] = len(ask_ms)
    if ask_ms:
        row.update({
            "ask_ms_median": round(statistics.median(ask_ms), 6),
            "ask_ms_mean": round(statistics.fmean(ask_ms), 6),
            "ask_ms_min": round(min(ask_ms), 6),
            "ask_ms_max": round(max(ask_ms), 6),
            "first_ask_ms": round(ask_ms[0], 6),
            "tell_ms_median": round(statistics.median(tell_ms), 6) if tell_ms else None,
        })
    return row


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samplers", default="tpe,tpe:multivariate")
    parser.add_argument("--n", default="100,200,500,1000")
    parser.add_argument("--asks", type=int, default=20)
    parser.add_argument("--max-seconds", type=float, default=60.0,
                        help="stop asking for one (sampler, N) after this (at least 3 asks)")
    parser.add_argument("--function", default="rosenbrock10")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    samplers = [s for s in args.samplers.split(",") if s]
    for s in samplers:
        if s not in SAMPLERS:
            parser.error("--samplers: unknown sampler %r; known: %s" % (s, ", ".join(SAMPLERS)))
    try:
        n_values = [int(v) for v in args.n.split(",") if v]
    except ValueError:
        parser.error("--n: expected comma-separated counts, got %r" % args.n)
    if not n_values or min(n_values) < 1 or args.asks < 1:
        parser.error("--n and --asks must be >= 1")
    (fn,) = functions.select(args.function)
    quiet()

    base = random_trials(fn, max(n_values), args.seed)
    if not args.json:
        print("function %s (d = %d); each row: a fresh study, N complete random trials, up to %d "
              "asks" % (fn.name, fn.dimension, args.asks))
        print("%-24s %6s %6s %12s %12s %12s %12s %12s" % (
            "sampler", "N", "asks", "median ms", "mean ms", "max ms", "first ms", "tell ms"))
    for s in samplers:
        for n in n_values:
            row = measure(s, fn, base, n, args.asks, args.max_seconds, args.seed)
            if args.json:
                print(json.dumps(row))
            elif not row["asks"]:
                print("%-24s %6d  error: %s" % (s, n, row.get("error")))
            else:
                print("%-24s %6d %6d %12.3f %12.3f %12.3f %12.3f %12.3f%s" % (
                    s, n, row["asks"], row["ask_ms_median"], row["ask_ms_mean"],
                    row["ask_ms_max"], row["first_ask_ms"], row["tell_ms_median"],
                    "  error: " + row["error"] if "error" in row else ""))
            sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
# Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
"""Framework overhead of one ask + tell in Optuna: the counterpart of bench/overhead.cc.

Same loop, same space, same objective: RandomSampler, a linear float x in [-10, 10], a log float
y in [1e-3, 1e3], an int n in [1, 100] and a categorical c in {a, b, c}, all drawn with
suggest_* inside an ask/tell loop, objective x^2 + y. Storages: InMemoryStorage (the default of
create_study) and RDB SQLite ("sqlite:///<fresh file in a new temporary folder>").

Optuna's SQLite storage costs milliseconds per trial, so its runs are capped at
--sqlite-max-trials (default 10,000) and every run stops after --time-limit seconds (default 300
for SQLite, none in memory); a capped or stopped run says so in the table and in its JSON
("requested_trials" differs from "trials").

  /usr/bin/python3 bench/optuna_overhead.py                       # memory and sqlite, 1k/10k/100k
  /usr/bin/python3 bench/optuna_overhead.py --storage sqlite --trials 1000 --json
"""

import argparse
import json
import logging
import os
import shutil
import sys
import tempfile
import time
import warnings

import optuna

WINDOW = 1000  # trials in the "first" and "last" windows


def run(storage_kind, requested, max_trials, time_limit, seed):
    n_trials = min(requested, max_trials) if max_trials else requested
    folder = None
    storage = None
    if storage_kind == "sqlite":
        folder = tempfile.mkdtemp(prefix="optuna-bench-")
        storage = "sqlite:///" + os.path.join(folder, "overhead.db")
    try:
        study = optuna.create_study(
            storage=storage,
            sampler=optuna.samplers.RandomSampler(seed=seed),
            study_name="overhead",
            direction="minimize",
        )
        # marks[i] is taken just before trial i is asked; marks[done] after the last tell.
        marks = [0] * (n_trials + 1)
        clock = time.perf_counter_ns
        deadline = clock() + int(time_limit * 1e9) if time_limit else None
        done = 0
        for i in range(n_trials):
            marks[i] = clock()
            if deadline is not None and marks[i] >= deadline:
                break
            trial = study.ask()
            x = trial.suggest_float("x", -10.0, 10.0)
            y = trial.suggest_float("y", 1e-3, 1e3, log=True)
            trial.suggest_int("n", 1, 100)
            trial.suggest_categorical("c", ["a", "b", "c"])
            study.tell(trial, x * x + y)
            done = i + 1
        marks[done] = clock()
    finally:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)

    def mean_us(begin, end):
        return (marks[end] - marks[begin]) / 1e3 / (end - begin)

    result = {
        "impl": "optuna",
        "storage": storage_kind,
        "trials": done,
        "requested_trials": requested,
        "total_s": (marks[done] - marks[0]) / 1e9,
        "mean_us": mean_us(0, done) if done else float("nan"),
    }
    if done >= 2 * WINDOW:
        result["first1k_us"] = mean_us(0, WINDOW)
        result["last1k_us"] = mean_us(done - WINDOW, done)
    if done < requested:
        why = "stopped by --time-limit" if done < n_trials else "capped by --sqlite-max-trials"
        result["note"] = "%s: %d of %d trials" % (why, done, requested)
    return result


def median(runs):
    """Each statistic's median over repeated runs (the lower middle one for an even count)."""
    out = dict(runs[0], runs=len(runs))
    for key in ("trials", "total_s", "mean_us", "first1k_us", "last1k_us"):
        if all(key in r for r in runs):
            values = sorted(r[key] for r in runs)
            out[key] = values[(len(values) - 1) // 2]
    return out


def print_table(results):
    print("%-8s %9s %10s %12s %14s %13s %11s  %s" % (
        "storage", "trials", "total s", "mean us", "first 1k us", "last 1k us", "last/first",
        "note"))
    for r in results:
        first = "%.2f" % r["first1k_us"] if "first1k_us" in r else "-"
        last = "%.2f" % r["last1k_us"] if "last1k_us" in r else "-"
        ratio = "%.2f" % (r["last1k_us"] / r["first1k_us"]) if "first1k_us" in r else "-"
        print("%-8s %9d %10.3f %12.2f %14s %13s %11s  %s" % (
            r["storage"], r["trials"], r["total_s"], r["mean_us"], first, last, ratio,
            r.get("note", "")))


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--storage", choices=["memory", "sqlite", "all"], default="all")
    parser.add_argument("--trials", default="1000,10000,100000",
                        help="comma-separated trial counts (default: %(default)s)")
    parser.add_argument("--sqlite-max-trials", type=int, default=10000,
                        help="cap on the trials of an SQLite run, 0 = none (default: %(default)s)")
    parser.add_argument("--time-limit", type=float, default=None,
                        help="seconds after which a run stops, 0 = none (default: 300 for "
                             "SQLite, none in memory)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs of each configuration (seeds S, S+1, ...); each statistic is "
                             "the median (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true",
                        help="one JSON object per configuration instead of the table")
    args = parser.parse_args()
    try:
        counts = [int(c) for c in args.trials.split(",")]
        if any(c < 1 for c in counts):
            raise ValueError
    except ValueError:
        parser.error("--trials: expected positive integers separated by commas, got %r"
                     % args.trials)

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    optuna.logging.disable_default_handler()
    logging.getLogger("alembic").setLevel(logging.ERROR)
    warnings.simplefilter("ignore")

    storages = ["memory", "sqlite"] if args.storage == "all" else [args.storage]
    results = []
    for kind in storages:
        if args.time_limit is not None:
            time_limit = args.time_limit
        else:
            time_limit = 300.0 if kind == "sqlite" else 0
        max_trials = args.sqlite_max_trials if kind == "sqlite" else 0
        measured = {}  # trials actually run -> result, so a capped count is not run twice
        for count in counts:
            effective = min(count, max_trials) if max_trials else count
            if effective in measured:
                result = dict(measured[effective], requested_trials=count)
                result["note"] = "capped by --sqlite-max-trials: %d of %d trials (same run as " \
                    "above)" % (result["trials"], count)
                results.append(result)
                continue
            result = median([run(kind, count, max_trials, time_limit, args.seed + r)
                             for r in range(max(args.repeat, 1))])
            measured[effective] = result
            results.append(result)
            if not args.json:
                print("done: %s %d trials (%.1f s)" % (kind, result["trials"], result["total_s"]),
                      file=sys.stderr)
    if args.json:
        for r in results:
            print(json.dumps(r))
    else:
        print("optuna %s, python %s" % (optuna.__version__, sys.version.split()[0]))
        if args.repeat > 1:
            print("(each statistic: the median of %d runs)" % args.repeat)
        print_table(results)


if __name__ == "__main__":
    main()

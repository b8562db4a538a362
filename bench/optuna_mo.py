#!/usr/bin/python3
# Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
"""Multi-objective benchmark, Optuna side: the counterpart of bench/mo_suite.cc.

Runs each (sampler, problem, seed) as its own in-memory Optuna study on the problems of
bench/mo_functions.py (the same definitions and reference points as the C++ suite; the xgb and
xgb_cls problems run the same program, bench/xgb_tradeoff_objective) and writes the same JSON lines,
with "tool": "optuna":

  {"tool": "optuna", "sampler": "nsga2", "problem": "zdt1", "seed": 1, "trials": 300,
   "failed_trials": 0, "hypervolume": ..., "front_size": ..., "checkpoints": [50, 100, ...],
   "hv_curve": [...], "reference": [1.1, 11], "literature_reference": [1.1, 1.1],
   "literature_hypervolume": ..., "ask_ms_mean": ..., "seconds": ...}

Samplers (--samplers, comma-separated), all with Optuna's defaults otherwise:
  nsga2             NSGAIISampler(seed=seed)             population 50
  tpe               TPESampler(seed=seed)                multi-objective TPE (MOTPE) with two or
                                                          more directions
  tpe:multivariate  TPESampler(multivariate=True, seed=seed)
  random            RandomSampler(seed=seed)
Seeds are 1..N (or --first-seed F: F..F+N-1). Every trial asks with the problem's fixed
distributions (study.ask(...)), except on a conditional space (mixed): there it asks
define-by-run, suggesting the active parameters only.

The hypervolume is exact and computed here (hypervolume() below: a sort-and-sweep in two
dimensions, slicing along the last objective above that), over the complete trials, against
the problem's fixed reference point; only points strictly inside the reference count, as in
src/analysis/hypervolume.h. `--check-hypervolume FILE` compares it with the C++ code on the point
sets `mo_suite --hv-check` prints (and with Optuna's own WFG, for a third opinion).

Optuna 3.1's multi-objective TPE is slow: its weights come from a greedy hypervolume subset
selection in pure Python for every parameter of every trial - about 23 s for 100 trials of a
30-dimensional ZDT problem on one core, 165 s for 300, and 40 s for 100 trials of DTLZ2 (190 s for
150). `--sampler-trials tpe=100` caps one sampler's budget (its checkpoints are then a prefix of
the others'; summarize_mo.py compares every sampler at a budget all of them reached).

  /usr/bin/python3 bench/optuna_mo.py --xgb-objective build/bench/xgb_tradeoff_objective \\
      --seeds 10 --sampler-trials tpe=100 --output optuna.jsonl
  build/bench/mo_suite --hv-check > hv.jsonl && /usr/bin/python3 bench/optuna_mo.py --check-hypervolume hv.jsonl
"""

import argparse
import json
import logging
import math
import os
import statistics
import sys
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mo_functions  # noqa: E402  (bench/mo_functions.py, next to this file)

SAMPLERS = ("nsga2", "tpe", "tpe:multivariate", "random")
CHECKPOINTS = (50, 100, 200, 300)


def hypervolume(points, reference):
    """Exact hypervolume of `points` (every objective minimised) against `reference`. Points not
    strictly better than the reference in every objective (or with a NaN) add nothing."""
    m = len(reference)
    inside = [tuple(p) for p in points if len(p) == m and all(v < r for v, r in zip(p, reference))]
    if not inside:
        return 0.0
    if m == 1:
        return reference[0] - min(p[0] for p in inside)
    if m == 2:
        # Sweep by the first objective; each point lowering the staircase adds the rectangle
        # between its first coordinate and the reference, between its second coordinate and the
        # staircase's height so far.
        volume, height = 0.0, reference[1]
        for x, y in sorted(inside):
            if y < height:
                volume += (reference[0] - x) * (height - y)
                height = y
        return volume
    # Slice along the last objective: between consecutive values the cross-section is the
    # (m-1)-dimensional hypervolume of the points at or below the slice.
    inside.sort(key=lambda p: p[-1])
    volume = 0.0
    for i, p in enumerate(inside):
        top = inside[i + 1][-1] if i + 1 < len(inside) else reference[-1]
        if top > p[-1]:
            volume += hypervolume([q[:-1] for q in inside[:i + 1]], reference[:-1]) * (top - p[-1])
    return volume


def front_size(points):
    """Points no other point dominates (duplicates count once each), as mo_suite counts."""
    count = 0
    for i, p in enumerate(points):
        dominated = any(j != i and all(a <= b for a, b in zip(q, p)) and any(a < b for a, b in zip(q, p))
                        for j, q in enumerate(points))
        count += not dominated
    return count


def check_hypervolume(path):
    """Compares hypervolume() with the C++ values (and Optuna's WFG) on mo_suite --hv-check."""
    from optuna._hypervolume import WFG  # private, but present in every 3.x
    import numpy as np
    mismatches = count = 0
    with open(path) as lines:
        for line in lines:
            if not line.strip():
                continue
            row = json.loads(line)
            count += 1
            ref, points, expected = row["reference"], row["points"], row["hypervolume"]
            ours = hypervolume(points, ref)
            inside = [p for p in points if all(v < r for v, r in zip(p, ref))]
            wfg = WFG().compute(np.array(inside, dtype=float), np.array(ref, dtype=float)) if inside else 0.0
            ok = math.isclose(ours, expected, rel_tol=1e-12, abs_tol=1e-15)
            wfg_ok = math.isclose(wfg, expected, rel_tol=1e-9, abs_tol=1e-12)
            if not ok or not wfg_ok:
                mismatches += 1
                print("MISMATCH m=%d n=%d: C++ %r, Python %r, Optuna WFG %r" % (
                    row["n_objectives"], len(points), expected, ours, wfg))
    print("hypervolume cross-check: %d point sets, %d mismatches (Python vs C++ within 1e-12, "
          "Optuna's WFG within 1e-9)" % (count, mismatches))
    return 1 if mismatches else 0


def quiet():
    import optuna
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    optuna.logging.disable_default_handler()
    logging.getLogger("optuna").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")  # ExperimentalWarning and the like


def make_sampler(name, seed):
    import optuna
    s = optuna.samplers
    if name == "nsga2":
        return s.NSGAIISampler(seed=seed)
    if name == "tpe":
        return s.TPESampler(seed=seed)
    if name == "tpe:multivariate":
        return s.TPESampler(multivariate=True, seed=seed)
    if name == "random":
        return s.RandomSampler(seed=seed)
    raise ValueError("unknown sampler %r; known: %s" % (name, ", ".join(SAMPLERS)))


def run_one(sampler_name, problem, seed, n_trials, checkpoints):
    import optuna
    m = len(problem.reference)
    row = {"tool": "optuna", "sampler": sampler_name, "problem": problem.name, "seed": seed}
    points, curve_at, curve, ask_ms = [], [], [], 0.0
    done = failed = 0
    error = None
    start = time.perf_counter()
    try:
        study = optuna.create_study(sampler=make_sampler(sampler_name, seed), directions=["minimize"] * m)
        # A conditional space (mixed) is asked define-by-run, as an Optuna objective would: the
        # suggest calls (timed with the ask) skip inactive parameters. The others are asked
        # with their fixed distributions.
        distributions = None if problem.conditional() else problem.distributions()
        for _ in range(n_trials):
            before = time.perf_counter_ns()
            if distributions is None:
                trial = study.ask()
                params = problem.suggest(trial)
            else:
                trial = study.ask(distributions)
                params = trial.params
            ask_ms += (time.perf_counter_ns() - before) / 1e6
            try:
                values = problem.evaluate(params)
            except RuntimeError as e:  # a failed evaluation is a failed trial
                study.tell(trial, state=optuna.trial.TrialState.FAIL)
                failed += 1
                values = None
            if values is not None:
                study.tell(trial, values)
                if not any(math.isnan(v) for v in values):
                    points.append(values)
            done += 1
            if done in checkpoints or done == n_trials:
                curve_at.append(done)
                curve.append(hypervolume(points, problem.reference))
        if done and failed == done:
            error = "every trial failed"
    except Exception as e:  # a failing run is recorded, the benchmark goes on
        error = "%s: %s" % (type(e).__name__, e)
    row["trials"] = done
    row["failed_trials"] = failed
    if error is None:
        row.update({
            "hypervolume": curve[-1],
            "front_size": front_size(points),
            "checkpoints": curve_at,
            "hv_curve": curve,
            "reference": problem.reference,
        })
        if problem.literature_reference:
            row["literature_reference"] = problem.literature_reference
            row["literature_hypervolume"] = hypervolume(points, problem.literature_reference)
        row["ask_ms_mean"] = round(ask_ms / done, 6) if done else 0.0
    row["seconds"] = round(time.perf_counter() - start, 6)
    if error:
        row["error"] = error
    return row


def parse_caps(text):
    caps = {}
    for item in filter(None, (text or "").split(",")):
        name, _, value = item.rpartition("=")
        if not name or not value.isdigit() or int(value) < 1:
            raise SystemExit("--sampler-trials: %r is not SAMPLER=N (N >= 1)" % item)
        caps[name] = int(value)
    return caps


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samplers", default="nsga2,tpe,random")
    parser.add_argument("--problems", default="all")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=1,
                        help="seeds are first-seed .. first-seed + seeds - 1 (to split a long run)")
    parser.add_argument("--trials", type=int, default=0,
                        help="trials per run; default each problem's (300)")
    parser.add_argument("--sampler-trials", metavar="SAMPLER=N,...",
                        help="at most N trials for that sampler, e.g. tpe=100")
    parser.add_argument("--checkpoints", default=",".join(map(str, CHECKPOINTS)),
                        help="trial counts at which to record the hypervolume (the last trial always)")
    parser.add_argument("--xgb-objective", metavar="PATH",
                        help="bench/xgb_tradeoff_objective, for the xgb and xgb_cls problems")
    parser.add_argument("--output", default="-", help="JSONL file; default stdout")
    parser.add_argument("--check-hypervolume", metavar="FILE",
                        help="compare the hypervolume with mo_suite --hv-check's and exit")
    args = parser.parse_args()
    if args.check_hypervolume:
        return check_hypervolume(args.check_hypervolume)
    if args.seeds < 1 or args.trials < 0:
        parser.error("--seeds must be >= 1 and --trials >= 0")
    samplers = [s for s in args.samplers.split(",") if s]
    for s in samplers:
        if s not in SAMPLERS:
            parser.error("--samplers: unknown sampler %r; known: %s" % (s, ", ".join(SAMPLERS)))
    caps = parse_caps(args.sampler_trials)
    checkpoints = {int(c) for c in args.checkpoints.split(",") if c}
    problems = mo_functions.select(mo_functions.problems(args.xgb_objective), args.problems)
    quiet()

    out = sys.stdout if args.output == "-" else open(args.output, "w")
    try:
        for s in samplers:
            for p in problems:
                n_trials = args.trials or p.default_trials
                n_trials = min(n_trials, caps.get(s, n_trials))
                hvs, first_error = [], None
                for seed in range(args.first_seed, args.first_seed + args.seeds):
                    row = run_one(s, p, seed, n_trials, checkpoints)
                    out.write(json.dumps(row) + "\n")
                    out.flush()
                    if "error" in row:
                        first_error = first_error or row["error"]
                    else:
                        hvs.append(row["hypervolume"])
                if hvs:
                    print("%-22s %-6s median hypervolume %-12.6g over %d seeds, %d trials%s" % (
                        s, p.name, statistics.median(hvs), len(hvs), n_trials,
                        " (some runs failed)" if first_error else ""), file=sys.stderr)
                else:
                    print("%-22s %-6s error: %s" % (s, p.name, first_error), file=sys.stderr)
    finally:
        if out is not sys.stdout:
            out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

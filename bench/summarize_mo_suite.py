#!/usr/bin/python3
# Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
"""Summarises the broad multi-objective suite against its targets: reads the JSON lines of
bench/mo_suite (Winnow) and bench/optuna_mo.py (Optuna) and prints, in markdown, for each budget
(--budgets, default 50,100,300):

  1. one row per problem: the median hypervolume over seeds of every sampler that reached the
     budget, Winnow's first, and `auto` divided by the best of Optuna's samplers (random
     included: the target is "at least as good as the best of Optuna's samplers");
  2. the verdict: on how many problems `auto` is at least that best (target: 80 %), and its
     lowest ratio (target: never more than 5 % below, a ratio of at least 0.95).

A run given twice (same tool, sampler, problem and seed) counts once: the one given last. A
sampler with fewer seeds than the others at a budget is shown with its seed count.

  /usr/bin/python3 bench/summarize_mo_suite.py bench/results/mo_suite.jsonl
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mo_functions  # noqa: E402  (row order)

from bench_stats import load, quantile
from summarize_mo import fmt  # the same number format as the five-problem tables

SHARE_TARGET = 0.8
RATIO_TARGET = 0.95


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("inputs", nargs="+", metavar="JSONL")
    parser.add_argument("--budgets", nargs="+", default=["50,100,300"],
                        help="trial counts, separated by commas or spaces")
    parser.add_argument("--auto", default="auto",
                        help="the Winnow sampler the targets are checked for (default auto)")
    parser.add_argument("--samplers", default="",
                        help="Winnow samplers to show, separated by '+' (their specs hold "
                        "commas); default: every one found")
    args = parser.parse_args()
    budgets = [int(b) for text in args.budgets for b in text.split(",") if b]

    runs = {}
    for path in args.inputs:
        for row in load(path):
            if "error" in row:
                continue
            runs[(row["tool"], row["sampler"], row["problem"], row["seed"])] = row
    shown = args.samplers.split("+") if args.samplers else None
    columns = []
    for tool, sampler, _, _ in runs:
        if tool == "winnow" and shown is not None and sampler not in shown:
            continue
        if (tool, sampler) not in columns:
            columns.append((tool, sampler))
    columns.sort(key=lambda c: (c[0] != "winnow", (shown or []).index(c[1])
                                if shown and c[0] == "winnow" else 0))
    order = list(mo_functions.problems())
    problems = sorted({k[2] for k in runs}, key=lambda p: order.index(p) if p in order else 99)

    def values(tool, sampler, problem, budget):
        out = []
        for (t, s, p, _), row in runs.items():
            if (t, s, p) == (tool, sampler, problem) and budget in row["checkpoints"]:
                out.append(row["hv_curve"][row["checkpoints"].index(budget)])
        return sorted(out)

    for budget in budgets:
        header = ["problem"] + ["%s %s" % c for c in columns] + ["%s / Optuna's best" % args.auto]
        rows, wins, counted, worst = [], 0, 0, None
        seeds = max((len(values(t, s, p, budget)) for t, s in columns for p in problems),
                    default=0)
        if seeds == 0:
            continue
        for p in problems:
            cells, medians = [], {}
            for t, s in columns:
                v = values(t, s, p, budget)
                if not v:
                    cells.append("-")
                    continue
                medians[(t, s)] = quantile(v, 0.5)
                text = fmt(medians[(t, s)])
                cells.append(text if len(v) == seeds else "%s (%d seeds)" % (text, len(v)))
            optuna = [m for (t, _), m in medians.items() if t == "optuna"]
            auto = medians.get(("winnow", args.auto))
            verdict = "-"
            if optuna and auto is not None:
                best = max(optuna)
                counted += 1
                wins += auto >= best
                ratio = auto / best if best > 0 else (1.0 if auto >= best else 0.0)
                worst = ratio if worst is None else min(worst, ratio)
                verdict = ("%.3f" % ratio) + ("" if auto >= best else " **below**")
            rows.append([p] + cells + [verdict])
        print("#### %d trials: median hypervolume over %d seeds" % (budget, seeds))
        print()
        print("| " + " | ".join(header) + " |")
        print("|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|")
        for row in rows:
            print("| " + " | ".join(row) + " |")
        print()
        if counted:
            share = wins / counted
            print("- `%s` >= the best of Optuna's samplers on **%d of %d** problems (%.0f %%; "
                  "target >= %.0f %%: %s); lowest ratio **%.3f** (target >= %.2f: %s)" % (
                      args.auto, wins, counted, 100 * share, 100 * SHARE_TARGET,
                      "met" if share >= SHARE_TARGET else "NOT met", worst, RATIO_TARGET,
                      "met" if worst >= RATIO_TARGET else "NOT met"))
            print()
    return 0


if __name__ == "__main__":
    sys.exit(main())

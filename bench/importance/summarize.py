#!/usr/bin/python3
# Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
"""Table of bench/importance/compare_optuna.py's lines (a JSON-lines file): per function, trial
count and method, the median over seeds of each tool's seconds, Winnow's speed-up, the Spearman
correlation of Winnow's ranking with Optuna's fANOVA, how often the top parameter agrees, and the
largest difference of an importance."""
import json
import statistics
import sys


def main(path):
    rows = [json.loads(line) for line in open(path) if line.strip()]
    groups = {}
    for r in rows:
        groups.setdefault((r["function"], r["params"], r["trials"], r["method"]), []).append(r)
    print("| function | params | trials | method | seeds | Winnow s | Optuna fANOVA s | speed-up "
          "| Spearman vs Optuna fANOVA | top parameter agrees | max difference |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for (function, params, trials, method), group in groups.items():
        ours = statistics.median(r["winnow_seconds"] for r in group)
        timed_out = any(r.get("optuna_timed_out") for r in group)
        theirs = statistics.median(r["optuna_fanova_seconds"] for r in group)
        theirs_text = ("> %.0f (stopped)" % theirs) if timed_out else "%.3g" % theirs
        speedup = ("> %.0fx" if timed_out else "%.0fx") % (theirs / ours)
        compared = [r for r in group if not r.get("optuna_timed_out")]
        if compared:
            rho = "%.2f" % statistics.median(r["spearman_vs_optuna_fanova"] for r in compared)
            top = "%d/%d" % (sum(r["top_param_agrees"] for r in compared), len(compared))
            diff = "%.3f" % statistics.median(r["max_abs_difference"] for r in compared)
        else:
            rho = top = diff = "-"
        print("| %s | %d | %d | %s | %d | %.3g | %s | %s | %s | %s | %s |" % (
            function, params, trials, method, len(group), ours, theirs_text, speedup, rho, top,
            diff))


if __name__ == "__main__":
    main(sys.argv[1])

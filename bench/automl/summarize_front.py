#!/usr/bin/python3
# Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
"""Tables of bench/automl/ensemble_front.py's results: the fronts' hypervolumes per method, and
the test metric under inference-time limits of the front's choice against AutoGluon's rule.

  /usr/bin/python3 bench/automl/summarize_front.py bench/results/ensemble_front.jsonl
"""

import json
import sys

GREATER_IS_BETTER = {"roc_auc", "accuracy", "balanced_accuracy", "f1", "r2"}


def number(value):
    return "%.4g" % value


def per_row(seconds):
    return "%.3g ms" % (seconds * 1e3) if seconds >= 1e-3 else "%.3g us" % (seconds * 1e6)


def main():
    records = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
    fronts = {}
    for r in records:
        if r["kind"] == "front":
            fronts.setdefault(r["dataset"], {})[(r["method"], r["batch"])] = r
    print("Hypervolume of each front over (validation loss, time per row), both normalised over")
    print("the two methods' points, reference 1.1 (larger is better; at most 1.21):\n")
    print("| dataset | greedy, 1 row | NSGA-II, 1 row | greedy, 1000 rows | NSGA-II, 1000 rows |")
    print("|---|---|---|---|---|")
    wins = total = 0
    for dataset in sorted(fronts):
        cells = []
        for batch in (1, 1000):
            g, n = fronts[dataset].get(("greedy", batch)), fronts[dataset].get(("nsga2", batch))
            if g is None or n is None:
                cells += ["-", "-"]
                continue
            total += 1
            wins += g["hypervolume"] >= n["hypervolume"]
            bold = lambda r, other: ("**%s**" if r["hypervolume"] >= other["hypervolume"] else "%s") % (
                "%.4f (%d)" % (r["hypervolume"], r["entries"]))
            cells += [bold(g, n), bold(n, g)]
        print("| %s | %s |" % (dataset, " | ".join(cells)))
    print("\nGreedy's front at least as large on **%d of %d** (dataset, batch size) pairs; in "
          "brackets, the ensembles on each front.\n" % (wins, total))

    limits = {}
    for r in records:
        if r["kind"] == "limit":
            limits.setdefault((r["dataset"], r["batch"]), {})[r["fraction"]] = r
    print("Test metric of the ensemble chosen under a limit of 10 %, 30 % and 100 % of the time "
          "per row of the ensemble a fit without a limit uses: the front's choice | AutoGluon's "
          "rule (drop the slowest member until the rest fit); members in brackets, † = over the "
          "limit (the rule cannot drop its last member):\n")
    print("| dataset | metric | rows per call | no limit | 10 % | 30 % | 100 % |")
    print("|---|---|---|---|---|---|---|")
    better = worse = ties = over_front = over_rule = 0
    for (dataset, batch) in sorted(limits):
        by_fraction = limits[(dataset, batch)]
        any_row = next(iter(by_fraction.values()))
        metric = any_row["metric"]
        up = metric in GREATER_IS_BETTER
        cells = []
        for fraction in (0.1, 0.3, 1.0):
            r = by_fraction.get(fraction)
            if r is None:
                cells.append("-")
                continue
            f, g = r["front_score"], r["rule_score"]
            if abs(f - g) <= 1e-12 * max(1.0, abs(f)):
                ties += 1
            elif (f > g) == up:
                better += 1
            else:
                worse += 1
            over_front += not r["front_fits"]
            over_rule += not r["rule_fits"]
            cells.append("%s (%d)%s \\| %s (%d)%s" % (
                number(f), r["front_members"], "" if r["front_fits"] else " †",
                number(g), r["rule_members"], "" if r["rule_fits"] else " †"))
        print("| %s | %s | %d | %s (%d, %s) | %s |" % (
            dataset, metric, batch, number(any_row["full_score"]), any_row["full_members"],
            per_row(by_fraction.get(1.0, any_row)["limit_s"]), " | ".join(cells)))
    print("\nThe front's choice better than the rule on **%d**, equal on %d, worse on %d of %d; "
          "over the limit: the front %d times, the rule %d times." % (
              better, ties, worse, better + ties + worse, over_front, over_rule))


if __name__ == "__main__":
    main()

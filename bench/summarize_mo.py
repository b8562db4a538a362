#!/usr/bin/python3
# Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
"""Summarises the multi-objective benchmark: reads the JSON lines of bench/mo_suite (Winnow) and
bench/optuna_mo.py (Optuna) and prints, in markdown:

  1. the hypervolume at equal budget: per problem, the largest trial count that every sampler's
     every run recorded (its final trial or a checkpoint) - the full budget unless a sampler
     was capped (Optuna's slow TPE, --sampler-trials tpe=100); median [25th, 75th percentile]
     over seeds, with the true front's hypervolume for scale. A run given twice (same tool,
     sampler, problem and seed: a capped run and a longer one made separately with
     optuna_mo.py --first-seed) counts once, the longer one (among equals, the last given);
  2. the hypervolume at the full budget, for the samplers that ran it;
  3. ZDT only: the final hypervolume against the literature's reference point (1.1, 1.1);
  4. the mean time per run (s);
  5. the verdict the project tracks: "Winnow's best >= Optuna's best multi-objective sampler on
     k of 5 problems" (ZDT1-3, DTLZ2, xgb; median hypervolume at equal budget; target >= 4),
     and the same count over every problem run, for information. "Best" is the sampler
     with the highest median per problem, random search excluded on both sides (it is in the
     tables for reference). The same for Winnow's auto alone, at the smallest of those
     budgets on every problem, and at the full budget.

  /usr/bin/python3 bench/summarize_mo.py winnow.jsonl optuna.jsonl
"""

import argparse
import json
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mo_functions  # noqa: E402  (row order and the true fronts' hypervolumes)

from bench_stats import load, quantile

TARGET = 4
TRACKED = ("zdt1", "zdt2", "zdt3", "dtlz2", "xgb")  # the problems the target counts
BASELINES = {"random"}  # not counted as anyone's "best multi-objective sampler"


def fmt(value):
    if value is None:
        return "-"
    if value == 0:
        return "0"
    if abs(value) >= 1000:
        return "%.0f" % value
    return "%.4g" % value


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


class Cell:
    """The runs of one (tool, sampler, problem)."""

    def __init__(self):
        self.runs, self.errors = [], []

    def add(self, row):
        if "error" in row:
            self.errors.append(row["error"])
        else:
            self.runs.append(row)

    def budgets(self):
        """Trial counts every run recorded a hypervolume at."""
        sets = [set(r["checkpoints"]) for r in self.runs]
        return set.intersection(*sets) if sets else set()

    def values_at(self, budget):
        out = []
        for r in self.runs:
            if budget in r["checkpoints"]:
                out.append(r["hv_curve"][r["checkpoints"].index(budget)])
        return out if len(out) == len(self.runs) and out else None

    def median_at(self, budget):
        v = self.values_at(budget)
        return quantile(sorted(v), 0.5) if v else None

    def text_at(self, budget):
        v = self.values_at(budget)
        if not v:
            if not self.runs:
                return "error" if self.errors else "-"
            # Only some seeds ran this far (a capped sampler extended separately): their median.
            some = sorted(r["hv_curve"][r["checkpoints"].index(budget)] for r in self.runs
                          if budget in r["checkpoints"])
            if some:
                return "%s (%d of %d seeds)" % (fmt(quantile(some, 0.5)), len(some), len(self.runs))
            return "(ran %d)" % max(r["trials"] for r in self.runs)
        v.sort()
        out = "%s [%s, %s]" % (fmt(quantile(v, 0.5)), fmt(quantile(v, 0.25)), fmt(quantile(v, 0.75)))
        if self.errors:
            out += " (%d/%d runs failed)" % (len(self.errors), len(self.errors) + len(self.runs))
        failed = sum(r.get("failed_trials", 0) for r in self.runs)
        if failed:
            out += " (%d failed trials)" % failed
        return out

    def literature_text(self, full):
        v = sorted(r["literature_hypervolume"] for r in self.runs
                   if "literature_hypervolume" in r and r["trials"] == full)
        if not v or len(v) != len(self.runs):
            return "error" if self.errors and not self.runs else "-"
        return "%s [%s, %s] (%d/%d > 0)" % (fmt(quantile(v, 0.5)), fmt(quantile(v, 0.25)),
                                            fmt(quantile(v, 0.75)), sum(x > 0 for x in v), len(v))

    def seconds_text(self):
        """Mean seconds per run of the longest runs, with their trial count when runs differ."""
        if not self.runs:
            return "-"
        longest = max(r["trials"] for r in self.runs)
        runs = [r for r in self.runs if r["trials"] == longest]
        text = "%.2f" % (sum(r["seconds"] for r in runs) / len(runs))
        if len(runs) != len(self.runs):
            text += " (%d runs of %d trials)" % (len(runs), longest)
        return text


def best_of(cells, tool, problem, budget, columns):
    """(median, sampler) of the tool's best non-baseline sampler at `budget`, or (None, None)."""
    best = (None, None)
    for t, s in columns:
        if t != tool or s in BASELINES:
            continue
        c = cells.get((t, s, problem))
        m = c.median_at(budget) if c else None
        if m is not None and (best[0] is None or m > best[0]):
            best = (m, s)
    return best


def verdict(cells, problems, budgets, columns, ours, title, has_target):
    """ours: None for Winnow's best, else one Winnow sampler."""
    wins, n, notes = 0, 0, []
    for p in problems:
        budget = budgets.get(p)
        if budget is None:
            notes.append("%s: no common budget" % p)
            continue
        if ours is None:
            mine, mine_name = best_of(cells, "winnow", p, budget, columns)
        else:
            c = cells.get(("winnow", ours, p))
            mine, mine_name = (c.median_at(budget) if c else None), ours
        theirs, theirs_name = best_of(cells, "optuna", p, budget, columns)
        if mine is None or theirs is None:
            notes.append("%s: no result (%s)" % (p, "winnow" if mine is None else "optuna"))
            continue
        n += 1
        ok = mine >= theirs
        wins += ok
        notes.append("%s @%d: winnow %s %s %s optuna %s %s" % (
            p, budget, mine_name, fmt(mine), ">=" if ok else "<", theirs_name, fmt(theirs)))
    target = ""
    if has_target:
        target = " - target >= %d of 5: **%s**" % (TARGET, "met" if wins >= TARGET and n >= 5 else "NOT met")
    return "- %s: %d of %d problems%s (%s)" % (title, wins, n, target, "; ".join(notes))


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("inputs", nargs="+", metavar="JSONL",
                        help="JSON lines from mo_suite and/or optuna_mo.py")
    args = parser.parse_args()

    # A run given twice (the same tool, sampler, problem and seed, e.g. a capped run and a
    # longer one made separately) counts once: the one with the most trials, among equals the
    # one given last (a rerun).
    runs = {}
    for path in args.inputs:
        for row in load(path):
            key = (row["tool"], row["sampler"], row["problem"], row.get("seed"))
            old = runs.get(key)
            if old is None or ("error" in old and "error" not in row) or (
                    "error" not in row and row.get("trials", 0) >= old.get("trials", 0)):
                runs[key] = row
    cells, columns, names = {}, [], []
    for row in runs.values():
        key = (row["tool"], row["sampler"])
        if key not in columns:
            columns.append(key)
        if row["problem"] not in names:
            names.append(row["problem"])
        cells.setdefault(key + (row["problem"],), Cell()).add(row)
    known = mo_functions.problems()
    order = list(known)
    problems = sorted(names, key=lambda p: (order.index(p) if p in order else len(order), p))
    columns.sort(key=lambda k: k[0] != "winnow")  # Winnow first, each tool in input order

    full, common = {}, {}
    for p in problems:
        here = [c for k, c in cells.items() if k[2] == p and c.runs]
        if not here:
            continue
        full[p] = max(r["trials"] for c in here for r in c.runs)
        shared = set.intersection(*[c.budgets() for c in here])
        if shared:
            common[p] = max(shared)

    seeds = max((len(c.runs) + len(c.errors) for c in cells.values()), default=0)
    header = ["problem", "trials"] + ["%s %s" % k for k in columns] + ["true front"]

    def best_hv(p):
        return fmt(known[p].best_hypervolume) if p in known and known[p].best_hypervolume else "-"

    def reference(p):
        return "(%s)" % ", ".join("%g" % r for r in known[p].reference) if p in known else "?"

    print("### Hypervolume at equal budget: median [25th, 75th percentile] over %d seeds" % seeds)
    print()
    print("Reference points: %s. Larger is better. The budget is the largest trial count every "
          "sampler reached on that problem." % ", ".join("%s %s" % (p, reference(p)) for p in problems))
    print()
    print(table(header, [[p, str(common.get(p, "-"))] +
                         [cells[k + (p,)].text_at(common[p]) if k + (p,) in cells and p in common else "-"
                          for k in columns] + [best_hv(p)] for p in problems]))
    print()
    if any(common.get(p) != full.get(p) for p in problems):
        print("### Hypervolume at the full budget (samplers that ran it)")
        print()
        print(table(header, [[p, str(full.get(p, "-"))] +
                             [cells[k + (p,)].text_at(full[p]) if k + (p,) in cells and p in full else "-"
                              for k in columns] + [best_hv(p)] for p in problems]))
        print()
    zdt = [p for p in problems if p in known and known[p].literature_reference]
    if zdt:
        print("### ZDT against the literature's reference (1.1, 1.1), full budget: median "
              "[quartiles] (runs with a volume > 0)")
        print()
        print(table(["problem", "trials"] + ["%s %s" % k for k in columns] + ["true front"],
                    [[p, str(full[p])] + [cells[k + (p,)].literature_text(full[p]) if k + (p,) in cells else "-"
                                         for k in columns] + [fmt(known[p].best_literature_hypervolume)]
                     for p in zdt]))
        print()
    print("### Mean time per run (s)")
    print()
    print(table(["problem"] + ["%s %s" % k for k in columns],
                [[p] + [cells[k + (p,)].seconds_text() if k + (p,) in cells else "-"
                        for k in columns] for p in problems]))
    print()
    print("### Verdict")
    print()
    # The tracked target is on the five problems it was set for; the later ones are information.
    tracked = [p for p in problems if p in TRACKED]
    print(verdict(cells, tracked, common, columns, None,
                  "Winnow's best >= Optuna's best multi-objective sampler (median hypervolume at "
                  "equal budget; random excluded on both sides; %s)" % ", ".join(TRACKED), True))
    if any(p not in TRACKED for p in problems):
        print(verdict(cells, problems, common, columns, None,
                      "The same on every problem run (information)", False))
    if ("winnow", "auto") in columns:
        print(verdict(cells, problems, common, columns, "auto",
                      "Winnow auto >= Optuna's best multi-objective sampler (equal budget)", False))
    smallest = min(common.values(), default=None)
    if smallest is not None and any(b != smallest for b in common.values()):
        at_smallest = {p: smallest for p in common}
        print(verdict(cells, problems, at_smallest, columns, None,
                      "At %d trials on every problem, Winnow's best >= Optuna's best "
                      "(information)" % smallest, False))
    if any(common.get(p) != full.get(p) for p in problems):
        print(verdict(cells, problems, full, columns, None,
                      "At the full budget, Winnow's best >= Optuna's best among the samplers that "
                      "ran it (information)", False))
    return 0


if __name__ == "__main__":
    sys.exit(main())

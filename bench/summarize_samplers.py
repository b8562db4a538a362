#!/usr/bin/python3
# Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
"""Summarises the sampler benchmark: reads the JSON lines of bench/sampler_suite (Winnow) and
bench/optuna_samplers.py (Optuna) and prints, in markdown:

  1. final regret per function (rows) and tool/sampler (columns): median [25th, 75th
     percentile] over seeds; "error" where every run of that cell failed;
  2. the mean ask time in ms (mean over runs of each run's mean ask);
  3. the verdicts the project tracks (targets in brackets):
     - Winnow auto vs Optuna default TPE: lower median final regret on K of N functions [>= 80%]
     - Winnow tpe vs Optuna tpe, Winnow tpe vs Optuna tpe:multivariate, Winnow cmaes vs Optuna
       cmaes: no worse (median <= theirs, or both below 1e-6) on K of N [>= 80%]
     - Winnow sobol vs Optuna qmc, random vs random: the same count, for information.
With --ask-time WINNOW OPTUNA (JSON lines of bench/ask_time --json and
bench/optuna_ask_time.py --json) it adds the ask time at N trials and its verdicts: Winnow tpe
vs Optuna tpe at N = 1,000 [>= 50x faster], Winnow gp at N = 200 in 10-D [< 50 ms].

With --lowest the regret table gains a column naming the sampler(s) with the lowest median on
each function, and a line counting them; --no-verdicts leaves the verdicts out (for a
comparison among Winnow's own samplers, such as the rf section of docs/benchmarks.md);
--heading-level N sets the level of the section headings (default 3).

  /usr/bin/python3 bench/summarize_samplers.py winnow.jsonl optuna.jsonl
  /usr/bin/python3 bench/summarize_samplers.py w.jsonl o.jsonl --ask-time wa.jsonl oa.jsonl
  /usr/bin/python3 bench/summarize_samplers.py rf.jsonl --lowest --no-verdicts --heading-level 4
"""

import argparse
import json
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import functions  # noqa: E402  (for the order of the rows)

from bench_stats import load, quantile

SOLVED = 1e-6  # below this, two regrets count as equal ("both solved")
TARGET = 0.8


def fmt(value):
    if value is None:
        return "-"
    if value == 0:
        return "0"
    if abs(value) < 1e-3 or abs(value) >= 1e4:
        return "%.2e" % value
    return "%.3g" % value


class Cell:
    """The runs of one (tool, sampler, function)."""

    def __init__(self):
        self.regrets, self.asks, self.errors = [], [], []

    def add(self, row):
        # A run that failed part-way counts as failed, its ask times included: they would
        # describe a different (shorter, perhaps fallback) run.
        if "error" in row:
            self.errors.append(row["error"])
        else:
            self.regrets.append(row["regret"])
            self.asks.append(row["ask_ms_mean"])

    def median(self):
        return quantile(sorted(self.regrets), 0.5) if self.regrets else None

    def text(self):
        if not self.regrets:
            return "error" if self.errors else "-"
        r = sorted(self.regrets)
        out = "%s [%s, %s]" % (fmt(quantile(r, 0.5)), fmt(quantile(r, 0.25)), fmt(quantile(r, 0.75)))
        if self.errors:
            out += " (%d/%d runs failed)" % (len(self.errors), len(self.errors) + len(self.regrets))
        return out

    def ask_text(self):
        if not self.asks:
            return "error" if self.errors else "-"
        return "%.3f" % (sum(self.asks) / len(self.asks))


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def compare(cells, fns, ours, theirs, rule):
    """-> (wins, n, notes): functions where `ours` beats (rule "lower") or matches (rule
    "no_worse") `theirs` on median final regret; notes list the losses and the skipped."""
    wins, n, losses, skipped, ties = 0, 0, [], [], 0
    for f in fns:
        a, b = cells.get(ours + (f,)), cells.get(theirs + (f,))
        ma = a.median() if a else None
        mb = b.median() if b else None
        if ma is None or mb is None:
            skipped.append(f)
            continue
        n += 1
        both_solved = ma < SOLVED and mb < SOLVED
        if rule == "lower":
            ok = ma < mb and not both_solved
            ties += both_solved
        else:
            ok = ma <= mb or both_solved
        if ok:
            wins += 1
        else:
            losses.append("%s (%s vs %s)" % (f, fmt(ma), fmt(mb)))
    notes = []
    if ties:
        notes.append("%d tied below %g, counted as not lower" % (ties, SOLVED))
    if losses:
        notes.append(("not lower on: " if rule == "lower" else "worse on: ") + ", ".join(losses))
    if skipped:
        notes.append("no result on: " + ", ".join(skipped))
    return wins, n, notes


def why_missing(cells, key):
    errors = [e for (tool, sampler, _), c in cells.items() if (tool, sampler) == key for e in c.errors]
    if errors:
        return "every run failed (%s)" % errors[0]
    return "not in the input"


def verdicts(cells, fns):
    have = {(tool, sampler) for tool, sampler, _ in cells}
    checks = [
        ("Winnow auto vs Optuna tpe (default)", ("winnow", "auto"), ("optuna", "tpe"), "lower", True),
        ("Winnow tpe vs Optuna tpe (default)", ("winnow", "tpe"), ("optuna", "tpe"), "no_worse", True),
        ("Winnow tpe vs Optuna tpe:multivariate", ("winnow", "tpe"), ("optuna", "tpe:multivariate"),
         "no_worse", True),
        ("Winnow cmaes vs Optuna cmaes", ("winnow", "cmaes"), ("optuna", "cmaes"), "no_worse", True),
        ("Winnow sobol vs Optuna qmc (information)", ("winnow", "sobol"), ("optuna", "qmc"),
         "no_worse", False),
        ("Winnow random vs Optuna random (information)", ("winnow", "random"), ("optuna", "random"),
         "no_worse", False),
    ]
    lines = []
    for title, ours, theirs, rule, has_target in checks:
        what = "lower median final regret" if rule == "lower" else "no worse median final regret"
        missing = [k for k in (ours, theirs) if k not in have or
                   all(not c.regrets for (t, s, _), c in cells.items() if (t, s) == k)]
        if missing:
            lines.append("- %s: cannot compare: %s" % (title, "; ".join(
                "%s %s: %s" % (k[0], k[1], why_missing(cells, k)) for k in missing)))
            continue
        wins, n, notes = compare(cells, fns, ours, theirs, rule)
        share = wins / n if n else 0.0
        target = ""
        if has_target:
            target = " - target >= %d%%: **%s**" % (TARGET * 100, "met" if share >= TARGET else "NOT met")
        lines.append("- %s: %s on %d of %d functions (%.0f%%)%s%s" % (
            title, what, wins, n, 100 * share, target, "; " + "; ".join(notes) if notes else ""))
    return lines


def lowest_medians(cells, columns, fns):
    """-> {function: [(tool, sampler), ...]}: the columns with the lowest median final regret
    of each function; every column below SOLVED counts as lowest."""
    out = {}
    for f in fns:
        medians = {k: cells[k + (f,)].median() for k in columns if k + (f,) in cells}
        medians = {k: m for k, m in medians.items() if m is not None}
        if not medians:
            out[f] = []
            continue
        low = min(medians.values())
        out[f] = [k for k, m in medians.items() if m == low or (m < SOLVED and low < SOLVED)]
    return out


def ask_time_section(winnow_rows, optuna_rows):
    out = ["", "### Ask time with N complete trials (median ms per ask)", ""]
    rows = [r for r in winnow_rows + optuna_rows]
    columns, by_key, ns, described = [], {}, set(), set()
    for r in rows:
        key = (r["tool"], r["sampler"])
        if key not in columns:
            columns.append(key)
        by_key[key + (r["n_trials"],)] = r
        ns.add(r["n_trials"])
        described.add("%s (d = %s)" % (r["function"], r["dimension"]))
    out.append("Function: %s." % ", ".join(sorted(described)))
    out.append("")
    body = []
    for n in sorted(ns):
        line = [str(n)]
        for key in columns:
            r = by_key.get(key + (n,))
            if r is None:
                line.append("-")
            elif "ask_ms_median" not in r:
                line.append("error")
            else:
                line.append("%.3f" % r["ask_ms_median"])
        body.append(line)
    out.append(table(["N"] + ["%s %s" % k for k in columns], body))
    out.append("")

    def median_at(tool, sampler, n):
        r = by_key.get((tool, sampler, n))
        return r.get("ask_ms_median") if r else None, r

    w, wr = median_at("winnow", "tpe", 1000)
    o, _ = median_at("optuna", "tpe", 1000)
    if w and o:
        ratio = o / w
        out.append("- Winnow tpe vs Optuna tpe at N = 1,000: %.3f ms vs %.3f ms, %.1fx faster - "
                   "target >= 50x: **%s**" % (w, o, ratio, "met" if ratio >= 50 else "NOT met"))
    else:
        out.append("- Winnow tpe vs Optuna tpe at N = 1,000: cannot compare (%s)" % (
            (wr or {}).get("error", "no measurement at N = 1,000")))
    g, gr = median_at("winnow", "gp", 200)
    if g is not None and gr.get("dimension") == 10:
        out.append("- Winnow gp at N = 200 in 10-D: %.3f ms - target < 50 ms: **%s**" % (
            g, "met" if g < 50 else "NOT met"))
    else:
        out.append("- Winnow gp at N = 200 in 10-D: no result (%s)" % (
            (gr or {}).get("error", "no 10-D measurement at N = 200")))
    gp = [(n, by_key[("winnow", "gp", n)]) for n in sorted(ns) if ("winnow", "gp", n) in by_key]
    gp = ["N = %d: %s" % (n, "%.3f ms" % r["ask_ms_median"] if "ask_ms_median" in r else "error")
          for n, r in gp]
    if gp:
        out.append("- Winnow gp (information): " + ", ".join(gp))
    return out


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("inputs", nargs="+", metavar="JSONL",
                        help="JSON lines from sampler_suite and/or optuna_samplers.py")
    parser.add_argument("--ask-time", nargs=2, metavar=("WINNOW", "OPTUNA"))
    parser.add_argument("--lowest", action="store_true",
                        help="add a column naming the lowest median regret of each function")
    parser.add_argument("--no-verdicts", action="store_true", help="leave the verdicts out")
    parser.add_argument("--heading-level", type=int, default=3, metavar="N")
    args = parser.parse_args()
    heading = "#" * args.heading_level

    cells, columns, fn_names = {}, [], []
    for path in args.inputs:
        for row in load(path):
            key = (row["tool"], row["sampler"])
            if key not in columns:
                columns.append(key)
            if row["function"] not in fn_names:
                fn_names.append(row["function"])
            cells.setdefault(key + (row["function"],), Cell()).add(row)
    order = list(functions.FUNCTIONS)
    fns = sorted(fn_names, key=lambda f: (order.index(f) if f in order else len(order), f))
    columns.sort(key=lambda k: k[0] != "winnow")  # Winnow first, each tool in input order

    seeds = max((len(c.regrets) + len(c.errors) for c in cells.values()), default=0)
    trials = max((r.get("trials", 0) for p in args.inputs for r in load(p)), default=0)
    print("%s Final regret (best - optimum): median [25th, 75th percentile] over %d seeds, "
          "%d trials" % (heading, seeds, trials))
    print()
    header = ["function"] + ["%s %s" % k for k in columns]
    rows = [[f] + [cells[k + (f,)].text() if k + (f,) in cells else "-" for k in columns]
            for f in fns]
    if args.lowest:
        wins = lowest_medians(cells, columns, fns)
        rows = [row + [", ".join("%s %s" % k for k in wins[f]) or "-"] for row, f in zip(rows, fns)]
        print(table(header + ["lowest median"], rows))
        print()
        counts = ["%s %s: %d" % (k + (sum(k in w for w in wins.values()),)) for k in columns]
        print("Lowest median regret (ties below %g count for each): %s of %d functions." % (
            SOLVED, ", ".join(counts), len(fns)))
    else:
        print(table(header, rows))
    print()
    print("%s Mean ask time (ms)" % heading)
    print()
    print(table(header, [[f] + [cells[k + (f,)].ask_text() if k + (f,) in cells else "-"
                                for k in columns] for f in fns]))
    if not args.no_verdicts:
        print()
        print("%s Verdicts" % heading)
        print()
        for line in verdicts(cells, fns):
            print(line)
    if args.ask_time:
        for line in ask_time_section(load(args.ask_time[0]), load(args.ask_time[1])):
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())

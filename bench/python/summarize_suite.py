#!/usr/bin/python3
# Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
"""Summarises bench/python/suite.py: a markdown table with a row per function and a column per
LIBRARY:SAMPLER, each cell the median over seeds of the best value found within --budget trials
(or its regret, --metric regret, the default where the optimum is known), the best cell of each
row in bold; then a line counting the functions on which Winnow's best sampler is at least as
good as Optuna's best sampler (by median; two regrets both below 1e-6 count as equal).

Reads JSON lines from the files given, or stdin. Lines with "skipped" are listed under the
table; a run with an "error" or "problems" is left out of its cell's median and counted in it.

  /usr/bin/python3 bench/python/summarize_suite.py suite.jsonl --budget 50
  ... suite.py ... | /usr/bin/python3 bench/python/summarize_suite.py --metric best
"""

import argparse
import json
import statistics
import sys

SOLVED = 1e-6  # two regrets below this count as equal


def fmt(value):
    if value is None:
        return "-"
    if value == 0:
        return "0"
    if abs(value) < 1e-3 or abs(value) >= 1e4:
        return "%.2e" % value
    return "%.4g" % value


def read_rows(paths):
    rows = []
    sources = [open(p) for p in paths] if paths else [sys.stdin]
    for source in sources:
        for number, line in enumerate(source, 1):
            line = line.strip()
            if not line or not line.startswith("{"):
                continue
            try:
                rows.append(json.loads(line))
            except ValueError as e:
                print("warning: %s:%d: not JSON (%s)" % (source.name, number, e),
                      file=sys.stderr)
    return rows


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("files", nargs="*", help="JSONL files; default stdin")
    parser.add_argument("--budget", type=int,
                        help="a budget recorded in best_at; default the largest one recorded")
    parser.add_argument("--metric", choices=["regret", "best"], default="regret",
                        help="regret (best - optimum; falls back to best where the optimum is "
                             "unknown) or best; default regret")
    args = parser.parse_args()

    rows = read_rows(args.files)
    skipped = [r for r in rows if "skipped" in r]
    runs = [r for r in rows if "skipped" not in r and "function" in r]
    if not runs:
        sys.exit("no runs in the input")

    budgets = sorted({int(b) for r in runs for b in r.get("best_at", {})})
    budget = args.budget if args.budget is not None else (budgets[-1] if budgets else None)
    if budget is None or budget not in budgets:
        sys.exit("--budget %s: the input records best_at for %s" % (budget, budgets))

    functions, columns = [], []
    cells = {}  # (function, column) -> {"values": [...], "failed": n}
    optimum_unknown = set()
    for r in runs:
        column = "%s:%s" % (r["library"], r["sampler"])
        if r["function"] not in functions:
            functions.append(r["function"])
        if column not in columns:
            columns.append(column)
        cell = cells.setdefault((r["function"], column), {"values": [], "failed": 0})
        best = r.get("best_at", {}).get(str(budget))
        if "error" in r or r.get("problems") or best is None:
            cell["failed"] += 1
            continue
        value = best
        if args.metric == "regret":
            if r.get("regret") is None:
                optimum_unknown.add(r["function"])
            else:
                value = best - (r["best"] - r["regret"])  # best - optimum
        cell["values"].append(value)

    # Winnow's columns first, then Optuna's, each in the order met.
    columns.sort(key=lambda c: 0 if c.startswith("winnow:") else 1)
    versions = sorted({"%s %s" % (r["library"], r.get("library_version", "?")) for r in runs})
    seeds = sorted({r["seed"] for r in runs})
    what = "regret (best - optimum)" if args.metric == "regret" else "best value"
    print("Median %s after %d trials over %d seeds (%s); lower is better, best per row in bold."
          % (what, budget, len(seeds), ", ".join(versions)))
    print()
    print("| function | " + " | ".join(columns) + " |")
    print("|---|" + "---:|" * len(columns))

    def median(function, column):
        cell = cells.get((function, column))
        return statistics.median(cell["values"]) if cell and cell["values"] else None

    def no_worse(a, b):
        """a at least as good as b (both medians, lower is better)."""
        if a is None:
            return False
        if b is None:
            return True
        return a <= b or (args.metric == "regret" and a < SOLVED and b < SOLVED)

    wins, compared = 0, 0
    for function in functions:
        medians = {c: median(function, c) for c in columns}
        present = [m for m in medians.values() if m is not None]
        row_best = min(present) if present else None
        texts = []
        for c in columns:
            cell = cells.get((function, c))
            m = medians[c]
            text = fmt(m)
            if m is not None and (m == row_best or (args.metric == "regret" and m < SOLVED
                                                    and row_best < SOLVED)):
                text = "**%s**" % text
            if cell and cell["failed"]:
                text += " (%d failed)" % cell["failed"]
            texts.append(text)
        name = function + (" (best)" if function in optimum_unknown else "")
        print("| %s | %s |" % (name, " | ".join(texts)))

        winnow = [medians[c] for c in columns if c.startswith("winnow:") and medians[c] is not None]
        optuna = [medians[c] for c in columns if c.startswith("optuna:") and medians[c] is not None]
        if winnow and optuna:
            compared += 1
            wins += no_worse(min(winnow), min(optuna))

    print()
    for r in skipped:
        print("Skipped: %s:%s (%s)." % (r.get("library"), r.get("sampler"), r["skipped"]))
    print("Winnow's best sampler is at least as good as Optuna's best sampler (median %s at %d "
          "trials) on %d of %d functions." % (args.metric, budget, wins, compared))
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
# Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
"""The tables of the algorithm-configuration comparison (bench/configuration/compare_irace.sh),
in markdown, from its JSON lines (bench/results/configuration.jsonl, or the lines
bench/render_benchmarks.py hands over):

  1. per scenario: the test cost of the defaults, and of irace's and Winnow's final
     configurations, median [min, max] over seeds, both racing with their default test (and,
     where those runs exist, both with t-tests); on how many seeds Winnow's is lower than
     irace's (paired by seed; lower is better in every scenario); the median tuning cost in
     target-run seconds; then the verdict lines: the scenarios where Winnow's median is lower;
  2. capping (sat-runtime; Winnow's race, and rf under intensification where those runs exist):
     adaptive capping on (the default) against off on the seeds both have, the median test cost,
     tuning seconds and target CPU seconds, and what capping saves, by three measures.
Where a (tool, scenario, seed) was run more than once, the last line counts. A test cost of null
(a failed test run) counts as +inf.

  /usr/bin/python3 bench/configuration/summarize.py bench/results/configuration.jsonl
  /usr/bin/python3 bench/configuration/summarize.py bench/results/configuration.jsonl \
      --max-seed 5 --scenarios sat-conflicts de --tools winnow irace
  /usr/bin/python3 bench/configuration/summarize.py bench/results/configuration.jsonl \
      --min-seed 11 --scenarios sat-runtime --tools winnow --capping-only
"""

import argparse
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from bench_stats import load, quantile  # noqa: E402

SCENARIOS = ("sat-runtime", "sat-conflicts", "de")
UNITS = {"sat-runtime": "PAR10 s", "sat-conflicts": "conflicts", "de": "log10 error"}


def fmt(value):
    if value is None:
        return "-"
    if math.isinf(value):
        return "inf"
    if abs(value) >= 1e4:
        return "%.0f" % value
    if value != 0 and abs(value) < 1e-3:
        return "%.3g" % value
    return "%.4g" % value


def cost(row):
    return math.inf if row.get("test_cost") is None else row["test_cost"]


def spread(values):
    if not values:
        return "-"
    v = sorted(values)
    text = fmt(quantile(v, 0.5))
    if len(v) > 1:
        text += " [%s, %s]" % (fmt(v[0]), fmt(v[-1]))
    return text


def median(values):
    return quantile(sorted(values), 0.5) if values else None


def latest(rows):
    """The last row of each (tool, scenario, seed, capping)."""
    chosen = {}
    for row in rows:
        chosen[(row["tool"], row["scenario"], row["seed"], row.get("capping"))] = row
    return list(chosen.values())


def by_seed(rows, tool, scenario, capping=None):
    """{seed: row} of a tool on a scenario; on sat-runtime, of the given capping setting (the
    comparison uses capping on, both tools' default)."""
    out = {}
    for row in rows:
        if row["tool"] != tool or row["scenario"] != scenario:
            continue
        if capping is not None and row.get("capping") not in (None, capping):
            continue
        out[row["seed"]] = row
    return out


# (Winnow's tool, irace's tool, label): both racing with their default test, or with t-tests;
# and Winnow's SMAC-style rf under intensification against irace's default.
PAIRS = (("winnow", "irace", "default test"), ("winnow-ttest", "irace-ttest", "t-test"),
         ("winnow-rf", "irace", "rf"))
HEADERS = {"default test": ("irace, default test", "Winnow race, default test"),
           "t-test": ("irace, t-test", "Winnow race, t-test"),
           "rf": ("irace, default test", "Winnow rf (intensification)")}


def comparison(rows):
    present = {r["tool"] for r in rows}
    pairs = [p for p in PAIRS if p[0] in present or (p[1] in present and p[2] != "rf")]
    header = ["scenario (cost)", "budget (runs)", "defaults"]
    for winnow, irace, label in pairs:
        header += [HEADERS[label][0], HEADERS[label][1], "Winnow lower (seeds)",
                   "irace / Winnow tuning s"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    verdicts = {label: [] for _, _, label in pairs}
    for scenario in SCENARIOS:
        defaults = by_seed(rows, "default", scenario)
        groups = {tool: by_seed(rows, tool, scenario, capping=True)
                  for pair in pairs for tool in pair[:2]}
        if not any(groups.values()):
            continue
        runs = [r for group in groups.values() for r in group.values()]
        cells = [scenario + " (" + UNITS[scenario] + ")",
                 ", ".join(map(str, sorted({r["budget"] for r in runs}))),
                 fmt(cost(defaults[0])) if 0 in defaults else "-"]
        for winnow, irace, label in pairs:
            w, i = groups[winnow], groups[irace]
            paired = sorted(set(w) & set(i))
            wins = sum(cost(w[seed]) < cost(i[seed]) for seed in paired)
            cells += [spread([cost(r) for r in i.values()]), spread([cost(r) for r in w.values()]),
                      "%d of %d" % (wins, len(paired)) if paired else "-",
                      "%s / %s" % (fmt(median([r["cpu_seconds"] for r in i.values()])),
                                   fmt(median([r["cpu_seconds"] for r in w.values()])))]
            if w and i:
                verdicts[label].append((scenario, median([cost(r) for r in w.values()]) <
                                        median([cost(r) for r in i.values()])))
        print("| " + " | ".join(cells) + " |")
    print()
    repeats = sorted({r.get("test_repeats", 1) for r in rows})
    runs_each = " or ".join("one run" if n == 1 else "%d runs" % n for n in repeats)
    print("Test cost: the mean over the test instances of " + runs_each + " each (fixed seeds), "
          "median [min, max] over tuning seeds; lower is better. Tuning s: the target runs' seconds, "
          "median over seeds. Default test: irace's is Friedman's (its t-test when it caps), "
          "Winnow's paired t-tests on a value cost and Friedman's on a runtime cost; "
          "t-test: both race with paired t-tests; rf: Winnow's sampler rf under "
          "intensification with adaptive capping (SMAC's way) against irace's default.")
    for _, _, label in pairs:
        if verdicts[label]:
            won = [scenario for scenario, lower in verdicts[label] if lower]
            print()
            print("%s: Winnow's median test cost lower than irace's on **%d of %d** scenarios%s."
                  % (HEADERS[label][1], len(won), len(verdicts[label]),
                     " (%s)" % ", ".join(won) if won else ""))


# Winnow's tools whose capping is compared, with their row labels.
CAPPING_TOOLS = (("winnow", "Winnow race"), ("winnow-rf", "Winnow rf (intensification)"))


def capping_table(rows):
    pairs = []
    for tool, name in CAPPING_TOOLS:
        on = by_seed(rows, tool, "sat-runtime", capping=True)
        off = by_seed(rows, tool, "sat-runtime", capping=False)
        # The same seeds on both sides, so the two searches differ in capping alone.
        common = {s for s, r in on.items() if r.get("capping") is True} & set(off)
        if common:
            pairs.append((name, {s: on[s] for s in common}, {s: off[s] for s in common}))
    if not pairs:
        return
    # The target's CPU seconds, when every run of both sides recorded them.
    with_cpu = all(r.get("target_cpu_seconds") is not None
                   for _, on, off in pairs for group in (on, off) for r in group.values())
    print()
    print("| sat-runtime | capping | seeds | test cost (PAR10 s) | tuning s |"
          + (" target CPU s |" if with_cpu else "") + " train runs |")
    print("|---|---|---|---|---|" + ("---|" if with_cpu else "") + "---|")
    for name, on, off in pairs:
        for label, group in (("on (default)", on), ("off", off)):
            rows_ = list(group.values())
            print("| %s | %s | %d | %s | %s |%s %s |" % (
                name, label, len(rows_), spread([cost(r) for r in rows_]),
                spread([r["cpu_seconds"] for r in rows_]),
                " %s |" % spread([r["target_cpu_seconds"] for r in rows_]) if with_cpu else "",
                fmt(median([r["train_runs"] for r in rows_]))))
    for name, on, off in pairs:
        key = "target_cpu_seconds" if with_cpu else "cpu_seconds"
        what = "the target's CPU seconds" if with_cpu else "the tuning seconds"
        print()
        print("%s: with capping, %s are %.0f%% of those without it by the medians, %.0f%% "
              "seed by seed (the median of the seeds' ratios, which range from %.0f%% to "
              "%.0f%%) and %.0f%% of the sum over the seeds; the test cost with capping is "
              "lower on %d of %d seeds." % (
                  name, what, 100 * median([r[key] for r in on.values()]) /
                  median([r[key] for r in off.values()]),
                  100 * median([on[s][key] / off[s][key] for s in on]),
                  100 * min(on[s][key] / off[s][key] for s in on),
                  100 * max(on[s][key] / off[s][key] for s in on),
                  100 * sum(r[key] for r in on.values()) / sum(r[key] for r in off.values()),
                  sum(cost(on[s]) < cost(off[s]) for s in on), len(on)))
        if with_cpu:
            print("Its tuning seconds, the runs' wall time as stored with Winnow's start of "
                  "each run, are %.0f%% of those without capping by the medians." % (
                      100 * median([r["cpu_seconds"] for r in on.values()]) /
                      median([r["cpu_seconds"] for r in off.values()])))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("results")
    parser.add_argument("--max-seed", type=int, default=0,
                        help="only tuning seeds 1..N (the defaults' seed 0 always counts)")
    parser.add_argument("--min-seed", type=int, default=0,
                        help="only tuning seeds from N on (the defaults' seed 0 always counts)")
    parser.add_argument("--scenarios", nargs="+", default=list(SCENARIOS),
                        help="the scenarios to show")
    parser.add_argument("--tools", nargs="+", default=[],
                        help="the tools to show (the defaults always show); default: all")
    parser.add_argument("--capping-only", action="store_true",
                        help="only the capping table (e.g. for seeds irace was not run on)")
    args = parser.parse_args()
    scenarios = args.scenarios
    tools = set(args.tools) | {"default"} if args.tools else None
    rows = [r for r in latest(load(args.results)) if r["scenario"] in scenarios and
            (args.max_seed <= 0 or r["seed"] <= args.max_seed) and
            (r["seed"] == 0 or r["seed"] >= args.min_seed) and
            (tools is None or r["tool"] in tools)]
    if not args.capping_only:
        comparison(rows)
    capping_table(rows)


if __name__ == "__main__":
    main()

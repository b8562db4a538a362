#!/usr/bin/python3
# Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
"""Summarises the AutoML benchmark's JSON lines (run_all.sh, baselines.py, run_winnow.py) as
markdown, one section per time limit:

  1. per dataset (rows) and method (columns): the metric's mean over the outer folds that
     succeeded ("n/m" after it when only n of m folds did; "fail" when none did);
  2. per method: mean rank over datasets (1 = best; ranks of a dataset compare the methods' fold
     means, ties share the mean rank, a method with no result on a dataset ranks last there), the
     datasets it won, runs ok / runs, whether the time limit held (max and median of fit seconds /
     limit, runs past the limit plus the larger of 5% and 10 s), and peak RSS (max and median MB, per process:
     each method's own process, Winnow's fit process).

When a (method, dataset, fold, limit) was run more than once, the last line wins.

  /usr/bin/python3 bench/automl/summarize.py bench/results/automl.jsonl
"""

import argparse
import json
import statistics
import sys
from collections import defaultdict

HIGHER_IS_BETTER = {"auc": True, "logloss": False, "rmse": False}
METHOD_ORDER = ["winnow", "xgb_optuna", "hgb", "rf", "linear"]
HEADING = 2  # Markdown level of a time limit's heading

# The limit holds when a fit ends within it plus the larger of 5% and 10 seconds.
def allowed_seconds(limit):
    return limit + max(0.05 * limit, 10.0)


def load(paths):
    runs = {}
    for path in paths:
        with open(path) as f:
            for number, line in enumerate(f, 1):
                line = line.strip()
                if not line.startswith("{"):
                    continue
                try:
                    r = json.loads(line)
                except json.JSONDecodeError:
                    print(f"{path}:{number}: not JSON, skipped", file=sys.stderr)
                    continue
                key = (r["time_limit_s"], r["dataset"], r["method"], r["fold"])
                runs[key] = r
    return list(runs.values())


def ranks(values, higher_is_better):
    """Average ranks (1 = best) of a {method: value or None} mapping; None ranks last."""
    present = sorted((v if not higher_is_better else -v, m) for m, v in values.items() if v is not None)
    result, i = {}, 0
    while i < len(present):
        j = i
        while j + 1 < len(present) and present[j + 1][0] == present[i][0]:
            j += 1
        for k in range(i, j + 1):
            result[present[k][1]] = (i + j) / 2 + 1
        i = j + 1
    missing = [m for m, v in values.items() if v is None]
    for m in missing:
        result[m] = len(present) + (len(missing) + 1) / 2
    return result


def fmt(value):
    if value is None:
        return "–"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.4g}"


def variants(limit, runs):
    """Winnow run another way ("winnow-refit": `--refit`) against the default run on the same
    datasets and folds only, apart from the main table (a variant is not a competitor)."""
    names = sorted({r["method"] for r in runs if r["method"].startswith("winnow-")})
    for name in names:
        print(f"\n{'#' * (HEADING + 1)} {name} against winnow, {limit:g} s, same outer folds\n")
        print(f"| dataset | metric | winnow | {name} |")
        print("|---|---|---|---|")
        better = total = 0
        for dataset in sorted({r["dataset"] for r in runs if r["method"] == name}):
            pairs = []
            for r in runs:
                if r["method"] != name or r["dataset"] != dataset or r.get("status") != "ok":
                    continue
                base = [b for b in runs if b["method"] == "winnow" and b["dataset"] == dataset
                        and b["fold"] == r["fold"] and b.get("status") == "ok"]
                if base:
                    pairs.append((base[-1]["value"], r["value"], r["metric"]))
            if not pairs:
                continue
            a = statistics.fmean(p[0] for p in pairs)
            b = statistics.fmean(p[1] for p in pairs)
            higher = HIGHER_IS_BETTER.get(pairs[0][2], False)
            total += 1
            better += (b > a) if higher else (b < a)
            print(f"| {dataset} | {pairs[0][2]} | {fmt(a)} | {fmt(b)} |")
        print(f"\n{name} better than winnow on {better} of {total} datasets.")


def section(limit, runs):
    all_runs = runs
    runs = [r for r in runs if not r["method"].startswith("winnow-")]
    methods = sorted({r["method"] for r in runs}, key=lambda m: (METHOD_ORDER.index(m) if m in METHOD_ORDER else 99, m))
    by_cell = defaultdict(list)
    for r in runs:
        by_cell[(r["dataset"], r["method"])].append(r)
    datasets = sorted({r["dataset"] for r in runs})

    print(f"\n{'#' * HEADING} Time limit {limit:g} s\n")
    print("| dataset | metric | " + " | ".join(methods) + " |")
    print("|---|---|" + "---|" * len(methods))
    rank_sum, wins = defaultdict(float), defaultdict(int)
    for dataset in datasets:
        metric = next((r["metric"] for m in methods for r in by_cell[(dataset, m)] if r.get("metric")), None)
        higher = HIGHER_IS_BETTER.get(metric, False)
        means, cells = {}, []
        for m in methods:
            cell = by_cell[(dataset, m)]
            ok = [r["value"] for r in cell if r.get("status") == "ok" and r.get("value") is not None]
            means[m] = statistics.fmean(ok) if ok else None
            if not cell:
                cells.append("")
            elif not ok:
                cells.append("fail")
            else:
                cells.append(fmt(means[m]) + ("" if len(ok) == len(cell) else f" ({len(ok)}/{len(cell)})"))
        r = ranks(means, higher)
        for m in methods:
            rank_sum[m] += r[m]
        best = [m for m in methods if r[m] == min(r.values()) and means[m] is not None]
        for m in best:
            wins[m] += 1
        cells = [f"**{c}**" if m in best else c for m, c in zip(methods, cells)]
        arrow = "↑" if higher else "↓"
        print(f"| {dataset} | {metric or '?'} {arrow} | " + " | ".join(cells) + " |")

    print("\n| method | mean rank | wins | runs ok | fit/limit max | fit/limit median | runs over limit | peak RSS max MB | peak RSS median MB |")
    print("|---|---|---|---|---|---|---|---|---|")
    for m in sorted(methods, key=lambda m: rank_sum[m]):
        mine = [r for r in runs if r["method"] == m]
        ok = [r for r in mine if r.get("status") == "ok"]
        ratios = [r["fit_s"] / limit for r in ok if r.get("fit_s") is not None]
        # A run killed for overrunning counts as over the limit too.
        over = (sum(r["fit_s"] > allowed_seconds(limit) for r in ok if r.get("fit_s") is not None)
                + sum(r.get("status") == "timeout" for r in mine))
        rss = [r["peak_rss_mb"] for r in mine if r.get("peak_rss_mb") is not None]
        print(f"| {m} | {rank_sum[m] / len(datasets):.2f} | {wins[m]} | {len(ok)}/{len(mine)} | "
              f"{fmt(max(ratios)) if ratios else '–'} | {fmt(statistics.median(ratios)) if ratios else '–'} | "
              f"{over} | {fmt(max(rss)) if rss else '–'} | {fmt(statistics.median(rss)) if rss else '–'} |")
    # What the ensemble adds: Winnow's ensemble against the best single trial of the same fit,
    # both on the outer test fold (runs that recorded both).
    for m in methods:
        pairs = defaultdict(list)
        for r in runs:
            if r["method"] == m and r.get("status") == "ok" and r.get("value_best_single") is not None:
                pairs[r["dataset"]].append((r["value"], r["value_best_single"], r["metric"]))
        if not pairs:
            continue
        at_least = 0
        for dataset, values in pairs.items():
            ensemble = statistics.fmean(v for v, _, _ in values)
            single = statistics.fmean(b for _, b, _ in values)
            higher = HIGHER_IS_BETTER.get(values[0][2], False)
            at_least += ensemble >= single if higher else ensemble <= single
        print(f"\n{m}: the ensemble is at least as good as the best single model of the same fit "
              f"(outer test folds, mean per dataset) on {at_least} of {len(pairs)} datasets.")
    variants(limit, all_runs)
    errors = [r for r in runs if r.get("status") != "ok"]
    if errors:
        # The last line of the message is the tool's own complaint; the first, the command.
        lines = [x for x in str(errors[0].get("error", "")).splitlines() if x.strip()] or [""]
        print(f"\n{len(errors)} failed run(s); first: {errors[0]['method']} on {errors[0]['dataset']} "
              f"fold {errors[0]['fold']}: {lines[-1][:200]}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results", nargs="+", help="JSONL files")
    parser.add_argument("--heading-level", type=int, default=2,
                        help="Markdown level of the per-limit headings (docs/benchmarks.md: 4)")
    args = parser.parse_args()
    runs = load(args.results)
    if not runs:
        sys.exit("no results")
    commits = sorted({r.get("commit", "?") for r in runs})
    machines = sorted({r.get("machine", "?") for r in runs})
    global HEADING
    HEADING = args.heading_level
    if commits != ["?"]:  # render_benchmarks.py gives the records without their stamps
        print(f"# AutoML benchmark\n\nCommits: {', '.join(commits)}. Machines: {'; '.join(machines)}.")
    print("Default baselines ignore the time limit; their fit/limit shows whether they would fit in it.")
    for limit in sorted({r["time_limit_s"] for r in runs}):
        section(limit, [r for r in runs if r["time_limit_s"] == limit])


if __name__ == "__main__":
    main()

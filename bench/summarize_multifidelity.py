#!/usr/bin/python3
# Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
"""Summarises the multi-fidelity benchmark: reads the JSON lines of bench/multifidelity_suite
and prints, in markdown, per task:

  1. the best value at the maximum budget (the incumbent) reached after 1/27, 1/9, 1/3, 2/3 and
     all of the budget limit, median over seeds, per method; for tasks with a known optimum,
     the same for the true regret of the incumbent;
  2. what the runs did: trials, trials at the maximum budget, continuations resumed from a
     checkpoint, budget consumed and assigned, seconds (medians over seeds);
  3. the verdict the issue sets: "ASHA and BOHB reach full-budget TPE's final median quality
     within <= 1/3 of TPE's total budget". For each method, the median trajectory (median over
     seeds of the incumbent after x units of budget, a step function) is searched for the first
     x at which it is at least as good as TPE's final median; x is reported as a fraction of
     TPE's total budget (its median consumed budget at the end).

"Budget" is the consumed budget by default: the work actually done, where a trial that continues
an earlier one pays only for the units it adds. --axis assigned uses the sum of the budgets the
trials were assigned instead (what a trainer without checkpoints would pay).

  /usr/bin/python3 bench/summarize_multifidelity.py mf.jsonl
  /usr/bin/python3 bench/summarize_multifidelity.py mf.jsonl --axis assigned --target 0.3333
"""

import argparse
import json
import math
import sys

import bench_stats

FRACTIONS = [(1, 27), (1, 9), (1, 3), (2, 3), (1, 1)]
METHOD_ORDER = ["random", "tpe", "hyperband", "asha", "asha-tpe", "bohb"]
CHECKED = ["asha", "asha-tpe", "bohb"]  # the methods the target names (ASHA with either sampler)
REFERENCE = "tpe"


def load(paths):
    return [row for path in paths for row in bench_stats.load(path)]


def median(values):
    """Median where None counts as +infinity (a run with no incumbent yet is worse than any)."""
    if not values:
        return None
    v = sorted(math.inf if x is None else x for x in values)
    n = len(v)
    m = v[n // 2] if n % 2 else 0.5 * (v[n // 2 - 1] + v[n // 2])
    return None if math.isinf(m) or math.isnan(m) else m


def fmt(value, digits=4):
    if value is None:
        return "-"
    if value == 0:
        return "0"
    if abs(value) < 1e-3 or abs(value) >= 1e5:
        return "%.2e" % value
    return "%.*g" % (digits, value)


class Run:
    def __init__(self, row, axis):
        self.row = row
        self.error = row.get("error")
        index = 0 if axis == "consumed" else 1
        # trajectory points: [consumed, assigned, best, regret?]
        self.points = [(p[index], p[2], p[3] if len(p) > 3 else None)
                       for p in row.get("trajectory", [])]
        self.total = row[axis]
        self.limit = row["limit"]

    def at(self, x, what=1):
        """The incumbent's value (what=1) or regret (what=2) after x units of budget."""
        out = None
        for p in self.points:
            if p[0] <= x + 1e-9:
                out = p[what]
            else:
                break
        return out

    def breakpoints(self):
        return [p[0] for p in self.points]


def table(header, rows, align=None):
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join(align or (["---"] + ["---:"] * (len(header) - 1))) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def median_trajectory_reaches(runs, target, what=1):
    """First x (among every run's breakpoints) at which the median over runs of the incumbent is
    <= target; None if never within the runs' budget limit."""
    xs = sorted({x for r in runs for x in r.breakpoints() if x <= r.limit + 1e-9})
    for x in xs:
        m = median([r.at(x, what) for r in runs])
        if m is not None and m <= target:
            return x
    return None


def summarize(rows, axis, target_fraction):
    tasks, methods = [], {}
    for row in rows:
        if row["task"] not in tasks:
            tasks.append(row["task"])
        methods.setdefault(row["task"], [])
        if row["method"] not in methods[row["task"]]:
            methods[row["task"]].append(row["method"])
    out = []
    verdict_lines = []
    for task in tasks:
        ms = sorted(methods[task], key=lambda m: (METHOD_ORDER.index(m) if m in METHOD_ORDER else 99, m))
        groups = {m: [Run(r, axis) for r in rows if r["task"] == task and r["method"] == m] for m in ms}
        any_run = next(iter(groups.values()))[0]
        limit = any_run.limit
        b_max = any_run.row["budget_max"]
        has_regret = any(r.row.get("regret") is not None for g in groups.values() for r in g)
        seeds = sorted({r.row["seed"] for g in groups.values() for r in g})
        out.append("## %s" % task)
        out.append("")
        out.append("Budget %g..%g (eta %g); limit %g = %g x the maximum budget; %d seeds (%s); "
                   "x-axis: %s budget." % (any_run.row["budget_min"], b_max, any_run.row["budget_eta"],
                                            limit, limit / b_max, len(seeds),
                                            ", ".join(map(str, seeds)), axis))
        out.append("")
        header = ["method"] + ["%s limit" % ("%d/%d" % f if f != (1, 1) else "full") for f in FRACTIONS]
        for what, title in ([(1, "Best value at the maximum budget (median over seeds)")] +
                            ([(2, "True regret of the incumbent (median over seeds)")] if has_regret else [])):
            body = []
            for m in ms:
                good = [r for r in groups[m] if not r.error]
                cells = [m + (" (%d/%d failed)" % (len(groups[m]) - len(good), len(groups[m]))
                              if len(good) < len(groups[m]) else "")]
                for a, b in FRACTIONS:
                    cells.append(fmt(median([r.at(limit * a / b, what) for r in good])) if good else "error")
                body.append(cells)
            out.append("**%s**, after a fraction of the budget limit (%g):" % (title, limit))
            out.append("")
            out.append(table(header, body))
            out.append("")
        body = []
        for m in ms:
            g = groups[m]
            body.append([m,
                         fmt(median([r.row["trials"] for r in g]), 6),
                         fmt(median([r.row["trials_at_max"] for r in g]), 6),
                         fmt(median([r.row["resumed"] for r in g]), 6),
                         fmt(median([r.row["not_resumed"] for r in g]), 6),
                         fmt(median([r.row["consumed"] for r in g]), 6),
                         fmt(median([r.row["assigned"] for r in g]), 6),
                         "%.2f" % median([r.row["seconds"] for r in g]),
                         "%.2f" % median([r.row["objective_seconds"] for r in g])])
        out.append("**Runs** (medians over seeds):")
        out.append("")
        out.append(table(["method", "trials", "at max budget", "resumed", "not resumed", "consumed",
                          "assigned", "seconds", "objective s"], body))
        out.append("")
        errors = sorted({r.error for g in groups.values() for r in g if r.error})
        for e in errors:
            out.append("- error: %s" % e)
        if errors:
            out.append("")

        # The verdict.
        ref = [r for r in groups.get(REFERENCE, []) if not r.error]
        if not ref:
            verdict_lines.append("- %s: no %s runs, cannot judge" % (task, REFERENCE))
            continue
        tpe_final = median([r.at(r.limit) for r in ref])
        tpe_total = median([min(r.total, r.limit) for r in ref])
        out.append("**Time to full-budget TPE's final median quality** (%s, after %s units): the first "
                   "budget at which each method's median trajectory is as good, as a fraction of "
                   "TPE's total budget, and the same for each seed's own trajectory." % (fmt(tpe_final, 6), fmt(tpe_total, 6)))
        out.append("")
        body = []
        for m in ms:
            good = [r for r in groups[m] if not r.error]
            if not good:
                body.append([m, "error", "-"])
                continue
            x = median_trajectory_reaches(good, tpe_final)
            per_seed = []
            for r in sorted(good, key=lambda r: r.row["seed"]):
                xs = median_trajectory_reaches([r], tpe_final)
                per_seed.append("-" if xs is None else "%.3f" % (xs / tpe_total))
            frac = None if x is None else x / tpe_total
            body.append([m, "not reached" if frac is None else "%.3f" % frac, " ".join(per_seed)])
            if m in CHECKED:
                met = frac is not None and frac <= target_fraction + 1e-12
                verdict_lines.append(
                    "- %s, %s: reaches TPE's final median %s at %s of TPE's budget - target <= %.3g: **%s**"
                    % (task, m, fmt(tpe_final, 6),
                       "never (within the limit)" if frac is None else "%.3f" % frac,
                       target_fraction, "met" if met else "NOT met"))
        out.append(table(["method", "fraction of TPE's budget (median trajectory)", "per seed"], body,
                         ["---", "---:", "---"]))
        out.append("")
    out.append("## Verdicts")
    out.append("")
    out.append("ASHA and BOHB reach full-budget TPE's final median quality within <= %.3g of TPE's "
               "total budget (%s budget; \"asha\" samples new configurations at random, \"asha-tpe\" "
               "with TPE):" % (target_fraction, axis))
    out.append("")
    out.extend(verdict_lines)
    return "\n".join(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", help="JSON lines of bench/multifidelity_suite")
    parser.add_argument("--axis", choices=["consumed", "assigned"], default="consumed",
                        help="which budget the x-axis counts (default: consumed)")
    parser.add_argument("--target", type=float, default=1 / 3,
                        help="largest fraction of TPE's budget that meets the target (default 1/3)")
    args = parser.parse_args()
    rows = load(args.files)
    if not rows:
        sys.exit("no runs in %s" % ", ".join(args.files))
    print(summarize(rows, args.axis, args.target))


if __name__ == "__main__":
    main()

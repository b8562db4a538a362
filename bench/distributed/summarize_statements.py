#!/usr/bin/python3
# Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
"""Renders bench/distributed/statement_profile.py's records as one markdown table: a row per
kind of statement (server time per trial, microseconds, and statements per trial), a column per
sampler and process count, then the sum of the statements run under the study's lock (those
that run partly under it are left out of the sum) and the time per trial of the whole run (one
second over the trials per second). Only the latest run in the file is shown (its date).

  /usr/bin/python3 bench/distributed/summarize_statements.py bench/results/distributed_statements.jsonl
"""

import json
import sys


def main():
    with open(sys.argv[1]) as f:
        records = [json.loads(line) for line in f if line.strip()]
    if records and "date" in records[0]:
        latest = max(r["date"] for r in records)
        records = [r for r in records if r["date"] == latest]
    columns = []
    for r in records:
        if (r["sampler"], r["processes"]) not in columns:
            columns.append((r["sampler"], r["processes"]))
    kinds = []
    for r in records:
        if (r["kind"], r["under_lock"]) not in kinds:
            kinds.append((r["kind"], r["under_lock"]))
    cell = {(r["kind"], r["sampler"], r["processes"]): r for r in records}
    run = {(r["sampler"], r["processes"]): r for r in records}
    print("| statement | under the lock | " +
          " | ".join("%s, %d proc." % c for c in columns) + " |")
    print("|---|---|" + "---:|" * len(columns))
    for kind, under_lock in kinds:
        values = []
        for sampler, processes in columns:
            r = cell.get((kind, sampler, processes))
            values.append("-" if r is None else
                          "%.0f (%.2g)" % (r["us_per_trial"], r["calls_per_trial"]))
        label = under_lock if isinstance(under_lock, str) else "yes" if under_lock else "no"
        print("| %s | %s | %s |" % (kind, label, " | ".join(values)))
    locked = []
    for sampler, processes in columns:
        locked.append(sum(r["us_per_trial"] for r in records
                          if r["under_lock"] is True and
                          (r["sampler"], r["processes"]) == (sampler, processes)))
    print("| **statements under the lock** | | %s |" % " | ".join("**%.0f**" % v for v in locked))
    print("| **time per trial** (1 s / trials per s) | | %s |" %
          " | ".join("**%.0f**" % (1e6 / run[c]["trials_per_s"]) for c in columns))
    print("| machine busy | | %s |" % " | ".join("%.0f%%" % (100 * run[c]["cpu_busy_share"])
                                               for c in columns))


if __name__ == "__main__":
    main()

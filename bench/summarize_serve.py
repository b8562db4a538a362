#!/usr/bin/python3
# Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
"""The table of bench/serve_bench.sh's results: requests per second and p99 latency of the
dynamic schedule against the per-request server and the best fixed batch size, per ensemble size
and number of clients, and the ratio to the better baseline.

  /usr/bin/python3 bench/summarize_serve.py bench/results/serve.jsonl
"""

import json
import sys


def cell(r, batch=False):
    text = "%.0f/s, %.2g ms" % (r["throughput"], r["p99_ms"])
    return text + (" (%s)" % r["max_batch"] if batch else "")


def main():
    runs = {}
    for line in open(sys.argv[1]):
        if line.strip():
            r = json.loads(line)
            runs.setdefault((int(r["members"]), int(r["clients"])), []).append(r)
    print("| members | clients | dynamic | per-request | best fixed batch (rows) | dynamic / better baseline |")
    print("|---|---|---|---|---|---|")
    for (members, clients) in sorted(runs):
        group = runs[(members, clients)]
        dynamic = [r for r in group if r["schedule"] == "dynamic"]
        per_request = [r for r in group if r["schedule"] == "per-request"]
        fixed = [r for r in group if r["schedule"] == "fixed-batch"]
        if not (dynamic and per_request and fixed):
            continue
        d, p = dynamic[-1], per_request[-1]
        f = max(fixed, key=lambda r: r["throughput"])
        better = max(p, f, key=lambda r: r["throughput"])
        print("| %d | %d | %s | %s | %s | %.2fx throughput, p99 %s |" % (
            members, clients, cell(d), cell(p), cell(f, True), d["throughput"] / better["throughput"],
            "no worse" if d["p99_ms"] <= better["p99_ms"] else "%.2fx" % (d["p99_ms"] / better["p99_ms"])))


if __name__ == "__main__":
    main()

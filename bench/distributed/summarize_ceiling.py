#!/usr/bin/python3
# Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
"""Renders bench/distributed/serial_ceiling.py's records as one markdown table: a row per shape
of a trial's transactions, a column per number of clients, each cell the median trials per
second over the rounds with the lowest and highest in brackets, and the median of a shape that
makes trials as a share of the unordered shape's at the same number of clients. Only the latest
run in the file is shown (its date).

  /usr/bin/python3 bench/distributed/summarize_ceiling.py \
      bench/results/distributed_serial_ceiling.jsonl
"""

import json
import statistics
import sys


def main():
    with open(sys.argv[1]) as f:
        records = [json.loads(line) for line in f if line.strip()]
    if records and "date" in records[0]:
        latest = max(r["date"] for r in records)
        records = [r for r in records if r["date"] == latest]
    shapes, clients = [], []
    for r in records:
        if r["shape"] not in shapes:
            shapes.append(r["shape"])
        if r["clients"] not in clients:
            clients.append(r["clients"])
    clients.sort()
    median = {}
    for shape in shapes:
        for c in clients:
            # Runs before the block shape counted one trial per transaction: tps.
            runs = [r.get("trials_per_second", r["tps"]) for r in records
                    if r["shape"] == shape and r["clients"] == c]
            if runs:
                median[shape, c] = (statistics.median(runs), min(runs), max(runs))
    print("| shape | " + " | ".join("%d client%s" % (c, "" if c == 1 else "s") for c in clients) +
          " |")
    print("|---|" + "---:|" * len(clients))
    for shape in shapes:
        cells = []
        for c in clients:
            if (shape, c) not in median:
                cells.append("-")
                continue
            value, low, high = median[shape, c]
            cell = "%.0f (%.0f-%.0f)" % (value, low, high)
            if shape not in ("unordered", "lock") and ("unordered", c) in median:
                cell += ", %.2fx" % (value / median["unordered", c][0])
            cells.append(cell)
        print("| %s | %s |" % (shape, " | ".join(cells)))


if __name__ == "__main__":
    main()

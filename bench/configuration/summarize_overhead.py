#!/usr/bin/env python3
# Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
"""Table of bench/configuration/overhead.py's lines: the engine's time per run and the run's own
time, block by block, for a build before and after a change (medians over the runs of each).

    summarize_overhead.py RESULTS.jsonl --before COMMIT --after COMMIT
"""
import argparse
import json
import statistics


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("results")
    parser.add_argument("--before", required=True)
    parser.add_argument("--after", required=True)
    args = parser.parse_args()
    with open(args.results) as lines:
        rows = [json.loads(line) for line in lines if line.strip()]
    cells = {}
    for r in rows:
        side = {args.before: "before", args.after: "after"}.get(r["winnow_commit"])
        if side is None:
            continue
        first = int(r["block"].split("-")[0])
        entry = cells.setdefault((r["sampler"], first, r["block"]), {})
        entry.setdefault(side, []).append((r["engine_ms_per_run"], r["run_ms"]))
    print("| sampler | runs | engine ms per run, `%s` | engine ms per run, `%s` | ratio "
          "| run ms, `%s` | run ms, `%s` |" % (args.before[:7], args.after[:7],
                                                args.before[:7], args.after[:7]))
    print("|---|---|---|---|---|---|---|")
    for (sampler, _, block), sides in sorted(cells.items()):
        if "before" not in sides or "after" not in sides:
            continue
        engine = [statistics.median(v[0] for v in sides[s]) for s in ("before", "after")]
        run = [statistics.median(v[1] for v in sides[s]) for s in ("before", "after")]
        print("| %s | %s | %.2f | %.2f | %.2fx | %.1f | %.1f |" % (
            sampler, block, engine[0], engine[1], engine[1] / engine[0], run[0], run[1]))
    print()
    print("Engine ms per run: the mean time from the end of one run to the start of the next "
          "over the block's runs; run ms: the mean run's time as stored (process start "
          "included).")


if __name__ == "__main__":
    main()

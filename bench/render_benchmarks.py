#!/usr/bin/env python3
# Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
"""Renders the generated tables of docs/benchmarks.md from the raw results in bench/results/.

A generated table is a block in the Markdown file:

    <!-- table: overhead storage=memory columns=storage,trials,mean_us -->
    ...replaced by this script...
    <!-- end table -->

`overhead` names bench/results/overhead.jsonl; `key=value` filters keep the records whose field
equals the value; `columns` chooses and orders the columns (default: every field of the
records but the stamp). The table shows the latest run that has matching records, and says
which commit, command, machine and date produced it.

    bench/render_benchmarks.py           # rewrites docs/benchmarks.md
    bench/render_benchmarks.py --check   # exits 1 if the file is not what the results give
"""
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC = os.path.join(ROOT, "docs", "benchmarks.md")
STAMP = ("commit", "command", "machine", "date")
BLOCK = re.compile(r"(<!-- table: (?P<spec>[^>]*?) -->\n)(?P<body>.*?)(<!-- end table -->)",
                   re.DOTALL)


def load(name):
    path = os.path.join(ROOT, "bench", "results", name + ".jsonl")
    if not os.path.exists(path):
        raise SystemExit("render_benchmarks.py: %s does not exist" % os.path.relpath(path, ROOT))
    with open(path) as lines:
        return [json.loads(line) for line in lines if line.strip()]


def cell(value):
    if isinstance(value, float):
        return "%.4g" % value if abs(value) < 1e6 else "%.0f" % value
    return str(value)


def render(spec):
    words = spec.split()
    name, options = words[0], dict(word.split("=", 1) for word in words[1:])
    columns = options.pop("columns", "").split(",") if "columns" in options else None
    records = [r for r in load(name) if all(cell(r.get(k)) == v for k, v in options.items())]
    if not records:
        raise SystemExit("render_benchmarks.py: no record of %s matches %s" % (name, options))
    # Records of one run share their date (bench/record_results.sh stamps it once per run).
    latest = max(r["date"] for r in records)
    rows = [r for r in records if r["date"] == latest]
    if columns is None:
        columns = [k for k in rows[0] if k not in STAMP]
    first = rows[0]
    text = ["Measured at commit `%s` on %s, %s:" % (first["commit"], first["machine"],
                                                      first["date"]),
            "`%s`" % first["command"], "",
            "| " + " | ".join(columns) + " |",
            "|" + "|".join("---" for _ in columns) + "|"]
    for row in rows:
        text.append("| " + " | ".join(cell(row.get(c, "")) for c in columns) + " |")
    return "\n".join(text) + "\n"


def main():
    with open(DOC) as f:
        original = f.read()
    updated = BLOCK.sub(lambda m: m.group(1) + render(m.group("spec")) + m.group(4), original)
    if "--check" in sys.argv[1:]:
        if updated != original:
            sys.exit("docs/benchmarks.md differs from what bench/results gives; run "
                     "bench/render_benchmarks.py")
        return
    with open(DOC, "w") as f:
        f.write(updated)


if __name__ == "__main__":
    main()

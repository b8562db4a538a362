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
        return "%.4g" % value if abs(value) < 1e4 else "%.0f" % value
    return str(value)


def latest_runs(records):
    """The records of the latest run of each command (so two runs of one benchmark, such as
    Winnow's and Optuna's, can sit side by side)."""
    latest = {}
    for r in records:
        latest[r["command"]] = max(latest.get(r["command"], ""), r["date"])
    return [r for r in records if r["date"] == latest[r["command"]]]


def render_comparison(name, options):
    """compare=FIELD:A,B by=K1,K2 value=V: one row per `by` key, V for A and B and B / A.
    With stat=median, V is the median over the records of a key (seeds). With better=lower,
    the last column says which side is lower, and a last line counts the keys each side wins
    (that count is the verdict: it comes from the runs, never from expectation)."""
    field, sides = options.pop("compare").split(":")
    a, b = sides.split(",")
    keys = options.pop("by").split(",")
    value = options.pop("value")
    stat = options.pop("stat", None)
    better = options.pop("better", None)
    records = [r for r in latest_runs(load(name))
               if all(cell(r.get(k)) == v for k, v in options.items())]
    table = {}
    stamps = {}
    for r in records:
        if cell(r.get(field)) not in (a, b):
            continue
        key = tuple(cell(r.get(k)) for k in keys)
        table.setdefault(key, {}).setdefault(cell(r[field]), []).append(r[value])
        stamps[r["command"]] = r
    for sides in table.values():
        for side, values in sides.items():
            if stat == "median":
                ordered = sorted(values)
                n = len(ordered)
                sides[side] = ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2
            else:
                sides[side] = values[-1]
    rows = [(key, sides) for key, sides in table.items() if a in sides and b in sides]
    if not rows:
        raise SystemExit("render_benchmarks.py: nothing to compare in %s" % name)
    text = []
    for r in sorted(stamps.values(), key=lambda r: r["date"]):
        text.append("- `%s`: commit `%s`, %s, %s" % (r["command"], r["commit"], r["machine"],
                                                     r["date"]))
    last = "lower" if better == "lower" else "%s / %s" % (b, a)
    label = "median " + value if stat == "median" else value
    text += ["", "| " + " | ".join(keys + ["%s %s" % (a, label), "%s %s" % (b, label),
                                           last]) + " |",
             "|" + "|".join("---" for _ in range(len(keys) + 3)) + "|"]
    def order(row):
        return [float(k) if k.replace(".", "", 1).isdigit() else k for k in row[0]]

    wins = 0
    for key, sides in sorted(rows, key=order):
        if better == "lower":
            wins += sides[a] < sides[b]
            verdict = a if sides[a] < sides[b] else b if sides[b] < sides[a] else "tie"
        else:
            ratio = sides[b] / sides[a]
            verdict = "%.2fx" % ratio if ratio < 10 else "%.0fx" % ratio
        text.append("| " + " | ".join(list(key) + [cell(sides[a]), cell(sides[b]), verdict]) +
                    " |")
    if better == "lower":
        text += ["", "%s lower on **%d of %d**." % (a, wins, len(rows))]
    return "\n".join(text) + "\n"


def render_with_script(name, options):
    """script=PATH [args=A,B,...]: the table is what PATH prints for the latest run's records
    (given as a JSON-lines file), for results a flat comparison cannot show, such as many
    samplers of two libraries side by side. Other FIELD=VALUE options keep the records whose
    FIELD has that value (commit=... for the runs of one commit)."""
    import subprocess
    import tempfile

    filters = {k: v for k, v in options.items() if k not in ("script", "args", "stamps")}
    records = [r for r in latest_runs(load(name))
               if all(cell(r.get(k)) == v for k, v in filters.items())]
    if not records:
        raise SystemExit("render_benchmarks.py: no record of %s matches %s" % (name, filters))
    args = options.get("args", "").split(",") if options.get("args") else []
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl") as chosen:
        for r in records:
            chosen.write(json.dumps({k: v for k, v in r.items() if k not in STAMP}) + "\n")
        chosen.flush()
        output = subprocess.run([sys.executable, os.path.join(ROOT, options["script"]),
                                 chosen.name, *args], capture_output=True, text=True, check=True)
    stamps = {r["command"]: r for r in records}
    if options.get("stamps") == "summary":
        # Many runs (one per dataset, fold and method): say what produced them in one line
        # per commit and machine rather than one per command.
        groups = {}
        for r in stamps.values():
            groups.setdefault((r["commit"], r["machine"]), []).append(r["date"])
        text = ["- %d runs at commit `%s` on %s, %s to %s" % (len(dates), commit, machine,
                                                           min(dates), max(dates))
                for (commit, machine), dates in sorted(groups.items())]
    else:
        text = ["- `%s`: commit `%s`, %s, %s" % (r["command"], r["commit"], r["machine"], r["date"])
                for r in sorted(stamps.values(), key=lambda r: r["date"])]
    return "\n".join(text) + "\n\n" + output.stdout.strip() + "\n"


def render(spec):
    words = spec.split()
    name, options = words[0], dict(word.split("=", 1) for word in words[1:])
    if "compare" in options:
        return render_comparison(name, options)
    if "script" in options:
        return render_with_script(name, options)
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

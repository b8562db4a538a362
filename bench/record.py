#!/usr/bin/env python3
# Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
"""Runs a benchmark that prints JSON lines and appends them to bench/results/NAME.jsonl, each
record stamped with what produced it: the commit, the command, the machine and the date.
docs/benchmarks.md is rendered from these files (bench/render_benchmarks.py); nothing in it is
typed by hand.

    bench/record.py overhead -- build/bench/overhead --storage memory --trials 1000,10000 --json
    bench/record.py optuna_overhead -- /usr/bin/python3 bench/optuna_overhead.py --json ...

Lines of the command's output that are not JSON objects are passed through to stderr. The run
gets one `run` id (the date), so a table shows the records of one run together.
"""
import datetime
import json
import os
import platform
import shlex
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def git(*args):
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()


def commit():
    head = git("rev-parse", "--short=12", "HEAD") or "unknown"
    # A figure measured on uncommitted code says so.
    dirty = git("status", "--porcelain", "--untracked-files=no", "--", "src", "include", "cli",
                "bench")
    return head + ("-dirty" if dirty else "")


def machine():
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return "%s, %d cores, %.0f GiB, Linux %s" % (model, os.cpu_count(), memory_gib,
                                                 platform.release())


def main():
    if len(sys.argv) < 4 or sys.argv[2] != "--":
        sys.exit("usage: bench/record.py NAME -- COMMAND [ARGS...]")
    name, command = sys.argv[1], sys.argv[3:]
    stamp = {
        "benchmark": name,
        "commit": commit(),
        "command": " ".join(shlex.quote(part) for part in command),
        "machine": machine(),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    stamp["run"] = stamp["date"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    records = []
    for line in process.stdout:
        line = line.strip()
        try:
            record = json.loads(line)
        except ValueError:
            record = None
        if isinstance(record, dict):
            records.append({**stamp, **record})
        elif line:
            print(line, file=sys.stderr)
    if process.wait() != 0:
        sys.exit("bench/record.py: the command failed (exit %d); nothing recorded" %
                 process.returncode)
    if not records:
        sys.exit("bench/record.py: the command printed no JSON record; nothing recorded")
    path = os.path.join(ROOT, "bench", "results", name + ".jsonl")
    with open(path, "a") as out:
        for record in records:
            out.write(json.dumps(record, sort_keys=True) + "\n")
    print("recorded %d result(s) in %s" % (len(records), os.path.relpath(path, ROOT)),
          file=sys.stderr)


if __name__ == "__main__":
    main()

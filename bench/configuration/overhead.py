#!/usr/bin/env python3
# Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
"""The engine's time per run in an algorithm-configuration study, as the study grows.

A configurator decides every run from the study's stored runs, so what it does between two runs
can grow with the runs already made. This runs `winnow run` on a study whose target does nothing
(`/bin/true` on one of `--instances` empty instance files, cost = its run time, cutoff 1 s), with
one job, and reads back from the study the time between the end of each run and the start of
the next: the tell, the configurator's decision, the ask and the run's preparation. Each line
gives the mean of that gap over one block of runs (runs 0-499, 500-999, ...), and the mean run
time (process start included) for scale.

    bench/record_results.sh bench/results/configuration_overhead.jsonl -- /usr/bin/python3 \\
        bench/configuration/overhead.py --winnow build/winnow --samplers race,random --runs 3000

`random` runs under intensification (SMAC's way, as every sampler that does not race does).
Give --winnow-commit when the binary was built from another commit than the working tree's.
"""
import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

STUDY = """[study]
name = "overhead-{sampler}"
directions = ["minimize"]
sampler = "{sampler}"
seed = 1

[instances]
train = "instances/*.txt"

[objective]
command = ["/bin/true", "{{a}}", "{{b}}", "{{c}}", "{{instance}}"]
cost = "runtime"
cutoff = "1s"

[space]
a = {{ type = "float", low = 0, high = 1 }}
b = {{ type = "float", low = 0, high = 1 }}
c = {{ type = "categorical", choices = ["x", "y", "z"] }}
"""


def seconds(stamp):
    return datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def measure(winnow, sampler, runs, instances, block, work):
    folder = os.path.join(work, sampler)
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(os.path.join(folder, "instances"))
    for i in range(instances):
        with open(os.path.join(folder, "instances", "i%03d.txt" % i), "w") as f:
            f.write("%d\n" % i)
    with open(os.path.join(folder, "study.toml"), "w") as f:
        f.write(STUDY.format(sampler=sampler))
    storage = os.path.join(folder, "study.db")
    start = time.monotonic()
    with open(os.path.join(folder, "run.log"), "w") as log:
        status = subprocess.run([winnow, "run", "study.toml", "--storage", storage, "--trials",
                                 str(runs)], cwd=folder, stdout=log,
                                stderr=subprocess.STDOUT).returncode
    wall = time.monotonic() - start
    if status != 0:
        sys.exit("overhead.py: winnow run failed (%d); see %s" % (status, log.name))
    exported = subprocess.run([winnow, "export", storage, "--format", "jsonl"], check=True,
                              capture_output=True, text=True).stdout
    trials = sorted((json.loads(line) for line in exported.splitlines()),
                    key=lambda t: t["number"])
    trials = [t for t in trials if "winnow.phase" not in t["user_attrs"]]
    rows = []
    for first in range(0, len(trials), block):
        part = [(before, after) for before, after in zip(trials, trials[1:])
                if first <= after["number"] < first + block]
        if not part:
            continue
        gaps = [seconds(after["start"]) - seconds(before["end"]) for before, after in part]
        durations = [after["duration_s"] for _, after in part]
        rows.append({"block": "%d-%d" % (first, first + block - 1),
                     "engine_ms_per_run": round(1000 * sum(gaps) / len(gaps), 3),
                     "run_ms": round(1000 * sum(durations) / len(durations), 3)})
    return rows, wall, len(trials)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--winnow", default="build/winnow")
    parser.add_argument("--winnow-commit", default="", help="the commit the binary was built from")
    parser.add_argument("--samplers", default="race,random")
    parser.add_argument("--runs", type=int, default=3000)
    parser.add_argument("--instances", type=int, default=60)
    parser.add_argument("--block", type=int, default=500)
    parser.add_argument("--work", default="")
    args = parser.parse_args()
    winnow = os.path.abspath(args.winnow)
    commit = args.winnow_commit or subprocess.run(
        ["git", "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True,
        cwd=os.path.dirname(os.path.abspath(__file__))).stdout.strip()
    work = args.work or tempfile.mkdtemp(prefix="winnow-ac-overhead-")
    for sampler in args.samplers.split(","):
        rows, wall, made = measure(winnow, sampler, args.runs, args.instances, args.block, work)
        for row in rows:
            print(json.dumps({"tool": "winnow", "winnow_commit": commit, "sampler": sampler,
                              "runs": made, "instances": args.instances, **row,
                              "wall_s": round(wall, 2)}), flush=True)
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

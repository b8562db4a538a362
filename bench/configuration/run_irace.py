#!/usr/bin/python3
# Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
"""One irace run of the algorithm-configuration comparison: tunes a Winnow configuration study
file's target with irace (irace_scenario.py), takes irace's final best configuration from its
log (getFinalElites), evaluates it on the test instances (evaluate_config.py) and prints one JSON
line:

  {"tool": "irace", "scenario", "seed", "budget", "test_cost", "train_runs", "cpu_seconds",
   "config", "capping", "test_type", "test_timeouts", "test_failures", "tuning_wall_seconds",
   "irace_version", "instances", "ran_at"}

The tool is "irace" with irace's default statistical test (Friedman's F-test on ranks, or the
t-test when it caps runtimes), beside Winnow's "race" with its default, and "irace-ttest"
with --test-type t-test (to set beside Winnow's race:test=t: the tools are judged by mean cost,
which the t-test targets); test_type says which ran. capping is irace's adaptive capping (on
when the study's is) for cost = "runtime", else null. train_runs counts irace's target runs,
cpu_seconds sums their wall seconds (the runs are sequential on one core; Winnow's figure is
the same sum over its trials), `instances` is the instance set's digest (make_instances.py's
manifest). The line is also appended to WORK/irace-SCENARIO.jsonl; with --reuse, a line there
with the same tool, seed, budget and instances is printed instead of running irace again (so
runs made earlier can be recorded with bench/record_results.sh later).

  /usr/bin/python3 bench/configuration/run_irace.py --work /tmp/ac-bench --scenario de \
      --seed 1 --budget 1000 [--test-type t-test] [--reuse]
"""

import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from evaluate_config import evaluate  # noqa: E402
from irace_scenario import write_scenario  # noqa: E402
from study_runner import Study  # noqa: E402

IRACE = "/usr/lib/R/site-library/irace/bin/irace"

FINAL_ELITE = r"""
suppressMessages(library(irace))
load(commandArgs(TRUE)[1])
elite <- getFinalElites(iraceResults, n = 1)
for (name in iraceResults$parameters$names) {
  value <- elite[1, name]
  if (!is.na(value)) cat(name, "\t", format(value, digits = 15), "\n", sep = "")
}
cat(".runs\t", iraceResults$state$experimentsUsedSoFar, "\n", sep = "")
cat(".version\t", iraceResults$irace.version, "\n", sep = "")
"""


def final_configuration(study, log_file):
    """irace's best configuration (getFinalElites, n = 1), typed as the study's space, and the
    number of target runs and irace's version from its log file."""
    output = subprocess.run(["Rscript", "-e", FINAL_ELITE, log_file], capture_output=True,
                            text=True, check=True).stdout
    config, extra = {}, {}
    for line in output.splitlines():
        name, _, value = line.partition("\t")
        if name.startswith("."):
            extra[name[1:]] = value.strip()
        elif name:
            config[name] = study.typed(name, value.strip())
    return config, int(extra["runs"]), extra["version"]


def instances_digest(work):
    with open(os.path.join(work, "instances", "manifest.json")) as f:
        return json.load(f)["digest"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work", required=True, help="compare_irace.sh's work folder")
    parser.add_argument("--scenario", required=True, help="sat-runtime, sat-conflicts or de")
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--budget", type=int, required=True, help="target runs")
    parser.add_argument("--test-type", default="default", choices=["default", "t-test"],
                        help="irace's statistical test (default: irace's default)")
    parser.add_argument("--reuse", action="store_true",
                        help="print the cached line of an earlier run if there is one")
    args = parser.parse_args()
    work = os.path.abspath(args.work)
    study = Study(os.path.join(work, args.scenario + ".toml"))
    digest = instances_digest(work)
    capping = study.cost == "runtime" and study.capping
    test_type = "t-test" if args.test_type == "t-test" or capping else "F-test"
    tool = "irace" if args.test_type == "default" else "irace-ttest"
    cache = os.path.join(work, "irace-%s.jsonl" % args.scenario)
    if args.reuse and os.path.exists(cache):
        with open(cache) as f:
            for line in reversed(f.readlines()):
                row = json.loads(line)
                if ((row["tool"], row["seed"], row["budget"], row["instances"]) ==
                        (tool, args.seed, args.budget, digest)):
                    print(json.dumps(row))
                    return

    exec_dir = os.path.join(work, tool, "%s-s%d" % (args.scenario, args.seed))
    shutil.rmtree(exec_dir, ignore_errors=True)
    files = write_scenario(study, exec_dir, args.budget, args.seed, args.test_type)
    start = time.monotonic()
    with open(os.path.join(exec_dir, "irace.log"), "w") as log:
        status = subprocess.run([IRACE, "--scenario", files["scenario.txt"]], cwd=exec_dir,
                                stdout=log, stderr=subprocess.STDOUT).returncode
    tuning_seconds = time.monotonic() - start
    if status != 0:
        sys.exit("run_irace.py: irace failed (exit status %d); see %s"
                 % (status, os.path.join(exec_dir, "irace.log")))
    config, runs, version = final_configuration(study, os.path.join(exec_dir, "irace.Rdata"))
    with open(os.path.join(exec_dir, "runs.jsonl")) as f:
        tuning_runs = [json.loads(line) for line in f if line.strip()]
    test = evaluate(study, config, log=os.path.join(exec_dir, "test-runs.jsonl"))
    row = {"tool": tool, "scenario": args.scenario, "seed": args.seed, "budget": args.budget,
           "test_cost": test["test_cost"], "train_runs": runs,
           "cpu_seconds": round(sum(r["seconds"] for r in tuning_runs), 3), "config": config,
           "capping": study.capping if study.cost == "runtime" else None,
           "test_type": test_type, "test_timeouts": test["timeouts"],
           "test_failures": test["failures"], "test_repeats": test["repeats"],
           "tuning_wall_seconds": round(tuning_seconds, 1), "irace_version": version,
           "instances": digest,
           "ran_at": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
    with open(cache, "a") as f:
        f.write(json.dumps(row) + "\n")
    print(json.dumps(row))


if __name__ == "__main__":
    main()

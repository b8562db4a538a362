#!/usr/bin/python3
# Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
"""One Winnow run of the algorithm-configuration comparison: `winnow run` on a configuration
study file (sampler "race") with the budget and seed given, then its final configuration is
evaluated on the test instances by evaluate_config.py, as irace's is (run_irace.py), and one
JSON line is printed with run_irace.py's fields ("tool": "winnow", "winnow_test_cost": the mean
of Winnow's own test runs when it made some, no irace_version).

  /usr/bin/python3 bench/configuration/run_winnow.py --work /tmp/ac-bench --scenario de \
      --seed 1 --budget 1000 [--winnow build/winnow] [--test t | --rf] [--no-capping]

--test t races with paired t-tests (sampler race:test=t; tool "winnow-ttest", beside irace's
"irace-ttest"); --rf tunes as SMAC does, with sampler rf under intensification and adaptive
capping (tool "winnow-rf"); by default the study file's sampler runs (race with its default
test: paired t-tests on a value cost, Friedman's test on a runtime cost).

--reuse-study skips the tuning when the study's storage from an earlier run is there: the final
configuration is read from it again (with this `winnow show`) and evaluated, for a change of how
the final configuration is chosen or evaluated; tuning_wall_seconds is then null.

--no-capping runs the sat-runtime study with `[objective] capping = false` (a copy of the file
named SCENARIO-nocap.toml, study name with "-nocap"), for the capping comparison.
"""

import argparse
import datetime
import json
import math
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from evaluate_config import evaluate  # noqa: E402
from run_irace import instances_digest  # noqa: E402
from study_runner import Study  # noqa: E402

PHASE_ATTR = "winnow.phase"  # include/winnow/attributes.h kPhaseAttr: "test" marks test runs


# ---------------------------------------------------------------------------------------------
# TO WIRE: Winnow's final configuration, the one place to change if `winnow show --json`
# changes. docs/configuration.md: the incumbent's parameters are at incumbent.params (and its
# test cost at incumbent.test_cost). Returns a dict of the active parameters' values (names as
# in [space]).
def winnow_incumbent(winnow, storage, study_name):
    output = subprocess.run([winnow, "show", "--storage", storage, "--study", study_name,
                             "--json"], capture_output=True, text=True, check=True).stdout
    incumbent = json.loads(output)["incumbent"]
    if isinstance(incumbent, dict) and isinstance(incumbent.get("params"), dict):
        incumbent = incumbent["params"]
    return incumbent
# ---------------------------------------------------------------------------------------------


def exported_trials(winnow, storage, study_name):
    output = subprocess.run([winnow, "export", "--storage", storage, "--study", study_name,
                             "--format", "jsonl"], capture_output=True, text=True,
                            check=True).stdout
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def without_capping(path):
    """A copy of the study file with `capping = false` in [objective] and "-nocap" added to the
    study's name, beside it."""
    with open(path) as f:
        text = f.read()
    text = re.sub(r'^(name\s*=\s*")([^"]*)"', r'\1\2-nocap"', text, count=1, flags=re.M)
    text = re.sub(r"^capping\s*=.*\n", "", text, flags=re.M)
    text = re.sub(r"^\[objective\]\n", "[objective]\ncapping = false\n", text, count=1, flags=re.M)
    copy = path[:-len(".toml")] + "-nocap.toml"
    with open(copy, "w") as f:
        f.write(text)
    return copy


def with_runs_dir(path, runs_dir, tag):
    """A copy of the study file, beside it, whose trials keep their folders in `runs_dir`: each
    run of the benchmark makes a new study of the same name, and a study's runs folder is its
    own."""
    with open(path) as f:
        text = f.read()
    text = re.sub(r"^runs_dir\s*=.*\n", "", text, flags=re.M)
    text = re.sub(r"^\[objective\]\n", "[objective]\nruns_dir = %s\n" % json.dumps(runs_dir),
                  text, count=1, flags=re.M)
    copy = path[:-len(".toml")] + "-" + tag + ".toml"
    with open(copy, "w") as f:
        f.write(text)
    return copy


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work", required=True, help="compare_irace.sh's work folder")
    parser.add_argument("--scenario", required=True, help="sat-runtime, sat-conflicts or de")
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--budget", type=int, required=True, help="target runs")
    parser.add_argument("--winnow", default="build/winnow")
    parser.add_argument("--test", choices=["auto", "t"], default="auto",
                        help="racing's statistical test (auto: race's default; t: race:test=t)")
    parser.add_argument("--rf", action="store_true",
                        help="sampler rf under intensification (SMAC's way; tool winnow-rf)")
    parser.add_argument("--no-capping", action="store_true")
    parser.add_argument("--race-options", default="",
                        help="options of sampler race, e.g. first_test=6 (recorded as "
                             "race_options; the study goes to a folder of its own)")
    parser.add_argument("--reuse-study", action="store_true",
                        help="read the final configuration from the earlier run's storage")
    args = parser.parse_args()
    work = os.path.abspath(args.work)
    winnow = os.path.abspath(args.winnow)
    path = os.path.join(work, args.scenario + ".toml")
    if args.no_capping:
        path = without_capping(path)
    study = Study(path)
    tool = "winnow-rf" if args.rf else "winnow" if args.test == "auto" else "winnow-ttest"
    folder = os.path.join(work, tool + ("-" + args.race_options.replace(",", "-").replace("=", "-")
                                        if args.race_options else ""))
    os.makedirs(folder, exist_ok=True)
    storage = os.path.join(folder, "%s%s-s%d.db" % (args.scenario,
                                                   "-nocap" if args.no_capping else "", args.seed))
    reuse = args.reuse_study and os.path.exists(storage)
    tuning_seconds = None
    if not reuse:
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(storage + suffix):
                os.remove(storage + suffix)
        runs_dir = storage[:-3] + "-runs"
        shutil.rmtree(runs_dir, ignore_errors=True)
        path = with_runs_dir(path, runs_dir, "%s-s%d" % (tool, args.seed))
        start = time.monotonic()
        with open(storage[:-3] + ".log", "w") as log:
            command = [winnow, "run", path, "--storage", storage, "--trials", str(args.budget),
                       "--seed", str(args.seed)]
            if args.rf:
                command += ["--sampler", "rf"]
            elif args.test == "t" or args.race_options:
                options = ["test=t"] if args.test == "t" else []
                options += [args.race_options] if args.race_options else []
                command += ["--sampler", "race:" + ",".join(options)]
            status = subprocess.run(command,
                                    cwd=work, stdout=log, stderr=subprocess.STDOUT).returncode
        tuning_seconds = time.monotonic() - start
        if status != 0:
            sys.exit("run_winnow.py: winnow run failed (exit status %d); see %s"
                     % (status, storage[:-3] + ".log"))
    config = winnow_incumbent(winnow, storage, study.name)
    trials = exported_trials(winnow, storage, study.name)
    tuning = [t for t in trials if t["user_attrs"].get(PHASE_ATTR) != "test"]
    own_test = [t for t in trials if t["user_attrs"].get(PHASE_ATTR) == "test"]
    test = evaluate(study, config, log=storage[:-3] + "-test-runs.jsonl")
    # The target's own CPU time (the engine's cpu_seconds metric of each run), where every run
    # has one (builds before it recorded none).
    cpu = [t.get("metrics", {}).get("cpu_seconds") for t in tuning]
    target_cpu = round(sum(cpu), 3) if cpu and None not in cpu else None
    row = {"tool": tool, "scenario": args.scenario, "seed": args.seed,
           "budget": args.budget, "test_cost": test["test_cost"], "train_runs": len(tuning),
           "cpu_seconds": round(sum(t["duration_s"] or 0 for t in tuning), 3),
           "target_cpu_seconds": target_cpu, "config": config,
           "capping": study.capping if study.cost == "runtime" else None,
           "test_type": (None if args.rf else "t-test"
                         if args.test == "t" or study.cost != "runtime" else "F-test"),
           "test_timeouts": test["timeouts"], "test_failures": test["failures"],
           "test_repeats": test["repeats"],
           "tuning_wall_seconds": None if reuse else round(tuning_seconds, 1),
           "instances": instances_digest(work),
           "ran_at": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
    if args.race_options:
        row["race_options"] = args.race_options
    if own_test and not reuse:  # a reused study's own test runs are of its first choice
        values = [t["values"][0] if t["values"] and t["values"][0] is not None else math.inf
                  for t in own_test]
        mean = sum(values) / len(values)
        row["winnow_test_cost"] = None if math.isinf(mean) else mean
    print(json.dumps(row))


if __name__ == "__main__":
    main()

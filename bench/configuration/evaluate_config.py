#!/usr/bin/python3
# Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
"""The test cost of a final configuration: runs it TEST_REPEATS times (--repeats) on every test
instance of a Winnow configuration study file, through the same runner irace used
(study_runner.py: the study's command, cost, cutoff and PAR factor), with fixed seeds per
instance and repeat (study_runner.test_seed), so every tool's configuration is judged on
identical runs. Prints one JSON object: test_cost (the mean cost over all runs, that is over the
instances of each one's mean; +inf as null if a run failed), runs, repeats, timeouts, failures,
seconds (the sum of the runs' wall seconds) and, with --per-instance, each run.

Why several runs per instance: the solvers are randomised, and one run per instance measures the
seed as much as the configuration. On sat-conflicts the mean of one configuration over another
set of seeds moves as much as the tools' final configurations differ (docs/benchmarks.md), so a
comparison on one run each would rank the tools by luck.

  /usr/bin/python3 bench/configuration/evaluate_config.py WORK/de.toml \
      --config '{"pop_size": 20, "f": 0.7, "cr": 0.3, "strategy": "best1", "crossover": "exp",
                 "restart": "off"}'
  /usr/bin/python3 bench/configuration/evaluate_config.py WORK/sat-runtime.toml --default

With --as-row SCENARIO it prints a row of the comparison instead (the fields of run_irace.py's,
"tool": "default", seed 0, budget 0): the untuned baseline the tools' gains are measured from.
"""

import argparse
import json
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from irace_scenario import default_configuration  # noqa: E402
from study_runner import Study, test_seed  # noqa: E402


# Runs per test instance. Ten divide the seed's share of a mean's spread by about three.
TEST_REPEATS = 10


def evaluate(study, config, split="test", log=None, repeats=TEST_REPEATS):
    """Runs `config` (a dict of the active parameters) `repeats` times on the `split`
    instances."""
    runs = [study.run(config, instance, test_seed(instance, repeat), log=log)
            for repeat in range(repeats) for instance in study.instance_paths(split)]
    costs = [r["cost"] for r in runs]
    mean = sum(costs) / len(costs)
    return {"test_cost": None if math.isinf(mean) else mean,
            "runs": len(runs),
            "repeats": repeats,
            "timeouts": sum(r["status"] == "timeout" for r in runs),
            "failures": sum(r["status"] == "failed" for r in runs),
            "seconds": sum(r["seconds"] for r in runs),
            "per_instance": [{"instance": os.path.basename(r["instance"]), "seed": r["seed"],
                              "cost": None if math.isinf(r["cost"]) else r["cost"],
                              "seconds": r["seconds"], "status": r["status"]} for r in runs]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("study")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--config", help="a JSON object of parameter values, or @FILE")
    which.add_argument("--default", action="store_true", help="the space's defaults")
    parser.add_argument("--split", default="test", choices=["train", "test"])
    parser.add_argument("--log", help="append every run to this JSON-lines file")
    parser.add_argument("--per-instance", action="store_true")
    parser.add_argument("--repeats", type=int, default=TEST_REPEATS,
                        help="runs per instance (default %d)" % TEST_REPEATS)
    parser.add_argument("--as-row", metavar="SCENARIO",
                        help="print a comparison row (tool \"default\") for SCENARIO")
    args = parser.parse_args()
    study = Study(args.study)
    if args.default:
        config = default_configuration(study.space)
    elif args.config.startswith("@"):
        with open(args.config[1:]) as f:
            config = json.load(f)
    else:
        config = json.loads(args.config)
    unknown = sorted(set(config) - set(study.space))
    if unknown:
        sys.exit("evaluate_config.py: not parameters of %s: %s" % (study.path, ", ".join(unknown)))
    if args.repeats < 1:
        sys.exit("evaluate_config.py: --repeats must be at least 1")
    result = evaluate(study, config, args.split, args.log, args.repeats)
    if args.as_row:
        print(json.dumps({"tool": "default", "scenario": args.as_row, "seed": 0, "budget": 0,
                          "test_cost": result["test_cost"], "train_runs": 0, "cpu_seconds": 0,
                          "config": config, "test_timeouts": result["timeouts"],
                          "test_failures": result["failures"],
                          "test_repeats": result["repeats"]}))
        return
    if not args.per_instance:
        del result["per_instance"]
    print(json.dumps(dict(result, config=config)))


if __name__ == "__main__":
    main()

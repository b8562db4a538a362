#!/usr/bin/python3
# Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
"""irace's target runner for a Winnow configuration study file (irace_scenario.py writes the
scenario and a `target-runner` script that calls this). irace calls

  target-runner CONFIG_ID INSTANCE_ID SEED INSTANCE [BOUND] --name=value ...

and this runs the study's command for that configuration, instance and seed through
study_runner.Study.run (the command line Winnow would run), appends the run to the --log file
(JSON lines), and prints the cost, and with a BOUND (irace's adaptive capping) also the run's
wall seconds, as irace wants them. A failed run of a "value" study prints Inf, which makes irace
reject the configuration, as a failed run makes Winnow's racing drop it.
"""

import argparse
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from study_runner import Study  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--study", required=True)
    parser.add_argument("--log")
    args, rest = parser.parse_known_args()
    if len(rest) < 4:
        sys.exit("irace_target_runner.py: expected CONFIG_ID INSTANCE_ID SEED INSTANCE ...")
    seed, instance, rest = int(rest[2]), rest[3], rest[4:]
    bound = None
    if rest and not rest[0].startswith("--"):
        bound = float(rest.pop(0))
    study = Study(args.study)
    config = {}
    for switch in rest:
        name, _, value = switch[2:].partition("=")
        config[name] = study.typed(name, value)
    run = study.run(config, instance, seed, bound=bound, log=args.log)
    cost = "Inf" if math.isinf(run["cost"]) else repr(run["cost"])
    print(cost if bound is None else "%s %r" % (cost, run["seconds"]))


if __name__ == "__main__":
    main()

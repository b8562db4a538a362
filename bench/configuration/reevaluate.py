#!/usr/bin/python3
# Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
"""Evaluates again, with evaluate_config.py's runs per instance, the final configurations of
comparison rows recorded with fewer (bench/results/configuration.jsonl): for the last row of each
(tool, scenario, seed, capping) whose test_repeats (1 when absent) differs from --repeats, it runs
the row's configuration on the test instances and prints the row again with test_cost,
test_timeouts, test_failures and test_repeats replaced, the earlier test cost as
"earlier_test_cost" with its "earlier_test_repeats", and the commit that tuned it as "tuned_at".
Tuning figures (train runs, seconds) are the tuning run's. Record the lines with
bench/record_results.sh; summarize.py then takes them, being the last of each key.

  bench/record_results.sh bench/results/configuration.jsonl -- /usr/bin/python3 \\
      bench/configuration/reevaluate.py bench/results/configuration.jsonl --work /tmp/ac-bench \\
      --scenarios sat-conflicts,de

WORK is compare_irace.sh's work folder with the same instances (checked by their digest): a
row whose instances differ is skipped with a warning. The default configuration's row (tool
"default") is evaluated again too.
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from bench_stats import load  # noqa: E402
from evaluate_config import TEST_REPEATS, evaluate  # noqa: E402
from irace_scenario import default_configuration  # noqa: E402
from run_irace import instances_digest  # noqa: E402
from study_runner import Study  # noqa: E402

STAMP = ("commit", "command", "machine", "date")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("results")
    parser.add_argument("--work", required=True)
    parser.add_argument("--scenarios", default="sat-runtime,sat-conflicts,de")
    parser.add_argument("--repeats", type=int, default=TEST_REPEATS)
    parser.add_argument("--tools", default="",
                        help="only these tools, separated by commas (default: every one)")
    args = parser.parse_args()
    if args.repeats < 1:
        sys.exit("reevaluate.py: --repeats must be at least 1, not %d" % args.repeats)
    work = os.path.abspath(args.work)
    digest = instances_digest(work)
    scenarios = args.scenarios.split(",")
    tools = set(args.tools.split(",")) if args.tools else set()
    latest = {}
    for row in load(args.results):
        if row.get("scenario") in scenarios and (not tools or row["tool"] in tools):
            latest[(row["tool"], row["scenario"], row["seed"], row.get("capping"))] = row
    studies = {}
    for key, row in latest.items():
        if row.get("test_repeats", 1) == args.repeats:
            continue
        if row["tool"] != "default" and row.get("instances") != digest:
            print("reevaluate.py: skipped %s: its instances are not those of %s" % (key, work),
                  file=sys.stderr)
            continue
        scenario = row["scenario"]
        if scenario not in studies:
            studies[scenario] = Study(os.path.join(work, scenario + ".toml"))
        study = studies[scenario]
        # A sat-runtime row without capping ran a copy of the study with capping off; the test
        # runs do not cap, so the study file's runner serves both.
        config = default_configuration(study.space) if row["tool"] == "default" else row["config"]
        test = evaluate(study, config, repeats=args.repeats)
        out = {k: v for k, v in row.items() if k not in STAMP}
        out.update({"test_cost": test["test_cost"], "test_timeouts": test["timeouts"],
                    "test_failures": test["failures"], "test_repeats": test["repeats"],
                    "earlier_test_cost": row.get("test_cost"),
                    "earlier_test_repeats": row.get("test_repeats", 1),
                    "tuned_at": row.get("tuned_at", row.get("commit"))})
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()

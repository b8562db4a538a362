#!/usr/bin/python3
# Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
"""Ensembles within an inference-time limit on the AutoML benchmark's datasets: for each dataset,
one outer fold is fitted twice on the same trials (seeded, a trial budget, no time limit), once
per front method, then build/bench/ensemble_front compares the fronts' hypervolumes and, on the
held-out rows, the front's choice under limits against AutoGluon's rule. Prints its JSON lines
(run it through bench/record_results.sh to stamp them):

  bench/record_results.sh bench/results/ensemble_front.jsonl -- \\
      /usr/bin/python3 bench/automl/ensemble_front.py --datasets vehicle,concrete --trials 30
  /usr/bin/python3 bench/automl/summarize_front.py bench/results/ensemble_front.jsonl
"""

import argparse
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", required=True, help="comma-separated names of datasets.json")
    parser.add_argument("--data", default=os.path.join(ROOT, "bench/automl/data"))
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--fold", type=int, default=0)
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--winnow", default=os.path.join(ROOT, "build/winnow"))
    parser.add_argument("--bench", default=os.path.join(ROOT, "build/bench/ensemble_front"))
    args = parser.parse_args()
    if not os.path.exists(os.path.join(args.data, "datasets.json")):
        subprocess.run([sys.executable, os.path.join(ROOT, "bench/automl/export_datasets.py"), args.data],
                       check=True, stdout=sys.stderr)
    failures = 0
    for name in args.datasets.split(","):
        entry, train, test = common.load_fold(args.data, name, args.folds, args.fold, as_text=True)
        with tempfile.TemporaryDirectory(prefix="winnow-front-") as tmp:
            train_path, test_path = os.path.join(tmp, "train.csv"), os.path.join(tmp, "test.csv")
            train.to_csv(train_path, index=False, lineterminator="\n")
            test.to_csv(test_path, index=False, lineterminator="\n")
            models = []
            try:
                for method in ("greedy", "nsga2"):
                    model = os.path.join(tmp, f"{method}.winnow")
                    subprocess.run([args.winnow, "automl", "fit", train_path, "--target", entry["target"],
                                    "--task", entry["task"], "--trials", str(args.trials), "--seed",
                                    str(args.seed), "--jobs", str(args.jobs), "--front-method", method,
                                    "--quiet", "--out", model], check=True)
                    models.append(f"{method}={model}")
                labels = ["--label", f"dataset={name}", "--label", f"trials={args.trials}",
                          "--label", f"fold={args.fold}"]
                result = subprocess.run([args.bench, "--test", test_path, *labels, *models],
                                        check=True, capture_output=True, text=True)
                sys.stdout.write(result.stdout)
                sys.stdout.flush()
            except subprocess.CalledProcessError as error:
                failures += 1
                print(f"{name}: {error}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
# Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
"""Writes the outer train/test CSV files of (dataset, fold), the same rows baselines.py uses, so
that Winnow's CLI can be run on exactly those folds:

  OUT_DIR/train.csv        header + rows of the outer training part, target column included
  OUT_DIR/test.csv         header + rows of the outer test part, WITHOUT the target column
  OUT_DIR/test_labels.csv  the test part's target column alone, in the same row order

Fields are copied as text from the exported file (no reformatting of numbers; missing values
stay empty), so a tool reads exactly what the baselines read.

  /usr/bin/python3 bench/automl/split.py --dataset vehicle --folds 3 --fold 0 --out /tmp/vehicle0
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402


def write_split(data_dir, name, folds, fold, out_dir):
    """Writes the three files; returns (manifest entry, paths dict)."""
    entry, train, test = common.load_fold(data_dir, name, folds, fold, as_text=True)
    os.makedirs(out_dir, exist_ok=True)
    target = entry["target"]
    paths = {key: os.path.join(out_dir, f"{key}.csv") for key in ("train", "test", "test_labels")}
    train.to_csv(paths["train"], index=False, lineterminator="\n")
    test.drop(columns=[target]).to_csv(paths["test"], index=False, lineterminator="\n")
    test[[target]].to_csv(paths["test_labels"], index=False, lineterminator="\n")
    return entry, paths


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--folds", type=int, default=10)
    parser.add_argument("--fold", type=int, default=0)
    parser.add_argument("--data", default=common.DEFAULT_DATA)
    parser.add_argument("--out", required=True, help="directory for train.csv, test.csv, test_labels.csv")
    args = parser.parse_args()
    entry, paths = write_split(args.data, args.dataset, args.folds, args.fold, args.out)
    print(f"{entry['name']} fold {args.fold}/{args.folds}: target {entry['target']!r} ({entry['task']}); "
          + ", ".join(paths.values()))


if __name__ == "__main__":
    main()

#!/usr/bin/python3
# Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
"""Exports the AutoML benchmark's datasets, all obtainable offline from Debian packages, as CSV
files (header, one target column, missing values as empty fields) plus datasets.json describing
them. The export is deterministic: the same package versions give byte-identical files, whose
sha256 the manifest records.

Sources: scikit-learn's bundled files (python3-sklearn), and through export_r_datasets.R the R
packages r-cran-mlbench, r-cran-modeldata and r-cran-ggplot2 (scripts/install-deps.sh --bench).

  /usr/bin/python3 bench/automl/export_datasets.py [OUT_DIR]   # default bench/automl/data
"""

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

# name: (target column, task, Debian package). Chosen to span a few hundred to 54k rows, all three
# tasks, and numeric-only as well as categorical and missing-valued features.
DATASETS = {
    "breast_cancer": ("diagnosis", "binary", "python3-sklearn"),
    "pima_diabetes": ("diabetes", "binary", "r-cran-mlbench"),        # missing values
    "credit_data": ("Status", "binary", "r-cran-modeldata"),          # categorical + missing
    "wa_churn": ("churn", "binary", "r-cran-modeldata"),              # categorical + missing
    "penguins": ("species", "multiclass", "r-cran-modeldata"),        # categorical + missing
    "vehicle": ("Class", "multiclass", "r-cran-mlbench"),
    "hpc_data": ("class", "multiclass", "r-cran-modeldata"),          # categorical, imbalanced
    "satellite": ("classes", "multiclass", "r-cran-mlbench"),
    "diabetes": ("progression", "regression", "python3-sklearn"),
    "concrete": ("compressive_strength", "regression", "r-cran-modeldata"),
    "ames": ("Sale_Price", "regression", "r-cran-modeldata"),         # 73 features, many categorical
    "diamonds": ("price", "regression", "r-cran-ggplot2"),            # 53,940 rows, categorical
}


def sklearn_frames():
    """The bundled scikit-learn sets (no download)."""
    from sklearn.datasets import load_breast_cancer, load_diabetes
    cancer = load_breast_cancer(as_frame=True)
    frame = cancer.data.copy()
    # Spaces in column names are legal CSV but a needless hurdle for command-line tools.
    frame.columns = [c.replace(" ", "_") for c in frame.columns]
    frame["diagnosis"] = [cancer.target_names[i] for i in cancer.target]
    diabetes = load_diabetes(as_frame=True, scaled=False)  # the original units, not standardised
    frame2 = diabetes.data.copy()
    frame2["progression"] = diabetes.target
    # to_csv writes floats with repr, so reading the CSV back gives the same values.
    return {"breast_cancer": frame, "diabetes": frame2}


def r_frames(tmp):
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "export_r_datasets.R")
    if shutil.which("Rscript") is None:
        sys.exit("Rscript not found: run scripts/install-deps.sh --bench (r-base-core, r-cran-*)")
    subprocess.run(["Rscript", "--vanilla", script, tmp], check=True, stdout=subprocess.DEVNULL)
    return {name: pd.read_csv(os.path.join(tmp, f"{name}.csv"), dtype=str, keep_default_na=False)
            for name in DATASETS if os.path.exists(os.path.join(tmp, f"{name}.csv"))}


def describe(name, frame, path):
    target, task, package = DATASETS[name]
    typed = common.read_csv(path, target, task)
    features = typed.drop(columns=[target])
    categorical = [c for c in features.columns if features[c].dtype == object]
    entry = {
        "name": name, "file": os.path.basename(path), "target": target, "task": task,
        "rows": len(frame), "columns": features.shape[1],
        "categorical_columns": len(categorical),
        "missing_cells": int(features.isna().sum().sum()),
        "source_package": package,
    }
    if task != "regression":
        counts = typed[target].value_counts()
        entry["classes"] = sorted(counts.index.tolist())
        entry["min_class_count"] = int(counts.min())
        if task == "binary":
            assert len(entry["classes"]) == 2, name
            entry["positive_class"] = entry["classes"][1]  # AUC does not depend on the choice
    with open(path, "rb") as f:
        entry["sha256"] = hashlib.sha256(f.read()).hexdigest()
    return entry


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out_dir", nargs="?", default=common.DEFAULT_DATA)
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        frames = {**sklearn_frames(), **r_frames(tmp)}
    entries = []
    for name, (target, task, _) in DATASETS.items():
        frame = frames[name]
        # A row without a label could not be scored (none today; guards newer package versions).
        frame = frame[frame[target] != ""].reset_index(drop=True)
        path = os.path.join(args.out_dir, f"{name}.csv")
        frame.to_csv(path, index=False, lineterminator="\n")
        entries.append(describe(name, frame, path))
        e = entries[-1]
        print(f"{name:14s} {task:10s} rows {e['rows']:6d} cols {e['columns']:3d} "
              f"categorical {e['categorical_columns']:3d} missing {e['missing_cells']:4d}  {e['source_package']}")
    with open(os.path.join(args.out_dir, "datasets.json"), "w") as f:
        json.dump({"datasets": entries}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()

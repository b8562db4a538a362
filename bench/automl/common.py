# Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
"""What the AutoML benchmark's scripts share, so that the baselines and Winnow are judged on the
same rows with the same metric: reading the manifest and a dataset, the outer folds, the metric,
and the provenance written with every result line."""

import datetime
import json
import os
import platform
import shlex
import subprocess
import sys

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DEFAULT_DATA = os.path.join(HERE, "data")
OUTER_SEED = 0  # fixed: every tool must see the same outer folds

# The AutoML Benchmark's default metric per task, and whether larger is better.
METRICS = {"binary": ("auc", True), "multiclass": ("logloss", False), "regression": ("rmse", False)}


def load_manifest(data_dir):
    path = os.path.join(data_dir, "datasets.json")
    if not os.path.exists(path):
        sys.exit(f"{path} not found: run /usr/bin/python3 bench/automl/export_datasets.py first")
    with open(path) as f:
        return {entry["name"]: entry for entry in json.load(f)["datasets"]}


def read_csv(path, target, task, as_text=False):
    """Reads a benchmark CSV. Only empty fields are missing: pandas' default list ("NA", "None",
    "null", ...) would turn real category labels into missing values. Class labels are kept as
    text so they match the column names of a prediction file. With as_text every field stays the
    exact text of the file, for writing folds without reformatting numbers."""
    if as_text:
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    dtype = {target: str} if task != "regression" else None
    return pd.read_csv(path, keep_default_na=False, na_values=[""], dtype=dtype)


def outer_indices(y, task, folds, fold):
    """Train and test row indices of outer fold `fold` of `folds` (AMLB uses 10): stratified for
    classification, shuffled with a fixed seed so every tool gets the same split."""
    from sklearn.model_selection import KFold, StratifiedKFold
    if not 0 <= fold < folds:
        raise ValueError(f"--fold must be in [0, {folds})")
    if task == "regression":
        splitter = KFold(n_splits=folds, shuffle=True, random_state=OUTER_SEED)
    else:
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=OUTER_SEED)
    placeholder = np.zeros(len(y))
    train, test = list(splitter.split(placeholder, np.asarray(y)))[fold]
    return train, test


def load_fold(data_dir, name, folds, fold, as_text=False):
    """(entry, train frame, test frame) of one outer fold."""
    entry = load_manifest(data_dir).get(name)
    if entry is None:
        sys.exit(f"unknown dataset {name!r}; see {os.path.join(data_dir, 'datasets.json')}")
    frame = read_csv(os.path.join(data_dir, entry["file"]), entry["target"], entry["task"], as_text)
    # The split depends only on the target's text, so typed and text reads split identically.
    labels = frame[entry["target"]].astype(str) if entry["task"] != "regression" else frame[entry["target"]]
    train, test = outer_indices(labels, entry["task"], folds, fold)
    return entry, frame.iloc[train].reset_index(drop=True), frame.iloc[test].reset_index(drop=True)


def score(entry, y_true, prediction):
    """The task's metric on the outer test fold. For classification `prediction` is a frame of
    class probabilities whose columns are class labels; classes the model never saw get
    probability 0 (then clipped by log_loss) rather than making the run fail."""
    from sklearn.metrics import log_loss, mean_squared_error, roc_auc_score
    task = entry["task"]
    if task == "regression":
        return float(np.sqrt(mean_squared_error(np.asarray(y_true, float), np.asarray(prediction, float))))
    classes = entry["classes"]
    proba = prediction.reindex(columns=classes, fill_value=0.0).to_numpy(float)
    y_true = np.asarray(y_true).astype(str)
    if task == "binary":
        # AUC is symmetric in the choice of positive class, as long as the score matches it.
        return float(roc_auc_score(y_true == entry["positive_class"], proba[:, classes.index(entry["positive_class"])]))
    return float(log_loss(y_true, proba, labels=classes))


def accuracy(entry, y_true, prediction):
    """Secondary figure for classification, for reading the tables; not used for ranking."""
    if entry["task"] == "regression":
        return None
    proba = prediction.reindex(columns=entry["classes"], fill_value=0.0).to_numpy(float)
    predicted = np.asarray(entry["classes"])[proba.argmax(axis=1)]
    return float(np.mean(predicted == np.asarray(y_true).astype(str)))


def provenance(argv=None):
    """commit/machine/date/command in the format bench/record_results.sh writes, so these lines
    sit alongside the other benchmark results."""
    def git(*args):
        return subprocess.run(["git", "-C", ROOT, *args], capture_output=True, text=True)
    commit = git("rev-parse", "--short=12", "HEAD").stdout.strip() or "unknown"
    # Only the measured code makes a result "+dirty": edits to docs, tests or earlier results do
    # not change what ran.
    if git("diff", "--quiet", "HEAD", "--", "src", "include", "cli", "CMakeLists.txt",
           "bench/automl").returncode == 1:
        commit += "+dirty"
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    uname = os.uname()
    argv = sys.argv if argv is None else argv
    return {
        "commit": commit,
        "command": shlex.join([os.path.relpath(os.path.abspath(argv[0]), ROOT)] + list(argv[1:])),
        "machine": f"{cpu}, {os.cpu_count()} cores, {uname.sysname} {uname.release}",
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def emit(record, out=None):
    """Prints one result line and, with out, appends it to that JSONL file."""
    line = json.dumps(record, sort_keys=False)
    print(line, flush=True)
    if out:
        os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
        with open(out, "a") as f:
            f.write(line + "\n")

#!/usr/bin/python3
# Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
"""Runs Winnow's AutoML command on one outer fold of one dataset under one time limit and writes
a result line in baselines.py's format (method "winnow"):

  winnow automl fit train.csv --target T --time-limit <L>s --out m.winnow --seed S [EXTRA...]
  winnow automl predict m.winnow test.csv --out pred.csv [--proba]

train.csv/test.csv are split.py's files (test.csv without the target). fit_s is the wall clock
of the fit command, peak_rss_mb the "Maximum resident set size" GNU time (/usr/bin/time -v)
reports for the fit process (predict's is predict_peak_rss_mb). For classification the
prediction file is read as one probability column per class, named after the class; for
regression as one column named after the target (or the only column). A fit that runs past
2 x limit + 120 s is killed and recorded as a timeout; any failure is recorded with status
"error" so the summary can count it.

  /usr/bin/python3 bench/automl/run_winnow.py --dataset vehicle --folds 3 --fold 0 --time-limit 60
"""

import argparse
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import split  # noqa: E402

GNU_TIME = "/usr/bin/time"  # the shell keyword `time` has no -v


class RunError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


def run_timed(command, log_path, timeout):
    """Runs command under GNU time; returns (wall seconds, peak RSS MB or None). The command gets
    its own process group so that a timeout kills Winnow, not just the time wrapper."""
    rusage_path = log_path + ".time"
    full = [GNU_TIME, "-v", "-o", rusage_path, *command]
    with open(log_path, "w") as log:
        start = time.monotonic()
        process = subprocess.Popen(full, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            code = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            raise RunError("timeout", f"killed after {timeout:.0f} s: {shlex.join(command)}")
        wall = time.monotonic() - start
    rss = None
    if os.path.exists(rusage_path):
        with open(rusage_path) as f:
            match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", f.read())
        if match:
            rss = round(int(match.group(1)) / 1024, 1)
    if code != 0:
        with open(log_path, errors="replace") as f:
            tail = f.read()[-2000:]
        raise RunError("error", f"exit {code}: {shlex.join(command)}\n{tail}")
    return wall, rss


def read_prediction(entry, path, n_rows):
    """The prediction file as baselines.py's prediction: a frame of class probabilities, or a
    vector of values for regression."""
    # Class names are text; keep them and the probability columns from being reinterpreted.
    frame = pd.read_csv(path, keep_default_na=False, na_values=[""])
    if len(frame) != n_rows:
        raise RunError("error", f"{path} has {len(frame)} rows, the test set {n_rows}")
    frame.columns = [str(c).strip() for c in frame.columns]
    if entry["task"] == "regression":
        column = entry["target"] if entry["target"] in frame.columns else None
        if column is None and frame.shape[1] == 1:
            column = frame.columns[0]
        if column is None:
            raise RunError("error", f"{path}: no column {entry['target']!r} among {list(frame.columns)}")
        return frame[column].to_numpy(float)
    present = [c for c in entry["classes"] if c in frame.columns]
    if not present:
        raise RunError("error", f"{path}: none of the classes {entry['classes']} among {list(frame.columns)}")
    # Classes absent from the file (never seen in training) get probability 0 in common.score.
    return frame[present].astype(float)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--folds", type=int, default=10)
    parser.add_argument("--fold", type=int, default=0)
    parser.add_argument("--time-limit", type=float, required=True, help="seconds")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--winnow", default=os.path.join(common.ROOT, "build", "winnow"), help="the winnow binary")
    parser.add_argument("--extra", default="", help="more arguments for `winnow automl fit`, one shell-quoted string")
    parser.add_argument("--data", default=common.DEFAULT_DATA)
    parser.add_argument("--work-dir", help="keep the split, model, prediction and logs here (default: a temporary directory)")
    parser.add_argument("--out", help="also append the JSON line to this file")
    parser.add_argument("--method", default="winnow",
                        help="method name in the results, e.g. winnow-refit for --extra=--refit")
    args = parser.parse_args()

    base = common.provenance()
    record = {"method": args.method, "dataset": args.dataset, "fold": args.fold, "folds": args.folds,
              "time_limit_s": args.time_limit, "seed": args.seed}
    work = args.work_dir or tempfile.mkdtemp(prefix=f"winnow-automl-{args.dataset}-{args.fold}-")
    try:
        if not os.access(GNU_TIME, os.X_OK):
            raise RunError("error", f"{GNU_TIME} not found: apt-get install time (scripts/install-deps.sh --bench)")
        winnow = os.path.abspath(args.winnow)
        if not os.access(winnow, os.X_OK):
            raise RunError("error", f"{winnow} is not an executable")
        entry, paths = split.write_split(args.data, args.dataset, args.folds, args.fold, os.path.join(work, "split"))
        record["task"] = entry["task"]
        labels = pd.read_csv(paths["test_labels"], dtype=str, keep_default_na=False)[entry["target"]]
        y_test = labels.to_numpy() if entry["task"] != "regression" else labels.astype(float).to_numpy()
        limit = f"{args.time_limit:g}s"
        model, pred = os.path.join(work, "m.winnow"), os.path.join(work, "pred.csv")
        fit = [winnow, "automl", "fit", paths["train"], "--target", entry["target"], "--time-limit", limit,
               "--out", model, "--seed", str(args.seed), *shlex.split(args.extra)]
        fit_s, fit_rss = run_timed(fit, os.path.join(work, "fit.log"), timeout=2 * args.time_limit + 120)
        predict = [winnow, "automl", "predict", model, paths["test"], "--out", pred]
        if entry["task"] != "regression":
            predict.append("--proba")
        predict_s, predict_rss = run_timed(predict, os.path.join(work, "predict.log"), timeout=args.time_limit + 600)
        prediction = read_prediction(entry, pred, len(y_test))
        metric, _ = common.METRICS[entry["task"]]
        # The best single trial of the same fit, kept in the model file, on the same test fold:
        # what the ensemble adds.
        single_pred = os.path.join(work, "pred-single.csv")
        single_command = [winnow, "automl", "predict", model, paths["test"], "--out", single_pred,
                          "--best-single"]
        if entry["task"] != "regression":
            single_command.append("--proba")
        run_timed(single_command, os.path.join(work, "predict-single.log"), timeout=args.time_limit + 600)
        single = read_prediction(entry, single_pred, len(y_test))
        record["value_best_single"] = common.score(entry, y_test, single)
        record.update({
            "status": "ok", "metric": metric, "value": common.score(entry, y_test, prediction),
            "accuracy": common.accuracy(entry, y_test, prediction),
            "fit_s": round(fit_s, 3), "predict_s": round(predict_s, 3),
            "peak_rss_mb": fit_rss, "predict_peak_rss_mb": predict_rss,
            "rss_scope": "process",  # GNU time's maxrss of the winnow fit process
            "n_train": entry["rows"] - len(y_test), "n_test": len(y_test),
            "winnow_args": args.extra,
        })
    except RunError as error:
        record.update({"status": error.status, "error": str(error), "value": None})
    except Exception as error:  # e.g. an unreadable prediction file
        record.update({"status": "error", "error": f"{type(error).__name__}: {error}", "value": None})
    finally:
        if not args.work_dir:
            # Kept on failure, for the logs.
            if record.get("status") == "ok":
                shutil.rmtree(work, ignore_errors=True)
            else:
                record["work_dir"] = work
    common.emit({**base, **record}, args.out)
    sys.exit(0 if record["status"] == "ok" else 1)


if __name__ == "__main__":
    main()

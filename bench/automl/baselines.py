#!/usr/bin/python3
# Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
"""Baselines of the AutoML benchmark on one outer fold of one dataset, under one time limit:

  rf          RandomForestClassifier / RandomForestRegressor, defaults
  hgb         HistGradientBoostingClassifier / HistGradientBoostingRegressor, defaults
  linear      LogisticRegression (classification; max_iter raised to 1000 so that it converges)
              or Ridge (regression; there is no logistic regression for it), defaults, after
              standard scaling
  xgb_optuna  XGBoost tuned by Optuna's TPESampler (seeded) within the time limit: inner 5-fold CV
              when rows*cols <= 1e6, else a 20% holdout; then the best is refit on the whole outer
              training part. Search, refit and preprocessing together stay within the limit.

Every model sees the same preprocessing, fitted on the outer training part: numeric columns
imputed with the median, categorical ones with the most frequent value and one-hot encoded
(unknown categories ignored). Only xgb_optuna uses the time limit; the default models are
recorded under it so that each limit's table is complete, and their fit time shows whether they
would have fitted in it.

Each method runs in its own process so that peak_rss_mb (getrusage ru_maxrss of that process,
interpreter, libraries and data included) is that method's. One JSON line per method on stdout
(and appended to --out). Metric on the outer test fold: ROC AUC (binary), log-loss (multiclass),
RMSE (regression), as in the AutoML Benchmark.

  /usr/bin/python3 bench/automl/baselines.py --dataset vehicle --folds 3 --fold 0 --time-limit 60
"""

import argparse
import math
import os
import resource
import subprocess
import sys
import time
import traceback

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

METHODS = ["rf", "hgb", "linear", "xgb_optuna"]


def preprocessor(features, scale):
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler
    categorical = [c for c in features.columns if features[c].dtype == object]
    numeric = [c for c in features.columns if c not in categorical]
    numeric_steps = [SimpleImputer(strategy="median")] + ([StandardScaler()] if scale else [])
    # Dense output: HistGradientBoosting does not take sparse input, and the widest set here (ames)
    # has a few hundred one-hot columns.
    return ColumnTransformer([
        ("numeric", make_pipeline(*numeric_steps), numeric),
        ("categorical", make_pipeline(SimpleImputer(strategy="most_frequent"),
                                      OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
         categorical),
    ])


def default_model(method, task, seed, n_jobs):
    from sklearn import ensemble, linear_model
    classify = task != "regression"
    if method == "rf":
        cls = ensemble.RandomForestClassifier if classify else ensemble.RandomForestRegressor
        return cls(random_state=seed, n_jobs=n_jobs)
    if method == "hgb":
        cls = ensemble.HistGradientBoostingClassifier if classify else ensemble.HistGradientBoostingRegressor
        return cls(random_state=seed)
    if method == "linear":
        return linear_model.LogisticRegression(max_iter=1000) if classify else linear_model.Ridge()
    raise ValueError(method)


def run_default(method, entry, X, y, X_test, seed, n_jobs):
    from sklearn.pipeline import make_pipeline
    model = make_pipeline(preprocessor(X, scale=method == "linear"),
                          default_model(method, entry["task"], seed, n_jobs))
    start = time.monotonic()
    model.fit(X, y)
    fit_s = time.monotonic() - start
    start = time.monotonic()
    if entry["task"] == "regression":
        prediction = model.predict(X_test)
    else:
        prediction = pd.DataFrame(model.predict_proba(X_test), columns=[str(c) for c in model.classes_])
    return prediction, fit_s, time.monotonic() - start, {}


class Deadline:
    """XGBoost callback that stops boosting at a wall-clock deadline, so that a slow trial (deep
    trees, many rounds on a large set) cannot carry the run past the time limit."""

    def __init__(self, at):
        import xgboost as xgb
        self.at = at
        self.hit = False
        # Subclassing at call time keeps xgboost's import out of the default methods' processes.
        outer = self

        class Callback(xgb.callback.TrainingCallback):
            def after_iteration(self, model, epoch, evals_log):
                if time.monotonic() >= outer.at:
                    outer.hit = True
                    return True
                return False
        self.callback = Callback()


def run_xgb_optuna(entry, X, y, X_test, seed, n_jobs, time_limit):
    """Optuna TPE over XGBoost, within time_limit seconds of wall clock counted from here:
    preprocessing, search and refit included (prediction is timed separately, as for the other
    methods)."""
    import optuna
    import xgboost as xgb
    from sklearn.model_selection import KFold, StratifiedKFold, train_test_split
    start = time.monotonic()
    deadline = start + time_limit
    task = entry["task"]

    # Fitted once on the outer training part: the inner validation folds then see medians and
    # category lists that include them, a negligible leak that saves refitting per inner fold.
    prep = preprocessor(X, scale=False)
    features = prep.fit_transform(X).astype(np.float32)
    test_features = prep.transform(X_test).astype(np.float32)
    if task == "regression":
        labels = np.asarray(y, float)
        classes = None
        params = {"objective": "reg:squarederror", "eval_metric": "rmse"}
    else:
        classes = sorted(pd.unique(y))  # the classes of the outer training part
        labels = np.searchsorted(classes, np.asarray(y))
        if len(classes) == 2:
            params = {"objective": "binary:logistic", "eval_metric": "auc"}
        else:
            # The native API with num_class set: an inner fold missing a rare class still trains.
            params = {"objective": "multi:softprob", "eval_metric": "mlogloss", "num_class": len(classes)}
    params.update({"tree_method": "hist", "nthread": n_jobs, "seed": seed, "verbosity": 0})

    rows, cols = X.shape
    if rows * cols <= 1e6:
        splitter = (KFold if task == "regression" else StratifiedKFold)(n_splits=5, shuffle=True, random_state=seed)
        inner = list(splitter.split(features, labels))
    else:
        stratify = labels if task != "regression" else None
        try:
            train, valid = train_test_split(np.arange(rows), test_size=0.2, random_state=seed, stratify=stratify)
        except ValueError:  # a class with one member cannot be stratified
            train, valid = train_test_split(np.arange(rows), test_size=0.2, random_state=seed)
        inner = [(train, valid)]

    def predict(booster, data):
        out = booster.predict(xgb.DMatrix(data))
        if task == "binary":
            out = np.column_stack([1 - out, out])
        return out

    def loss(truth, out):
        # What the outer metric measures, as a loss to minimise.
        from sklearn.metrics import log_loss, roc_auc_score
        if task == "regression":
            return float(np.sqrt(np.mean((out - truth) ** 2)))
        if task == "binary":
            return 1.0 - roc_auc_score(truth, out[:, 1]) if len(np.unique(truth)) == 2 else math.nan
        return float(log_loss(truth, out, labels=np.arange(len(classes))))

    def suggest(trial):
        p = dict(params)
        p.update({
            "eta": trial.suggest_float("eta", 1e-3, 0.5, log=True),
            "max_depth": trial.suggest_int("max_depth", 2, 10),
            "min_child_weight": trial.suggest_float("min_child_weight", 1e-2, 1e2, log=True),
            "subsample": trial.suggest_float("subsample", 0.5, 1.0),
            "colsample_bytree": trial.suggest_float("colsample_bytree", 0.3, 1.0),
            "lambda": trial.suggest_float("lambda", 1e-3, 1e2, log=True),
            "alpha": trial.suggest_float("alpha", 1e-3, 1e2, log=True),
        })
        return p, trial.suggest_int("num_boost_round", 16, 1024, log=True)

    # Time to keep for the refit on all rows: the best trial's mean per-fit time scaled by the
    # rows it will see (an inner fit sees 80%), with a 50% margin; plus a fixed second.
    fit_seconds = {}  # trial number -> mean seconds per inner fit

    def reserve(study):
        try:
            best = study.best_trial.number
        except ValueError:
            return 1.0
        return 1.0 + 1.5 * 1.25 * fit_seconds[best]

    search = {"stopped": False}

    def objective(trial):
        p, rounds = suggest(trial)
        search_end = deadline - reserve(trial.study)
        # Skip a trial that would most likely not finish: the median trial so far must fit.
        done = [t.duration.total_seconds() for t in trial.study.trials if t.duration and t.state.name == "COMPLETE"]
        if time.monotonic() + (float(np.median(done)) if done else 0.0) > search_end:
            search["stopped"] = True
            trial.study.stop()
            raise optuna.TrialPruned()
        guard = Deadline(search_end)
        losses, seconds = [], []
        for train, valid in inner:
            t0 = time.monotonic()
            booster = xgb.train(p, xgb.DMatrix(features[train], label=labels[train]), rounds,
                                callbacks=[guard.callback])
            seconds.append(time.monotonic() - t0)
            if guard.hit:  # cut short: its score would not be that of its parameters
                search["stopped"] = True
                trial.study.stop()
                raise optuna.TrialPruned()
            losses.append(loss(labels[valid], predict(booster, features[valid])))
        fit_seconds[trial.number] = float(np.mean(seconds))
        return float(np.nanmean(losses))

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="minimize", sampler=optuna.samplers.TPESampler(seed=seed))
    study.optimize(objective, timeout=max(0.0, time_limit - (time.monotonic() - start)))
    complete = [t for t in study.trials if t.state.name == "COMPLETE"]
    if complete:
        best_params, rounds = suggest(optuna.trial.FixedTrial(study.best_params))
    else:  # not even one trial fitted in the limit: refit XGBoost's defaults instead
        best_params, rounds = dict(params), 100

    # The refit also stops at the deadline; a truncated booster is still a usable model.
    guard = Deadline(deadline)
    booster = xgb.train(best_params, xgb.DMatrix(features, label=labels), rounds, callbacks=[guard.callback])
    fit_s = time.monotonic() - start

    t0 = time.monotonic()
    out = predict(booster, test_features)
    prediction = out if task == "regression" else pd.DataFrame(out, columns=classes)
    predict_s = time.monotonic() - t0
    info = {
        "inner": "5-fold" if len(inner) > 1 else "holdout-20%",
        "n_trials": len(complete),
        "n_trials_cut": len(study.trials) - len(complete),
        "best_inner_loss": study.best_value if complete else None,
        "best_params": study.best_params if complete else None,
        "refit_truncated": guard.hit,
    }
    return prediction, fit_s, predict_s, info


def run_one(args):
    entry, train, test = common.load_fold(args.data, args.dataset, args.folds, args.fold)
    target = entry["target"]
    X, y = train.drop(columns=[target]), train[target]
    X_test, y_test = test.drop(columns=[target]), test[target]
    from threadpoolctl import threadpool_limits
    # HistGradientBoosting and the BLAS behind LogisticRegression/Ridge use OpenMP/BLAS threads;
    # hold them to --n-jobs like the estimators that take n_jobs, so all methods get the same cores.
    with threadpool_limits(limits=args.n_jobs):
        if args.methods[0] == "xgb_optuna":
            prediction, fit_s, predict_s, info = run_xgb_optuna(entry, X, y, X_test, args.seed, args.n_jobs, args.time_limit)
        else:
            prediction, fit_s, predict_s, info = run_default(args.methods[0], entry, X, y, X_test, args.seed, args.n_jobs)
    metric, _ = common.METRICS[entry["task"]]
    record = {
        "method": args.methods[0], "dataset": entry["name"], "task": entry["task"],
        "fold": args.fold, "folds": args.folds, "time_limit_s": args.time_limit, "seed": args.seed,
        "n_jobs": args.n_jobs, "status": "ok", "metric": metric,
        "value": common.score(entry, y_test, prediction),
        "accuracy": common.accuracy(entry, y_test, prediction),
        "fit_s": round(fit_s, 3), "predict_s": round(predict_s, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "rss_scope": "process",  # ru_maxrss of this one-method Python process
        "n_train": len(train), "n_test": len(test),
    }
    record.update(info)
    return record


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--folds", type=int, default=10, help="outer folds (AMLB: 10)")
    parser.add_argument("--fold", type=int, default=0)
    parser.add_argument("--time-limit", type=float, required=True, help="seconds")
    parser.add_argument("--methods", default=",".join(METHODS), help="comma-separated subset of " + ",".join(METHODS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-jobs", type=int, default=1, help="threads per model (default 1)")
    parser.add_argument("--data", default=common.DEFAULT_DATA, help="directory of datasets.json")
    parser.add_argument("--out", help="also append the JSON lines to this file")
    args = parser.parse_args()
    args.methods = [m for m in args.methods.split(",") if m]
    unknown = set(args.methods) - set(METHODS)
    if unknown:
        parser.error(f"unknown methods {sorted(unknown)}")

    if len(args.methods) > 1:
        # One process per method, so each method's peak RSS is its own.
        status = 0
        for method in args.methods:
            argv = [a for a in sys.argv[1:]]
            i = argv.index("--methods") if "--methods" in argv else None
            if i is not None:
                del argv[i:i + 2]
            argv = [a for a in argv if not a.startswith("--methods=")]
            status |= subprocess.run([sys.executable, os.path.abspath(__file__), *argv, "--methods", method]).returncode
        sys.exit(status)

    base = common.provenance()
    try:
        record = run_one(args)
    except Exception as error:  # a failed run is a result too: the summary counts failures
        traceback.print_exc()
        record = {"method": args.methods[0], "dataset": args.dataset, "fold": args.fold, "folds": args.folds,
                  "time_limit_s": args.time_limit, "seed": args.seed, "status": "error",
                  "error": f"{type(error).__name__}: {error}", "value": None,
                  "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                  "rss_scope": "process"}
    common.emit({**base, **record}, args.out)
    sys.exit(0 if record["status"] == "ok" else 1)


if __name__ == "__main__":
    main()

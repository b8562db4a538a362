"""A conditional space in Optuna's define-by-run style, with the deprecated suggest forms, on
fixed configurations (enqueued) so both libraries must behave the same."""

import math

from common import emit, optuna, states


def objective(trial):
    clf = trial.suggest_categorical("clf", ["svc", "rf", None])
    if clf == "svc":
        c = trial.suggest_float("svc_c", 1e-3, 1e3, log=True)
        gamma = trial.suggest_loguniform("svc_gamma", 1e-4, 1.0)
        return abs(math.log10(c) - 1) + abs(math.log10(gamma) + 2)
    if clf == "rf":
        depth = trial.suggest_int("rf_depth", 2, 32, log=True)
        share = trial.suggest_discrete_uniform("rf_share", 0.1, 1.0, 0.1)
        trees = trial.suggest_int("rf_trees", 10, 100, step=10)
        return abs(depth - 8) / 8 + abs(share - 0.5) + trees / 1000
    unit = trial.suggest_uniform("plain", 0.0, 1.0)
    return 3 + unit


study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=3))
fixed = [
    {"clf": "svc", "svc_c": 10.0, "svc_gamma": 0.01},
    {"clf": "rf", "rf_depth": 8, "rf_share": 0.5, "rf_trees": 20},
    {"clf": None, "plain": 0.25},
    {"clf": "svc", "svc_c": 1.0, "svc_gamma": 0.1},
    {"clf": "rf", "rf_depth": 4, "rf_share": 0.9, "rf_trees": 100},
]
for params in fixed:
    study.enqueue_trial(params)
study.optimize(objective, n_trials=len(fixed))
study.optimize(objective, n_trials=20)  # sampled: only counts and states are compared
emit({
    "states": states(study),
    "fixed_values": [round(t.value, 9) for t in study.trials[:5]],
    "fixed_params": [t.params for t in study.trials[:5]],
    "best_number": study.best_trial.number,
    "best_params": study.best_params,
    "param_sets": sorted({",".join(sorted(t.params)) for t in study.trials}),
    "n_trials": len(study.trials),
})

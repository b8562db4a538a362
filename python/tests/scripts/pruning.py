"""Median pruning and successive halving on fixed learning curves: which trials are pruned is
defined by the configurations, so both libraries must prune the same ones."""

import sys

from common import emit, optuna, states

kind = sys.argv[2] if len(sys.argv) > 2 else "median"


def objective(trial):
    rate = trial.suggest_float("rate", 0.01, 1.0)
    loss = 1.0
    for step in range(1, 31):
        loss = 1.0 / (1 + rate * step) + (1 - rate) * 0.1
        trial.report(loss, step)
        if trial.should_prune():
            raise optuna.TrialPruned()
    return loss


pruner = {"median": optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=2),
          "percentile": optuna.pruners.PercentilePruner(40.0, n_startup_trials=2),
          "sh": optuna.pruners.SuccessiveHalvingPruner(min_resource=2, reduction_factor=3),
          "nop": optuna.pruners.NopPruner()}[kind]
study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0), pruner=pruner)
rates = [0.5, 0.9, 0.2, 0.7, 0.05, 0.95, 0.3, 0.6, 0.1, 0.8, 0.4, 0.02, 0.99, 0.15, 0.55]
for rate in rates:
    study.enqueue_trial({"rate": rate})
study.optimize(objective, n_trials=len(rates))
emit({
    "states": states(study),
    "best_number": study.best_trial.number,
    "pruned_values": [round(t.value, 9) if t.value is not None else None for t in study.trials
                      if t.state.name == "PRUNED"],
    "last_steps": [max(t.intermediate_values) for t in study.trials],
})

"""Two objectives with constraints: the Pareto front and feasibility of fixed trials."""

from common import emit, optuna, states


def objective(trial):
    x = trial.suggest_float("x", 0.0, 5.0)
    y = trial.suggest_float("y", 0.0, 3.0)
    trial.set_user_attr("constraint", [x + y - 6.0])
    return 4 * x ** 2 + 4 * y ** 2, (x - 5) ** 2 + (y - 5) ** 2


def constraints(frozen):
    return frozen.user_attrs["constraint"]


sampler = optuna.samplers.NSGAIISampler(seed=1, constraints_func=constraints)
study = optuna.create_study(directions=["minimize", "minimize"], sampler=sampler)
fixed = [(1, 1), (4, 3), (2, 2), (5, 0), (0, 0), (3, 3), (2.5, 1.5), (0.5, 2.5)]
for x, y in fixed:
    study.enqueue_trial({"x": x, "y": y})
study.optimize(objective, n_trials=len(fixed))
feasible = [t.number for t in study.trials if all(c <= 0 for c in t.system_attrs["constraints"])]
study.optimize(objective, n_trials=12)
emit({
    "states": states(study),
    "directions": [d.name for d in study.directions],
    "fixed_values": [[round(v, 9) for v in t.values] for t in study.trials[:len(fixed)]],
    "feasible_fixed": feasible,
    "n_trials": len(study.trials),
    "front_is_nondominated": all(
        not all(a <= b for a, b in zip(o.values, t.values)) or o.values == t.values
        for t in study.best_trials for o in study.trials if o.state.name == "COMPLETE"
        and all(c <= 0 for c in o.system_attrs["constraints"])),
})

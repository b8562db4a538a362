"""Exceptions in the objective: caught ones fail the trial and go on, others fail it and
propagate; None and NaN fail the trial."""

from common import emit, optuna, states


class Boom(RuntimeError):
    pass


def objective(trial):
    x = trial.suggest_int("x", 0, 9)
    kind = trial.number % 4
    if kind == 1:
        raise ValueError("bad value")
    if kind == 2:
        return None
    if kind == 3:
        return float("nan")
    return x


study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=4))
study.optimize(objective, n_trials=8, catch=(ValueError,))
raised = None
try:
    study.optimize(lambda t: (_ for _ in ()).throw(Boom("stop here")), n_trials=5)
except Boom as error:
    raised = str(error)
emit({"states": states(study), "raised": raised, "n_trials": len(study.trials)})

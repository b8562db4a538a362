"""ask/tell with every ending, enqueue with partial parameters, user attributes, stop()."""

from common import emit, optuna, states

study = optuna.create_study(direction="maximize",
                            sampler=optuna.samplers.RandomSampler(seed=2))
study.enqueue_trial({"x": 0.5})
a = study.ask()
x = a.suggest_float("x", 0.0, 1.0)
y = a.suggest_int("y", 0, 10)
a.set_user_attr("note", {"x": x})
done = study.tell(a, x + y)
b = study.ask()
b.suggest_float("x", 0.0, 1.0)
b.report(0.3, 1)
pruned = study.tell(b, state=optuna.trial.TrialState.PRUNED)
c = study.ask()
c.suggest_float("x", 0.0, 1.0)
failed = study.tell(c.number, state=optuna.trial.TrialState.FAIL)
d = study.ask()
d.suggest_float("x", 0.0, 1.0)
nan = study.tell(d, float("nan"))
stopped_after = []


def objective(trial):
    if trial.number >= 6:
        trial.study.stop()
    return trial.suggest_float("x", 0.0, 1.0)


study.optimize(objective, n_trials=50, callbacks=[lambda s, t: stopped_after.append(t.number)])
emit({
    "states": states(study),
    "enqueued_x": x,
    "told_state": done.state.name,
    "told_value": done.value,
    "user_attrs": study.trials[0].user_attrs,
    "pruned_value": pruned.value,
    "failed_state": failed.state.name,
    "nan_state": nan.state.name,
    "callback_numbers": stopped_after,
    "complete_only": len(study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))),
    "best_number": study.best_trial.number,
})

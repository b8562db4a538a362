"""Parameter importance through the Optuna surface (``optuna.importance``), on objectives whose
ranking is known: an additive function with chosen weights and one irrelevant parameter."""

import pytest

import winnow


def additive(trial):
    a = trial.suggest_float("a", 0, 1)
    b = trial.suggest_float("b", 0, 1)
    c = trial.suggest_float("c", 0, 1)
    trial.suggest_float("noise", 0, 1)
    return 5 * a + 2 * b + 0.5 * c


@pytest.fixture(scope="module")
def study():
    s = winnow.create_study(sampler=winnow.samplers.RandomSampler(seed=1))
    s.optimize(additive, n_trials=400)
    return s


@pytest.mark.parametrize("evaluator", [None, winnow.importance.FanovaImportanceEvaluator(seed=3),
                                       winnow.importance.PedAnovaImportanceEvaluator()])
def test_ranks_an_additive_function_right(study, evaluator):
    importances = winnow.importance.get_param_importances(study, evaluator=evaluator)
    assert list(importances) == ["a", "b", "c", "noise"]
    assert sum(importances.values()) == pytest.approx(1.0)
    assert importances["noise"] < 0.05


def test_fanova_shares_match_the_weights(study):
    importances = winnow.importance.get_param_importances(study)
    # 25 : 4 : 0.25 over 29.25.
    assert importances["a"] == pytest.approx(25 / 29.25, abs=0.06)
    assert importances["b"] == pytest.approx(4 / 29.25, abs=0.05)


def test_params_and_normalize(study):
    only = winnow.importance.get_param_importances(study, params=["c", "a"])
    assert list(only) == ["a", "c"]
    raw = winnow.importance.get_param_importances(study, normalize=False)
    assert 0.9 < sum(raw.values()) <= 1.0 + 1e-9   # additive: main effects explain nearly all


def test_several_objectives_need_a_target():
    s = winnow.create_study(directions=["minimize", "minimize"],
                            sampler=winnow.samplers.RandomSampler(seed=2))
    s.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)), n_trials=60)
    with pytest.raises(ValueError, match="target"):
        winnow.importance.get_param_importances(s)
    by_y = winnow.importance.get_param_importances(s, target=lambda t: t.values[1])
    assert list(by_y)[0] == "y"


def test_runs_unchanged_as_optuna():
    import winnow as optuna
    s = optuna.create_study()
    s.optimize(additive, n_trials=50)
    evaluator = optuna.importance.FanovaImportanceEvaluator(seed=0)
    assert list(evaluator.evaluate(s))[0] == "a"

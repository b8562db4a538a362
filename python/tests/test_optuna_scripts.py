"""Optuna-style scripts run unchanged with `import winnow as optuna`, and behave as they do with
Optuna 3.1 wherever behaviour is defined (fixed configurations: states, values, best trial,
pruned trials, Pareto feasibility, counts)."""

import importlib.util
import os

import pytest

from conftest import run_script

HAVE_OPTUNA = importlib.util.find_spec("optuna") is not None
both = pytest.mark.skipif(not HAVE_OPTUNA, reason="python3-optuna is not installed")


def compare(name, tmp_path, *extra, keys):
    ours = run_script(name, "winnow", tmp_path, *extra)
    if not HAVE_OPTUNA:
        return ours, None
    theirs = run_script(name, "optuna", tmp_path, *extra)
    for key in keys:
        assert ours[key] == theirs[key], f"{name}: '{key}' differs from Optuna's"
    return ours, theirs


def test_conditional_space(tmp_path):
    ours, _ = compare("conditional", tmp_path, keys=["states", "fixed_values", "fixed_params",
                                                     "n_trials", "param_sets"])
    assert ours["param_sets"] == ["clf,plain", "clf,rf_depth,rf_share,rf_trees",
                                  "clf,svc_c,svc_gamma"]
    assert ours["fixed_params"][2] == {"clf": None, "plain": 0.25}
    assert ours["n_trials"] == 25


@pytest.mark.parametrize("kind", ["median", "percentile", "sh", "nop"])
def test_pruning(tmp_path, kind):
    ours, _ = compare("pruning", tmp_path, kind,
                      keys=["states", "best_number", "pruned_values", "last_steps"])
    if kind != "nop":
        assert "PRUNED" in ours["states"]
    else:
        assert set(ours["states"]) == {"COMPLETE"}


def test_multi_objective_with_constraints(tmp_path):
    ours, _ = compare("multi_objective", tmp_path,
                      keys=["states", "directions", "fixed_values", "feasible_fixed", "n_trials"])
    assert ours["front_is_nondominated"]
    assert ours["feasible_fixed"] == [0, 2, 3, 4, 5, 6, 7]


def test_ask_and_tell(tmp_path):
    ours, _ = compare("ask_tell", tmp_path,
                      keys=["states", "enqueued_x", "told_state", "user_attrs",
                            "pruned_value", "failed_state", "nan_state", "callback_numbers",
                            "complete_only"])
    assert ours["states"][:4] == ["COMPLETE", "PRUNED", "FAIL", "FAIL"]
    assert ours["pruned_value"] == 0.3


def test_failures(tmp_path):
    ours, _ = compare("failures", tmp_path, keys=["states", "raised", "n_trials"])
    assert ours["states"][:8] == ["COMPLETE", "FAIL", "FAIL", "FAIL"] * 2
    assert ours["raised"] == "stop here"


def test_jobs_and_reused_storage(tmp_path):
    url = "sqlite:///" + "study.db"
    ours = run_script("jobs_and_storage", "winnow", tmp_path, url)
    assert ours["n_trials"] == 12 and ours["complete"] == 12
    ours = run_script("jobs_and_storage", "winnow", tmp_path, url)
    assert ours["n_trials"] == 24 and ours["names"] == ["shared"]
    assert os.path.exists(tmp_path / "study.db")
    if HAVE_OPTUNA:
        theirs = run_script("jobs_and_storage", "optuna", tmp_path, "sqlite:///optuna.db")
        assert theirs["n_trials"] == 12

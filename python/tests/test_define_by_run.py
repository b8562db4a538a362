"""Define-by-run spaces: they grow, are stored, are shared, and model-based samplers model
parameters that only some trials ask for."""

import json
import os
import sqlite3
import statistics
import subprocess

import pytest

import winnow


def conditional(trial):
    branch = trial.suggest_categorical("branch", ["a", "b"])
    if branch == "a":
        x = trial.suggest_float("x_a", 0.0, 1.0)
        return (x - 0.9) ** 2
    y = trial.suggest_float("x_b", 0.0, 1.0)
    return 0.5 + (y - 0.1) ** 2


def test_trials_store_only_the_parameters_they_asked_for():
    study = winnow.create_study(sampler=winnow.samplers.RandomSampler(seed=1))
    study.optimize(conditional, n_trials=20)
    for trial in study.trials:
        expected = {"branch", "x_a"} if trial.params["branch"] == "a" else {"branch", "x_b"}
        assert set(trial.params) == expected
        assert set(trial.distributions) == expected


def test_a_parameter_asked_with_another_range_is_a_value_error_naming_both():
    study = winnow.create_study()
    study.optimize(lambda t: t.suggest_float("lr", 1e-5, 1e-1, log=True), n_trials=2)
    trial = study.ask()
    with pytest.raises(ValueError) as error:
        trial.suggest_float("lr", 1e-4, 1.0, log=True)
    message = str(error.value)
    assert "'lr'" in message and "[1e-04, 1]" in message and "[1e-05, 0.1]" in message
    with pytest.raises(ValueError, match="'lr'.*int"):
        trial.suggest_int("lr", 1, 5)
    with pytest.raises(ValueError, match="'bad'.*less than"):
        trial.suggest_float("bad", 1.0, 0.5)
    assert trial.suggest_float("lr", 1e-5, 1e-1, log=True) > 0  # the trial goes on


def test_asking_twice_gives_the_same_value():
    study = winnow.create_study()
    trial = study.ask()
    first = trial.suggest_float("x", 0, 1)
    assert trial.suggest_float("x", 0, 1) == first


def test_tpe_models_a_conditional_parameter_after_start_up():
    distances = []
    for seed in range(3):
        study = winnow.create_study(sampler=winnow.samplers.TPESampler(seed=seed))
        study.optimize(conditional, n_trials=80)
        late = [t.params["x_a"] for t in study.trials[40:] if "x_a" in t.params]
        assert late, "TPE should keep trying the better branch"
        distances.append(statistics.median(abs(x - 0.9) for x in late))
    # Uniform draws would be 0.3 away from 0.9 at the median.
    assert statistics.median(distances) < 0.1, distances


def test_auto_sampler_hands_a_conditional_define_by_run_space_to_tpe():
    study = winnow.create_study(sampler=winnow.samplers.AutoSampler(seed=3))
    study.optimize(conditional, n_trials=25)
    late = study.trials[-1].system_attrs
    assert late["winnow.sampler"] == "tpe", late
    assert "only some trials ask for" in late["winnow.sampler_reason"]


def test_flat_define_by_run_space_goes_to_the_gaussian_process():
    study = winnow.create_study(sampler=winnow.samplers.AutoSampler(seed=3))
    study.optimize(lambda t: t.suggest_float("x", -3, 3) ** 2 + t.suggest_float("y", -3, 3) ** 2,
                   n_trials=15)
    assert study.trials[-1].system_attrs["winnow.sampler"] == "gp"
    assert study.best_value < 0.5


def test_the_space_is_stored_and_winnow_show_sees_the_study(tmp_path, winnow_binary):
    db = tmp_path / "tune.db"
    study = winnow.create_study(storage=f"sqlite:///{db}", study_name="dbr")
    study.optimize(conditional, n_trials=10)
    stored = sqlite3.connect(db).execute("SELECT space_json FROM studies WHERE name = 'dbr'")
    space = json.loads(stored.fetchone()[0])
    assert space["define_by_run"] is True
    assert {p["name"] for p in space["params"]} == {"branch", "x_a", "x_b"}
    shown = subprocess.run([winnow_binary, "show", str(db)], capture_output=True, text=True,
                           check=True).stdout
    assert "Trials: 10" in shown and "branch" in shown


def test_sqlalchemy_urls_are_relative_with_three_slashes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    winnow.create_study(storage="sqlite:///here.db", study_name="s").optimize(
        lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    assert (tmp_path / "here.db").exists()


def test_a_study_made_by_the_cli_opens_in_python(tmp_path, winnow_binary):
    (tmp_path / "f.py").write_text("import sys\nprint((float(sys.argv[1]) - 0.3) ** 2)\n")
    (tmp_path / "study.toml").write_text(
        '[study]\nname = "cli"\ntrials = 6\nseed = 1\nsampler = "random"\n'
        '[objective]\ncommand = ["/usr/bin/python3", "f.py", "{x}"]\n'
        '[space.x]\ntype = "float"\nlow = 0.0\nhigh = 1.0\n')
    subprocess.run([winnow_binary, "run", "study.toml", "-q"], cwd=tmp_path, check=True,
                   capture_output=True)
    study = winnow.load_study(study_name="cli", storage=str(tmp_path / "study.db"))
    assert len(study.trials) == 6
    # A Python objective on the declared space: the same parameter, the trial's own value.
    study.optimize(lambda t: (t.suggest_float("x", 0.0, 1.0) - 0.3) ** 2, n_trials=3)
    assert len(study.trials) == 9
    with pytest.raises(ValueError, match="declared search space"):
        study.optimize(lambda t: t.suggest_float("y", 0, 1), n_trials=1)


SHARED = """
import sys, winnow
winnow.logging.set_verbosity(winnow.logging.WARNING)
study = winnow.create_study(storage=sys.argv[1], study_name="shared", load_if_exists=True,
                            sampler=winnow.samplers.RandomSampler(seed=7))
study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_int("k", 0, 1000), n_trials=40)
"""


def test_processes_with_one_seed_never_repeat_a_configuration(tmp_path):
    script = tmp_path / "shared.py"
    script.write_text(SHARED)
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(os.path.abspath(p) for p in
                                        env.get("PYTHONPATH", "").split(os.pathsep) if p)
    workers = [subprocess.Popen(["/usr/bin/python3", str(script), url], env=env)
               for _ in range(3)]
    assert all(w.wait(timeout=300) == 0 for w in workers)
    study = winnow.load_study(study_name="shared", storage=url)
    configs = [(t.params["x"], t.params["k"]) for t in study.trials]
    assert len(configs) == 120
    assert len(set(configs)) == 120


def test_suggest_float_takes_every_call_shape_and_reports_bad_arguments():
    trial = winnow.create_study().ask()
    assert 0 <= trial.suggest_float("a", 0, 1) <= 1
    assert 1e-3 <= trial.suggest_float("b", 1e-3, 1.0, log=True) <= 1.0
    assert trial.suggest_float("c", 0, 1, step=0.25) in (0.0, 0.25, 0.5, 0.75, 1.0)
    assert 0 <= trial.suggest_float(name="d", low=0, high=2) <= 2
    assert trial.suggest_float("e", 3, 3) == 3.0
    with pytest.raises(TypeError):
        trial.suggest_float(3, 0, 1)
    with pytest.raises(TypeError):
        trial.suggest_float("f", "low", 1)
    with pytest.raises(TypeError):
        trial.suggest_float("g", 0, 1, 0.5)  # step is keyword-only, as in Optuna
    with pytest.raises(ValueError, match="step cannot be combined with log"):
        trial.suggest_float("h", 0.1, 1, step=0.1, log=True)
    with pytest.raises(ValueError, match="less than high"):
        trial.suggest_float("i", 1.0, 0.0)
    assert set(trial.params) == {"a", "b", "c", "d"}


def test_suggest_int_takes_every_call_shape_and_reports_bad_arguments():
    trial = winnow.create_study().ask()
    assert 1 <= trial.suggest_int("a", 1, 9) <= 9
    assert trial.suggest_int("b", 0, 10, 5) in (0, 5, 10)  # step may be positional
    assert trial.suggest_int("c", 0, 10, step=2) % 2 == 0
    assert 1 <= trial.suggest_int("d", 1, 1000, log=True) <= 1000
    assert 1 <= trial.suggest_int(name="e", low=1, high=3) <= 3
    assert trial.suggest_int("f", 4, 4) == 4
    with pytest.raises(TypeError, match="parameter 'g': low must be an integer, not 0.5"):
        trial.suggest_int("g", 0.5, 3)
    assert 0 <= trial.suggest_int("j", 0.0, 3.0) <= 3  # integral floats, as Optuna takes them
    with pytest.raises(TypeError, match="step must be an integer"):
        trial.suggest_int("k", 0, 4, step=1.5)
    with pytest.raises(ValueError, match="step cannot be combined with log"):
        trial.suggest_int("h", 1, 9, step=2, log=True)
    with pytest.raises(ValueError, match="'a'"):
        trial.suggest_int("a", 1, 10)
    assert isinstance(trial.suggest_int("a", 1, 9), int)


def test_a_finished_trial_refuses_changes_and_a_step_reports_once():
    study = winnow.create_study()
    trial = study.ask()
    trial.suggest_float("x", 0, 1)
    trial.report(1.0, 0)
    with pytest.warns(UserWarning, match="step` 0 is already reported"):
        trial.report(2.0, 0)
    study.tell(trial, 0.5)
    assert study.trials[0].intermediate_values == {0: 1.0}  # the first value stands, as in Optuna
    for change in (lambda: trial.suggest_float("y", 0, 1), lambda: trial.suggest_int("n", 0, 3),
                   lambda: trial.suggest_categorical("c", ["a", "b"]),
                   lambda: trial.report(1.0, 1), lambda: trial.set_user_attr("k", 1)):
        with pytest.raises(winnow.exceptions.UpdateFinishedTrialError,
                           match="Trial#0 has already finished"):
            change()
    assert isinstance(winnow.exceptions.UpdateFinishedTrialError("x"), RuntimeError)
    # The stored space did not grow from a trial that no longer runs.
    assert set(study.trials[0].params) == {"x"}
    assert set(study.trials[0].distributions) == {"x"}
    for seed in (-1, 2**63, 1.5, True):
        with pytest.raises(ValueError, match="seed must be an integer from 0 to 2\\*\\*63 - 1"):
            winnow.samplers.TPESampler(seed=seed)


def test_a_queued_value_the_objective_cannot_use_is_drawn_with_a_warning(capfd):
    study = winnow.create_study()
    study.enqueue_trial({"x": 5.0, "n": 2})
    study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_int("n", 0, 3), n_trials=1)
    params = study.trials[0].params
    assert 0 <= params["x"] <= 1 and params["n"] == 2
    err = capfd.readouterr().err
    assert "trial 0: the queued value of 'x' does not fit" in err and "a value was drawn" in err
    assert "'n'" not in err

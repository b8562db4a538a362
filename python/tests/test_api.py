"""The rest of the Optuna surface: threads, failures, Ctrl-C, samplers and pruners with their
options, grid search, study functions, data frames, study files and declared spaces."""

import sqlite3
import threading
import time

import pytest

import winnow
from conftest import run_python


def test_n_jobs_runs_objectives_on_several_threads_at_once():
    active, peak, lock = [0], [0], threading.Lock()

    def objective(trial):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.02)
        with lock:
            active[0] -= 1
        return trial.suggest_float("x", 0, 1)

    study = winnow.create_study(sampler=winnow.samplers.TPESampler(seed=0))
    study.optimize(objective, n_trials=40, n_jobs=4)
    assert len(study.trials) == 40
    assert all(t.state == winnow.TrialState.COMPLETE for t in study.trials)
    assert peak[0] >= 3


def test_sampling_runs_without_the_gil():
    # A Python thread keeps counting while the main thread asks a Gaussian process for
    # proposals. The counter is read just before and just after each ask: the main thread holds
    # the GIL from the read to the native call, so the counter can only move during the ask if
    # the ask let go of the GIL.
    study = winnow.create_study(sampler=winnow.samplers.GPSampler(seed=0, n_startup_trials=5))
    study.optimize(lambda t: sum((t.suggest_float(f"x{i}", 0, 1) - 0.3) ** 2 for i in range(6)),
                   n_trials=30)
    counts, stop = [0], threading.Event()

    def count():
        while not stop.is_set():
            counts[0] += 1

    counter = threading.Thread(target=count)
    counter.start()
    moved = 0
    try:
        for _ in range(16):
            before = counts[0]
            trial = study.ask()
            moved += counts[0] > before
            study.tell(trial, sum(trial.suggest_float(f"x{i}", 0, 1) for i in range(6)))
    finally:
        stop.set()
        counter.join()
    # On a loaded machine the counting thread may find no core free during a short ask; an ask
    # that kept the GIL would let it move during none.
    assert moved >= 3, f"the counter moved during {moved} of 16 asks"


def test_an_exception_stores_its_traceback_and_is_raised_again():
    study = winnow.create_study()

    def objective(trial):
        trial.suggest_float("x", 0, 1)
        raise KeyError("missing column")

    with pytest.raises(KeyError):
        study.optimize(objective, n_trials=3)
    assert len(study.trials) == 1
    failed = study.trials[0]
    assert failed.state == winnow.TrialState.FAIL
    assert "Traceback" in failed.failure_reason and "missing column" in failed.failure_reason
    assert failed.params.keys() == {"x"}


CTRL_C = """
import os, signal, sys, time, winnow
winnow.logging.set_verbosity(winnow.logging.WARNING)
study = winnow.create_study(storage=sys.argv[1], study_name="s", load_if_exists=True)
def objective(trial):
    x = trial.suggest_float("x", 0, 1)
    if trial.number == 3 and len(sys.argv) > 2:
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(1)  # still running when the main thread sees Ctrl-C
    return x
study.optimize(objective, n_trials=10, n_jobs=int(sys.argv[3]) if len(sys.argv) > 3 else 1)
"""


@pytest.mark.parametrize("jobs", ["1", "3"])
def test_ctrl_c_marks_running_trials_interrupted_and_the_study_resumes(tmp_path, jobs):
    script = tmp_path / "ctrl_c.py"
    script.write_text(CTRL_C)
    url = f"sqlite:///{tmp_path / 's.db'}"
    result = run_python([str(script), url, "interrupt", jobs], tmp_path, check=False)
    assert result.returncode != 0 and "KeyboardInterrupt" in result.stderr
    study = winnow.load_study(study_name="s", storage=url)
    interrupted = [t for t in study.trials if "interrupted" in t.failure_reason]
    assert interrupted and all(t.state == winnow.TrialState.FAIL for t in interrupted)
    assert not [t for t in study.trials if t.state == winnow.TrialState.RUNNING]
    run_python([str(script), url], tmp_path)
    study = winnow.load_study(study_name="s", storage=url)
    assert sum(t.state == winnow.TrialState.COMPLETE for t in study.trials) >= 10


@pytest.mark.parametrize("sampler", [
    winnow.samplers.RandomSampler(seed=1), winnow.samplers.QMCSampler(seed=1),
    winnow.samplers.TPESampler(seed=1, n_startup_trials=5, multivariate=False),
    winnow.samplers.TPESampler(seed=1, constant_liar=True, n_ei_candidates=12),
    winnow.samplers.CmaEsSampler(seed=1, sigma0=0.3), winnow.samplers.GPSampler(seed=1),
    winnow.samplers.AutoSampler(seed=1), winnow.samplers.NSGAIISampler(seed=1,
                                                                        population_size=6)])
def test_every_sampler_optimises(sampler):
    study = winnow.create_study(sampler=sampler)
    study.optimize(lambda t: (t.suggest_float("x", -5, 5) - 1) ** 2 +
                   abs(t.suggest_int("n", 0, 8) - 3), n_trials=20)
    assert len(study.trials) == 20 and study.best_value < 4


def test_gp_sampler_takes_two_objectives_and_constraints_as_optunas_does():
    # Feasible where x + y <= 1, which holds the whole front (y = 0).
    def objective(trial):
        x, y = trial.suggest_float("x", 0, 1), trial.suggest_float("y", 0, 1)
        trial.set_user_attr("c", [x + y - 1.0])
        return x, (1 - x) ** 2 + y

    sampler = winnow.samplers.GPSampler(seed=3, n_startup_trials=6,
                                        constraints_func=lambda t: t.user_attrs["c"])
    study = winnow.create_study(directions=["minimize", "minimize"], sampler=sampler)
    study.optimize(objective, n_trials=16)
    assert len(study.trials) == 16
    assert all("winnow.gp.kernels" in t.system_attrs for t in study.trials[6:])
    feasible = [t for t in study.trials[6:] if t.user_attrs["c"][0] <= 0]
    assert len(feasible) >= 7
    assert all(t.user_attrs["c"][0] <= 0 for t in study.best_trials)


def test_options_without_meaning_here_are_refused_with_the_reason():
    with pytest.raises(ValueError, match="gamma.*natively"):
        winnow.samplers.TPESampler(gamma=lambda n: 10)
    with pytest.raises(ValueError, match="halton"):
        winnow.samplers.QMCSampler(qmc_type="halton")
    with pytest.raises(ValueError, match="sigma0"):
        winnow.samplers.CmaEsSampler(sigma0=3.0)
    with pytest.raises(ValueError, match="reduction_factor"):
        winnow.pruners.SuccessiveHalvingPruner(reduction_factor=1)
    with pytest.raises(ValueError, match="floor"):
        winnow.samplers.TPESampler(consider_magic_clip=False)
    with pytest.raises(ValueError, match="liveness"):
        winnow.storages.RDBStorage("sqlite:///x.db", heartbeat_interval=60)
    with pytest.raises(ValueError, match="PostgreSQL"):
        winnow.create_study(storage="mysql://db/winnow")


def test_cma_es_starts_from_x0():
    sampler = winnow.samplers.CmaEsSampler(x0={"x": 1.5, "y": -2.0}, seed=3)
    study = winnow.create_study(sampler=sampler)
    study.optimize(lambda t: t.suggest_float("x", -5, 5) ** 2 + t.suggest_float("y", -5, 5) ** 2,
                   n_trials=3)
    assert study.trials[0].params == {"x": 1.5, "y": -2.0}


def test_grid_sampler_takes_every_combination_once_then_stops():
    grid = {"x": [-1.0, 0.0, 1.0], "opt": ["a", "b"]}
    study = winnow.create_study(sampler=winnow.samplers.GridSampler(grid, seed=0))
    study.optimize(lambda t: t.suggest_float("x", -1, 1) + (t.suggest_categorical(
        "opt", ["a", "b"]) == "b"), n_trials=50)
    seen = {(t.params["x"], t.params["opt"]) for t in study.trials}
    assert len(study.trials) == 6 and len(seen) == 6
    fresh = winnow.create_study(sampler=winnow.samplers.GridSampler(grid, seed=0))
    with pytest.raises(ValueError, match="not found in the given grid"):
        fresh.ask().suggest_float("other", 0, 1)


def test_hyperband_and_threshold_pruners_prune_bad_curves():
    for pruner in (winnow.pruners.HyperbandPruner(min_resource=1, max_resource=27),
                   winnow.pruners.ThresholdPruner(upper=0.8)):
        study = winnow.create_study(pruner=pruner, sampler=winnow.samplers.RandomSampler(seed=0))

        def objective(trial):
            rate = trial.suggest_float("rate", 0.0, 1.0)
            for step in range(1, 28):
                trial.report(1.0 - rate + 0.01 * step * (1 - rate), step)
                if trial.should_prune():
                    raise winnow.TrialPruned()
            return 1.0 - rate

        study.optimize(objective, n_trials=40)
        assert any(t.state == winnow.TrialState.PRUNED for t in study.trials), pruner


def test_study_functions_and_data_frame(tmp_path):
    url = f"sqlite:///{tmp_path / 'a.db'}"
    study = winnow.create_study(storage=url, study_name="one", direction="maximize")
    study.set_user_attr("owner", {"team": "vision"})
    study.optimize(lambda t: t.suggest_int("k", 1, 5), n_trials=5)
    with pytest.raises(winnow.exceptions.DuplicatedStudyError):
        winnow.create_study(storage=url, study_name="one")
    assert study.user_attrs == {"owner": {"team": "vision"}}
    summaries = winnow.get_all_study_summaries(url)
    assert [s.study_name for s in summaries] == ["one"]
    assert summaries[0].n_trials == 5 and summaries[0].best_trial.value == study.best_value
    assert summaries[0].user_attrs == {"owner": {"team": "vision"}}
    winnow.copy_study(from_study_name="one", from_storage=url,
                      to_storage=f"sqlite:///{tmp_path / 'b.db'}", to_study_name="copy")
    copied = winnow.load_study(study_name="copy", storage=f"sqlite:///{tmp_path / 'b.db'}")
    assert [t.params for t in copied.trials] == [t.params for t in study.trials]
    frame = study.trials_dataframe()
    assert list(frame["params_k"]) == [t.params["k"] for t in study.trials]
    assert {"number", "value", "state", "duration"} <= set(frame.columns)
    winnow.delete_study(study_name="one", storage=url)
    assert winnow.get_all_study_names(url) == []


CREATE_AT_ONCE = """
import os, sys, time, winnow
go = sys.argv[2]
while not os.path.exists(go):
    time.sleep(0.001)
try:
    winnow.create_study(storage=sys.argv[1], study_name="shared")
    print("created")
except winnow.exceptions.DuplicatedStudyError:
    print("duplicate")
"""


def test_processes_creating_one_study_at_once_make_one_and_the_rest_hear_it_exists(tmp_path):
    # Optuna's create_study without load_if_exists lets exactly one creator win; the others get
    # DuplicatedStudyError even when all of them looked for the name before any had created it.
    script = tmp_path / "create.py"
    script.write_text(CREATE_AT_ONCE)
    path = tmp_path / "c.db"
    url = f"sqlite:///{path}"
    winnow.create_study(storage=url, study_name="other")  # the file and its tables
    go = tmp_path / "go"
    outcomes = []
    threads = [threading.Thread(target=lambda: outcomes.append(
        run_python([str(script), url, str(go)], tmp_path).stdout.strip())) for _ in range(8)]
    for thread in threads:
        thread.start()
    time.sleep(2)  # every interpreter has imported winnow and waits for the go file
    # Writers wait while this connection holds the write lock, so every process has looked
    # for the name, and not found it, before any of them can create the study.
    lock = sqlite3.connect(path, isolation_level=None)
    lock.execute("BEGIN IMMEDIATE")
    go.write_text("")
    time.sleep(1.5)
    lock.execute("COMMIT")
    lock.close()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["created"] + ["duplicate"] * 7
    assert sorted(winnow.get_all_study_names(url)) == ["other", "shared"]


def test_add_trial_and_best_trial_reevaluation():
    study = winnow.create_study()
    study.add_trial(winnow.create_trial(
        params={"x": 0.25}, distributions={"x": winnow.distributions.FloatDistribution(0, 1)},
        value=0.0625))
    study.optimize(lambda t: t.suggest_float("x", 0, 1) ** 2, n_trials=5)
    assert study.trials[0].params == {"x": 0.25} and study.trials[0].value == 0.0625
    best = study.best_trial
    assert (lambda t: t.suggest_float("x", 0, 1) ** 2)(best) == best.value


def test_added_trials_keep_their_parameters_and_are_checked_as_optunas():
    Float = winnow.distributions.FloatDistribution
    study = winnow.create_study()
    # An added trial once took the oldest enqueued configuration instead of its own.
    study.enqueue_trial({"x": 0.1})
    study.add_trial(winnow.create_trial(params={"x": 0.9}, distributions={"x": Float(0, 1)},
                                        value=42.0))
    added = [t for t in study.trials if t.state == winnow.trial.TrialState.COMPLETE]
    assert [(t.params, t.value) for t in added] == [({"x": 0.9}, 42.0)]
    waiting = [t for t in study.trials if t.state == winnow.trial.TrialState.WAITING]
    assert [t.params for t in waiting] == [{"x": 0.1}]  # the enqueued configuration still waits
    for bad, message in [
            (dict(params={"x": 5.0}, distributions={"x": Float(0, 1)}, value=1.0), "not in"),
            (dict(params={"x": 0.3}, value=1.0), "no distribution for"),
            (dict(params={"x": 0.4}, distributions={"x": Float(0, 1)}), "needs value"),
            (dict(params={"n": 3}, distributions={"n": winnow.distributions.IntDistribution(
                0, 10, step=2)}, value=1.0), "not in")]:
        with pytest.raises(ValueError, match=message):
            winnow.create_trial(**bad)


def test_tell_refuses_another_studys_trial_and_never_leaves_a_trial_running():
    a, b = winnow.create_study(), winnow.create_study()
    mine = a.ask()
    mine.suggest_float("x", 0, 1)
    theirs = b.ask()
    with pytest.raises(ValueError, match="belongs to study"):
        a.tell(theirs, 123.0)
    a.tell(mine, 1.0)
    assert [t.state for t in b.trials] == [winnow.trial.TrialState.RUNNING]
    assert [t.value for t in a.trials] == [1.0]
    # A constraints_func that raises, or a value beyond a double, once left trials running.
    broken = winnow.create_study(sampler=winnow.samplers.TPESampler(
        constraints_func=lambda trial: 1 / 0))
    broken.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    assert [t.state for t in broken.trials] == [winnow.trial.TrialState.FAIL] * 2
    huge = winnow.create_study()
    huge.optimize(lambda t: (t.suggest_float("x", 0, 1), 10 ** 400)[1], n_trials=1)
    assert [(t.state, t.value) for t in huge.trials] == [(winnow.trial.TrialState.COMPLETE,
                                                           float("inf"))]


def test_sqlalchemy_url_forms(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    winnow.create_study(storage="sqlite:///q.db?timeout=30", study_name="q")
    assert (tmp_path / "q.db").exists() and not (tmp_path / "q.db?timeout=30").exists()
    assert winnow.load_study(storage="sqlite:///q.db", study_name="q").study_name == "q"
    winnow.create_study(storage="sqlite:///:memory:")
    assert not (tmp_path / ":memory:").exists()


STUDY_FILE = """
[study]
name = "file"
trials = 8
seed = 11
sampler = "tpe"
[objective]
command = ["/usr/bin/python3", "obj.py", "{x}", "{n}"]
[space.x]
type = "float"
low = -2.0
high = 2.0
[space.n]
type = "int"
low = 1
high = 6
"""


def test_a_study_file_runs_its_command_from_python_like_the_engine(tmp_path):
    (tmp_path / "obj.py").write_text("import sys\nx, n = float(sys.argv[1]), int(sys.argv[2])\n"
                                     "print((x - 0.5) ** 2 + abs(n - 4))\n")
    (tmp_path / "study.toml").write_text(STUDY_FILE)
    study = winnow.load_study_file(str(tmp_path / "study.toml"))
    study.optimize()
    by_command = [t.params for t in study.trials]
    assert len(by_command) == 8 and study.best_value >= 0
    # The same space, seed and sampler through the Python objective and a declared Space:
    # the same configurations as the engine's command run.
    space = winnow.Space().float("x", -2.0, 2.0).int("n", 1, 6)
    mirror = winnow.create_study(space=space, sampler=winnow.samplers.TPESampler(seed=11),
                                 study_name="file")
    mirror.optimize(lambda t: (t.params["x"] - 0.5) ** 2 + abs(t.params["n"] - 4), n_trials=8)
    assert [t.params for t in mirror.trials] == by_command


def test_a_declared_space_hands_out_whole_configurations():
    space = (winnow.Space().categorical("opt", ["adam", "sgd"])
             .float("momentum", 0.0, 0.99, when="opt == 'sgd'"))
    study = winnow.create_study(space=space, sampler=winnow.samplers.RandomSampler(seed=2))
    trial = study.ask()
    assert set(trial.params) in ({"opt"}, {"opt", "momentum"})
    with pytest.raises(ValueError, match="condition"):
        winnow.Space().float("a", 0, 1, when="nope ==").int("b", 1, 2)._native()

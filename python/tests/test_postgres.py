"""The Python module on PostgreSQL: Optuna's storage URLs work as they do in Optuna (with or
without SQLAlchemy's driver suffix), and several processes share one study without repeating a
configuration or overshooting its budget."""

import os
import subprocess
import uuid

import pytest

import winnow


@pytest.fixture
def postgres_url():
    folder = os.environ.get("WINNOW_TEST_POSTGRES_DIR")
    if not folder:
        pytest.fail("WINNOW_TEST_POSTGRES_DIR is not set: ctest starts the test server "
                    "(tests/postgres/server.sh)")
    with open(os.path.join(folder, "url")) as f:
        base = f.read().strip()
    schema = "py_" + uuid.uuid4().hex[:12]
    # psql is an ordinary program: without the sanitizer runtimes a sanitizer build preloads.
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    subprocess.run(["psql", "-q", base, "-c", f"CREATE SCHEMA {schema}"], check=True, env=env,
                   timeout=60)
    return f"{base}?options=-csearch_path%3D{schema}"


WORKER = """
import sys, winnow
study = winnow.create_study(study_name="shared", storage=sys.argv[1], load_if_exists=True,
                            sampler=winnow.samplers.RandomSampler(seed=11))
def objective(trial):
    return (trial.suggest_float("x", -5, 5) - 1) ** 2 + trial.suggest_int("n", 0, 10000) * 1e-6
study.optimize(objective, n_trials=15)
"""


def test_processes_share_a_postgres_study(postgres_url, tmp_path):
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    winnow.create_study(study_name="shared", storage=postgres_url)
    procs = [subprocess.Popen([os.sys.executable, str(script), postgres_url],
                              env=dict(os.environ), stderr=subprocess.PIPE, text=True)
             for _ in range(4)]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    study = winnow.load_study(study_name="shared", storage=postgres_url)
    complete = [t for t in study.trials if t.state == winnow.trial.TrialState.COMPLETE]
    assert len(complete) == 60
    # Runs bounded by n_trials hold no trial past it (asks in blocks), so none is left waiting.
    assert len(study.trials) == 60
    params = {(t.params["x"], t.params["n"]) for t in complete}
    assert len(params) == len(complete)


def test_sqlalchemy_driver_suffix_means_the_same_database(postgres_url):
    study = winnow.create_study(study_name="suffix", storage=postgres_url)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    alias = postgres_url.replace("postgresql://", "postgresql+psycopg2://", 1)
    again = winnow.load_study(study_name="suffix", storage=alias)
    assert len(again.trials) == 3
    assert "suffix" in winnow.get_all_study_names(storage=alias)


def test_unsupported_urls_say_what_is_supported():
    with pytest.raises(ValueError, match="PostgreSQL"):
        winnow.create_study(storage="mysql://user@host/db")

"""Shared helpers: the winnow binary of the same build, and a way to run a script in a fresh
interpreter (with the package of this build first on its path)."""

import json
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = os.path.join(HERE, "scripts")


@pytest.fixture(autouse=True)
def quiet_logging():
    import winnow

    winnow.logging.set_verbosity(winnow.logging.WARNING)
    yield


@pytest.fixture
def winnow_binary():
    binary = os.environ.get("WINNOW_BINARY")
    if not binary or not os.path.exists(binary):
        pytest.skip("WINNOW_BINARY is not set (ctest sets it)")
    return binary


def run_python(args, cwd, timeout=300, env=None, check=True):
    full_env = dict(os.environ)
    full_env.update(env or {})
    if full_env.get("PYTHONPATH"):
        full_env["PYTHONPATH"] = os.pathsep.join(
            os.path.abspath(p) for p in full_env["PYTHONPATH"].split(os.pathsep) if p)
    result = subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True,
                            timeout=timeout, env=full_env)
    if check and result.returncode != 0:
        raise AssertionError(f"{args} exited {result.returncode}\n--- stdout\n{result.stdout}"
                             f"\n--- stderr\n{result.stderr}")
    return result


def run_script(name, library, cwd, *extra):
    """Runs tests/scripts/<name>.py with `library` (winnow or optuna) as `optuna`; returns the
    JSON summary it prints last."""
    result = run_python([os.path.join(SCRIPTS, name + ".py"), library, *extra], cwd)
    return json.loads(result.stdout.strip().splitlines()[-1])

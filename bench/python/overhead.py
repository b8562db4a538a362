#!/usr/bin/python3
"""Engine overhead per trial through the Python API, Winnow against Optuna in one run.

The objective suggests 10 floats and returns their sum of squares, so the time is the
framework's own: study.optimize's loop, sampling, storage and the Python calls. One JSON line
per (library, sampler, storage, trials): microseconds per trial over the whole optimize()
call (us_per_trial).

    PYTHONPATH=build/python /usr/bin/python3 bench/python/overhead.py --trials 1000 \
        --samplers random,tpe --storages memory,sqlite --libraries winnow,optuna
"""

import argparse
import json
import os
import sys
import tempfile
import time


def objective(trial):
    return sum(trial.suggest_float(f"x{i}", -5.0, 5.0) ** 2 for i in range(10))


def make_sampler(lib, name, seed):
    if name == "random":
        return lib.samplers.RandomSampler(seed=seed)
    if name == "tpe":
        return lib.samplers.TPESampler(seed=seed)
    raise SystemExit(f"unknown sampler {name}")


def run(library, sampler, storage, trials, seed, folder):
    if library == "winnow":
        import winnow as lib
    else:
        import optuna as lib
    lib.logging.set_verbosity(lib.logging.WARNING)
    url = None
    if storage == "sqlite":
        path = os.path.join(folder, f"{library}-{sampler}-{trials}-{seed}.db")
        url = f"sqlite:///{path}"
    study = lib.create_study(sampler=make_sampler(lib, sampler, seed), storage=url,
                             study_name="overhead")
    start = time.perf_counter()
    study.optimize(objective, n_trials=trials)
    elapsed = time.perf_counter() - start
    return {"library": library, "version": lib.__version__, "sampler": sampler,
            "storage": storage, "trials": trials, "seed": seed,
            "us_per_trial": round(elapsed / trials * 1e6, 2), "best": study.best_value}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", default="1000")
    parser.add_argument("--samplers", default="random,tpe")
    parser.add_argument("--storages", default="memory,sqlite")
    parser.add_argument("--libraries", default="winnow,optuna")
    parser.add_argument("--seeds", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for trials in [int(t) for t in args.trials.split(",")]:
            for sampler in args.samplers.split(","):
                for storage in args.storages.split(","):
                    for library in args.libraries.split(","):
                        for seed in range(args.seeds):
                            row = run(library, sampler, storage, trials, seed, folder)
                            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    sys.exit(main())

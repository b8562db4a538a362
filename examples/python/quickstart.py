#!/usr/bin/python3
"""The Python quick start: an Optuna-style objective with a conditional space and pruning.

    python3 examples/python/quickstart.py [storage.db]

The study is kept in the SQLite file given (default: quickstart-python.db in the working
directory), which `winnow show` reads too. Run it twice: the second run continues the study.
"""

import math
import sys

import winnow  # drop-in: `import winnow as optuna` runs Optuna scripts unchanged


def objective(trial):
    # A stand-in for training: the classifier family decides which parameters exist.
    clf = trial.suggest_categorical("clf", ["svc", "forest"])
    if clf == "svc":
        c = trial.suggest_float("svc_c", 1e-3, 1e3, log=True)
        gamma = trial.suggest_float("svc_gamma", 1e-4, 1.0, log=True)
        final = 0.10 + 0.02 * (math.log10(c) - 1) ** 2 + 0.03 * (math.log10(gamma) + 2) ** 2
    else:
        depth = trial.suggest_int("forest_depth", 2, 32, log=True)
        trees = trial.suggest_int("forest_trees", 10, 500, step=10)
        final = 0.08 + 0.002 * (depth - 12) ** 2 / 12 + 20.0 / (trees + 100)
    error = 1.0
    for epoch in range(1, 21):
        error = final + (1.0 - final) * math.exp(-epoch / 4)  # the learning curve
        trial.report(error, epoch)
        if trial.should_prune():
            raise winnow.TrialPruned()
    return error


def main():
    storage = sys.argv[1] if len(sys.argv) > 1 else "quickstart-python.db"
    winnow.logging.set_verbosity(winnow.logging.WARNING)
    study = winnow.create_study(study_name="quickstart-python", storage=storage,
                                load_if_exists=True, direction="minimize",
                                pruner=winnow.pruners.MedianPruner(n_warmup_steps=5))
    study.optimize(objective, n_trials=60, n_jobs=2)
    states = [t.state.name for t in study.trials]
    print(f"{len(states)} trials: {states.count('COMPLETE')} complete, "
          f"{states.count('PRUNED')} pruned")
    print(f"best value {study.best_value:.4f} with {study.best_params}")
    print(f"see it with: winnow show {storage}")


if __name__ == "__main__":
    main()

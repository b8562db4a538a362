"""n_jobs and a reused SQLite study (two optimize calls, a second process loads it)."""

import sys
import time

from common import emit, optuna, states

url = sys.argv[2]
name = "shared"


def objective(trial):
    time.sleep(0.01)
    return trial.suggest_float("x", -1, 1) ** 2


study = optuna.create_study(storage=url, study_name=name, load_if_exists=True,
                            sampler=optuna.samplers.RandomSampler())
study.optimize(objective, n_trials=12, n_jobs=4)
again = optuna.load_study(study_name=name, storage=url)
emit({"n_trials": len(again.trials), "complete": states(again).count("COMPLETE"),
      "names": optuna.get_all_study_names(url) if hasattr(optuna, "get_all_study_names") else
      [s.study_name for s in optuna.get_all_study_summaries(url)]})

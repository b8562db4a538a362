"""Winnow: find the best configuration of anything that can be run and scored.

A drop-in for Optuna scripts (``import winnow as optuna``), running Winnow's native engine in
the calling process: define-by-run spaces, samplers and pruners with Optuna's names, SQLite
storage shared with the ``winnow`` command, objectives on several threads.

    import winnow

    def objective(trial):
        x = trial.suggest_float("x", -10, 10)
        return (x - 2) ** 2

    study = winnow.create_study()
    study.optimize(objective, n_trials=100)
    print(study.best_params)
"""

from winnow import (distributions, exceptions, importance, logging, pruners, samplers, storages,
                    trial)
from winnow import study
from winnow.exceptions import TrialPruned
from winnow.space import Space
from winnow.study import (Study, StudyDirection, StudySummary, copy_study, create_study,
                          delete_study, get_all_study_names, get_all_study_summaries,
                          load_study)
from winnow.study_file import load_study_file
from winnow.trial import FrozenTrial, Trial, TrialState, create_trial

__version__ = "0.1.0"

__all__ = [
    "FrozenTrial", "Space", "Study", "StudyDirection", "StudySummary", "Trial", "TrialPruned",
    "TrialState", "copy_study", "create_study", "create_trial", "delete_study", "distributions",
    "exceptions", "get_all_study_names", "importance", "get_all_study_summaries", "load_study",
    "load_study_file", "logging", "pruners", "samplers", "storages", "study", "trial",
]

"""Exceptions, named as in Optuna so ``except optuna.TrialPruned`` keeps working."""

from winnow._winnow import Error as WinnowError  # noqa: F401  (a ValueError)
from winnow._winnow import StorageError  # noqa: F401  (a RuntimeError)
# suggest_*, report or set_user_attr on a trial that is finished (a RuntimeError, as in Optuna).
from winnow._winnow import UpdateFinishedTrialError  # noqa: F401


class OptunaError(Exception):
    """Base of the exceptions Optuna scripts catch by name."""


class TrialPruned(OptunaError):
    """Raised by an objective to stop a trial that ``trial.should_prune()`` said to stop.

    The trial is recorded as pruned, with the last value it reported.
    """


class DuplicatedStudyError(OptunaError):
    """``create_study`` with ``load_if_exists=False`` found a study of that name."""


class StorageInternalError(OptunaError):
    """Kept for scripts that name it; Winnow raises ``StorageError`` (a RuntimeError)."""

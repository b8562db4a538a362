"""Tabular AutoML with a scikit-learn interface: ``Classifier`` and ``Regressor``.

    from winnow.automl import Classifier
    model = Classifier(time_limit=60, seed=0).fit(X_train, y_train)   # pandas or numpy
    model.predict(X_test); model.predict_proba(X_test); model.score(X_test, y_test)
    model.save("model.winnow")          # the same file `winnow automl predict` reads

The engine is Winnow's native AutoML (the same as ``winnow automl fit``): tables cross to it as
CSV files in a temporary directory, so every column type the command line reads works here too.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any, Callable, Optional, Sequence

from winnow import _winnow

__all__ = ["Classifier", "Regressor", "load"]

_TARGET = "__winnow_target__"


def _frame(X: Any):
    import pandas as pd

    if isinstance(X, pd.DataFrame):
        return X.reset_index(drop=True)
    frame = pd.DataFrame(X)
    frame.columns = [f"x{i}" for i in range(frame.shape[1])]
    return frame


class _Estimator:
    _task = "auto"

    def __init__(
        self,
        time_limit: Optional[float] = None,
        n_trials: int = 0,
        metric: str = "",
        n_jobs: int = 0,
        seed: int = 0,
        memory_limit: int = 0,
        storage: str = "",
        models: Sequence[str] = (),
        categorical: Sequence[str] = (),
        verbose: bool = False,
        infer_limit: Optional[float] = None,
        infer_batch: int = 1,
    ) -> None:
        self.time_limit = time_limit
        self.n_trials = n_trials
        self.metric = metric
        self.n_jobs = n_jobs
        self.seed = seed
        self.memory_limit = memory_limit
        self.storage = storage
        self.models = models
        self.categorical = categorical
        self.verbose = verbose
        # Seconds per row of inference (AutoGluon's infer_limit), at infer_batch (1 or 1000) rows
        # per call: plain greedy selection's ensemble if it is within it, else the most accurate
        # ensemble of the model's front that is.
        self.infer_limit = infer_limit
        self.infer_batch = infer_batch
        self.model_: Optional[_winnow.AutomlModel] = None

    # scikit-learn's clone() and grid search read and set these.
    def get_params(self, deep: bool = True) -> dict:
        return {
            name: getattr(self, name)
            for name in ("time_limit", "n_trials", "metric", "n_jobs", "seed", "memory_limit",
                         "storage", "models", "categorical", "verbose", "infer_limit",
                         "infer_batch")
        }

    def set_params(self, **params: Any) -> "_Estimator":
        for name, value in params.items():
            setattr(self, name, value)
        return self

    def fit(self, X: Any, y: Any) -> "_Estimator":
        import pandas as pd

        frame = _frame(X)
        if _TARGET in frame.columns:
            raise ValueError(f"a feature column may not be named {_TARGET}")
        target = pd.Series(y).reset_index(drop=True)
        if len(target) != len(frame):
            raise ValueError(f"X has {len(frame)} rows but y has {len(target)}")
        self._remember_labels(target)
        # Ten minutes unless a trial budget is given (then, as on the command line, the budget
        # alone ends the search, and a seeded fit is reproducible).
        time_limit = self.time_limit
        if time_limit is None:
            time_limit = 0.0 if self.n_trials else 600.0
        log: Optional[Callable[[str], None]] = None
        if self.verbose:
            log = lambda line: print(line.lstrip("\r"), end="" if line == "\n" else "\n")
        with tempfile.TemporaryDirectory(prefix="winnow-automl-") as folder:
            path = os.path.join(folder, "train.csv")
            frame.assign(**{_TARGET: self._target_cells(target)}).to_csv(path, index=False)
            categorical = list(self.categorical) + self._target_categorical()
            self.model_ = _winnow.automl_fit(
                path, _TARGET, self._task, self.metric,
                float(time_limit), int(self.n_trials), int(self.n_jobs),
                int(self.seed), int(self.memory_limit), self.storage, list(self.models),
                categorical, log, float(self.infer_limit or 0.0), int(self.infer_batch))
        self.feature_names_in_ = list(frame.columns)
        return self

    def _remember_labels(self, target: Any) -> None:
        pass

    def _target_cells(self, target: Any):
        return target.values

    def _target_categorical(self) -> list:
        return []

    def _predict_raw(self, X: Any):
        if self.model_ is None:
            raise RuntimeError("call fit() first")
        with tempfile.TemporaryDirectory(prefix="winnow-automl-") as folder:
            path = os.path.join(folder, "predict.csv")
            _frame(X).to_csv(path, index=False)
            return self.model_.predict_csv(path)

    def save(self, path: str) -> None:
        """Writes the model file that ``winnow automl predict`` reads."""
        if self.model_ is None:
            raise RuntimeError("call fit() first")
        self.model_.save(os.fspath(path))

    def front(self) -> list:
        """The model's ensembles from the most accurate to the fastest: dicts with the validation
        score, seconds per row at 1 and 1000 rows per call, bytes, members and which is used."""
        import json

        if self.model_ is None:
            raise RuntimeError("call fit() first")
        return json.loads(self.model_.summary_json())["front"]

    def set_infer_limit(self, seconds_per_row: float, batch: int = 1) -> bool:
        """Keeps the fitted ensemble if it answers within the limit, else switches to the most
        accurate one that does, without refitting; returns False (and uses the fastest) when
        none does."""
        if self.model_ is None:
            raise RuntimeError("call fit() first")
        return self.model_.choose_within(float(seconds_per_row), int(batch))

    def report(self) -> str:
        """Leaderboard, ensemble members and weights, times (``winnow automl show``)."""
        if self.model_ is None:
            raise RuntimeError("call fit() first")
        return self.model_.report()


class Classifier(_Estimator):
    """Binary or multiclass classification; ``classes_`` holds the labels as given to fit()."""

    _task = "auto"

    def _target_cells(self, target: Any):
        # Classes cross as their str() text, read back as text (not as numbers, which would
        # turn 1.0 into "1"), and map back to the caller's values by that text.
        return target.map(str).values

    def _target_categorical(self) -> list:
        return [_TARGET]

    def _remember_labels(self, target: Any) -> None:
        import pandas as pd

        # Labels cross a CSV file as text: one that reads back as a missing cell ("NA", "None")
        # or loses its surrounding spaces would silently drop its rows or merge with another.
        for value in target.unique():
            if pd.isna(value):
                continue  # a missing label: its rows are left out, with a note
            text = str(value)
            if text != text.strip() or _winnow.automl_is_missing_cell(text):
                raise ValueError(f"y holds the label {value!r}, which a CSV file reads as "
                                 f"{'a missing value' if text == text.strip() else repr(text.strip())}"
                                 f"; rename it (e.g. {text.strip() + '_'!r})")
        self._label_of = {str(value): value for value in target.unique()}
        if len(self._label_of) < 2:
            raise ValueError("y has a single class; there is nothing to learn")
        self._task = "binary" if len(self._label_of) == 2 else "multiclass"

    def _classes(self, names: Sequence[str]) -> list:
        return [self._label_of.get(name, name) for name in names]

    @property
    def classes_(self):
        import numpy as np

        return np.array(self._classes(self._class_names))

    def fit(self, X: Any, y: Any) -> "Classifier":
        super().fit(X, y)
        # The class order of the model's probability columns.
        import pandas as pd

        probe = _frame(X).head(1)
        names, _, _, _, _ = self._predict_raw(probe)
        self._class_names = list(names)
        return self

    def predict(self, X: Any):
        import numpy as np

        _, labels, _, _, _ = self._predict_raw(X)
        return np.array(self._classes(labels))

    def predict_proba(self, X: Any):
        import numpy as np

        names, _, probabilities, _, _ = self._predict_raw(X)
        return np.frombuffer(probabilities, dtype=np.float32).reshape(-1, len(names)).astype(
            np.float64)

    def score(self, X: Any, y: Any) -> float:
        """Accuracy, as scikit-learn's classifiers score."""
        import numpy as np

        return float(np.mean(self.predict(X) == np.asarray(y)))


class Regressor(_Estimator):
    """Regression of a numeric target."""

    _task = "regression"

    def predict(self, X: Any):
        import numpy as np

        _, _, _, values, _ = self._predict_raw(X)
        return np.array(values, dtype=np.float64)

    def score(self, X: Any, y: Any) -> float:
        """R², as scikit-learn's regressors score."""
        import numpy as np

        y = np.asarray(y, dtype=np.float64)
        residual = np.sum((y - self.predict(X)) ** 2)
        total = np.sum((y - y.mean()) ** 2)
        return float(1.0 - residual / total) if total > 0 else 0.0


def load(path: str) -> "_winnow.AutomlModel":
    """A model file written by ``winnow automl fit`` or ``save()``."""
    return _winnow.AutomlModel.load(os.fspath(path))

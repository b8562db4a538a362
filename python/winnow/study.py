"""Studies: Optuna's ``Study`` and its module-level functions, over Winnow's native engine.

Storage URLs follow SQLAlchemy's rules as Optuna's do: ``sqlite:///tune.db`` is ``tune.db`` in
the working directory, ``sqlite:////abs/tune.db`` is absolute; a plain path means SQLite too,
``postgresql://user@host/database`` (also with SQLAlchemy's ``+psycopg2`` driver suffix) is
PostgreSQL, and ``None`` keeps the study in memory. The file is the one ``winnow show tune.db`` reads.
"""

import enum
import gc
import json
import math
import os
import threading
import time
import traceback
import weakref
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple, Type, Union

from winnow import _winnow
from winnow import distributions as _dist
from winnow import logging as _wlogging
from winnow import pruners as _pruners
from winnow import samplers as _samplers
from winnow.exceptions import DuplicatedStudyError, TrialPruned
from winnow.trial import FrozenTrial, Trial, TrialState

_logger = _wlogging.get_logger("winnow")


class StudyDirection(enum.IntEnum):
    NOT_SET = 0
    MINIMIZE = 1
    MAXIMIZE = 2


_storages: "weakref.WeakValueDictionary[str, Any]" = weakref.WeakValueDictionary()
_storages_lock = threading.Lock()


def _storage_url(storage: Any) -> str:
    if storage is None:
        return "memory"
    url = getattr(storage, "url", storage)
    if not isinstance(url, str):
        raise TypeError(f"storage must be a URL, a path or None, not {type(storage).__name__}")
    if url.startswith("sqlite://"):
        # SQLAlchemy's forms: relative unless four slashes, ":memory:", and options after "?"
        # (timeout=30 ...), which the embedded SQLite does not need.
        path = url[len("sqlite:///"):] if url.startswith("sqlite:///") else url[len("sqlite://"):]
        path = path.split("?", 1)[0]
        return "memory" if path in ("", ":memory:") else path
    if url.startswith(("postgresql://", "postgres://")):
        return url  # libpq's own URI; a "+driver" (postgresql+psycopg2://) is SQLAlchemy's
    if url.startswith(("postgresql+", "postgres+")):
        return "postgresql://" + url.split("://", 1)[1]
    if "://" in url and not url.startswith("memory"):
        raise ValueError(f"storage '{url}': supported are SQLite files ('sqlite:///file.db' or a "
                         f"path), PostgreSQL ('postgresql://user@host/database') and memory (None)")
    return url


def _open_storage(storage: Any) -> Any:
    url = _storage_url(storage)
    if url == "memory":
        # Each in-memory study gets its own storage unless an InMemoryStorage object is shared.
        if isinstance(storage, _InMemory):
            if storage._native is None:
                storage._native = _winnow.open_storage("memory")
            return storage._native
        return _winnow.open_storage("memory")
    # One native storage (one connection, one SQLite handle) per database, shared by the studies
    # of this process.
    path = url if url.startswith(("postgresql://", "postgres://")) else os.path.abspath(url)
    with _storages_lock:
        native = _storages.get(path)
        if native is None:
            native = _winnow.open_storage(path)
            _storages[path] = native
        return native


class _InMemory:
    url = "memory"

    def __init__(self) -> None:
        self._native = None


def _directions(direction: Optional[Union[str, StudyDirection]],
                directions: Optional[Sequence[Union[str, StudyDirection]]]) -> List[str]:
    if direction is not None and directions is not None:
        raise ValueError("Specify only one of `direction` and `directions`.")
    given = [direction or "minimize"] if directions is None else list(directions)
    if not given:
        raise ValueError("directions must not be empty")
    out = []
    for d in given:
        if isinstance(d, StudyDirection):
            if d == StudyDirection.NOT_SET:
                raise ValueError("direction NOT_SET is not a direction")
            d = d.name.lower()
        if d not in ("minimize", "maximize"):
            raise ValueError(f"Please set either 'minimize' or 'maximize' to direction, not {d!r}")
        out.append(d)
    return out


def _as_values(result: Any, n_objectives: int) -> Tuple[Optional[List[float]], str]:
    """The objective's return value as floats, or None and why it cannot be used."""
    if result is None:
        return None, "the objective returned None"
    if isinstance(result, (list, tuple)) or (hasattr(result, "__len__") and
                                             not isinstance(result, str) and
                                             getattr(result, "ndim", 1) != 0):
        items = list(result)
    else:
        items = [result]
    values = []
    for item in items:
        try:
            value = float(item)
        except OverflowError:  # an int beyond a double: as infinite as 1e999 in a result line
            value = math.inf if item > 0 else -math.inf
        except (TypeError, ValueError):
            return None, f"the objective returned {result!r}, which is not a number"
        if math.isnan(value):
            return None, "the objective returned NaN"
        values.append(value)
    if len(values) != n_objectives:
        return None, (f"the objective returned {len(values)} value(s) but the study has "
                      f"{n_objectives} objective(s)")
    return values, ""


class Study:
    """A study: its trials, its sampler and pruner, ask/tell and optimize."""

    def __init__(self, study_name: str, storage: Any, sampler: Any = None, pruner: Any = None,
                 *, _native: Any = None) -> None:
        if _native is None:
            existing = load_study(study_name=study_name, storage=storage, sampler=sampler,
                                  pruner=pruner)
            _native = existing._native
        self._native = _native
        # Trials held by this study's asks (PostgreSQL's asks in blocks) go back to the study
        # when the object goes, or the interpreter exits, rather than wait for their lease.
        weakref.finalize(self, _release_held, _native)
        self.sampler = sampler if sampler is not None else _samplers.AutoSampler()
        self.pruner = pruner
        self._grid = self.sampler if isinstance(self.sampler, _samplers.GridSampler) else None
        self._fixed = getattr(self.sampler, "_fixed", None)
        self._constraints_func = getattr(self.sampler, "constraints_func", None)
        self._stop_flag = False
        self._space_size = -1
        self._space_dict: Dict[str, dict] = {}
        self._live: Dict[int, Trial] = {}
        self._live_lock = threading.Lock()
        self._n_objectives = len(self._native.directions)
    
    # -- identity --------------------------------------------------------------------------
    @property
    def study_name(self) -> str:
        return self._native.name

    @property
    def directions(self) -> List[StudyDirection]:
        return [StudyDirection.MINIMIZE if d == "minimize" else StudyDirection.MAXIMIZE
                for d in self._native.directions]

    @property
    def direction(self) -> StudyDirection:
        if self._n_objectives > 1:
            raise RuntimeError("This attribute is not available during multi-objective "
                               "optimization; use `directions`.")
        return self.directions[0]

    def _space(self) -> Dict[str, dict]:
        size = self._native.space_size()
        if size != self._space_size:
            self._space_dict = {p["name"]: p for p in json.loads(self._native.space_json())["params"]}
            self._space_size = size
        return self._space_dict

    # -- trials ----------------------------------------------------------------------------
    def get_trials(self, deepcopy: bool = True,
                   states: Optional[Iterable[TrialState]] = None) -> List[FrozenTrial]:
        space = self._space()
        trials = [FrozenTrial._from_native(t, space) for t in self._native.trials()]
        if states is not None:
            wanted = set(states)
            trials = [t for t in trials if t.state in wanted]
        return trials

    @property
    def trials(self) -> List[FrozenTrial]:
        return self.get_trials()

    @property
    def best_trial(self) -> FrozenTrial:
        if self._n_objectives > 1:
            raise RuntimeError("A single best trial cannot be retrieved from a multi-objective "
                               "study; use `best_trials`.")
        best = self._native.best_trial()
        if best is None:
            raise ValueError("No trials are completed yet.")
        return FrozenTrial._from_native(best, self._space())

    @property
    def best_value(self) -> float:
        return self.best_trial.value

    @property
    def best_params(self) -> Dict[str, Any]:
        return self.best_trial.params

    @property
    def best_trials(self) -> List[FrozenTrial]:
        space = self._space()
        return [FrozenTrial._from_native(t, space) for t in self._native.best_trials()]

    @property
    def user_attrs(self) -> Dict[str, Any]:
        return {key: json.loads(text) for key, text in self._native.user_attrs().items()}

    def set_user_attr(self, key: str, value: Any) -> None:
        self._native.set_user_attr(key, json.dumps(value))

    @property
    def system_attrs(self) -> Dict[str, Any]:
        return {}

    # -- ask and tell ----------------------------------------------------------------------
    def ask(self, fixed_distributions: Optional[Dict[str, Any]] = None) -> Trial:
        trial = self._ask()
        with self._live_lock:
            self._live[trial.number] = trial
        for name, distribution in (fixed_distributions or {}).items():
            distribution._suggest(trial, name)
        return trial

    def _ask(self, asks_left: int = 0) -> Trial:
        grid_names = None
        if self._grid is not None:
            grid_names = set(self._grid._search_space)
            point = self._grid._next(self.get_trials(states=(
                TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING, TrialState.WAITING)))
            if point is None:
                raise RuntimeError("GridSampler: every combination of the grid has been taken")
            self._native.enqueue(point, False)
        elif self._fixed:
            self._native.enqueue(self._fixed, False)
        trial = self._native.ask(self, grid_names, asks_left)
        if trial is None:
            raise RuntimeError(f"study '{self.study_name}': the sampler has nothing left to "
                               f"propose")
        return trial

    def tell(self, trial: Union[Trial, int], values: Any = None,
             state: Optional[TrialState] = None, skip_if_finished: bool = False) -> FrozenTrial:
        live = self._live_trial(trial)
        if live is None:
            number = trial.number if isinstance(trial, Trial) else trial
            stored = self._native.trial(number) if skip_if_finished else None
            if stored is not None:
                return FrozenTrial._from_native(stored, self._space())
            raise ValueError(f"tell: trial {number} is not running in study "
                             f"'{self.study_name}'")
        self._finish(live, values, state, "", False, skip_if_finished)
        return self._frozen(live)

    def _live_trial(self, trial: Union[Trial, int]) -> Optional[Trial]:
        if isinstance(trial, Trial) and not self._is_same_study(trial.study):
            raise ValueError(f"tell: trial {trial.number} belongs to study "
                             f"'{trial.study.study_name}', not to '{self.study_name}'")
        number = trial.number if isinstance(trial, Trial) else int(trial)
        with self._live_lock:
            found = self._live.get(number)
        if found is not None:
            return found
        return self._native.running_trial(number, self)

    def _is_same_study(self, other: Any) -> bool:
        """Whether `other` is this study, perhaps opened again from the same storage."""
        if other is self:
            return True
        if not isinstance(other, Study) or other.study_name != self.study_name:
            return False
        url = self._native.storage.url
        # Studies in memory are each their own, whatever their names.
        return url != "memory" and other._native.storage.url == url

    def _finish(self, trial: Trial, values: Any, state: Optional[TrialState], reason: str,
                interrupted: bool, skip_if_finished: bool = False) -> TrialState:
        constraints: List[float] = []
        if state is None:
            state = TrialState.COMPLETE
        if state == TrialState.COMPLETE:
            value_type = type(values)
            if (value_type is float or (value_type is int and -2**1023 < values < 2**1023)) and \
                    self._n_objectives == 1 and values == values:
                parsed, problem = [values], ""  # the common case, without the general checks
            else:
                parsed, problem = _as_values(values, self._n_objectives)
            if parsed is None:
                state, reason = TrialState.FAIL, problem
                _logger.warning(f"Trial {trial.number} failed: {problem}")
            else:
                values = parsed
                if self._constraints_func is not None:
                    try:
                        constraints = self._constraints(trial, parsed)
                    except Exception as error:  # noqa: BLE001 - the trial must end, failed
                        state, reason = TrialState.FAIL, f"constraints_func failed: {error!r}"
                        _logger.warning(f"Trial {trial.number} failed: {reason}")
        elif state == TrialState.PRUNED:
            values = None
        elif state == TrialState.FAIL:
            if values is not None:
                raise ValueError("tell: a failed trial takes no values")
        else:
            raise ValueError(f"tell: a trial ends COMPLETE, PRUNED or FAIL, not {state!r}")
        native_state = {TrialState.COMPLETE: "complete", TrialState.PRUNED: "pruned",
                        TrialState.FAIL: "failed"}[state]
        try:
            self._native.tell(trial, native_state,
                              values if state == TrialState.COMPLETE else [], constraints,
                              reason, interrupted)
        except _winnow.Error:
            if skip_if_finished:
                pass
            else:
                raise
        except Exception as error:
            # Whatever could not be told (a value the storage refuses), the trial must not stay
            # running for ever: it ends failed, and the caller hears why.
            try:
                self._native.tell(trial, "failed", [], [], f"tell failed: {error!r}", False)
            except Exception:  # noqa: BLE001 - the first error is the one to report
                pass
            raise
        finally:
            if self._live:
                with self._live_lock:
                    self._live.pop(trial.number, None)
        return state

    def _frozen(self, trial: Trial) -> FrozenTrial:
        frozen = FrozenTrial._from_native(trial._record(), self._space())
        for name in trial._nones:
            frozen.params[name] = None
        return frozen

    def _constraints(self, trial: Trial, values: List[float]) -> List[float]:
        frozen = FrozenTrial(number=trial.number, state=TrialState.COMPLETE, values=values,
                             params=trial.params, user_attrs=trial.user_attrs)
        result = self._constraints_func(frozen)
        constraints = [float(c) for c in result]
        if any(math.isnan(c) for c in constraints):
            raise ValueError("constraints_func returned NaN")
        return constraints

    def enqueue_trial(self, params: Dict[str, Any], user_attrs: Optional[Dict[str, Any]] = None,
                      skip_if_exists: bool = False) -> None:
        if user_attrs:
            raise ValueError("enqueue_trial: user_attrs are set by the trial (set_user_attr), "
                             "not when it is queued")
        self._native.enqueue(dict(params), skip_if_exists)

    def add_trial(self, trial: FrozenTrial) -> None:
        """Records a finished trial made elsewhere (winnow.trial.create_trial)."""
        if not trial.state.is_finished():
            raise ValueError("add_trial: the trial must be finished")
        _dist.check_params(trial.params, trial.distributions, "add_trial")
        if trial.state == TrialState.COMPLETE and trial.values is None:
            raise ValueError("add_trial: a COMPLETE trial needs its value(s)")
        live = self._native.start_trial({k: v for k, v in trial.params.items()}, self)
        if live is None:
            raise RuntimeError(f"add_trial: study '{self.study_name}' could not record the trial")
        for name, distribution in trial.distributions.items():
            distribution._suggest(live, name)
        for key, value in trial.user_attrs.items():
            live.set_user_attr(key, value)
        for step, value in trial.intermediate_values.items():
            live.report(value, step)
        self._finish(live, trial.values, trial.state, trial.failure_reason or
                     ("added with add_trial" if trial.state == TrialState.FAIL else ""), False)

    def add_trials(self, trials: Iterable[FrozenTrial]) -> None:
        for trial in trials:
            self.add_trial(trial)

    def stop(self) -> None:
        """Starts no new trial; optimize() returns once the running ones are finished."""
        self._stop_flag = True

    # -- optimize --------------------------------------------------------------------------
    def optimize(self, func: Callable[[Trial], Any], n_trials: Optional[int] = None,
                 timeout: Optional[float] = None, n_jobs: int = 1,
                 catch: Union[Iterable[Type[Exception]], Type[Exception]] = (),
                 callbacks: Optional[List[Callable[["Study", FrozenTrial], None]]] = None,
                 gc_after_trial: bool = False, show_progress_bar: bool = False) -> None:
        """Runs trials until n_trials, timeout, stop() or an exhausted sampler.

        ``n_jobs`` > 1 runs the objective on that many threads (-1: one per CPU); sampling,
        storage and pruning run without the GIL. An exception not in ``catch`` fails its trial
        (the traceback is its failure reason) and is raised again; Ctrl-C fails the running
        trials as interrupted (they do not count towards a budget) and raises KeyboardInterrupt.
        """
        if isinstance(catch, type):
            catch = (catch,)
        catch = tuple(catch)
        if n_jobs == -1:
            n_jobs = os.cpu_count() or 1
        if n_jobs < 1:
            raise ValueError(f"n_jobs must be >= 1 or -1, not {n_jobs}")
        self._stop_flag = False
        run = _Run(self, func, n_trials, timeout, catch, callbacks or [], gc_after_trial,
                   show_progress_bar)
        if n_jobs == 1:
            try:
                run.work()
            finally:
                run.close()
        else:
            run.threaded = True
            threads = [threading.Thread(target=run.work_in_thread, daemon=True,
                                        name=f"winnow-job-{i}") for i in range(n_jobs)]
            try:
                for thread in threads:
                    thread.start()
                for thread in threads:
                    while thread.is_alive():
                        thread.join(0.05)
            except BaseException:
                self._stop_flag = True
                run.interrupt_running()
                raise
            finally:
                run.close()
        if run.error is not None:
            raise run.error

    # -- exports ---------------------------------------------------------------------------
    def trials_dataframe(self, attrs: Tuple[str, ...] = (
            "number", "value", "datetime_start", "datetime_complete", "duration", "params",
            "user_attrs", "system_attrs", "state"), multi_index: bool = False) -> Any:
        import pandas as pd  # Debian: python3-pandas

        rows = []
        multi = self._n_objectives > 1
        for trial in self.get_trials():
            row: Dict[Any, Any] = {}
            for attr in attrs:
                if attr == "value" and multi:
                    attr = "values"
                if attr in ("params", "user_attrs", "system_attrs", "intermediate_values"):
                    for key, value in getattr(trial, attr).items():
                        row[(attr, key)] = value
                elif attr == "values":
                    for i, value in enumerate(trial.values or [None] * self._n_objectives):
                        row[("values", i)] = value
                elif attr == "state":
                    row[("state", "")] = trial.state.name
                else:
                    row[(attr, "")] = getattr(trial, attr)
            rows.append(row)
        frame = pd.DataFrame(rows)
        if frame.empty:
            return frame
        if not multi_index:
            frame.columns = ["_".join(str(p) for p in col if p != "") for col in frame.columns]
        else:
            frame.columns = pd.MultiIndex.from_tuples(frame.columns)
        return frame

    def __repr__(self) -> str:
        return f"Study(name={self.study_name!r}, storage={self._native.storage.url!r})"


class _Run:
    """The shared state of one optimize() call: the trial count, the deadline, the error."""

    def __init__(self, study: Study, func: Callable, n_trials: Optional[int],
                 timeout: Optional[float], catch: Tuple[Type[BaseException], ...],
                 callbacks: List[Callable], gc_after_trial: bool, progress: bool) -> None:
        self.study, self.func, self.n_trials, self.catch = study, func, n_trials, catch
        self.callbacks, self.gc_after_trial = callbacks, gc_after_trial
        self.deadline = time.monotonic() + timeout if timeout is not None else None
        self.started = 0
        self.lock = threading.Lock()
        self.error: Optional[BaseException] = None
        self.running: Dict[int, Trial] = {}
        self.progress = _Progress(n_trials, timeout) if progress else None
        self.threaded = False
        self.fast = False

    def claim(self) -> bool:
        if self.threaded:
            with self.lock:
                return self._claim()
        return self._claim()

    def _claim(self) -> bool:
        if self.study._stop_flag or self.error is not None:
            return False
        if self.n_trials is not None and self.started >= self.n_trials:
            return False
        if self.deadline is not None and time.monotonic() >= self.deadline:
            return False
        self.started += 1
        return True

    def work_in_thread(self) -> None:
        try:
            self.work()
        except BaseException as error:  # the main thread raises it
            with self.lock:
                if self.error is None:
                    self.error = error

    def work(self) -> None:
        study = self.study
        # The common case (one objective returning a float, nothing to call back) skips the
        # general bookkeeping: the engine's overhead per trial is what users measure us by.
        self.fast = (study._n_objectives == 1 and study._constraints_func is None and
                     study._grid is None and not study._fixed and not self.callbacks and
                     self.progress is None and not self.gc_after_trial)
        while self.claim():
            self.run_one()

    def run_one(self) -> None:
        study = self.study
        try:
            # This one included: an ask in blocks holds no more than the run still needs.
            left = max(1, self.n_trials - self.started + 1) if self.n_trials is not None else 0
            trial = study._native.ask(study, None, left) if self.fast else study._ask(left)
            if trial is None:
                raise RuntimeError("the sampler has nothing left to propose")
        except RuntimeError as error:
            if "nothing left" in str(error) or "every combination" in str(error):
                study._stop_flag = True
                return
            raise
        if self.threaded:
            with self.lock:
                self.running[trial.number] = trial
        state, values, reason, reraise = TrialState.COMPLETE, None, "", None
        try:
            values = self.func(trial)
        except TrialPruned:
            state = TrialState.PRUNED
        except Exception as error:
            state, reason = TrialState.FAIL, traceback.format_exc()
            if not isinstance(error, self.catch):
                reraise = error
            _logger.warning(f"Trial {trial.number} failed: {error!r}")
        except BaseException:
            # Ctrl-C (or SystemExit) inside the objective: the trial says nothing about its
            # configuration, so it is failed as interrupted and does not count.
            self.finish_interrupted(trial)
            raise
        if self.threaded:
            with self.lock:
                if self.running.pop(trial.number, None) is None:
                    return  # interrupted meanwhile by the main thread
        if self.fast and type(values) is float and values == values and reason == "" and \
                state == TrialState.COMPLETE and not _logger.isEnabledFor(_wlogging.INFO):
            study._native.tell_value(trial, values)
            return
        state = study._finish(trial, values, state, reason, False)
        if self.callbacks or self.progress is not None or (
                state == TrialState.COMPLETE and _logger.isEnabledFor(_wlogging.INFO)):
            frozen = study._frozen(trial)
            if state == TrialState.COMPLETE and _logger.isEnabledFor(_wlogging.INFO):
                _logger.info(_finished_message(study, frozen))
            if self.progress is not None:
                self.progress.update(frozen)
            for callback in self.callbacks:
                callback(study, frozen)
        if self.gc_after_trial:
            gc.collect()
        if reraise is not None:
            raise reraise

    def finish_interrupted(self, trial: Trial) -> None:
        if self.threaded:
            with self.lock:
                if self.running.pop(trial.number, None) is None:
                    return
        try:
            self.study._finish(trial, None, TrialState.FAIL,
                               "interrupted: KeyboardInterrupt while the objective ran", True)
        except Exception:
            pass

    def interrupt_running(self) -> None:
        with self.lock:
            trials = list(self.running.values())
        for trial in trials:
            self.finish_interrupted(trial)

    def close(self) -> None:
        if self.progress is not None:
            self.progress.close()
        # Trials this run's asks hold and did not start go back to the study, for other
        # processes (PostgreSQL's asks in blocks); the next run would otherwise start them.
        # A failure leaves them to their lease, and must not hide the error that ended the run.
        try:
            self.study._native.release_held_trials()
        except Exception as error:  # noqa: BLE001
            _logger.warning(f"could not give back the trials held for this run: {error}")


def _release_held(native: Any) -> None:
    try:
        native.release_held_trials()
    except Exception:  # noqa: BLE001 (at exit: the lease gives them back instead)
        pass


class _Progress:
    """A one-line progress display on stderr (show_progress_bar=True)."""

    def __init__(self, n_trials: Optional[int], timeout: Optional[float]) -> None:
        import sys

        self.out, self.total, self.done, self.best = sys.stderr, n_trials, 0, None

    def update(self, trial: FrozenTrial) -> None:
        self.done += 1
        total = f"/{self.total}" if self.total else ""
        self.out.write(f"\r{self.done}{total} trials")
        self.out.flush()

    def close(self) -> None:
        self.out.write("\n")


def _finished_message(study: Study, trial: FrozenTrial) -> str:
    if study._n_objectives == 1:
        try:
            best = study._native.best_trial()
            best_text = f" Best is trial {best[1]} with value: {best[3][0]}." if best else ""
        except Exception:
            best_text = ""
        return (f"Trial {trial.number} finished with value: {trial.values[0]} and parameters: "
                f"{trial.params}.{best_text}")
    return (f"Trial {trial.number} finished with values: {trial.values} and parameters: "
            f"{trial.params}.")


# -- module-level functions ----------------------------------------------------------------------
def create_study(*, storage: Any = None, sampler: Any = None, pruner: Any = None,
                 study_name: Optional[str] = None,
                 direction: Optional[Union[str, StudyDirection]] = None,
                 load_if_exists: bool = False,
                 directions: Optional[Sequence[Union[str, StudyDirection]]] = None,
                 space: Any = None) -> Study:
    """Creates a study (or opens it with ``load_if_exists``), as Optuna's create_study.

    ``space``: a ``winnow.Space`` to declare the parameters up front instead of define-by-run.
    """
    dirs = _directions(direction, directions)
    native_storage = _open_storage(storage)
    if study_name is None:
        study_name = "no-name-" + os.urandom(8).hex()
    if not load_if_exists and study_name in _winnow.study_names(native_storage):
        raise DuplicatedStudyError(f"Another study with name '{study_name}' already exists. "
                                   f"Pass load_if_exists=True to open it.")
    sampler = sampler if sampler is not None else _samplers.AutoSampler()
    if not isinstance(sampler, _samplers.BaseSampler):
        raise TypeError(f"sampler must be one of winnow.samplers, not {type(sampler).__name__}")
    try:
        # The name check above gives the usual message early; the engine's own check, made as
        # it inserts the study, is the one that holds when processes start a study at once.
        native = _winnow.Study(native_storage, study_name, dirs, sampler._spec(), sampler._seed,
                               _pruners._spec_of(pruner) if len(dirs) == 1 else "none",
                               load_if_exists, space._native() if space is not None else None)
    except _winnow.StudyExistsError:
        raise DuplicatedStudyError(f"Another study with name '{study_name}' already exists. "
                                   f"Pass load_if_exists=True to open it.") from None
    for note in native.notes:
        _logger.info(note)
    x0 = getattr(sampler, "_x0", None)
    if x0 and native.counted_trials() == 0:
        native.enqueue(x0, True)
    # Trials left running by a process that is gone (killed, or stopped mid-trial) are failed
    # as interrupted: they do not count, and the study resumes.
    recovered = native.recover_orphaned_trials(False)
    if recovered:
        _logger.warning(f"{recovered} trial(s) left running by a stopped process were marked "
                        f"failed (interrupted)")
    return Study(study_name, storage, sampler, pruner, _native=native)


def load_study(*, study_name: Optional[str], storage: Any, sampler: Any = None,
               pruner: Any = None) -> Study:
    native_storage = _open_storage(storage)
    names = _winnow.study_names(native_storage)
    if study_name is None:
        if len(names) != 1:
            raise ValueError(f"study_name is needed: the storage holds {len(names)} studies")
        study_name = names[0]
    if study_name not in names:
        raise KeyError(f"Record does not exist: no study '{study_name}' in "
                       f"{native_storage.url}")
    dirs = _winnow.study_directions(native_storage, study_name)
    return create_study(storage=storage, sampler=sampler, pruner=pruner,
                        study_name=study_name, directions=dirs, load_if_exists=True)


def delete_study(*, study_name: str, storage: Any) -> None:
    _winnow.delete_study(_open_storage(storage), study_name)


def copy_study(*, from_study_name: str, from_storage: Any, to_storage: Any,
               to_study_name: Optional[str] = None) -> None:
    _winnow.copy_study(_open_storage(from_storage), from_study_name, _open_storage(to_storage),
                       to_study_name or from_study_name)


def get_all_study_names(storage: Any) -> List[str]:
    return _winnow.study_names(_open_storage(storage))


class StudySummary:
    """One study of a storage, as get_all_study_summaries lists it."""

    def __init__(self, summary: Dict[str, Any], attrs: Dict[str, Any]) -> None:
        self.study_name = summary["name"]
        self.directions = [StudyDirection.MINIMIZE if d == "minimize" else
                           StudyDirection.MAXIMIZE for d in summary["directions"]]
        self.direction = self.directions[0] if len(self.directions) == 1 else None
        self.n_trials = summary["n_trials"]
        self.best_trial = (FrozenTrial._from_native(summary["best"])
                           if summary.get("best") is not None else None)
        self.datetime_start = None
        if summary.get("created_ms"):
            import datetime

            self.datetime_start = datetime.datetime.fromtimestamp(summary["created_ms"] / 1000)
        self.user_attrs = attrs
        self.system_attrs: Dict[str, Any] = {}
        self._study_id = summary.get("id", 0)

    def __repr__(self) -> str:
        return f"StudySummary(study_name={self.study_name!r}, n_trials={self.n_trials})"


def get_all_study_summaries(storage: Any, include_best_trial: bool = True) -> List[StudySummary]:
    return [StudySummary(s, {k: json.loads(v) for k, v in s["user_attrs"].items()})
            for s in _winnow.study_summaries(_open_storage(storage), include_best_trial)]

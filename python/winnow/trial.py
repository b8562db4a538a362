"""Trials: the live ``Trial`` an objective receives, and ``FrozenTrial``, a finished record.

A Trial's ``suggest_*`` methods are define-by-run: the first trial that asks for a parameter
adds it to the study's space (stored, so every process and ``winnow show`` see it); later
trials get the sampler's proposal for it. A trial stores only the parameters it asked for, so a
parameter asked for only under some condition counts as inactive elsewhere, and the
model-based samplers model it from the trials where it was active.
"""

import datetime
import enum
import json
import warnings
from typing import Any, Dict, List, Optional, Sequence

from winnow import _winnow
from winnow import distributions as _dist
from winnow.exceptions import TrialPruned  # noqa: F401  (optuna.trial.TrialPruned)

_SYSTEM_PREFIX = "winnow."


class TrialState(enum.IntEnum):
    """The states of a trial, with Optuna's names and values."""

    RUNNING = 0
    COMPLETE = 1
    PRUNED = 2
    FAIL = 3
    WAITING = 4

    def __repr__(self) -> str:
        return f"TrialState.{self.name}"

    def is_finished(self) -> bool:
        return self not in (TrialState.RUNNING, TrialState.WAITING)


_STATE_FROM_NATIVE = {
    "running": TrialState.RUNNING,
    "complete": TrialState.COMPLETE,
    "pruned": TrialState.PRUNED,
    "failed": TrialState.FAIL,
    "waiting": TrialState.WAITING,
}
_STATE_TO_NATIVE = {state: name for name, state in _STATE_FROM_NATIVE.items()}


def _datetime(ms: int) -> Optional[datetime.datetime]:
    return datetime.datetime.fromtimestamp(ms / 1000.0) if ms > 0 else None


def _split_attrs(attrs: Dict[str, str]):
    user, system = {}, {}
    for key, text in attrs.items():
        try:
            value = json.loads(text)
        except ValueError:
            value = text
        (system if key.startswith(_SYSTEM_PREFIX) else user)[key] = value
    return user, system


class FrozenTrial:
    """A trial as stored: its number, state, values, parameters and attributes.

    Optuna's fields, plus ``constraints`` (feasible when every value is <= 0),
    ``failure_reason`` (the traceback of a failed trial) and ``metrics``.
    """

    def __init__(self, number: int = 0, state: TrialState = TrialState.COMPLETE,
                 value: Optional[float] = None,
                 datetime_start: Optional[datetime.datetime] = None,
                 datetime_complete: Optional[datetime.datetime] = None,
                 params: Optional[Dict[str, Any]] = None,
                 distributions: Optional[Dict[str, _dist.BaseDistribution]] = None,
                 user_attrs: Optional[Dict[str, Any]] = None,
                 system_attrs: Optional[Dict[str, Any]] = None,
                 intermediate_values: Optional[Dict[int, float]] = None,
                 trial_id: int = -1, *, values: Optional[Sequence[float]] = None) -> None:
        if value is not None and values is not None:
            raise ValueError("Specify only one of `value` and `values`.")
        self.number = number
        self.state = state
        self._values = list(values) if values is not None else (
            [float(value)] if value is not None else None)
        self.datetime_start = datetime_start
        self.datetime_complete = datetime_complete
        self.params = dict(params or {})
        self._distributions = dict(distributions or {})
        self.user_attrs = dict(user_attrs or {})
        self.system_attrs = dict(system_attrs or {})
        self.intermediate_values = dict(intermediate_values or {})
        self._trial_id = trial_id
        self.constraints: List[float] = []
        self.failure_reason = ""
        self.metrics: Dict[str, float] = {}
        self._space = None  # the study's stored space, for distributions

    @classmethod
    def _from_native(cls, record: tuple, space: Optional[Dict[str, dict]] = None) -> "FrozenTrial":
        (trial_id, number, state, values, params, intermediate, attrs, start_ms, end_ms,
         failure_reason, constraints, metrics, _interrupted) = record
        trial = cls.__new__(cls)
        trial.number = number
        trial.state = _STATE_FROM_NATIVE[state]
        trial._values = values
        trial.datetime_start = _datetime(start_ms)
        trial.datetime_complete = _datetime(end_ms) if trial.state.is_finished() else None
        trial._space = space
        trial.params = _restore_none(params, space)
        trial._distributions = None
        trial.user_attrs, trial.system_attrs = _split_attrs(attrs) if attrs else ({}, {})
        trial.intermediate_values = intermediate
        trial._trial_id = trial_id
        trial.constraints = constraints
        if constraints:
            trial.system_attrs["constraints"] = constraints
        trial.failure_reason = failure_reason
        if failure_reason:
            trial.system_attrs["fail_reason"] = failure_reason
        trial.metrics = metrics
        return trial

    @property
    def value(self) -> Optional[float]:
        if self._values is not None and len(self._values) > 1:
            raise RuntimeError("This attribute is not available during multi-objective "
                               "optimization; use `values`.")
        return self._values[0] if self._values else None

    @value.setter
    def value(self, v: Optional[float]) -> None:
        self._values = None if v is None else [float(v)]

    @property
    def values(self) -> Optional[List[float]]:
        return self._values

    @values.setter
    def values(self, v: Optional[Sequence[float]]) -> None:
        self._values = None if v is None else [float(x) for x in v]

    @property
    def trial_id(self) -> int:
        return self._trial_id

    @property
    def distributions(self) -> Dict[str, _dist.BaseDistribution]:
        if self._distributions is None:
            space = self._space or {}
            self._distributions = {name: _dist.from_space_param(space[name])
                                   for name in self.params if name in space}
        return self._distributions

    @distributions.setter
    def distributions(self, value: Dict[str, _dist.BaseDistribution]) -> None:
        self._distributions = dict(value)

    @property
    def duration(self) -> Optional[datetime.timedelta]:
        if self.datetime_start and self.datetime_complete:
            return self.datetime_complete - self.datetime_start
        return None

    @property
    def last_step(self) -> Optional[int]:
        return max(self.intermediate_values) if self.intermediate_values else None

    # A frozen trial answers suggest_* with its own parameters, so `objective(study.best_trial)`
    # re-evaluates the best configuration, as in Optuna.
    def suggest_float(self, name: str, low: float, high: float, *, step: Optional[float] = None,
                      log: bool = False) -> float:
        return self._stored(name)

    def suggest_int(self, name: str, low: int, high: int, step: int = 1, log: bool = False) -> int:
        return self._stored(name)

    def suggest_categorical(self, name: str, choices: Sequence[Any]) -> Any:
        return self._stored(name)

    def suggest_uniform(self, name: str, low: float, high: float) -> float:
        return self._stored(name)

    def suggest_loguniform(self, name: str, low: float, high: float) -> float:
        return self._stored(name)

    def suggest_discrete_uniform(self, name: str, low: float, high: float, q: float) -> float:
        return self._stored(name)

    def report(self, value: float, step: int) -> None:
        pass

    def should_prune(self) -> bool:
        return False

    def set_user_attr(self, key: str, value: Any) -> None:
        self.user_attrs[key] = value

    def _stored(self, name: str) -> Any:
        if name not in self.params:
            raise ValueError(f"The value of the parameter '{name}' is not found; this trial "
                             f"has {sorted(self.params)}.")
        return self.params[name]

    def __repr__(self) -> str:
        return (f"FrozenTrial(number={self.number}, state={self.state!r}, values={self._values}, "
                f"params={self.params}, user_attrs={self.user_attrs}, "
                f"intermediate_values={self.intermediate_values})")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FrozenTrial) and (
            self.number, self.state, self._values, self.params) == (
            other.number, other.state, other._values, other.params)

    def __lt__(self, other: "FrozenTrial") -> bool:
        return self.number < other.number

    def __hash__(self) -> int:
        return hash((self.number, self._trial_id))


def _restore_none(params: Dict[str, Any], space: Optional[Dict[str, dict]]) -> Dict[str, Any]:
    # The engine keeps a None choice as the text "None" (see convert.h).
    if space:
        for name, value in params.items():
            if value == "None" and space.get(name, {}).get("type") == "categorical":
                params[name] = None
    return params


def create_trial(*, state: TrialState = TrialState.COMPLETE, value: Optional[float] = None,
                 values: Optional[Sequence[float]] = None,
                 params: Optional[Dict[str, Any]] = None,
                 distributions: Optional[Dict[str, _dist.BaseDistribution]] = None,
                 user_attrs: Optional[Dict[str, Any]] = None,
                 system_attrs: Optional[Dict[str, Any]] = None,
                 intermediate_values: Optional[Dict[int, float]] = None) -> FrozenTrial:
    """A finished trial made by hand, for ``Study.add_trial`` (as in Optuna): every parameter
    needs its distribution and must lie in it, and a COMPLETE trial needs its value(s)."""
    _dist.check_params(params, distributions, "create_trial")
    if state == TrialState.COMPLETE and value is None and values is None:
        raise ValueError("create_trial: a COMPLETE trial needs value or values")
    return FrozenTrial(state=state, value=value, values=values, params=params,
                       distributions=distributions, user_attrs=user_attrs,
                       system_attrs=system_attrs, intermediate_values=intermediate_values,
                       datetime_start=datetime.datetime.now(),
                       datetime_complete=datetime.datetime.now())


Trial = _winnow.Trial
Trial.__doc__ = """The trial an objective runs: it asks for parameters and reports progress.

suggest_float(name, low, high, *, step=None, log=False), suggest_int(name, low, high, step=1,
log=False) and suggest_categorical(name, choices) have Optuna's signatures; report(value, step),
should_prune(), set_user_attr(key, value), number, params and study too. The methods below are
added to the native class, which keeps the suggest_* calls of every objective native.
"""


def _trial_distributions(self: Any) -> Dict[str, _dist.BaseDistribution]:
    space = self.study._space()
    return {name: _dist.from_space_param(space[name]) for name in self.params if name in space}


def _suggest_uniform(self: Any, name: str, low: float, high: float) -> float:
    warnings.warn("suggest_uniform is deprecated (as in Optuna); use suggest_float",
                  FutureWarning, stacklevel=2)
    return self.suggest_float(name, low, high)


def _suggest_loguniform(self: Any, name: str, low: float, high: float) -> float:
    warnings.warn("suggest_loguniform is deprecated (as in Optuna); use "
                  "suggest_float(..., log=True)", FutureWarning, stacklevel=2)
    return self.suggest_float(name, low, high, log=True)


def _suggest_discrete_uniform(self: Any, name: str, low: float, high: float, q: float) -> float:
    warnings.warn("suggest_discrete_uniform is deprecated (as in Optuna); use "
                  "suggest_float(..., step=q)", FutureWarning, stacklevel=2)
    return self.suggest_float(name, low, high, step=q)


def _set_system_attr(self: Any, key: str, value: Any) -> None:
    raise RuntimeError("set_system_attr is not supported (Optuna deprecated it too); use "
                       "set_user_attr")


def _trial_repr(self: Any) -> str:
    return f"Trial(number={self.number}, params={self.params})"


Trial.distributions = property(_trial_distributions)
Trial.user_attrs = property(lambda self: _split_attrs(self._attrs)[0])
Trial.system_attrs = property(lambda self: _split_attrs(self._attrs)[1])
Trial.datetime_start = property(lambda self: _datetime(self._start_ms))
Trial.suggest_uniform = _suggest_uniform
Trial.suggest_loguniform = _suggest_loguniform
Trial.suggest_discrete_uniform = _suggest_discrete_uniform
Trial.set_system_attr = _set_system_attr
Trial.__repr__ = _trial_repr


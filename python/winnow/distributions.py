"""Parameter distributions, with Optuna's names and fields, as a trial's ``distributions``
shows them and as ``Study.ask(fixed_distributions=...)`` and ``create_trial`` take them."""

import math
import numbers
from typing import Any, Dict, Optional, Sequence


class BaseDistribution:
    def _suggest(self, trial: Any, name: str) -> Any:
        raise NotImplementedError

    def _contains(self, value: Any) -> bool:
        raise NotImplementedError

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.__dict__ == other.__dict__

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in self.__dict__.items())
        return f"{type(self).__name__}({fields})"


class FloatDistribution(BaseDistribution):
    def __init__(self, low: float, high: float, log: bool = False,
                 step: Optional[float] = None) -> None:
        self.low, self.high, self.log, self.step = float(low), float(high), log, step

    def _suggest(self, trial: Any, name: str) -> float:
        return trial.suggest_float(name, self.low, self.high, step=self.step, log=self.log)

    def _contains(self, value: Any) -> bool:
        if not isinstance(value, numbers.Real) or not self.low <= value <= self.high:
            return False
        if self.step is None:
            return True
        steps = (value - self.low) / self.step
        return math.isclose(steps, round(steps), rel_tol=0, abs_tol=1e-8)


class IntDistribution(BaseDistribution):
    def __init__(self, low: int, high: int, log: bool = False, step: int = 1) -> None:
        self.low, self.high, self.log, self.step = int(low), int(high), log, int(step)

    def _suggest(self, trial: Any, name: str) -> int:
        return trial.suggest_int(name, self.low, self.high, step=self.step, log=self.log)

    def _contains(self, value: Any) -> bool:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, numbers.Integral) or isinstance(value, bool):
            return False
        return self.low <= value <= self.high and (value - self.low) % self.step == 0


class CategoricalDistribution(BaseDistribution):
    def __init__(self, choices: Sequence[Any]) -> None:
        self.choices = tuple(choices)

    def _suggest(self, trial: Any, name: str) -> Any:
        return trial.suggest_categorical(name, self.choices)

    def _contains(self, value: Any) -> bool:
        return value in self.choices


def check_params(params: Optional[Dict[str, Any]],
                 distributions: Optional[Dict[str, BaseDistribution]], where: str) -> None:
    """Raises ValueError unless every parameter has its distribution and lies in it, as Optuna's
    create_trial requires."""
    params, distributions = params or {}, distributions or {}
    if set(params) != set(distributions):
        without = sorted(set(params) - set(distributions))
        unused = sorted(set(distributions) - set(params))
        raise ValueError(f"{where}: the parameters and their distributions differ"
                         + (f"; no distribution for {without}" if without else "")
                         + (f"; no value for {unused}" if unused else ""))
    for name, value in params.items():
        if not distributions[name]._contains(value):
            raise ValueError(f"{where}: parameter '{name}' = {value!r} is not in "
                             f"{distributions[name]!r}")


# Optuna's deprecated names, still found in older scripts.
def UniformDistribution(low: float, high: float) -> FloatDistribution:  # noqa: N802
    return FloatDistribution(low, high)


def LogUniformDistribution(low: float, high: float) -> FloatDistribution:  # noqa: N802
    return FloatDistribution(low, high, log=True)


def DiscreteUniformDistribution(low: float, high: float, q: float) -> FloatDistribution:  # noqa
    return FloatDistribution(low, high, step=q)


def IntUniformDistribution(low: int, high: int, step: int = 1) -> IntDistribution:  # noqa: N802
    return IntDistribution(low, high, step=step)


def IntLogUniformDistribution(low: int, high: int, step: int = 1) -> IntDistribution:  # noqa
    return IntDistribution(low, high, log=True)


def from_space_param(param: Dict[str, Any]) -> BaseDistribution:
    """The distribution of a parameter of a study's stored space (its JSON)."""
    kind = param["type"]
    if kind == "float":
        return FloatDistribution(param["low"], param["high"], param.get("log", False),
                                 param.get("step"))
    if kind == "int":
        return IntDistribution(int(param["low"]), int(param["high"]), param.get("log", False),
                               int(param.get("step", 1)))
    return CategoricalDistribution([None if c == "None" else c for c in param["choices"]])

"""Parameter distributions, with Optuna's names and fields, as a trial's ``distributions``
shows them and as ``Study.ask(fixed_distributions=...)`` and ``create_trial`` take them."""

from typing import Any, Dict, Optional, Sequence


class BaseDistribution:
    def _suggest(self, trial: Any, name: str) -> Any:
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


class IntDistribution(BaseDistribution):
    def __init__(self, low: int, high: int, log: bool = False, step: int = 1) -> None:
        self.low, self.high, self.log, self.step = int(low), int(high), log, int(step)

    def _suggest(self, trial: Any, name: str) -> int:
        return trial.suggest_int(name, self.low, self.high, step=self.step, log=self.log)


class CategoricalDistribution(BaseDistribution):
    def __init__(self, choices: Sequence[Any]) -> None:
        self.choices = tuple(choices)

    def _suggest(self, trial: Any, name: str) -> Any:
        return trial.suggest_categorical(name, self.choices)


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

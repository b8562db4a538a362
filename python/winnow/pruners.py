"""Pruners, with Optuna's class names and keyword arguments, mapped onto Winnow's native
schedulers (docs/schedulers.md): a trial's ``should_prune()`` is decided natively, without the
GIL, from the intermediate values in storage (every process's trials)."""

from typing import Any, Optional, Union


class BasePruner:
    def __init__(self, spec: str) -> None:
        self._spec = spec

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._spec!r})"


class NopPruner(BasePruner):
    def __init__(self) -> None:
        super().__init__("none")


def _percentile_spec(name: str, n_startup_trials: int, n_warmup_steps: int, interval_steps: int,
                     n_min_trials: int, extra: str = "") -> str:
    for option, value, least in (("n_startup_trials", n_startup_trials, 0),
                                 ("n_warmup_steps", n_warmup_steps, 0),
                                 ("interval_steps", interval_steps, 1),
                                 ("n_min_trials", n_min_trials, 1)):
        if value < least:
            raise ValueError(f"{option} must be >= {least}, not {value}")
    return (f"{name}:startup_trials={n_startup_trials},warmup_steps={n_warmup_steps},"
            f"interval_steps={interval_steps},min_trials={n_min_trials}{extra}")


class MedianPruner(BasePruner):
    def __init__(self, n_startup_trials: int = 5, n_warmup_steps: int = 0,
                 interval_steps: int = 1, *, n_min_trials: int = 1) -> None:
        super().__init__(_percentile_spec("median", n_startup_trials, n_warmup_steps,
                                          interval_steps, n_min_trials))


class PercentilePruner(BasePruner):
    def __init__(self, percentile: float, n_startup_trials: int = 5, n_warmup_steps: int = 0,
                 interval_steps: int = 1, *, n_min_trials: int = 1) -> None:
        if not 0 <= percentile <= 100:
            raise ValueError(f"percentile must be within [0, 100], not {percentile}")
        super().__init__(_percentile_spec("percentile", n_startup_trials, n_warmup_steps,
                                          interval_steps, n_min_trials,
                                          f",percentile={percentile}"))


def _resource(value: Union[str, int], option: str) -> str:
    if value == "auto":
        return "auto"
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{option} must be 'auto' or a positive int, not {value!r}")
    return str(value)


class SuccessiveHalvingPruner(BasePruner):
    """Asynchronous successive halving over reported steps (rungs at min_resource *
    reduction_factor ** (min_early_stopping_rate + k))."""

    def __init__(self, min_resource: Union[str, int] = "auto", reduction_factor: int = 4,
                 min_early_stopping_rate: int = 0, bootstrap_count: int = 0) -> None:
        if reduction_factor < 2:
            raise ValueError(f"reduction_factor must be >= 2, not {reduction_factor}")
        if min_early_stopping_rate < 0 or bootstrap_count < 0:
            raise ValueError("min_early_stopping_rate and bootstrap_count must be >= 0")
        super().__init__(f"sh_pruner:min_resource={_resource(min_resource, 'min_resource')},"
                         f"eta={reduction_factor},early_stopping_rate={min_early_stopping_rate},"
                         f"bootstrap={bootstrap_count}")


class HyperbandPruner(BasePruner):
    """Several successive-halving brackets, a trial's bracket chosen from its number."""

    def __init__(self, min_resource: int = 1, max_resource: Union[str, int] = "auto",
                 reduction_factor: int = 3, bootstrap_count: int = 0) -> None:
        if reduction_factor < 2:
            raise ValueError(f"reduction_factor must be >= 2, not {reduction_factor}")
        super().__init__(f"hyperband_pruner:min_resource={_resource(min_resource, 'min_resource')}"
                         f",max_resource={_resource(max_resource, 'max_resource')},"
                         f"eta={reduction_factor},bootstrap={bootstrap_count}")


class ThresholdPruner(BasePruner):
    def __init__(self, lower: Optional[float] = None, upper: Optional[float] = None,
                 n_warmup_steps: int = 0, interval_steps: int = 1) -> None:
        if lower is None and upper is None:
            raise ValueError("Either lower or upper must be specified.")
        parts = [f"warmup_steps={n_warmup_steps}", f"interval_steps={interval_steps}"]
        if lower is not None:
            parts.append(f"lower={lower}")
        if upper is not None:
            parts.append(f"upper={upper}")
        super().__init__("threshold:" + ",".join(parts))


def _spec_of(pruner: Any) -> str:
    if pruner is None:
        return "median"  # Optuna's default pruner
    if not isinstance(pruner, BasePruner):
        raise TypeError(f"pruner must be one of winnow.pruners, not {type(pruner).__name__}")
    return pruner._spec

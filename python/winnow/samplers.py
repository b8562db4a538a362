"""Samplers, with Optuna's class names and common keyword arguments, each mapped onto one of
Winnow's native samplers (docs/samplers.md). The default, ``AutoSampler``, picks Sobol, a
Gaussian process, TPE or CMA-ES by the space and the number of trials.

Options that have no meaning here are accepted where ignoring them changes nothing a user can
observe (warnings switches, ``consider_prior``), and refused with a ValueError that says why
where honouring them is impossible (a Python callable for TPE's ``gamma``, a Halton sequence).
"""

import itertools
import random as _random
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence

_UNSET: Any = object()


class BaseSampler:
    """A sampler: a native spec ("tpe:n_startup=10") and a seed."""

    def __init__(self, name: str, seed: Optional[int],
                 constraints_func: Optional[Callable[[Any], Sequence[float]]] = None) -> None:
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or
                                 not 0 <= seed < 2**63):
            raise ValueError(f"{type(self).__name__}: seed must be an integer from 0 to 2**63 - 1 "
                             f"or None, not {seed!r}")
        self._name = name
        self._options: Dict[str, Any] = {}
        self._seed = seed
        self.constraints_func = constraints_func

    def _set(self, key: str, value: Any) -> None:
        if value is _UNSET:
            return
        if isinstance(value, bool):
            value = "true" if value else "false"
        self._options[key] = value

    def _spec(self) -> str:
        if not self._options:
            return self._name
        return self._name + ":" + ",".join(f"{k}={v}" for k, v in self._options.items())

    def reseed_rng(self) -> None:
        """Optuna reseeds a sampler per process; Winnow's seeded stream positions are taken from
        the study's trial numbers, so processes never repeat each other: nothing to do."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._spec()!r}, seed={self._seed})"


def _refuse(sampler: str, option: str, why: str) -> None:
    raise ValueError(f"{sampler}: option '{option}' is not supported: {why}")


class AutoSampler(BaseSampler):
    """Winnow's default: Sobol start-up, then a Gaussian process, TPE (conditional spaces,
    several objectives, constraints) or CMA-ES (long runs), chosen per trial."""

    def __init__(self, seed: Optional[int] = None, *, n_startup_trials: int = _UNSET,
                 constraints_func: Optional[Callable[[Any], Sequence[float]]] = None) -> None:
        super().__init__("auto", seed, constraints_func)
        self._set("n_startup", n_startup_trials)


class RandomSampler(BaseSampler):
    def __init__(self, seed: Optional[int] = None) -> None:
        super().__init__("random", seed)


class QMCSampler(BaseSampler):
    """Scrambled or plain Sobol points (Optuna's default ``qmc_type`` too)."""

    def __init__(self, *, qmc_type: str = "sobol", scramble: bool = False,
                 seed: Optional[int] = None, independent_sampler: Any = None,
                 warn_asynchronous_seeding: bool = True, warn_independent_sampling: bool = True,
                 **kwargs: Any) -> None:
        super().__init__("sobol", seed)
        if qmc_type != "sobol":
            _refuse("QMCSampler", "qmc_type", f"only 'sobol' sequences exist here, not "
                    f"{qmc_type!r}")
        if independent_sampler is not None:
            _refuse("QMCSampler", "independent_sampler", "a parameter first seen in a trial is "
                    "drawn uniformly; later trials place it on the Sobol sequence")
        self._set("scramble", scramble)


class TPESampler(BaseSampler):
    """Tree-structured Parzen estimator. Winnow's defaults are multivariate with groups (Optuna
    defaults to independent sampling): pass ``multivariate=False`` for Optuna's behaviour."""

    def __init__(self, consider_prior: bool = True, prior_weight: float = _UNSET,
                 consider_magic_clip: bool = True, consider_endpoints: bool = _UNSET,
                 n_startup_trials: int = _UNSET, n_ei_candidates: int = _UNSET,
                 gamma: Any = None, weights: Any = None, seed: Optional[int] = None, *,
                 multivariate: bool = _UNSET, group: bool = _UNSET,
                 warn_independent_sampling: bool = True, constant_liar: bool = _UNSET,
                 constraints_func: Optional[Callable[[Any], Sequence[float]]] = None) -> None:
        super().__init__("tpe", seed, constraints_func)
        if not consider_prior:
            _refuse("TPESampler", "consider_prior=False", "the prior component is part of "
                    "every Parzen estimator here (set prior_weight instead)")
        if gamma is not None:
            _refuse("TPESampler", "gamma", "the split between good and bad trials is computed "
                    "natively (tpe.cc); a Python callable cannot be called there")
        if weights is not None:
            _refuse("TPESampler", "weights", "observation weights are computed natively")
        if not consider_magic_clip:
            _refuse("TPESampler", "consider_magic_clip=False", "the bandwidths always have a "
                    "floor here (TPE's min_bandwidth), which is what the magic clip is")
        self._set("prior_weight", prior_weight)
        self._set("consider_endpoints", consider_endpoints)
        self._set("n_startup", n_startup_trials)
        self._set("n_candidates", n_ei_candidates)
        self._set("multivariate", multivariate)
        if group is not _UNSET and group and multivariate is not _UNSET and not multivariate:
            raise ValueError("TPESampler: group=True needs multivariate=True (as in Optuna)")
        self._set("group", group)
        self._set("constant_liar", constant_liar)


class MOTPESampler(TPESampler):
    """Kept for older scripts: TPE handles several objectives itself."""


class CmaEsSampler(BaseSampler):
    def __init__(self, x0: Optional[Dict[str, Any]] = None, sigma0: Optional[float] = None,
                 n_startup_trials: int = _UNSET, independent_sampler: Any = None,
                 warn_independent_sampling: bool = True, seed: Optional[int] = None, *,
                 consider_pruned_trials: bool = False, restart_strategy: Optional[str] = None,
                 popsize: Optional[int] = None, inc_popsize: int = 2,
                 use_separable_cma: bool = False, source_trials: Any = None,
                 with_margin: bool = False, **kwargs: Any) -> None:
        super().__init__("cmaes", seed)
        # x0 is queued as the study's first trial: CMA-ES warm-starts its mean from the best
        # trials so far, so it starts there once x0 is the best.
        self._x0 = dict(x0) if x0 is not None else None
        if independent_sampler is not None:
            _refuse("CmaEsSampler", "independent_sampler", "a parameter first seen in a trial "
                    "is drawn uniformly; later trials model it with the others")
        if consider_pruned_trials or inc_popsize != 2:
            _refuse("CmaEsSampler", "consider_pruned_trials/inc_popsize", "CMA-ES learns from "
                    "complete trials, and IPOP doubles the population at each restart")
        if sigma0 is not None:
            if not 0 < sigma0 <= 1:
                _refuse("CmaEsSampler", "sigma0", "Winnow's CMA-ES works in the unit cube, so "
                        "sigma0 is a fraction of each range, in (0, 1]")
            self._set("sigma0", sigma0)
        self._set("n_startup", n_startup_trials)
        if restart_strategy not in (None, "ipop"):
            _refuse("CmaEsSampler", "restart_strategy", "only IPOP restarts exist here")
        self._set("restarts", "ipop" if restart_strategy == "ipop" else _UNSET)
        if popsize is not None:
            self._set("population", popsize)
        if use_separable_cma or with_margin or source_trials is not None:
            _refuse("CmaEsSampler", "use_separable_cma/with_margin/source_trials",
                    "these CMA-ES variants are not implemented")


class GPSampler(BaseSampler):
    def __init__(self, *, seed: Optional[int] = None, independent_sampler: Any = None,
                 n_startup_trials: int = _UNSET, deterministic_objective: bool = _UNSET,
                 constraints_func: Optional[Callable[[Any], Sequence[float]]] = None) -> None:
        super().__init__("gp", seed, constraints_func)
        if independent_sampler is not None:
            _refuse("GPSampler", "independent_sampler", "a parameter first seen in a trial is "
                    "drawn uniformly; later trials model it with the others")
        self._set("n_startup", n_startup_trials)
        self._set("deterministic", deterministic_objective)


class NSGAIISampler(BaseSampler):
    def __init__(self, *, population_size: int = _UNSET, mutation_prob: Optional[float] = None,
                 crossover: Any = None, crossover_prob: float = _UNSET,
                 swapping_prob: float = _UNSET, seed: Optional[int] = None,
                 constraints_func: Optional[Callable[[Any], Sequence[float]]] = None) -> None:
        super().__init__("nsga2", seed, constraints_func)
        self._set("population_size", population_size)
        if mutation_prob is not None:
            self._set("mutation_prob", mutation_prob)
        if crossover is not None:
            names = {"SBXCrossover": "sbx", "UniformCrossover": "uniform",
                     "BLXAlphaCrossover": "blxalpha"}
            name = names.get(type(crossover).__name__, crossover if isinstance(crossover, str)
                             else None)
            if name not in names.values():
                _refuse("NSGAIISampler", "crossover", "one of SBXCrossover, UniformCrossover "
                        "or BLXAlphaCrossover (or 'sbx', 'uniform', 'blxalpha')")
            self._set("crossover", name)
        self._set("crossover_prob", crossover_prob)
        self._set("swapping_prob", swapping_prob)


class GridSampler(BaseSampler):
    """Every combination of the given values, in a seeded random order; the study stops when
    all are taken (also across processes, as the trials already in the study are skipped)."""

    def __init__(self, search_space: Mapping[str, Sequence[Any]],
                 seed: Optional[int] = None) -> None:
        super().__init__("random", seed)
        self._search_space = {name: list(values) for name, values in search_space.items()}
        for name, values in self._search_space.items():
            if not values:
                raise ValueError(f"GridSampler: parameter '{name}' has no values")
        self._names = sorted(self._search_space)
        self._rng = _random.Random(seed)

    def check(self, name: str) -> None:
        if name not in self._search_space:
            raise ValueError(f"The parameter name, {name}, is not found in the given grid.")

    def _unvisited(self, trials: List[Any]) -> List[Dict[str, Any]]:
        seen = set()
        for trial in trials:
            seen.add(tuple(repr(trial.params.get(n)) for n in self._names))
        grid = []
        for combo in itertools.product(*(self._search_space[n] for n in self._names)):
            if tuple(repr(v) for v in combo) not in seen:
                grid.append(dict(zip(self._names, combo)))
        return grid

    def _next(self, trials: List[Any]) -> Optional[Dict[str, Any]]:
        unvisited = self._unvisited(trials)
        return self._rng.choice(unvisited) if unvisited else None


class PartialFixedSampler(BaseSampler):
    """Fixes some parameters; the others come from ``base_sampler``."""

    def __init__(self, fixed_params: Dict[str, Any], base_sampler: BaseSampler) -> None:
        super().__init__(base_sampler._name, base_sampler._seed, base_sampler.constraints_func)
        self._options = dict(base_sampler._options)
        self._fixed = dict(fixed_params)


class SBXCrossover:
    pass


class UniformCrossover:
    pass


class BLXAlphaCrossover:
    pass

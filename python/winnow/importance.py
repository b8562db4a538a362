# Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
"""Parameter importance, as ``optuna.importance``: which parameters matter to the objective.

    importances = winnow.importance.get_param_importances(study)       # fANOVA
    winnow.importance.get_param_importances(
        study, evaluator=winnow.importance.PedAnovaImportanceEvaluator())

Both evaluators run in Winnow's engine (docs/importance.md): fANOVA over a random forest of 64
trees, and PED-ANOVA, which fits no model. Conditional and define-by-run parameters are rated on
the trials where they are active, weighted by the share of those trials.
"""
from collections import OrderedDict
from typing import Any, Callable, Dict, List, Optional

__all__ = ["FanovaImportanceEvaluator", "PedAnovaImportanceEvaluator", "get_param_importances"]


class FanovaImportanceEvaluator:
    """fANOVA (Hutter et al. 2014) on a random forest of ``n_trees`` trees."""

    def __init__(self, *, n_trees: int = 64, max_depth: int = 64,
                 seed: Optional[int] = None) -> None:
        self._method = "fanova"
        self.n_trees = n_trees
        self.max_depth = max_depth
        self.seed = 0 if seed is None else seed

    def evaluate(self, study: Any, params: Optional[List[str]] = None, *,
                 target: Optional[Callable[[Any], float]] = None) -> Dict[str, float]:
        return _evaluate(self, study, params, target, normalize=True)


class PedAnovaImportanceEvaluator:
    """PED-ANOVA (Watanabe et al. 2023): how the best ``baseline_quantile`` of the trials differ
    from all of them, parameter by parameter."""

    def __init__(self, *, baseline_quantile: float = 0.1, evaluate_on_local: bool = True) -> None:
        if not evaluate_on_local:
            raise ValueError("PedAnovaImportanceEvaluator: only evaluate_on_local=True is "
                             "supported (the trials' own spread is the reference)")
        self._method = "ped-anova"
        self.baseline_quantile = baseline_quantile

    def evaluate(self, study: Any, params: Optional[List[str]] = None, *,
                 target: Optional[Callable[[Any], float]] = None) -> Dict[str, float]:
        return _evaluate(self, study, params, target, normalize=True)


def _evaluate(evaluator: Any, study: Any, params: Optional[List[str]],
              target: Optional[Callable[[Any], float]], normalize: bool) -> Dict[str, float]:
    if target is None and len(study.directions) > 1:
        raise ValueError("a study with several objectives needs `target`, e.g. "
                         "target=lambda t: t.values[0]")
    target_values = None
    if target is not None:
        from winnow.trial import TrialState
        target_values = {t.number: float(target(t)) for t in study.get_trials(deepcopy=False)
                         if t.state == TrialState.COMPLETE}
    rows = study._native.importance(
        method=evaluator._method, objective=0, params=list(params or []), normalize=normalize,
        seed=getattr(evaluator, "seed", 0), n_trees=getattr(evaluator, "n_trees", 64),
        max_depth=getattr(evaluator, "max_depth", 64),
        quantile=getattr(evaluator, "baseline_quantile", 0.1), target=target_values)
    return OrderedDict((name, importance) for name, importance, _, _ in rows)


def get_param_importances(study: Any, *, evaluator: Any = None, params: Optional[List[str]] = None,
                          target: Optional[Callable[[Any], float]] = None,
                          normalize: bool = True) -> Dict[str, float]:
    """Importance of each parameter, most important first (an OrderedDict, as Optuna's).

    ``normalize`` (the default) makes them sum to 1; otherwise fANOVA's are the raw variance
    fractions and PED-ANOVA's the raw divergences.
    """
    evaluator = evaluator or FanovaImportanceEvaluator()
    return _evaluate(evaluator, study, params, target, normalize)

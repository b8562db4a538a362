"""A declared space, for those who prefer to state the parameters up front (as in a study file):

    space = (winnow.Space()
             .float("lr", 1e-5, 1e-1, log=True)
             .categorical("optimizer", ["adam", "sgd"])
             .float("momentum", 0.0, 0.99, when="optimizer == 'sgd'")
             .forbid("optimizer == 'sgd' and lr > 0.05"))
    study = winnow.create_study(space=space)
    trial = study.ask()            # trial.params holds the whole configuration
"""

from typing import Any, Dict, List, Optional, Sequence

from winnow import _winnow


class Space:
    def __init__(self) -> None:
        self._params: List[Dict[str, Any]] = []
        self._forbidden: List[str] = []

    def float(self, name: str, low: float, high: float, *, log: bool = False,
              step: Optional[float] = None, when: Optional[str] = None,
              default: Optional[float] = None) -> "Space":
        self._params.append({"name": name, "type": "float", "low": low, "high": high,
                             "log": log, "step": step, "when": when, "default": default})
        return self

    def int(self, name: str, low: int, high: int, *, log: bool = False, step: int = 1,
            when: Optional[str] = None, default: Optional[int] = None) -> "Space":
        self._params.append({"name": name, "type": "int", "low": low, "high": high, "log": log,
                             "step": step if step != 1 else None, "when": when,
                             "default": default})
        return self

    def categorical(self, name: str, choices: Sequence[Any], *, when: Optional[str] = None,
                    default: Any = None) -> "Space":
        self._params.append({"name": name, "type": "categorical", "choices": list(choices),
                             "when": when, "default": default})
        return self

    def ordinal(self, name: str, choices: Sequence[Any], *, when: Optional[str] = None,
                default: Any = None) -> "Space":
        self._params.append({"name": name, "type": "ordinal", "choices": list(choices),
                             "when": when, "default": default})
        return self

    def forbid(self, clause: str) -> "Space":
        self._forbidden.append(clause)
        return self

    def _native(self) -> Any:
        space = _winnow.SearchSpace()
        for param in self._params:
            space.add(param)
        for clause in self._forbidden:
            space.forbid(clause)
        space.validate()
        return space

    def __len__(self) -> int:
        return len(self._params)

"""Imported by every script: `optuna` is Optuna itself or Winnow standing in for it."""

import json
import sys

LIBRARY = sys.argv[1] if len(sys.argv) > 1 else "winnow"
if LIBRARY == "optuna":
    import optuna
else:
    import winnow as optuna  # the drop-in under test

optuna.logging.set_verbosity(optuna.logging.WARNING)


def states(study):
    return [t.state.name for t in study.trials]


def emit(summary):
    print(json.dumps(summary, sort_keys=True, default=str))

"""Optuna's ``optuna.logging`` interface over the standard library's ``logging``.

Winnow logs a line per finished trial at INFO level to stderr, as Optuna does, through the
logger named ``winnow``. ``set_verbosity(winnow.logging.WARNING)`` silences it.
"""

import logging as _logging
import sys as _sys

CRITICAL = _logging.CRITICAL
FATAL = _logging.FATAL
ERROR = _logging.ERROR
WARNING = _logging.WARNING
WARN = _logging.WARN
INFO = _logging.INFO
DEBUG = _logging.DEBUG

_logger = _logging.getLogger("winnow")
_handler = _logging.StreamHandler(_sys.stderr)
_handler.setFormatter(_logging.Formatter("[W %(asctime)s] %(message)s"))
_logger.addHandler(_handler)
_logger.setLevel(INFO)
_logger.propagate = False


def get_logger(name: str) -> _logging.Logger:
    return _logging.getLogger(name)


def set_verbosity(verbosity: int) -> None:
    _logger.setLevel(verbosity)


def get_verbosity() -> int:
    return _logger.getEffectiveLevel()


def disable_default_handler() -> None:
    _logger.removeHandler(_handler)


def enable_default_handler() -> None:
    if _handler not in _logger.handlers:
        _logger.addHandler(_handler)


def disable_propagation() -> None:
    _logger.propagate = False


def enable_propagation() -> None:
    _logger.propagate = True

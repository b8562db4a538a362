"""Storage objects, named as in Optuna. A study's storage may also be given as a URL or a path.

``RDBStorage("sqlite:///tune.db")`` is the SQLite file ``tune.db`` (SQLAlchemy's rules: three
slashes and a relative path, four for an absolute one). Other databases are refused for now.
"""

from typing import Any

from winnow.study import _InMemory, _storage_url


class RDBStorage:
    def __init__(self, url: str, engine_kwargs: Any = None, skip_compatibility_check: bool = False,
                 *, heartbeat_interval: Any = None, grace_period: Any = None,
                 failed_trial_callback: Any = None, skip_table_creation: bool = False) -> None:
        _storage_url(url)  # refuses what cannot be opened, now rather than at create_study
        if heartbeat_interval is not None or failed_trial_callback is not None:
            raise ValueError("RDBStorage: heartbeats are built in: every process heartbeats its "
                             "running trials, and a trial without one for the study's lease "
                             "(StudyOptions lease_seconds, 5 minutes) or whose process is gone "
                             "is failed as interrupted by the next process that looks (checked "
                             "for liveness, not configured here)")
        # engine_kwargs, skip_compatibility_check, skip_table_creation: SQLAlchemy's; an SQLite
        # file needs none of them.
        self.url = url


class InMemoryStorage(_InMemory):
    """A storage that lives as long as the object: studies created with the same object share
    it."""

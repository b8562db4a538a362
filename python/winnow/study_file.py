"""``winnow.load_study_file("study.toml")``: the study a study file describes, driven from Python.

``optimize()`` without an objective runs the file's command, exactly as ``winnow run`` does
(same storage, budget, jobs, limits and logs); with a Python objective it searches the file's
declared space instead.
"""

import threading
from typing import Any, Callable, Dict, Optional

from winnow import _winnow
from winnow import samplers as _samplers
from winnow.study import Study


class FileStudy(Study):
    def __init__(self, file: Any, native: Any) -> None:
        super().__init__(native.name, None, _samplers.BaseSampler("file", None), None,
                         _native=native)
        self.file = file

    def optimize(self, func: Optional[Callable[..., Any]] = None,
                 n_trials: Optional[int] = None, timeout: Optional[float] = None,
                 n_jobs: Optional[int] = None, **kwargs: Any) -> None:
        if func is not None:
            return super().optimize(func, n_trials=n_trials, timeout=timeout,
                                    n_jobs=n_jobs or self.file.jobs, **kwargs)
        if kwargs:
            raise TypeError(f"optimize() of a study file's command takes no {sorted(kwargs)}")
        stop = _winnow.StopSignal()
        outcome: Dict[str, Any] = {}

        def run() -> None:
            try:
                outcome.update(_winnow.run_command_study(self._native, self.file, n_trials or 0,
                                                         n_jobs or 0, timeout or 0.0, stop))
            except BaseException as error:  # raised again in the calling thread
                outcome["error"] = error

        thread = threading.Thread(target=run, name="winnow-study-file", daemon=True)
        thread.start()
        try:
            while thread.is_alive():
                thread.join(0.1)
        except KeyboardInterrupt:
            stop.request()  # running commands are stopped and their trials marked interrupted
            thread.join()
            raise
        if "error" in outcome:
            raise outcome["error"]


def load_study_file(path: str) -> FileStudy:
    """Opens (or creates) the study a study file describes, in the file's storage."""
    file = _winnow.load_study_file(str(path))
    return FileStudy(file, file.open())

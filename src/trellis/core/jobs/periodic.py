"""Periodic tasks (cron scheduling, retention): run by every process that processes jobs.

Several processes run the same task; each task makes its own work exactly-once through the
database (unique keys, conditional updates), so no leader election is needed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import structlog

if TYPE_CHECKING:
    from trellis.core.runtime import Runtime

log = structlog.get_logger("trellis.jobs")

PeriodicFunction = Callable[["Runtime"], object]


@dataclass(frozen=True)
class PeriodicTask:
    name: str
    every_seconds: Callable[[Runtime], float]
    function: PeriodicFunction


_tasks: dict[str, PeriodicTask] = {}


def periodic_task(
    name: str, every_seconds: Callable[[Runtime], float]
) -> Callable[[PeriodicFunction], PeriodicFunction]:
    """Register `function(runtime)` to run every `every_seconds(runtime)` seconds in job-processing processes."""

    def register(function: PeriodicFunction) -> PeriodicFunction:
        _tasks[name] = PeriodicTask(name, every_seconds, function)
        return function

    return register


def registered_periodic_tasks() -> list[PeriodicTask]:
    return list(_tasks.values())


class PeriodicRunner:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="trellis-periodic", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        next_run: dict[str, float] = {}
        while not self._stop.is_set():
            now = time.monotonic()
            for task in registered_periodic_tasks():
                if next_run.get(task.name, 0.0) > now:
                    continue
                next_run[task.name] = now + max(0.05, task.every_seconds(self.runtime))
                try:
                    task.function(self.runtime)
                except Exception:
                    log.exception("periodic_task_failed", task=task.name)
            wake = min(next_run.values(), default=now + 1.0)
            self._stop.wait(max(0.05, min(1.0, wake - time.monotonic())))

"""Job handlers by name, and the loader that imports every domain's `jobs.py`."""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from trellis.core.runtime import Runtime


class PermanentJobError(Exception):
    """Raise from a handler when retrying cannot help (bad payload, missing resource)."""


@dataclass
class JobContext:
    """What a handler gets besides its payload."""

    job_id: uuid.UUID
    name: str
    attempt: int
    max_attempts: int
    idempotency_key: str | None
    runtime: Runtime
    _lease_lost: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def lease_lost(self) -> bool:
        """True once another worker may own this job: long handlers should stop at the next safe point."""
        return self._lease_lost.is_set()

    def session(self) -> Session:
        return self.runtime.database.session_factory()

    def publish(self, topic: str, data: dict[str, Any]) -> None:
        self.runtime.events.publish(topic, data)


JobFunction = Callable[[JobContext, dict[str, Any]], Any]


@dataclass(frozen=True)
class JobHandler:
    name: str
    function: JobFunction
    max_attempts: int | None = None
    backoff_seconds: float | None = None


_handlers: dict[str, JobHandler] = {}


def job_handler(
    name: str, *, max_attempts: int | None = None, backoff_seconds: float | None = None
) -> Callable[[JobFunction], JobFunction]:
    """Register `function(ctx, payload) -> result` (sync or async) as the handler for jobs named `name`."""

    def register(function: JobFunction) -> JobFunction:
        existing = _handlers.get(name)
        if existing is not None and existing.function is not function:
            raise ValueError(f"job handler {name!r} is already registered by {existing.function!r}")
        _handlers[name] = JobHandler(name, function, max_attempts, backoff_seconds)
        return function

    return register


def get_handler(name: str) -> JobHandler | None:
    return _handlers.get(name)


def registered_names() -> list[str]:
    return sorted(_handlers)


def load_job_handlers(extra_modules: Iterable[str] = ()) -> None:
    """Import `trellis.<domain>.jobs` for every domain that has one, plus configured extra modules."""
    import trellis

    for module in pkgutil.iter_modules(trellis.__path__):
        if not module.ispkg:
            continue
        qualified = f"trellis.{module.name}.jobs"
        if importlib.util.find_spec(qualified) is not None:
            importlib.import_module(qualified)
    for name in extra_modules:
        importlib.import_module(name)

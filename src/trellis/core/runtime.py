"""The adapters of one process, chosen once at start-up from the settings (see ARCHITECTURE "Modes").

| port     | embedded                 | distributed            |
|----------|--------------------------|------------------------|
| database | SQLite file (WAL)        | PostgreSQL, pooled     |
| jobs     | in-process worker pool   | Celery, Redis broker   |
| events   | in-process fan-out       | Redis pub/sub          |
| limits   | in-process GCRA          | Redis GCRA (Lua)       |
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from trellis.core.config import Mode, Settings, SettingsError, ensure_data_dir
from trellis.core.db import Database, create_database
from trellis.core.events import EventBus, InProcessEventBus, RedisEventBus
from trellis.core.jobs import JobQueue, load_job_handlers
from trellis.core.jobs.transports import CeleryJobTransport, JobTransport, LocalJobPool
from trellis.core.mail import Mailer, build_mailer
from trellis.core.observability import configure_tracing, instrument_database
from trellis.core.ratelimit import InProcessRateLimiter, RateLimiter, build_rate_limiter


@dataclass
class Runtime:
    settings: Settings
    database: Database
    events: EventBus
    jobs: JobQueue
    tracer_provider: Any = None
    rate_limiter: RateLimiter = field(default_factory=InProcessRateLimiter)
    mailer: Mailer | None = None
    # Resources domains open lazily on this runtime (a checkpointer's pool), closed with it.
    closers: list[Callable[[], None]] = field(default_factory=list)

    @property
    def mode(self) -> Mode:
        return self.settings.mode

    def check_dependencies(self) -> dict[str, str]:
        """Reachability of every dependency this mode needs: name -> "ok" or the reason it is not."""
        checks: dict[str, str] = {}
        checks["database"] = _probe(self.database.ping)
        if self.mode is Mode.DISTRIBUTED:
            checks["redis"] = _probe(self.events.ping)
            checks["broker"] = _probe(self.jobs.transport.ping)
        else:
            checks["job_workers"] = _probe(self.jobs.transport.ping)
        return checks

    def close(self) -> None:
        self.jobs.close()
        for close_resource in reversed(self.closers):
            close_resource()
        self.closers.clear()
        self.events.close()
        self.rate_limiter.close()
        self.database.dispose()


def _probe(check: Any) -> str:
    try:
        check()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
    return "ok"


def _require_distributed_extras() -> None:
    missing = [module for module in ("celery", "redis", "psycopg") if importlib.util.find_spec(module) is None]
    if missing:
        raise SettingsError(
            f"invalid setting TRELLIS_REDIS_URL: distributed mode needs {', '.join(missing)}; "
            "install them with: pip install 'trellis[distributed]'"
        )


_current: Runtime | None = None
_current_lock = threading.Lock()


def build_runtime(settings: Settings) -> Runtime:
    """Create (but do not start) this process's adapters and make them the current runtime."""
    global _current
    if settings.database_url is None:
        ensure_data_dir(settings.data_dir)
    elif settings.database_url.startswith("postgresql") and importlib.util.find_spec("psycopg") is None:
        raise SettingsError(
            "invalid setting TRELLIS_DATABASE_URL: PostgreSQL needs psycopg; "
            "install it with: pip install 'trellis[distributed]'"
        )
    database = create_database(settings)
    tracer_provider = configure_tracing(settings)
    instrument_database(database.engine, tracer_provider)
    events: EventBus
    transport: JobTransport
    if settings.mode is Mode.DISTRIBUTED:
        assert settings.redis_url is not None
        _require_distributed_extras()
        events = RedisEventBus(settings.redis_url)
        transport = CeleryJobTransport(settings)
    else:
        events = InProcessEventBus()
        transport = LocalJobPool(settings.job_concurrency)
    load_job_handlers(settings.job_modules)
    runtime = Runtime(settings=settings, database=database, events=events, jobs=None, tracer_provider=tracer_provider)  # type: ignore[arg-type]
    runtime.rate_limiter = build_rate_limiter(settings)
    runtime.mailer = build_mailer(settings)
    runtime.jobs = JobQueue(runtime, transport)
    with _current_lock:
        _current = runtime
    return runtime


def current_runtime() -> Runtime:
    if _current is None:
        raise RuntimeError("no Trellis runtime has been built in this process (build_runtime(settings))")
    return _current

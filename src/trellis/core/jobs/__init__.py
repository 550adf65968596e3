"""Background jobs: `enqueue(name, payload)` anywhere, handlers registered by name, the database as truth.

    from trellis.core.jobs import enqueue, job_handler

    @job_handler("repos.clone", max_attempts=5)
    def clone_repository(ctx: JobContext, payload: dict) -> dict: ...

    job_id = enqueue("repos.clone", {"repo_id": str(repo.id)}, db_session=session)

A job enqueued inside a caller's session is sent to a worker only after that session
commits, so a rolled-back request never starts work.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import structlog
from sqlalchemy import event
from sqlalchemy.orm import Session

from trellis.core.db import utcnow
from trellis.core.jobs import store
from trellis.core.jobs.models import Job, JobStatus
from trellis.core.jobs.periodic import PeriodicRunner, periodic_task
from trellis.core.jobs.registry import (
    JobContext,
    PermanentJobError,
    get_handler,
    job_handler,
    load_job_handlers,
    registered_names,
)
from trellis.core.jobs.runner import JobRunner, RunOutcome, job_topic
from trellis.core.jobs.transports import CeleryJobTransport, JobTransport, LocalJobPool, Sweeper

if TYPE_CHECKING:
    from trellis.core.runtime import Runtime

__all__ = [
    "Job",
    "JobContext",
    "JobQueue",
    "JobStatus",
    "PermanentJobError",
    "RunOutcome",
    "enqueue",
    "get_job",
    "job_handler",
    "job_topic",
    "load_job_handlers",
    "periodic_task",
    "registered_names",
]

log = structlog.get_logger("trellis.jobs")

_DISPATCH_AFTER_COMMIT = "trellis.jobs.dispatch_after_commit"


class JobQueue:
    """The job system of one process: a transport to send, and (where jobs run here) a runner and sweeper."""

    def __init__(self, runtime: Runtime, transport: JobTransport) -> None:
        self.runtime = runtime
        self.transport = transport
        self.runner = JobRunner(runtime, redispatch=self._dispatch_quietly)
        self.sweeper = Sweeper(runtime, transport, resend_undelivered=isinstance(transport, CeleryJobTransport))
        self.periodic = PeriodicRunner(runtime)
        self._processing = False

    def start_processing(self) -> None:
        """Run jobs in this process: the embedded server, or `trellis worker`."""
        if self._processing:
            return
        self.runner.start()
        self.sweeper.start()
        self.periodic.start()
        if isinstance(self.transport, LocalJobPool):
            self.transport.start(self.runner)
        self._processing = True

    def close(self) -> None:
        if self._processing:
            self.periodic.close()
            self.sweeper.close()
            self.runner.stop()
        self.transport.close()
        self._processing = False

    def enqueue(
        self,
        name: str,
        payload: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
        *,
        db_session: Session | None = None,
        max_attempts: int | None = None,
        delay_seconds: float = 0.0,
        priority: int = 0,
    ) -> uuid.UUID:
        handler = get_handler(name)
        settings = self.runtime.settings
        now = utcnow()
        fields: dict[str, Any] = {
            "name": name,
            "payload": payload or {},
            "idempotency_key": idempotency_key,
            "max_attempts": max_attempts or (handler and handler.max_attempts) or settings.job_max_attempts,
            "backoff_seconds": (handler and handler.backoff_seconds) or settings.job_backoff_seconds,
            "priority": priority,
            "run_after": now + timedelta(seconds=delay_seconds),
            "now": now,
        }
        if db_session is not None:
            job_id, created = store.insert_job(db_session, **fields)
            if created:
                db_session.info.setdefault(_DISPATCH_AFTER_COMMIT, []).append((self, job_id, delay_seconds))
            return job_id
        with self.runtime.database.session_factory() as session:
            job_id, created = store.insert_job(session, **fields)
            session.commit()
        if created:
            self._dispatch_quietly(job_id, delay_seconds)
        return job_id

    def retry_failed(self, job_id: uuid.UUID, *, db_session: Session, extra_attempts: int = 1) -> bool:
        """Requeue a failed job (sent to a worker after the caller commits); False if it is not failed."""
        requeued = store.retry_failed_job(db_session, job_id, extra_attempts=extra_attempts, now=utcnow())
        if requeued:
            db_session.info.setdefault(_DISPATCH_AFTER_COMMIT, []).append((self, job_id, 0.0))
        return requeued

    def run_by_id(self, job_id: uuid.UUID) -> RunOutcome:
        return self.runner.run_by_id(job_id)

    def _dispatch_quietly(self, job_id: uuid.UUID, delay_seconds: float = 0.0) -> None:
        try:
            self.transport.dispatch(job_id, delay_seconds)
        except Exception:
            # The job is committed; the sweeper re-sends what never reached a worker.
            log.warning("job_dispatch_failed", job_id=str(job_id), exc_info=True)


@event.listens_for(Session, "after_commit")
def _dispatch_after_commit(session: Session) -> None:
    for queue, job_id, delay in session.info.pop(_DISPATCH_AFTER_COMMIT, ()):
        queue._dispatch_quietly(job_id, delay)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_DISPATCH_AFTER_COMMIT, None)


def enqueue(
    name: str,
    payload: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
    *,
    db_session: Session | None = None,
    max_attempts: int | None = None,
    delay_seconds: float = 0.0,
    priority: int = 0,
) -> uuid.UUID:
    """Create a job and hand it to a worker; returns its id. See `JobQueue.enqueue`."""
    from trellis.core.runtime import current_runtime

    return current_runtime().jobs.enqueue(
        name,
        payload,
        idempotency_key,
        db_session=db_session,
        max_attempts=max_attempts,
        delay_seconds=delay_seconds,
        priority=priority,
    )


def get_job(session: Session, job_id: uuid.UUID) -> Job | None:
    return store.get_job(session, job_id)

"""Running one leased job: handler call, heartbeats, retry decisions, metrics, events, tracing."""

from __future__ import annotations

import asyncio
import inspect
import os
import random
import socket
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from datetime import timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import structlog
from opentelemetry import trace

from trellis.core.db import utcnow
from trellis.core.jobs import store
from trellis.core.jobs.models import JobStatus
from trellis.core.jobs.registry import JobContext, PermanentJobError, get_handler
from trellis.core.masking import mask_text
from trellis.core.observability import JOB_DURATION, JOBS_TOTAL

if TYPE_CHECKING:
    from trellis.core.runtime import Runtime

log = structlog.get_logger("trellis.jobs")
tracer = trace.get_tracer("trellis.jobs")

_MAX_ERROR_CHARS = 4000


def worker_identity() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def job_topic(job_id: uuid.UUID | str) -> str:
    return f"jobs.{job_id}"


class RunOutcome(StrEnum):
    COMPLETED = "completed"
    RETRYING = "retrying"
    FAILED = "failed"
    LEASE_LOST = "lease_lost"
    NOT_CLAIMED = "not_claimed"


class JobRunner:
    """Claims and executes jobs for one process; keeps every running job's lease alive."""

    def __init__(self, runtime: Runtime, *, redispatch: Callable[[uuid.UUID, float], None]) -> None:
        self.runtime = runtime
        self.settings = runtime.settings
        self.owner = worker_identity()
        # How a retry reaches a worker again: a local wake-up or a broker message.
        self._redispatch = redispatch
        self._running: dict[uuid.UUID, tuple[store.ClaimedJob, JobContext]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._heartbeat_thread: threading.Thread | None = None

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> None:
        self._stop.clear()
        self._heartbeat_thread = threading.Thread(
            target=self._heartbeat_loop, name="trellis-job-heartbeat", daemon=True
        )
        self._heartbeat_thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._heartbeat_thread is not None:
            self._heartbeat_thread.join(timeout=5)

    # ---------------------------------------------------------------- claiming

    def claim(self, job_id: uuid.UUID) -> store.ClaimedJob | None:
        with self.runtime.database.session_factory() as session:
            claimed = store.claim_job(
                session, job_id, owner=self.owner, lease_seconds=self.settings.job_lease_seconds, now=utcnow()
            )
            session.commit()
        return claimed

    def claim_next(self) -> store.ClaimedJob | None:
        with self.runtime.database.session_factory() as session:
            now = utcnow()
            job_id = store.next_due_job_id(session, now=now)
            claimed = None
            if job_id is not None:
                claimed = store.claim_job(
                    session, job_id, owner=self.owner, lease_seconds=self.settings.job_lease_seconds, now=now
                )
            session.commit()
        return claimed

    def run_by_id(self, job_id: uuid.UUID) -> RunOutcome:
        """Entry point for a transport that delivers job ids (Celery)."""
        claimed = self.claim(job_id)
        if claimed is None:
            with self.runtime.database.read_session_factory() as session:
                wait = store.pending_not_due(session, job_id, now=utcnow())
            if wait is not None:
                # Delivered early (clock skew, or a broker that ignores countdowns): send it again for later.
                self._redispatch(job_id, wait)
            return RunOutcome.NOT_CLAIMED
        return self.execute(claimed)

    # ---------------------------------------------------------------- executing

    def execute(self, job: store.ClaimedJob) -> RunOutcome:
        handler = get_handler(job.name)
        context = JobContext(
            job_id=job.id,
            name=job.name,
            attempt=job.attempt,
            max_attempts=job.max_attempts,
            idempotency_key=job.idempotency_key,
            runtime=self.runtime,
        )
        with self._lock:
            self._running[job.id] = (job, context)
        bound = log.bind(job_id=str(job.id), job_name=job.name, attempt=job.attempt)
        self._publish(job, JobStatus.RUNNING)
        started = time.perf_counter()
        try:
            with tracer.start_as_current_span(f"job {job.name}") as span:
                span.set_attribute("trellis.job.id", str(job.id))
                span.set_attribute("trellis.job.attempt", job.attempt)
                if handler is None:
                    outcome = self._finish_failed(job, f"no handler is registered for job {job.name!r}", bound)
                else:
                    bound.info("job_started")
                    try:
                        result = _call(handler.function, context, job.payload)
                    except Exception as exc:
                        span.record_exception(exc)
                        outcome = self._after_error(job, exc, bound)
                    else:
                        outcome = self._finish_completed(job, result, bound)
                span.set_attribute("trellis.job.outcome", outcome.value)
        finally:
            with self._lock:
                self._running.pop(job.id, None)
        JOBS_TOTAL.labels(job.name, outcome.value).inc()
        JOB_DURATION.labels(job.name).observe(time.perf_counter() - started)
        return outcome

    def _finish_completed(self, job: store.ClaimedJob, result: Any, bound: Any) -> RunOutcome:
        with self.runtime.database.session_factory() as session:
            kept = store.complete_job(session, job, result=result, now=utcnow())
            session.commit()
        if not kept:
            bound.warning("job_result_discarded", reason="lease lost before completion; another attempt owns the job")
            return RunOutcome.LEASE_LOST
        bound.info("job_completed")
        self._publish(job, JobStatus.COMPLETED)
        return RunOutcome.COMPLETED

    def _finish_failed(self, job: store.ClaimedJob, error: str, bound: Any) -> RunOutcome:
        with self.runtime.database.session_factory() as session:
            kept = store.fail_job(session, job, error=error, now=utcnow())
            session.commit()
        if not kept:
            return RunOutcome.LEASE_LOST
        bound.error("job_failed", error=error)
        self._publish(job, JobStatus.FAILED, error=error)
        return RunOutcome.FAILED

    def _after_error(self, job: store.ClaimedJob, exc: Exception, bound: Any) -> RunOutcome:
        error = mask_text(_describe(exc))
        if isinstance(exc, PermanentJobError) or job.attempt >= job.max_attempts:
            bound.error("job_error", error=error, traceback=mask_text(traceback.format_exc()))
            return self._finish_failed(job, error, bound)
        delay = self.retry_delay(job)
        now = utcnow()
        with self.runtime.database.session_factory() as session:
            kept = store.schedule_retry(session, job, error=error, run_after=now + timedelta(seconds=delay), now=now)
            session.commit()
        if not kept:
            return RunOutcome.LEASE_LOST
        bound.warning("job_retry_scheduled", error=error, retry_in_seconds=round(delay, 2))
        self._publish(job, JobStatus.PENDING, error=error)
        self._redispatch(job.id, delay)
        return RunOutcome.RETRYING

    def retry_delay(self, job: store.ClaimedJob) -> float:
        base = job.backoff_seconds * (2 ** (job.attempt - 1))
        capped = min(base, self.settings.job_backoff_max_seconds)
        # Jitter spreads out retries of many jobs that failed together (an outage).
        return float(capped * random.uniform(0.8, 1.2))  # noqa: S311

    # ---------------------------------------------------------------- heartbeats

    def _heartbeat_loop(self) -> None:
        interval = max(0.2, self.settings.job_lease_seconds / 3)
        while not self._stop.wait(interval):
            try:
                self.heartbeat()
            except Exception:
                log.exception("job_heartbeat_failed")

    def heartbeat(self) -> None:
        with self._lock:
            running = list(self._running.values())
        if not running:
            return
        with self.runtime.database.session_factory() as session:
            lost = store.renew_leases(
                session,
                [job for job, _ in running],
                lease_seconds=self.settings.job_lease_seconds,
                now=utcnow(),
            )
            session.commit()
        for job, context in running:
            if job.id in lost:
                context._lease_lost.set()
                log.warning("job_lease_lost", job_id=str(job.id), job_name=job.name)

    def _publish(self, job: store.ClaimedJob, status: JobStatus, error: str | None = None) -> None:
        message: dict[str, Any] = {
            "type": "job.status",
            "job_id": str(job.id),
            "name": job.name,
            "status": status.value,
            "attempt": job.attempt,
        }
        if error is not None:
            message["error"] = error
        try:
            self.runtime.events.publish(job_topic(job.id), message)
        except Exception:
            # Events are best effort; the job row is the truth.
            log.warning("job_event_publish_failed", job_id=str(job.id), exc_info=True)


def _call(function: Any, context: JobContext, payload: dict[str, Any]) -> Any:
    if inspect.iscoroutinefunction(function):
        return asyncio.run(function(context, payload))
    return function(context, payload)


def _describe(exc: Exception) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= _MAX_ERROR_CHARS else text[: _MAX_ERROR_CHARS - 1] + "…"

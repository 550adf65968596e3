"""How job ids reach a worker: an in-process pool (embedded) or Celery over Redis (distributed).

Either way the message is only "look at job N": the jobs table decides whether it runs.
"""

from __future__ import annotations

import threading
import uuid
from typing import TYPE_CHECKING, Any, Protocol

import structlog

from trellis.core.db import utcnow
from trellis.core.jobs import store
from trellis.core.observability import JOB_QUEUE_DEPTH, JOBS_SWEPT

if TYPE_CHECKING:
    from trellis.core.config import Settings
    from trellis.core.jobs.runner import JobRunner
    from trellis.core.runtime import Runtime

log = structlog.get_logger("trellis.jobs")

RUN_JOB_TASK = "trellis.run_job"
CELERY_QUEUE = "trellis.jobs"


class JobTransport(Protocol):
    def dispatch(self, job_id: uuid.UUID, delay_seconds: float = 0.0) -> None: ...

    def ping(self) -> None: ...

    def close(self) -> None: ...


class LocalJobPool:
    """Embedded mode: worker threads that claim due jobs straight from the database."""

    # Idle workers look again this often, which also picks up retries that just became due.
    poll_seconds = 1.0

    def __init__(self, concurrency: int) -> None:
        self.concurrency = concurrency
        self._wake = threading.Condition()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def dispatch(self, job_id: uuid.UUID, delay_seconds: float = 0.0) -> None:
        if delay_seconds <= 0:
            with self._wake:
                self._wake.notify()

    def ping(self) -> None:
        if self._threads and not any(thread.is_alive() for thread in self._threads):
            raise RuntimeError("no in-process job worker thread is alive")

    def start(self, runner: JobRunner) -> None:
        self._stop.clear()
        for index in range(self.concurrency):
            thread = threading.Thread(target=self._work, args=(runner,), name=f"trellis-job-{index}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def close(self) -> None:
        self._stop.set()
        with self._wake:
            self._wake.notify_all()
        for thread in self._threads:
            thread.join(timeout=10)
        self._threads.clear()

    def _work(self, runner: JobRunner) -> None:
        while not self._stop.is_set():
            try:
                claimed = runner.claim_next()
            except Exception:
                log.exception("job_claim_failed")
                claimed = None
            if claimed is not None:
                runner.execute(claimed)
                continue
            with self._wake:
                self._wake.wait(self.poll_seconds)


class CeleryJobTransport:
    """Distributed mode: one Celery task, `trellis.run_job(job_id)`, over the Redis broker."""

    def __init__(self, settings: Settings) -> None:
        self.app = create_celery_app(settings)

    def dispatch(self, job_id: uuid.UUID, delay_seconds: float = 0.0) -> None:
        self.app.send_task(
            RUN_JOB_TASK,
            args=[str(job_id)],
            countdown=delay_seconds if delay_seconds > 0 else None,
            queue=CELERY_QUEUE,
        )

    def ping(self) -> None:
        with self.app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=2)

    def close(self) -> None:
        self.app.close()


def create_celery_app(settings: Settings) -> Any:
    try:
        from celery import Celery
    except ImportError:
        from trellis.core.config import SettingsError

        raise SettingsError(
            "invalid setting TRELLIS_REDIS_URL: distributed mode needs Celery and Redis; "
            "install them with: pip install 'trellis[distributed]'"
        ) from None
    app = Celery("trellis", broker=settings.redis_url, set_as_current=False)
    app.conf.update(
        task_default_queue=CELERY_QUEUE,
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        # Ack on receipt: redelivery is the sweeper's job (the jobs table knows what was lost),
        # not Redis's one-hour visibility timeout.
        task_acks_late=False,
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
        worker_send_task_events=False,
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=3,
        # Fail fast when Redis is down; the job row stays pending and the sweeper sends it later.
        task_publish_retry_policy={
            "max_retries": 2,
            "interval_start": 0,
            "interval_step": 0.2,
            "interval_max": 0.5,
        },
    )

    @app.task(name=RUN_JOB_TASK, ignore_result=True)  # type: ignore[untyped-decorator]
    def run_job(job_id: str) -> None:
        from trellis.core.runtime import current_runtime

        current_runtime().jobs.run_by_id(uuid.UUID(job_id))

    return app


class Sweeper:
    """Requeues jobs whose lease lapsed and, with a broker, re-sends jobs nobody picked up."""

    def __init__(self, runtime: Runtime, transport: JobTransport, *, resend_undelivered: bool) -> None:
        self.runtime = runtime
        self.transport = transport
        self.resend_undelivered = resend_undelivered
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="trellis-job-sweeper", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.wait(self.runtime.settings.job_sweep_interval_seconds):
            try:
                self.sweep_once()
            except Exception:
                log.exception("job_sweep_failed")

    def sweep_once(self) -> dict[str, int]:
        settings = self.runtime.settings
        now = utcnow()
        with self.runtime.database.session_factory() as session:
            swept = store.requeue_expired_leases(session, now=now)
            resend = (
                store.take_undelivered(session, now=now, older_than=settings.job_redispatch_seconds)
                if self.resend_undelivered
                else []
            )
            depth = store.count_by_status(session)
            session.commit()
        for job_id, new_status in swept:
            JOBS_SWEPT.inc()
            log.warning("job_lease_expired", job_id=str(job_id), new_status=new_status.value)
        for job_id in [job_id for job_id, new_status in swept if new_status == "pending"] + resend:
            try:
                self.transport.dispatch(job_id)
            except Exception:
                log.warning("job_dispatch_failed", job_id=str(job_id), exc_info=True)
        for status, count in depth.items():
            JOB_QUEUE_DEPTH.labels(status).set(count)
        return {"requeued": len(swept), "resent": len(resend)}

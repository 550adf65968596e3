"""`trellis worker`: a Celery worker that runs jobs, heartbeats their leases and sweeps lost ones."""

from __future__ import annotations

import os
import socket

import structlog

from trellis.core.config import Settings
from trellis.core.jobs.transports import CELERY_QUEUE, CeleryJobTransport
from trellis.core.observability import configure_logging, flush_traces
from trellis.core.runtime import build_runtime

log = structlog.get_logger("trellis.worker")


def run_worker(settings: Settings) -> None:
    configure_logging(settings)
    runtime = build_runtime(settings)
    transport = runtime.jobs.transport
    assert isinstance(transport, CeleryJobTransport)
    if settings.worker_metrics_port:
        from prometheus_client import start_http_server

        start_http_server(settings.worker_metrics_port, addr=settings.host)
    runtime.jobs.start_processing()
    log.info("worker_started", concurrency=settings.job_concurrency, queue=CELERY_QUEUE)
    try:
        # Threads, not forked children: a SIGKILL takes every running job down with the worker,
        # and the sweeper (in any surviving worker) hands those jobs out again.
        transport.app.worker_main(
            [
                "worker",
                "--pool=threads",
                f"--concurrency={settings.job_concurrency}",
                f"--queues={CELERY_QUEUE}",
                f"--hostname=trellis-{os.getpid()}@{socket.gethostname()}",
                f"--loglevel={settings.log_level}",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ]
        )
    finally:
        runtime.close()
        flush_traces()
        log.info("worker_stopped")

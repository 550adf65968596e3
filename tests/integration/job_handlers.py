"""Job handlers the integration tests' worker processes load (TRELLIS_JOB_MODULES)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from trellis.core.jobs import JobContext, job_handler


@job_handler("it.echo")
def echo(ctx: JobContext, payload: dict) -> dict:  # type: ignore[type-arg]
    return {"payload": payload, "pid": os.getpid(), "attempt": ctx.attempt}


@job_handler("it.flaky", max_attempts=3)
def flaky(ctx: JobContext, payload: dict) -> dict:  # type: ignore[type-arg]
    if ctx.attempt == 1:
        raise ConnectionError("first attempt always fails")
    return {"attempt": ctx.attempt}


@job_handler("it.slow")
def slow(ctx: JobContext, payload: dict) -> dict:  # type: ignore[type-arg]
    """Leaves a trace of each attempt: start-<attempt>-<pid>, finish-<attempt>-<pid>."""
    markers = Path(payload["marker_dir"])
    (markers / f"start-{ctx.attempt}-{os.getpid()}").touch()
    deadline = time.monotonic() + payload["seconds"]
    while time.monotonic() < deadline:
        time.sleep(0.05)
    (markers / f"finish-{ctx.attempt}-{os.getpid()}").touch()
    return {"pid": os.getpid(), "attempt": ctx.attempt}

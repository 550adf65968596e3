"""Job handlers of the repositories domain (auto-loaded by trellis.core.jobs): clone, sync, cleanup.

Payloads carry the repository id only; the token is read from its sealed row inside the job.
"""

from __future__ import annotations

from typing import Any

from trellis.core.jobs import JobContext, job_handler
from trellis.repos import cloning
from trellis.repos.service import CLEANUP_JOB, CLONE_JOB, SYNC_JOB


@job_handler(CLONE_JOB, max_attempts=4)
def clone_repository(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    return cloning.clone_repository(ctx, payload)


@job_handler(SYNC_JOB, max_attempts=4)
def sync_repository(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    return cloning.sync_repository(ctx, payload)


@job_handler(CLEANUP_JOB, max_attempts=5)
def cleanup_repository(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    return cloning.cleanup_repository(ctx, payload)

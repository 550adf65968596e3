"""Background jobs over HTTP: read one, list, and give a failed one more attempts.

Jobs are platform internals (each domain shows its own work's progress on its own
resources), so these endpoints and the `jobs.<id>` event topics are for Trellis
administrators.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from trellis.auth.dependencies import require_admin
from trellis.core.db import Db, ReadDb
from trellis.core.events import register_topic_authorizer
from trellis.core.jobs import JobStatus
from trellis.jobs import service
from trellis.jobs.schemas import JobList, JobRead, JobRetry

router = APIRouter(prefix="/jobs", tags=["jobs"], dependencies=[Depends(require_admin)])

register_topic_authorizer("jobs.", lambda principal, _topic: bool(principal and principal.is_admin))


@router.get("/{job_id}", response_model=JobRead, responses={404: {"description": "No such job."}})
async def read_job(job_id: uuid.UUID, db: ReadDb) -> JobRead:
    return await db.run(lambda db_session: service.read_job(db_session=db_session, job_id=job_id))


@router.get("", response_model=JobList)
async def list_jobs(
    db: ReadDb,
    status: JobStatus | None = None,
    name: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> JobList:
    return await db.run(
        lambda db_session: service.list_jobs(
            db_session=db_session, status=status, name=name, limit=limit, offset=offset
        )
    )


@router.post(
    "/{job_id}/retry",
    response_model=JobRead,
    status_code=202,
    responses={404: {"description": "No such job."}, 409: {"description": "The job has not failed."}},
)
async def retry_job(
    job_id: uuid.UUID, request: Request, response: Response, db: Db, body: JobRetry | None = None
) -> JobRead:
    """Give a failed job more attempts and queue it again."""
    job_queue = request.app.state.runtime.jobs
    extra = body.extra_attempts if body else 1
    job = await db.run(
        lambda db_session: service.retry_job(
            db_session=db_session, job_queue=job_queue, job_id=job_id, extra_attempts=extra
        )
    )
    response.headers["Location"] = f"/api/v1/jobs/{job_id}"
    return job

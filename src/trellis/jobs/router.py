"""Read-only view of background jobs: `GET /api/v1/jobs/{id}` and a filtered list.

Until accounts exist (identity issue) these and the `jobs.<id>` event topics are open to
any caller; the identity work scopes them to the job's workspace.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from trellis.core.db import DbSession, ReadDbSession
from trellis.core.events import register_topic_authorizer
from trellis.core.jobs import JobStatus
from trellis.jobs import service
from trellis.jobs.schemas import JobList, JobRead, JobRetry

router = APIRouter(prefix="/jobs", tags=["jobs"])

register_topic_authorizer("jobs.", lambda _principal, _topic: True)


@router.get("/{job_id}", response_model=JobRead, responses={404: {"description": "No such job."}})
def read_job(job_id: uuid.UUID, db_session: ReadDbSession) -> JobRead:
    return JobRead.model_validate(service.get_job(db_session, job_id))


@router.get("", response_model=JobList)
def list_jobs(
    db_session: ReadDbSession,
    status: JobStatus | None = None,
    name: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> JobList:
    jobs, total = service.list_jobs(db_session, status=status, name=name, limit=limit, offset=offset)
    return JobList(items=[JobRead.model_validate(job) for job in jobs], total=total, limit=limit, offset=offset)


@router.post(
    "/{job_id}/retry",
    response_model=JobRead,
    status_code=202,
    responses={404: {"description": "No such job."}, 409: {"description": "The job has not failed."}},
)
def retry_job(
    job_id: uuid.UUID,
    request: Request,
    response: Response,
    db_session: DbSession,
    body: JobRetry | None = None,
) -> JobRead:
    """Give a failed job more attempts and queue it again."""
    extra = body.extra_attempts if body else 1
    job = service.retry_job(db_session, request.app.state.runtime.jobs, job_id, extra_attempts=extra)
    read = JobRead.model_validate(job)
    db_session.commit()
    response.headers["Location"] = f"/api/v1/jobs/{job_id}"
    return read

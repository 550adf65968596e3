from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from trellis.core.errors import Conflict, NotFound
from trellis.core.jobs import Job, JobQueue, JobStatus
from trellis.core.jobs import get_job as load_job
from trellis.jobs.schemas import JobList, JobRead


class JobNotFound(NotFound):
    code = "job_not_found"


class JobNotRetryable(Conflict):
    code = "job_not_failed"


def get_job(*, db_session: Session, job_id: uuid.UUID) -> Job:
    job = load_job(db_session, job_id)
    if job is None:
        raise JobNotFound(f"Job {job_id} does not exist.", job_id=str(job_id))
    return job


def read_job(*, db_session: Session, job_id: uuid.UUID) -> JobRead:
    return JobRead.model_validate(get_job(db_session=db_session, job_id=job_id))


def retry_job(*, db_session: Session, job_queue: JobQueue, job_id: uuid.UUID, extra_attempts: int) -> JobRead:
    job = get_job(db_session=db_session, job_id=job_id)
    if not job_queue.retry_failed(job_id, db_session=db_session, extra_attempts=extra_attempts):
        raise JobNotRetryable(
            f"Only failed jobs can be retried; job {job_id} is {job.status}.", job_id=str(job_id), status=job.status
        )
    db_session.refresh(job)
    return JobRead.model_validate(job)


def list_jobs(*, db_session: Session, status: JobStatus | None, name: str | None, limit: int, offset: int) -> JobList:
    query = select(Job)
    if status is not None:
        query = query.where(Job.status == status)
    if name is not None:
        query = query.where(Job.name == name)
    total = db_session.scalar(select(func.count()).select_from(query.subquery())) or 0
    jobs = db_session.scalars(query.order_by(Job.created_at.desc()).limit(limit).offset(offset)).all()
    return JobList(items=[JobRead.model_validate(job) for job in jobs], total=total, limit=limit, offset=offset)

"""Every state change of a job, each one a conditional UPDATE so racing workers cannot both win.

These functions take a session and never commit: the runner, the sweeper and `enqueue`'s
caller own the transactions.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from trellis.core.jobs.models import Job, JobStatus

_NO_SYNC = {"synchronize_session": False}


@dataclass(frozen=True)
class ClaimedJob:
    """A plain snapshot of a job this worker now holds the lease on."""

    id: uuid.UUID
    name: str
    payload: dict[str, Any]
    attempt: int
    max_attempts: int
    backoff_seconds: float
    idempotency_key: str | None
    owner: str


def insert_job(
    session: Session,
    *,
    name: str,
    payload: dict[str, Any],
    idempotency_key: str | None,
    max_attempts: int,
    backoff_seconds: float,
    priority: int,
    run_after: datetime,
    now: datetime,
) -> tuple[uuid.UUID, bool]:
    """Insert a pending job; with an idempotency key already used, return that job instead.

    Returns (job id, created).
    """
    if idempotency_key is not None:
        existing = session.scalar(select(Job.id).where(Job.idempotency_key == idempotency_key))
        if existing is not None:
            return existing, False
    job = Job(
        name=name,
        payload=payload,
        idempotency_key=idempotency_key,
        max_attempts=max_attempts,
        backoff_seconds=backoff_seconds,
        priority=priority,
        run_after=run_after,
        dispatched_at=now,
    )
    try:
        # A savepoint, so losing a race on the idempotency key leaves the caller's transaction usable.
        with session.begin_nested():
            session.add(job)
    except IntegrityError:
        winner = session.scalar(select(Job.id).where(Job.idempotency_key == idempotency_key))
        if winner is None:
            raise
        return winner, False
    return job.id, True


def claim_job(
    session: Session, job_id: uuid.UUID, *, owner: str, lease_seconds: float, now: datetime
) -> ClaimedJob | None:
    """Take the lease on one due pending job; None if it is not pending, not due, or someone was faster."""
    claimed = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == JobStatus.PENDING, Job.run_after <= now)
        .values(
            status=JobStatus.RUNNING,
            attempts=Job.attempts + 1,
            lease_owner=owner,
            lease_expires_at=now + timedelta(seconds=lease_seconds),
            heartbeat_at=now,
            started_at=now,
            updated_at=now,
        )
        .execution_options(**_NO_SYNC)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return None
    row = session.execute(
        select(Job.name, Job.payload, Job.attempts, Job.max_attempts, Job.backoff_seconds, Job.idempotency_key).where(
            Job.id == job_id
        )
    ).one()
    return ClaimedJob(
        job_id,
        row.name,
        row.payload or {},
        row.attempts,
        row.max_attempts,
        row.backoff_seconds,
        row.idempotency_key,
        owner,
    )


def next_due_job_id(session: Session, *, now: datetime) -> uuid.UUID | None:
    query = (
        select(Job.id)
        .where(Job.status == JobStatus.PENDING, Job.run_after <= now)
        .order_by(Job.priority.desc(), Job.run_after, Job.created_at)
        .limit(1)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return session.scalar(query)


def pending_not_due(session: Session, job_id: uuid.UUID, *, now: datetime) -> float | None:
    """Seconds until a pending job becomes due, if it is pending and not yet due."""
    row = session.execute(select(Job.status, Job.run_after).where(Job.id == job_id)).one_or_none()
    if row is None or row.status != JobStatus.PENDING or row.run_after <= now:
        return None
    return float((row.run_after - now).total_seconds())


def _held(job: ClaimedJob) -> Any:
    # The lease is (owner, attempt): a stale worker cannot touch a job that was swept and claimed again.
    return (
        (Job.id == job.id)
        & (Job.status == JobStatus.RUNNING)
        & (Job.lease_owner == job.owner)
        & (Job.attempts == job.attempt)
    )


def _update_held(session: Session, job: ClaimedJob, **values: Any) -> bool:
    """Change a job only while this worker still holds its lease; False when it does not."""
    changed = session.execute(update(Job).where(_held(job)).values(**values).execution_options(**_NO_SYNC))
    return bool(changed.rowcount == 1)  # type: ignore[attr-defined]


def renew_leases(session: Session, jobs: list[ClaimedJob], *, lease_seconds: float, now: datetime) -> set[uuid.UUID]:
    """Heartbeat every job this worker runs; returns the ids whose lease is lost."""
    expiry = now + timedelta(seconds=lease_seconds)
    return {job.id for job in jobs if not _update_held(session, job, heartbeat_at=now, lease_expires_at=expiry)}


def _release(now: datetime) -> dict[str, Any]:
    return {"updated_at": now, "lease_owner": None, "lease_expires_at": None}


def complete_job(session: Session, job: ClaimedJob, *, result: Any, now: datetime) -> bool:
    return _update_held(
        session, job, status=JobStatus.COMPLETED, result=result, finished_at=now, last_error=None, **_release(now)
    )


def fail_job(session: Session, job: ClaimedJob, *, error: str, now: datetime) -> bool:
    return _update_held(session, job, status=JobStatus.FAILED, last_error=error, finished_at=now, **_release(now))


def schedule_retry(session: Session, job: ClaimedJob, *, error: str, run_after: datetime, now: datetime) -> bool:
    # dispatched_at is when the delayed message is due, so the sweeper does not resend it early.
    return _update_held(
        session,
        job,
        status=JobStatus.PENDING,
        last_error=error,
        run_after=run_after,
        dispatched_at=run_after,
        **_release(now),
    )


def retry_failed_job(session: Session, job_id: uuid.UUID, *, extra_attempts: int, now: datetime) -> bool:
    """Put a failed job back in the queue with `extra_attempts` more tries; False if it is not failed."""
    retried = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == JobStatus.FAILED)
        .values(
            status=JobStatus.PENDING,
            max_attempts=Job.attempts + extra_attempts,
            run_after=now,
            dispatched_at=now,
            finished_at=None,
            updated_at=now,
        )
        .execution_options(**_NO_SYNC)
    )
    return bool(retried.rowcount == 1)  # type: ignore[attr-defined]


def requeue_expired_leases(session: Session, *, now: datetime, limit: int = 500) -> list[tuple[uuid.UUID, JobStatus]]:
    """Return jobs whose worker stopped heartbeating to the queue (or fail them when out of attempts)."""
    expired = session.execute(
        select(Job.id, Job.lease_owner, Job.attempts, Job.max_attempts)
        .where(Job.status == JobStatus.RUNNING, Job.lease_expires_at < now)
        .limit(limit)
    ).all()
    swept: list[tuple[uuid.UUID, JobStatus]] = []
    for row in expired:
        message = f"worker {row.lease_owner} stopped heartbeating during attempt {row.attempts}; lease expired"
        exhausted = row.attempts >= row.max_attempts
        new_status = JobStatus.FAILED if exhausted else JobStatus.PENDING
        values: dict[str, Any] = {
            "status": new_status,
            "last_error": message,
            "lease_owner": None,
            "lease_expires_at": None,
            "updated_at": now,
        }
        values.update({"finished_at": now} if exhausted else {"run_after": now, "dispatched_at": now})
        changed = session.execute(
            update(Job)
            .where(
                Job.id == row.id,
                Job.status == JobStatus.RUNNING,
                Job.attempts == row.attempts,
                Job.lease_expires_at < now,
            )
            .values(**values)
            .execution_options(**_NO_SYNC)
        )
        if changed.rowcount == 1:  # type: ignore[attr-defined]
            swept.append((row.id, new_status))
    return swept


def take_undelivered(session: Session, *, now: datetime, older_than: float, limit: int = 500) -> list[uuid.UUID]:
    """Due pending jobs last sent to the broker long ago (message lost, or sender died): mark and return them."""
    cutoff = now - timedelta(seconds=older_than)
    candidates = session.scalars(
        select(Job.id)
        .where(Job.status == JobStatus.PENDING, Job.run_after <= now, Job.dispatched_at < cutoff)
        .limit(limit)
    ).all()
    taken = []
    for job_id in candidates:
        marked = session.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == JobStatus.PENDING, Job.dispatched_at < cutoff)
            .values(dispatched_at=now)
            .execution_options(**_NO_SYNC)
        )
        if marked.rowcount == 1:  # type: ignore[attr-defined]
            taken.append(job_id)
    return taken


def count_by_status(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(Job.status, func.count())
        .where(Job.status.in_([JobStatus.PENDING, JobStatus.RUNNING]))
        .group_by(Job.status)
    ).all()
    counts = {JobStatus.PENDING.value: 0, JobStatus.RUNNING.value: 0}
    counts.update({str(status): int(count) for status, count in rows})
    return counts


def get_job(session: Session, job_id: uuid.UUID) -> Job | None:
    return session.get(Job, job_id)

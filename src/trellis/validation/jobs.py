"""The validation job (auto-loaded by trellis.core.jobs): run the engine on the project's clone, store the report,
and move the project CODE_VALIDATION_REQUESTED -> CODE_VALIDATING -> CODE_VALIDATED, or to BLOCKED with the reason.

Idempotent: each gateway step is taken only from its source state, and the report is stored only while the run is
not completed, so a job that runs twice (a retry, a swept lease, a duplicate message) stores one result and audits
each step once. Short transactions around the long computation: no database transaction is held while indexing.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy.orm import Session

from trellis.core.db import utcnow
from trellis.core.jobs import JobContext, PermanentJobError, job_handler
from trellis.projects import service as projects_service
from trellis.projects.models import Project
from trellis.projects.state_machine import ProjectStatus
from trellis.repos import service as repos_service
from trellis.validation import service
from trellis.validation.engine import validate_repository
from trellis.validation.models import RunStatus, ValidationRun

log = structlog.get_logger("trellis.validation")


@dataclass(frozen=True)
class _Request:
    run_id: uuid.UUID
    project_id: uuid.UUID
    user_id: uuid.UUID | None
    correlation_id: str | None

    @classmethod
    def parse(cls, payload: dict[str, Any]) -> _Request:
        try:
            user = payload.get("requested_by")
            return cls(
                uuid.UUID(str(payload["run_id"])),
                uuid.UUID(str(payload["project_id"])),
                uuid.UUID(str(user)) if user else None,
                payload.get("correlation_id"),
            )
        except (KeyError, ValueError):
            raise PermanentJobError("payload needs run_id and project_id") from None


def _advance(
    session: Session, request: _Request, action: str, source: ProjectStatus, reason: str | None = None
) -> bool:
    """Take one gateway step if the project is still where this job expects it (so a rerun does not repeat it)."""
    project = session.get(Project, request.project_id)
    if project is None or project.status != source.value:
        return False
    projects_service.apply_job_transition(
        session,
        project_id=request.project_id,
        action=action,
        user_id=request.user_id,
        correlation_id=request.correlation_id,
        reason=reason,
    )
    return True


def _fail(ctx: JobContext, request: _Request, code: str, message: str) -> None:
    """Record the failure on the run and block the project with the reason, in one transaction."""
    with ctx.session() as session:
        run = session.get(ValidationRun, request.run_id)
        if run is not None and run.status != RunStatus.COMPLETED.value:
            run.status, run.error_code, run.error_message = RunStatus.FAILED.value, code, message
        reason = f"Code validation failed ({code}): {message}"
        for source in (ProjectStatus.CODE_VALIDATING, ProjectStatus.CODE_VALIDATION_REQUESTED):
            if _advance(session, request, "block", source, reason):
                break
        session.commit()
    log.warning("validation_failed", run_id=str(request.run_id), error_code=code)


def _summary(run: ValidationRun) -> str:
    return (
        f"compliance {run.compliance_score:.0%} ({run.implemented_count} implemented, {run.partial_count} partial, "
        f"{run.missing_count} missing) for commit {run.commit_sha[:12]}, run {run.id}"
    )


@job_handler(service.VALIDATION_JOB, max_attempts=3)
def run_validation(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    request = _Request.parse(payload)
    with ctx.session() as session:
        run = session.get(ValidationRun, request.run_id)
        if run is None:
            raise PermanentJobError(f"validation run {request.run_id} no longer exists")
        if run.status == RunStatus.COMPLETED.value:
            # Same repository, commit and requirements as a stored run: advance the project, compute nothing.
            summary = _summary(run)
            _advance(session, request, "start_validation", ProjectStatus.CODE_VALIDATION_REQUESTED)
            _advance(session, request, "complete_validation", ProjectStatus.CODE_VALIDATING, "re-used: " + summary)
            session.commit()
            return {"run_id": str(request.run_id), "reused": True}
        _advance(session, request, "start_validation", ProjectStatus.CODE_VALIDATION_REQUESTED)
        run.status, run.started_at, run.job_id = RunStatus.RUNNING.value, utcnow(), ctx.job_id
        repo_id, commit_sha = str(run.repo_id), run.commit_sha
        requirements = service.stored_requirements(run)
        session.commit()

    not_ready: repos_service.RepositoryNotReady | None = None
    with ctx.session() as session:  # closed before _fail opens its own (SQLite: one writer at a time)
        try:
            snapshot = repos_service.project_snapshot(session, project_id=request.project_id)
        except repos_service.RepositoryNotReady as exc:
            not_ready = exc
    if not_ready is not None:
        _fail(ctx, request, "repository_not_ready", not_ready.message)
        raise PermanentJobError(not_ready.message)
    if (snapshot.repo_id, snapshot.commit_sha) != (repo_id, commit_sha):
        message = (
            f"The repository moved to commit {snapshot.commit_sha[:12]} (or another repository was connected) "
            f"after validation of {commit_sha[:12]} was requested; request validation again."
        )
        _fail(ctx, request, "repository_changed", message)
        raise PermanentJobError(message)

    started = time.perf_counter()
    try:
        report = validate_repository(snapshot.path, requirements)
    except Exception as exc:  # deterministic over the same files: retrying cannot help
        message = f"The validation engine failed: {type(exc).__name__}: {exc}"[:2000]
        _fail(ctx, request, "engine_failed", message)
        raise PermanentJobError(message) from exc
    elapsed = time.perf_counter() - started

    with ctx.session() as session:
        run = session.get(ValidationRun, request.run_id, with_for_update=True)
        if run is None:
            raise PermanentJobError(f"validation run {request.run_id} no longer exists")
        stored = run.status != RunStatus.COMPLETED.value
        if stored:
            service.store_report(run, report, duration_seconds=elapsed)
        _advance(session, request, "complete_validation", ProjectStatus.CODE_VALIDATING, _summary(run))
        session.commit()
    log.info("validation_completed", run_id=str(request.run_id), seconds=round(elapsed, 2), stored=stored)
    return {
        "run_id": str(request.run_id),
        "reused": False,
        "stored": stored,
        "compliance_score": report.scores.compliance,
    }

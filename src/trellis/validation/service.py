"""Code validation for a project: queue a run through the gateway, store its report, serve results, guard approval.

A run is keyed by (repository, commit, requirements hash). Asking again for the same key re-uses the stored
report: no recomputation. The gateway (projects.service) calls `queue_validation` when a project enters
CODE_VALIDATION_REQUESTED and `check_validation_score` for `approve_validation`; the job (validation.jobs)
moves the project on to CODE_VALIDATING and CODE_VALIDATED, or BLOCKED with the reason.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from trellis.core.db import utcnow
from trellis.core.errors import Conflict, InvalidInput, NotFound
from trellis.core.jobs import JobStatus, enqueue, get_job
from trellis.projects import service as projects_service
from trellis.projects.service import ProjectAccess
from trellis.projects.state_machine import ProjectStatus
from trellis.repos import service as repos_service
from trellis.requirements import service as requirements_service
from trellis.requirements.analysis import RequirementInput
from trellis.validation.engine import ENGINE_VERSION, ValidationReport, requirements_hash
from trellis.validation.models import RunStatus, ValidationRun
from trellis.validation.scoring import COMPLIANCE_THRESHOLD

VALIDATION_JOB = "validation.run"
# Stored and returned reports keep the best N implementation files and N test files per requirement (linked
# ones first come naturally: links are sorted by score); the full ranking can be millions of rows on big code.
MAX_STORED_LINKS = 20
# Unrequested files kept in the stored report (largest first); the total is kept in gaps.unrequested.
MAX_STORED_UNREQUESTED = 200
_IN_FLIGHT = (RunStatus.PENDING.value, RunStatus.RUNNING.value)


class NothingToValidate(InvalidInput):
    code = "no_requirements"


class ValidationRunNotFound(NotFound):
    code = "validation_run_not_found"


class ValidationInProgress(Conflict):
    code = "validation_in_progress"


# ---------------------------------------------------------------- requirements and keys


def _requirement_dict(requirement: RequirementInput) -> dict[str, Any]:
    return {
        "code": requirement.code,
        "text": requirement.text,
        "acceptance_criteria": list(requirement.acceptance_criteria),
        "dependencies": list(requirement.dependencies),
        "priority": requirement.priority,
        "tags": list(requirement.tags),
    }


def stored_requirements(run: ValidationRun) -> list[RequirementInput]:
    return [requirements_service.to_input(item["code"], item) for item in run.requirements]


def _project_requirements(db: Session, project_id: uuid.UUID) -> list[RequirementInput]:
    inputs = requirements_service.as_inputs(requirements_service.list_requirements(db, project_id=project_id))
    if not inputs:
        raise NothingToValidate(
            "The project has no requirements to validate. Add some first "
            "(POST /api/v1/projects/{id}/requirements/bulk or /import).",
            project_id=str(project_id),
        )
    return inputs


def _find_run(db: Session, repo_id: uuid.UUID, commit_sha: str, key: str) -> ValidationRun | None:
    return db.scalar(
        select(ValidationRun).where(
            ValidationRun.repo_id == repo_id,
            ValidationRun.commit_sha == commit_sha,
            ValidationRun.requirements_hash == key,
        )
    )


def _current_key(db: Session, project_id: uuid.UUID) -> tuple[repos_service.RepositorySnapshot, list[RequirementInput]]:
    snapshot = repos_service.project_snapshot(db, project_id=project_id)  # 409 repository_not_ready
    return snapshot, _project_requirements(db, project_id)


# ---------------------------------------------------------------- queueing (called by the gateway)


def queue_validation(
    db: Session, *, project_id: uuid.UUID, requested_by: uuid.UUID | None, correlation_id: str | None
) -> dict[str, Any]:
    """Find or create the run for the project's current commit and requirements, and queue the job that moves
    the project through CODE_VALIDATING to CODE_VALIDATED. A completed run for the same key is re-used (the job
    only advances the project). Raises RepositoryNotReady (409) or NothingToValidate (422); the caller commits.
    """
    snapshot, inputs = _current_key(db, project_id)
    repo_id, key = uuid.UUID(snapshot.repo_id), requirements_hash(inputs)
    now = utcnow()
    run = _find_run(db, repo_id, snapshot.commit_sha, key)
    if run is None:
        run = ValidationRun(
            project_id=project_id,
            repo_id=repo_id,
            commit_sha=snapshot.commit_sha,
            requirements_hash=key,
            engine_version=ENGINE_VERSION,
            status=RunStatus.PENDING.value,
            requirements=[_requirement_dict(r) for r in inputs],
            requested_by=requested_by,
            last_requested_at=now,
        )
        try:
            with db.begin_nested():  # two requests racing for the same key: the loser re-uses the winner's row
                db.add(run)
        except IntegrityError:
            run = _find_run(db, repo_id, snapshot.commit_sha, key)
            if run is None:
                raise
    else:
        run.times_requested += 1
        run.last_requested_at = now
    reused = run.status == RunStatus.COMPLETED.value
    if run.status == RunStatus.FAILED.value:  # asking again is the way to retry a failed run
        run.status, run.error_code, run.error_message = RunStatus.PENDING.value, None, None
    job_id = _live_job(db, run) if run.status in _IN_FLIGHT else None
    if job_id is None:
        payload = {
            "run_id": str(run.id),
            "project_id": str(project_id),
            "requested_by": str(requested_by) if requested_by else None,
            "correlation_id": correlation_id,
        }
        job_id = enqueue(VALIDATION_JOB, payload, db_session=db)
    if not reused:
        run.job_id = job_id
    db.flush()
    return {
        "validation_run_id": str(run.id),
        "job_id": str(job_id),
        "reused": reused,
        "repo_id": snapshot.repo_id,
        "commit_sha": snapshot.commit_sha,
        "requirements_hash": key,
    }


def _live_job(db: Session, run: ValidationRun) -> uuid.UUID | None:
    """The job already working on an in-flight run, so a second request does not start a second computation."""
    if run.job_id is None:
        return None
    job = get_job(db, run.job_id)
    if job is None or job.status not in (JobStatus.PENDING, JobStatus.RUNNING):
        return None
    return run.job_id


def request_code_validation(
    db: Session, *, target: ProjectAccess, correlation_id: str | None, request_id: str | None
) -> dict[str, Any]:
    """`POST /projects/{id}/validate-code`: the gateway step for the project's state, or a stored result.

    REQS_READY -> request_validation, BLOCKED -> retry_validation (both queue the job). While a validation is
    running, its run is returned. In any other state a stored result for the current key is returned as is
    (`reused`, no job); without one the gateway's 409 names the actions allowed now.
    """
    project = target.project
    status = ProjectStatus(project.status)
    action = {ProjectStatus.REQS_READY: "request_validation", ProjectStatus.BLOCKED: "retry_validation"}.get(status)
    if action is not None:
        result = projects_service.apply_transition(
            db, target=target, action=action, correlation_id=correlation_id, request_id=request_id
        )
        run = db.get(ValidationRun, uuid.UUID(result.details["validation_run_id"]))
        assert run is not None
        return _accepted(run, result.to_state, result.details["job_id"], reused=result.details["reused"])
    if status in (ProjectStatus.CODE_VALIDATION_REQUESTED, ProjectStatus.CODE_VALIDATING):
        run = db.scalar(
            select(ValidationRun)
            .where(ValidationRun.project_id == project.id)
            .order_by(ValidationRun.last_requested_at.desc(), ValidationRun.created_at.desc())
            .limit(1)
        )
        if run is None:
            raise ValidationInProgress(
                f"The project is {status.value} but no validation run was found; block it and retry_validation.",
                current_state=status.value,
            )
        reused = run.status == RunStatus.COMPLETED.value
        return _accepted(run, status.value, str(run.job_id) if run.job_id else None, reused=reused)
    if status in (ProjectStatus.DRAFT, ProjectStatus.REQS_REFINING):
        # Let the gateway refuse with its usual 409 and the allowed actions.
        projects_service.apply_transition(db, target=target, action="request_validation")
    snapshot, inputs = _current_key(db, project.id)
    run = _find_run(db, uuid.UUID(snapshot.repo_id), snapshot.commit_sha, requirements_hash(inputs))
    if run is None or run.status != RunStatus.COMPLETED.value:
        projects_service.apply_transition(db, target=target, action="request_validation")  # raises 409
        raise AssertionError("unreachable")  # pragma: no cover
    run.times_requested += 1
    run.last_requested_at = utcnow()
    return _accepted(run, status.value, None, reused=True)


def _accepted(run: ValidationRun, project_status: str, job_id: str | None, *, reused: bool) -> dict[str, Any]:
    if reused:
        message = (
            f"Re-used the stored result for commit {run.commit_sha[:12]} and these requirements (nothing recomputed)."
        )
    else:
        message = f"Validation of commit {run.commit_sha[:12]} is {run.status}."
    return {
        "validation_run_id": run.id,
        "job_id": job_id,
        "status": run.status,
        "reused": reused,
        "project_id": run.project_id,
        "project_status": project_status,
        "repo_id": run.repo_id,
        "commit_sha": run.commit_sha,
        "requirements_hash": run.requirements_hash,
        "message": message,
    }


# ---------------------------------------------------------------- storing (called by the job)


def store_report(run: ValidationRun, report: ValidationReport, *, duration_seconds: float) -> None:
    """Copy a report into the run: queryable columns, and the JSON with links capped per requirement."""
    data = report.as_dict(max_links=MAX_STORED_LINKS)
    extra = sorted(data["unrequested"], key=lambda item: (-item["symbols"], item["path"]))
    data["unrequested"] = extra[:MAX_STORED_UNREQUESTED]
    data["limits"] = {"links_per_requirement": MAX_STORED_LINKS, "unrequested": MAX_STORED_UNREQUESTED}
    dimensions = {d.name: d.score for d in report.scores.dimensions}
    statuses = [result.status for result in report.requirements]
    run.report = data
    run.compliance_score = report.scores.compliance
    run.passed = report.scores.passed
    run.structural_alignment = dimensions["structural_alignment"]
    run.pattern_compliance = dimensions["pattern_compliance"]
    run.functional_coverage = dimensions["functional_coverage"]
    run.quality_indicators = dimensions["quality_indicators"]
    run.requirements_total = len(statuses)
    run.implemented_count = statuses.count("implemented")
    run.partial_count = statuses.count("partial")
    run.missing_count = statuses.count("missing")
    run.unrequested_count = len(report.unrequested)
    run.files_indexed = report.files_indexed
    run.duration_seconds = round(duration_seconds, 3)
    run.status = RunStatus.COMPLETED.value
    run.completed_at = utcnow()
    run.error_code = run.error_message = None


# ---------------------------------------------------------------- reading


def latest_completed_run(db: Session, *, project_id: uuid.UUID) -> ValidationRun | None:
    return db.scalar(
        select(ValidationRun)
        .where(ValidationRun.project_id == project_id, ValidationRun.status == RunStatus.COMPLETED.value)
        .order_by(ValidationRun.last_requested_at.desc(), ValidationRun.completed_at.desc())
        .limit(1)
    )


def check_validation_score(db: Session, *, project_id: uuid.UUID) -> dict[str, Any]:
    """The VALIDATION_SCORE guard: the latest result's compliance score must be above 70% (seed 000)."""
    run = latest_completed_run(db, project_id=project_id)
    guard = "validation_score_above_70"
    if run is None or run.compliance_score is None:
        raise projects_service.GuardFailed(
            "No code validation result exists for this project yet (POST /api/v1/projects/{id}/validate-code).",
            guard=guard,
        )
    if run.compliance_score <= COMPLIANCE_THRESHOLD:
        raise projects_service.GuardFailed(
            f"The latest code validation scored {run.compliance_score:.0%} (run {run.id}); approving it needs more "
            f"than {COMPLIANCE_THRESHOLD:.0%}. See GET /api/v1/projects/{{id}}/validation-results for the gaps.",
            guard=guard,
            compliance_score=run.compliance_score,
            validation_run_id=str(run.id),
        )
    return {"validation_run_id": str(run.id), "compliance_score": run.compliance_score}


def get_run(db: Session, *, project_id: uuid.UUID, run_id: uuid.UUID | str) -> ValidationRun:
    try:
        run = db.get(ValidationRun, run_id if isinstance(run_id, uuid.UUID) else uuid.UUID(run_id))
    except ValueError:
        run = None
    if run is None or run.project_id != project_id:
        raise ValidationRunNotFound(f"Validation run {run_id} does not exist in this project.", run_id=str(run_id))
    return run


def list_runs(db: Session, *, project_id: uuid.UUID, limit: int, offset: int) -> tuple[Sequence[ValidationRun], int]:
    """Newest request first (a re-used run moves back to the top when asked for again)."""
    query = select(ValidationRun).where(ValidationRun.project_id == project_id)
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.scalars(
        query.order_by(ValidationRun.last_requested_at.desc(), ValidationRun.created_at.desc(), ValidationRun.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return rows, total


def latest_run(db: Session, *, project_id: uuid.UUID) -> ValidationRun | None:
    rows, _ = list_runs(db, project_id=project_id, limit=1, offset=0)
    return rows[0] if rows else None

"""Seed 000's code validation endpoints: request a validation (a job), read the stored results."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from sqlalchemy.orm import Session

from trellis.auth.dependencies import CurrentPrincipal
from trellis.core.db import Db, ReadDb
from trellis.projects import service as projects_service
from trellis.validation import service
from trellis.validation.models import ValidationRun
from trellis.validation.schemas import (
    DimensionScores,
    ValidateCodeRequest,
    ValidationRequested,
    ValidationResults,
    ValidationRunRead,
    ValidationRunSummary,
)
from trellis.workspaces.permissions import Permission

router = APIRouter(tags=["validation"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "Viewer role: cannot request a validation."},
    404: {"description": "No such project, or not a member."},
    409: {
        "description": "`repository_not_ready` (no repository, or its clone is not COMPLETED), `invalid_transition` "
        "(the project's state does not allow validation; `allowed_actions` listed)."
    },
    422: {"description": "`no_requirements`: the project has nothing to validate."},
}


def _summary_fields(run: ValidationRun) -> dict[str, Any]:
    summary = ValidationRunSummary.model_validate(
        {
            **{name: getattr(run, name) for name in ValidationRunSummary.model_fields if name != "dimensions"},
            "dimensions": DimensionScores(
                structural_alignment=run.structural_alignment,
                pattern_compliance=run.pattern_compliance,
                functional_coverage=run.functional_coverage,
                quality_indicators=run.quality_indicators,
            ),
        }
    )
    return summary.model_dump()


def _read(run: ValidationRun) -> ValidationRunRead:
    return ValidationRunRead(**_summary_fields(run), report=run.report)


@router.post(
    "/projects/{project_id}/validate-code",
    response_model=ValidationRequested,
    status_code=202,
    responses={**_ERRORS, 200: {"description": "A stored result for the same commit and requirements, re-used."}},
)
async def validate_code(
    project_id: uuid.UUID,
    principal: CurrentPrincipal,
    response: Response,
    db: Db,
    body: ValidateCodeRequest | None = None,
) -> ValidationRequested:
    """Validate the project's repository against its requirements: 202 with the run and job ids (the job moves the
    project to CODE_VALIDATING and CODE_VALIDATED, or BLOCKED with the reason). The same commit and requirements
    re-use the stored result."""
    request = body or ValidateCodeRequest()

    def work(s: Session) -> ValidationRequested:
        target = projects_service.load_project(
            s, principal=principal, project_id=project_id, permission=Permission.WRITE
        )
        return ValidationRequested(
            **service.request_code_validation(
                s, target=target, correlation_id=request.correlation_id, request_id=request.request_id
            )
        )

    accepted = await db.run(work)
    response.headers["Location"] = f"/api/v1/projects/{project_id}/validation-results/{accepted.validation_run_id}"
    if accepted.job_id is None:
        response.status_code = 200
    return accepted


@router.get("/projects/{project_id}/validation-results", response_model=ValidationResults, responses=_ERRORS)
async def validation_results(
    project_id: uuid.UUID,
    principal: CurrentPrincipal,
    db: ReadDb,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> ValidationResults:
    """The latest run with its full report, and the history of runs (newest request first, without reports)."""

    def load(s: Session) -> ValidationResults:
        target = projects_service.load_project(
            s, principal=principal, project_id=project_id, permission=Permission.READ
        )
        runs, total = service.list_runs(s, project_id=project_id, limit=limit, offset=offset)
        latest = service.latest_run(s, project_id=project_id)
        return ValidationResults(
            project_id=project_id,
            project_status=target.project.status,
            latest=_read(latest) if latest else None,
            history=[ValidationRunSummary(**_summary_fields(run)) for run in runs],
            total=total,
            limit=limit,
            offset=offset,
        )

    return await db.run(load)


@router.get(
    "/projects/{project_id}/validation-results/{run_id}",
    response_model=ValidationRunRead,
    responses={404: {"description": "No such project or run, or not a member."}},
)
async def validation_run(
    project_id: uuid.UUID, run_id: str, principal: CurrentPrincipal, db: ReadDb
) -> ValidationRunRead:
    """One run with its report. (The run id is parsed after authorization: a malformed one is a 404 like any
    other run this caller cannot see.)"""

    def load(s: Session) -> ValidationRunRead:
        projects_service.load_project(s, principal=principal, project_id=project_id, permission=Permission.READ)
        return _read(service.get_run(s, project_id=project_id, run_id=run_id))

    return await db.run(load)

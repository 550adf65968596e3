"""Requirements of a project (seed 000): bulk upsert, list with findings, history, import and export."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response
from sqlalchemy.orm import Session

from trellis.auth.dependencies import CurrentPrincipal
from trellis.auth.service import Principal
from trellis.core.db import Db, ReadDb
from trellis.core.errors import InvalidInput
from trellis.projects import service as projects_service
from trellis.requirements import service
from trellis.requirements.analysis import RequirementAnalysis, RequirementScores
from trellis.requirements.formats import RequirementsFormatError, export_requirements, parse_requirements
from trellis.requirements.models import Requirement
from trellis.requirements.schemas import (
    BulkUpsert,
    FindingRead,
    FormatName,
    ImportRequest,
    ProjectFindingRead,
    RequirementList,
    RequirementRead,
    ScoresRead,
    UpsertResponse,
    VersionRead,
)
from trellis.workspaces.permissions import Permission

router = APIRouter(tags=["requirements"])

MEDIA_TYPES = {
    "markdown": "text/markdown",
    "text": "text/plain",
    "csv": "text/csv",
    "json": "application/json",
    "yaml": "application/yaml",
}


def scores_read(scores: RequirementScores) -> ScoresRead:
    return ScoresRead(**service.scores_as_dict(scores))


def requirement_read(requirement: Requirement, analysis: RequirementAnalysis | None) -> RequirementRead:
    data = requirement.data
    return RequirementRead(
        id=requirement.id,
        code=requirement.code,
        version=requirement.version,
        text=data["text"],
        title=data.get("title"),
        acceptance_criteria=data.get("acceptance_criteria", []),
        priority=data.get("priority"),
        dependencies=data.get("dependencies", []),
        tags=data.get("tags", []),
        updated_at=requirement.updated_at,
        scores=scores_read(analysis.scores) if analysis else None,
        findings=[FindingRead(**{k: getattr(f, k) for k in FindingRead.model_fields}) for f in analysis.findings]
        if analysis
        else None,
    )


def _upsert(s: Session, principal: Principal, project_id: uuid.UUID, items: list[dict], source: str) -> UpsertResponse:  # type: ignore[type-arg]
    target = projects_service.load_project(s, principal=principal, project_id=project_id, permission=Permission.WRITE)
    result = service.upsert_requirements(
        s,
        project_id=project_id,
        workspace_id=target.project.workspace_id,
        items=items,
        user_id=principal.user_id,
        source=source,
    )
    return UpsertResponse(
        created=result.created,
        updated=result.updated,
        unchanged=result.unchanged,
        total=service.count_requirements(s, project_id=project_id),
    )


@router.post("/projects/{project_id}/requirements/bulk", response_model=UpsertResponse)
async def bulk_upsert(project_id: uuid.UUID, body: BulkUpsert, principal: CurrentPrincipal, db: Db) -> UpsertResponse:
    """Create or update requirements by code; each change is a new version. Sending the same batch again changes
    nothing. Invalid items answer 422 with `validation_errors: [{index, code, errors}]` and nothing is saved."""
    items = [item.model_dump() for item in body.requirements]
    return await db.run(lambda s: _upsert(s, principal, project_id, items, "bulk"))


@router.post("/projects/{project_id}/requirements/import", response_model=UpsertResponse)
async def import_requirements(
    project_id: uuid.UUID, body: ImportRequest, principal: CurrentPrincipal, db: Db
) -> UpsertResponse:
    """Import Markdown (headings or lists), plain text (one per line), CSV, JSON or YAML."""

    def run(s: Session) -> UpsertResponse:
        # Access first: an outsider learns nothing, not even whether the content would parse.
        projects_service.load_project(s, principal=principal, project_id=project_id, permission=Permission.WRITE)
        try:
            parsed = parse_requirements(body.content, format=body.format, filename=body.filename)
        except RequirementsFormatError as exc:
            raise InvalidInput(str(exc), code="unreadable_requirements", line=getattr(exc, "line", None)) from None
        items = [
            {
                "code": r.code,
                "title": r.title,
                "text": r.text,
                "acceptance_criteria": list(r.acceptance_criteria),
                "priority": r.priority,
                "dependencies": list(r.dependencies),
                "tags": list(r.tags),
            }
            for r in parsed
        ]
        return _upsert(s, principal, project_id, items, "import")

    return await db.run(run)


@router.get("/projects/{project_id}/requirements", response_model=RequirementList)
async def list_requirements(
    project_id: uuid.UUID, principal: CurrentPrincipal, db: ReadDb, analysis: bool = True
) -> RequirementList:
    """Current versions; with `analysis` (default) each carries its findings and scores."""

    def load(s: Session) -> RequirementList:
        projects_service.load_project(s, principal=principal, project_id=project_id, permission=Permission.READ)
        requirements = service.list_requirements(s, project_id=project_id)
        if not analysis:
            return RequirementList(items=[requirement_read(r, None) for r in requirements], total=len(requirements))
        result = service.analyze_requirements(requirements)
        by_code = {a.code: a for a in result.requirements}
        return RequirementList(
            items=[requirement_read(r, by_code.get(r.code)) for r in requirements],
            total=len(requirements),
            project_findings=[
                ProjectFindingRead(
                    category=f.category,
                    codes=list(f.codes),
                    severity=f.severity,
                    message=f.message,
                    suggestion=f.suggestion,
                    details=dict(f.details),
                )
                for f in result.findings
            ],
            scores=scores_read(result.scores),
            meets_thresholds=result.meets_thresholds,
        )

    return await db.run(load)


@router.get("/projects/{project_id}/requirements/export")
async def export(
    project_id: uuid.UUID, principal: CurrentPrincipal, db: ReadDb, format: FormatName = "markdown"
) -> Response:
    def load(s: Session) -> str:
        projects_service.load_project(s, principal=principal, project_id=project_id, permission=Permission.READ)
        return export_requirements(service.as_inputs(service.list_requirements(s, project_id=project_id)), format)

    content = await db.run(load)
    return Response(content, media_type=MEDIA_TYPES[format])


@router.get("/projects/{project_id}/requirements/{code}/versions", response_model=list[VersionRead])
async def versions(project_id: uuid.UUID, code: str, principal: CurrentPrincipal, db: ReadDb) -> list[VersionRead]:
    """Every version of one requirement, oldest first, each with a diff against the one before."""

    def load(s: Session) -> list[VersionRead]:
        projects_service.load_project(s, principal=principal, project_id=project_id, permission=Permission.READ)
        return [
            VersionRead(
                version=row.version,
                data=row.data,
                source=row.source,
                source_ref=row.source_ref,
                created_by=row.created_by,
                created_at=row.created_at,
                diff=diff,
            )
            for row, diff in service.version_history(s, project_id=project_id, code=code)
        ]

    return await db.run(load)

"""Seed 001's repository endpoints under /api/v1/code, plus seed 000's `GET /code/repositories`.

Connecting runs in three hops so no database transaction is held open while git talks to the host:
authorize (read), pre-check the size (no database), then store and queue the clone (write).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from trellis.auth.dependencies import CurrentPrincipal
from trellis.core.db import Db, ReadDb
from trellis.core.errors import TrellisError
from trellis.core.key_providers import key_provider_for
from trellis.repos import service
from trellis.repos.precheck import run_precheck
from trellis.repos.schemas import (
    RepositoryConnect,
    RepositoryConnected,
    RepositoryJobAccepted,
    RepositoryList,
    RepositoryRead,
    RepositoryStatus,
)
from trellis.workspaces.permissions import Permission

router = APIRouter(prefix="/code", tags=["repositories"])

_ERROR = {"description": "Uniform error body `{detail: {error, message, ...}}`."}
_CONNECT_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "The Git host refused the access token (`git_authentication_failed`)."},
    403: {"description": "Viewer role, or a local path outside TRELLIS_REPO_LOCAL_ROOTS (`local_path_not_allowed`)."},
    404: {"description": "No such project (or not a member), or the repository does not exist on the host."},
    413: {
        "description": "Over MAX_REPO_SIZE_MB: `{detail: {error: repository_too_large, message, "
        "estimated_size_mb, limit_mb}}`."
    },
    422: {"description": "Invalid Git repository URL format, or an invalid token/branch."},
    502: {"description": "The Git host could not be reached or timed out (`git_network_error`, `git_timeout`)."},
    507: {"description": "Not enough disk space for repositories (`insufficient_storage`)."},
}
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such repository, or not a member."}}


@router.post("/connect", response_model=RepositoryConnected, status_code=201, responses=_CONNECT_ERRORS)
async def connect_repository(
    body: RepositoryConnect, principal: CurrentPrincipal, request: Request, response: Response, db: Db, read_db: ReadDb
) -> RepositoryConnected:
    """Connect a Git repository to a project: checks access and size first, then queues the clone."""
    settings = request.app.state.settings
    location = service.resolve_location(body.git_url, settings=settings)
    workspace_id = await read_db.run(
        lambda s: service.authorize_project(
            s, principal=principal, project_id=body.project_id, permission=Permission.WRITE
        )
    )
    credentials = service.credentials_for(location, body)
    refusal: TrellisError | None = None
    try:
        precheck = await run_in_threadpool(
            lambda: run_precheck(location, credentials, settings=settings, branch=body.branch)
        )
    except TrellisError as exc:
        refusal = exc
    if refusal is not None:
        # Refused connections are audited (who tried what, and why) before the error goes out.
        error = refusal
        await db.run(
            lambda s: service.record_refused_connection(
                s,
                principal=principal,
                workspace_id=workspace_id,
                project_id=body.project_id,
                location=location,
                error=error,
            )
        )
        raise refusal
    key_provider = key_provider_for(settings)
    connected = await db.run(
        lambda s: service.create_repository(
            s,
            principal=principal,
            data=body,
            location=location,
            credentials=credentials,
            precheck=precheck,
            key_provider=key_provider,
        )
    )
    response.headers["Location"] = f"/api/v1/code/repos/{connected.repo_id}"
    return connected


@router.get("/repositories", response_model=RepositoryList)
async def list_repositories(
    principal: CurrentPrincipal,
    db: ReadDb,
    workspace_id: uuid.UUID | None = None,
    include_disconnected: bool = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> RepositoryList:
    """Seed 000: the connected repositories of your workspaces (or of one), newest first."""
    return await db.run(
        lambda s: service.list_repositories(
            s,
            principal=principal,
            workspace_id=workspace_id,
            include_disconnected=include_disconnected,
            limit=limit,
            offset=offset,
        )
    )


@router.get("/repos/{repo_id}", response_model=RepositoryRead, responses=_NOT_FOUND)
async def read_repository(repo_id: uuid.UUID, principal: CurrentPrincipal, db: ReadDb) -> RepositoryRead:
    return await db.run(lambda s: service.read_repository(s, principal=principal, repo_id=repo_id))


@router.get("/repos/{repo_id}/status", response_model=RepositoryStatus, responses=_NOT_FOUND)
async def repository_status(repo_id: uuid.UUID, principal: CurrentPrincipal, db: ReadDb) -> RepositoryStatus:
    """Clone status, progress and error messages (seed 001)."""
    return await db.run(lambda s: service.repository_status(s, principal=principal, repo_id=repo_id))


@router.get(
    "/projects/{project_id}/repos",
    response_model=list[RepositoryRead],
    responses={404: {"description": "No such project, or not a member."}},
)
async def list_project_repositories(
    project_id: uuid.UUID, principal: CurrentPrincipal, db: ReadDb
) -> list[RepositoryRead]:
    """Every repository of a project, disconnected ones included (seed 001 returns a plain list)."""
    return await db.run(lambda s: service.list_project_repositories(s, principal=principal, project_id=project_id))


@router.post(
    "/repos/{repo_id}/sync",
    response_model=RepositoryJobAccepted,
    status_code=202,
    responses={**_NOT_FOUND, 403: _ERROR, 409: {"description": "The clone is still running or disconnected."}},
)
async def sync_repository(
    repo_id: uuid.UUID, principal: CurrentPrincipal, response: Response, db: Db
) -> RepositoryJobAccepted:
    """Fetch new commits (a FAILED clone is cloned again); poll the status endpoint for the new commit."""
    accepted = await db.run(lambda s: service.request_sync(s, principal=principal, repo_id=repo_id))
    response.headers["Location"] = f"/api/v1/code/repos/{repo_id}/status"
    return accepted


@router.delete(
    "/repos/{repo_id}",
    response_model=RepositoryJobAccepted,
    status_code=202,
    responses={**_NOT_FOUND, 403: _ERROR, 409: {"description": "Already disconnected."}},
)
async def disconnect_repository(
    repo_id: uuid.UUID, principal: CurrentPrincipal, response: Response, db: Db
) -> RepositoryJobAccepted:
    """Disconnect: the token is deleted at once, the sandbox by a cleanup job (CLEANING -> CLEANED)."""
    accepted = await db.run(lambda s: service.disconnect_repository(s, principal=principal, repo_id=repo_id))
    response.headers["Location"] = f"/api/v1/code/repos/{repo_id}/status"
    return accepted

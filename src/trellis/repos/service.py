"""Repositories: connect (after the size pre-check), read, list, sync, disconnect; the snapshot other domains use.

Other domains call `project_snapshot` (the read-only clone validation works on) and
`has_connected_repository` (the gateway's REPOSITORY_CONNECTED guard). Authorization goes through
the project's workspace: outsiders get 404, members whose role cannot write get 403 on changes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from trellis.audit import service as audit_service
from trellis.core.config import Settings
from trellis.core.crypto import KeyProvider, mask_secret, open_secret, seal_secret
from trellis.core.errors import Conflict, TrellisError
from trellis.core.jobs import enqueue
from trellis.core.key_providers import current_key_provider
from trellis.projects import service as projects_service
from trellis.repos import errors
from trellis.repos.git import GitCredentials
from trellis.repos.metrics import PROJECTS_WITH_REPOS, REPO_CONNECTIONS
from trellis.repos.models import CONNECTED_STATUSES, CloneStatus, CodeRepository, RepositoryToken
from trellis.repos.precheck import PrecheckResult
from trellis.repos.sandbox import WORKTREE_DIR
from trellis.repos.schemas import (
    RepositoryConnect,
    RepositoryConnected,
    RepositoryJobAccepted,
    RepositoryList,
    RepositoryRead,
    RepositoryStatus,
)
from trellis.repos.urls import (
    TOKEN_USERNAMES,
    GitLocation,
    LocalPathRefused,
    Provider,
    UrlProblem,
    check_git_url,
    detect_provider,
    local_location,
)
from trellis.workspaces import service as workspaces_service
from trellis.workspaces.permissions import Permission

if TYPE_CHECKING:
    from trellis.auth.service import Principal

CLONE_JOB = "repos.clone"
SYNC_JOB = "repos.sync"
CLEANUP_JOB = "repos.cleanup"


class RepositoryNotReady(Conflict):
    code = "repository_not_ready"


@dataclass(frozen=True)
class RepositorySnapshot:
    """A completed, read-only clone: `path` is its working tree, checked out at `commit_sha`."""

    repo_id: str
    path: Path
    commit_sha: str


def token_context(repo_id: uuid.UUID) -> str:
    """Associated data the token is sealed with: it opens for this repository only."""
    return f"code_repo_token:{repo_id}"


# ---------------------------------------------------------------- connecting


def resolve_location(git_url: str, *, settings: Settings) -> GitLocation:
    try:
        url = check_git_url(git_url, allow_http=settings.repo_allow_http)
    except UrlProblem as exc:
        raise errors.InvalidGitUrl(str(exc)) from None
    if url.startswith("/") or url.lower().startswith("file://"):
        try:
            return local_location(url, allowed_roots=settings.repo_local_roots)
        except LocalPathRefused as exc:
            raise errors.LocalPathNotAllowed(str(exc)) from None
    return detect_provider(
        url,
        github_hosts=settings.github_hosts,
        gitlab_hosts=settings.gitlab_hosts,
        bitbucket_hosts=settings.bitbucket_hosts,
    )


def credentials_for(location: GitLocation, data: RepositoryConnect) -> GitCredentials | None:
    if location.is_local or data.access_token is None:
        return None
    username = TOKEN_USERNAMES[location.provider]
    if location.provider is Provider.GENERIC and data.username:
        username = data.username
    return GitCredentials(username=username, token=data.access_token.get_secret_value())


def authorize_project(db: Session, *, principal: Principal, project_id: uuid.UUID, permission: Permission) -> uuid.UUID:
    """The project's workspace id, once the caller may `permission` there (404 outsiders, 403 viewers)."""
    target = projects_service.load_project(db, principal=principal, project_id=project_id, permission=permission)
    return target.project.workspace_id


def create_repository(
    db: Session,
    *,
    principal: Principal,
    data: RepositoryConnect,
    location: GitLocation,
    credentials: GitCredentials | None,
    precheck: PrecheckResult,
    key_provider: KeyProvider | None = None,
) -> RepositoryConnected:
    """Store a pre-checked repository (token sealed) and queue its clone; the caller commits."""
    workspace_id = authorize_project(db, principal=principal, project_id=data.project_id, permission=Permission.WRITE)
    repo_id = uuid.uuid4()
    repository = CodeRepository(
        id=repo_id,
        project_id=data.project_id,
        workspace_id=workspace_id,
        git_url=location.url,
        provider=location.provider.value,
        branch=precheck.branch,
        estimated_size_mb=precheck.estimated_size_mb,
        size_source=precheck.source,
        clone_status=CloneStatus.PENDING.value,
        commit_sha=None,
        progress_message="Clone operation queued",
        connected_by=principal.user_id,
    )
    db.add(repository)
    db.flush()
    if credentials is not None:
        db.add(
            RepositoryToken(
                repo_id=repo_id,
                token_ciphertext=seal_secret(
                    credentials.token, context=token_context(repo_id), provider=key_provider or current_key_provider()
                ),
                username=credentials.username,
                masked_hint=mask_secret(credentials.token),
            )
        )
    task_id = enqueue(CLONE_JOB, {"repo_id": str(repo_id)}, db_session=db, max_attempts=4)
    repository.task_id = task_id
    audit_service.record(
        db,
        action="repo.connected",
        user_id=principal.user_id,
        workspace_id=workspace_id,
        resource_type="code_repo",
        resource_id=repo_id,
        to_state=CloneStatus.PENDING.value,
        metadata={
            "project_id": str(data.project_id),
            "git_url": location.url,
            "provider": location.provider.value,
            "estimated_size_mb": precheck.estimated_size_mb,
            "size_source": precheck.source,
            "token_masked": mask_secret(credentials.token) if credentials else None,
        },
    )
    db.flush()
    REPO_CONNECTIONS.labels("connected", str(data.project_id)).inc()
    _update_projects_gauge(db)
    return RepositoryConnected(
        repo_id=repo_id,
        project_id=data.project_id,
        git_url=location.url,
        task_id=task_id,
        estimated_size_mb=precheck.estimated_size_mb,
        size_source=precheck.source,
        clone_status=repository.clone_status,
        provider=repository.provider,
        branch=repository.branch,
        commit_sha=precheck.head_sha,
        created_at=repository.created_at,
    )


def record_refused_connection(
    db: Session,
    *,
    principal: Principal,
    workspace_id: uuid.UUID,
    project_id: uuid.UUID,
    location: GitLocation,
    error: TrellisError,
) -> None:
    """Count and audit a connection the pre-check refused (bad token, too large, unreachable, ...)."""
    REPO_CONNECTIONS.labels(error.code, str(project_id)).inc()
    audit_service.record(
        db,
        action="repo.connect_refused",
        user_id=principal.user_id,
        workspace_id=workspace_id,
        resource_type="project",
        resource_id=project_id,
        metadata={"git_url": location.url, "error": error.code, "status": error.status_code, **error.extra},
    )


def _update_projects_gauge(db: Session) -> None:
    connected = [status.value for status in CONNECTED_STATUSES]
    count = db.scalar(
        select(func.count(func.distinct(CodeRepository.project_id))).where(CodeRepository.clone_status.in_(connected))
    )
    PROJECTS_WITH_REPOS.set(count or 0)


# ---------------------------------------------------------------- reading


def load_repository(
    db: Session, *, principal: Principal, repo_id: uuid.UUID, permission: Permission = Permission.READ
) -> CodeRepository:
    missing = errors.RepositoryNotFound(f"Repository {repo_id} does not exist.", repo_id=str(repo_id))
    repository = db.get(CodeRepository, repo_id)
    if repository is None:
        raise missing
    workspaces_service.authorize(
        db, principal=principal, workspace_id=repository.workspace_id, permission=permission, not_found=missing
    )
    return repository


def _token_hints(db: Session, repo_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not repo_ids:
        return {}
    rows = db.execute(
        select(RepositoryToken.repo_id, RepositoryToken.masked_hint).where(RepositoryToken.repo_id.in_(repo_ids))
    )
    return {repo_id: hint for repo_id, hint in rows}


def to_read(repository: CodeRepository, token_hint: str | None) -> RepositoryRead:
    read = RepositoryRead.model_validate(repository)
    return read.model_copy(update={"token_hint": token_hint})


def read_repository(db: Session, *, principal: Principal, repo_id: uuid.UUID) -> RepositoryRead:
    repository = load_repository(db, principal=principal, repo_id=repo_id)
    return to_read(repository, _token_hints(db, [repository.id]).get(repository.id))


def repository_status(db: Session, *, principal: Principal, repo_id: uuid.UUID) -> RepositoryStatus:
    r = load_repository(db, principal=principal, repo_id=repo_id)
    return RepositoryStatus(
        repo_id=r.id,
        clone_status=r.clone_status,
        repository_size_mb=r.repository_size_mb,
        sandbox_path=r.sandbox_path,
        progress_message=r.progress_message,
        error_message=r.error_message,
        error_code=r.error_code,
        commit_sha=r.commit_sha,
        file_count=r.file_count,
        task_id=r.task_id,
        updated_at=r.updated_at,
    )


def list_project_repositories(db: Session, *, principal: Principal, project_id: uuid.UUID) -> list[RepositoryRead]:
    authorize_project(db, principal=principal, project_id=project_id, permission=Permission.READ)
    rows = list(
        db.scalars(
            select(CodeRepository)
            .where(CodeRepository.project_id == project_id)
            .order_by(CodeRepository.created_at, CodeRepository.id)
        )
    )
    hints = _token_hints(db, [r.id for r in rows])
    return [to_read(r, hints.get(r.id)) for r in rows]


def list_repositories(
    db: Session,
    *,
    principal: Principal,
    workspace_id: uuid.UUID | None,
    include_disconnected: bool,
    limit: int,
    offset: int,
) -> RepositoryList:
    """Seed 000's `GET /code/repositories`: the connected repositories of every workspace the caller is in."""
    if workspace_id is not None:
        workspaces_service.authorize(db, principal=principal, workspace_id=workspace_id, permission=Permission.READ)
        workspace_ids = [workspace_id]
    else:
        workspace_ids = workspaces_service.member_workspace_ids(db, user_id=principal.user_id)
    query = select(CodeRepository).where(CodeRepository.workspace_id.in_(workspace_ids))
    if not include_disconnected:
        query = query.where(CodeRepository.clone_status.in_([s.value for s in CONNECTED_STATUSES]))
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = list(
        db.scalars(query.order_by(CodeRepository.created_at.desc(), CodeRepository.id).limit(limit).offset(offset))
    )
    hints = _token_hints(db, [r.id for r in rows])
    return RepositoryList(items=[to_read(r, hints.get(r.id)) for r in rows], total=total, limit=limit, offset=offset)


# ---------------------------------------------------------------- sync and disconnect


def request_sync(db: Session, *, principal: Principal, repo_id: uuid.UUID) -> RepositoryJobAccepted:
    """Fetch new commits of a COMPLETED clone (or clone again after a failure); the caller commits."""
    repository = load_repository(db, principal=principal, repo_id=repo_id, permission=Permission.WRITE)
    status = CloneStatus(repository.clone_status)
    if status is CloneStatus.COMPLETED:
        job, action = SYNC_JOB, "repo.sync_requested"
    elif status is CloneStatus.FAILED:
        job, action = CLONE_JOB, "repo.clone_retried"
        repository.clone_status = CloneStatus.PENDING.value
        repository.progress_message = "Clone operation queued again"
    else:
        raise errors.RepositoryBusy(
            f"The repository is {status.value}; sync needs a COMPLETED (or FAILED) clone.",
            clone_status=status.value,
        )
    task_id = enqueue(job, {"repo_id": str(repo_id)}, db_session=db, max_attempts=4)
    repository.task_id = task_id
    audit_service.record(
        db,
        action=action,
        user_id=principal.user_id,
        workspace_id=repository.workspace_id,
        resource_type="code_repo",
        resource_id=repo_id,
        from_state=status.value,
        to_state=repository.clone_status,
        metadata={"commit_sha": repository.commit_sha},
    )
    return RepositoryJobAccepted(
        repo_id=repo_id, task_id=task_id, clone_status=repository.clone_status, commit_sha=repository.commit_sha
    )


def disconnect_repository(db: Session, *, principal: Principal, repo_id: uuid.UUID) -> RepositoryJobAccepted:
    """Delete the token now and queue the sandbox's removal (CLEANING -> CLEANED); the caller commits."""
    repository = load_repository(db, principal=principal, repo_id=repo_id, permission=Permission.WRITE)
    status = CloneStatus(repository.clone_status)
    if status in (CloneStatus.CLEANING, CloneStatus.CLEANED):
        raise Conflict(f"The repository is already disconnected ({status.value}).", code="repository_disconnected")
    token = db.get(RepositoryToken, repo_id)
    if token is not None:
        db.delete(token)
    repository.clone_status = CloneStatus.CLEANING.value
    repository.progress_message = "Cleanup in progress"
    task_id = enqueue(CLEANUP_JOB, {"repo_id": str(repo_id)}, db_session=db)
    repository.task_id = task_id
    audit_service.record(
        db,
        action="repo.disconnected",
        user_id=principal.user_id,
        workspace_id=repository.workspace_id,
        resource_type="code_repo",
        resource_id=repo_id,
        from_state=status.value,
        to_state=CloneStatus.CLEANING.value,
        metadata={"git_url": repository.git_url, "token_deleted": token is not None},
    )
    db.flush()
    _update_projects_gauge(db)
    return RepositoryJobAccepted(
        repo_id=repo_id, task_id=task_id, clone_status=repository.clone_status, commit_sha=repository.commit_sha
    )


def open_token(db: Session, *, repo_id: uuid.UUID, key_provider: KeyProvider | None = None) -> GitCredentials | None:
    """The repository's credentials, for jobs only (never log or return them)."""
    token = db.get(RepositoryToken, repo_id)
    if token is None:
        return None
    value = open_secret(
        token.token_ciphertext, context=token_context(repo_id), provider=key_provider or current_key_provider()
    )
    return GitCredentials(username=token.username, token=value)


# ---------------------------------------------------------------- for other domains


def _as_uuid(value: str | uuid.UUID) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _connected_repositories(db: Session, project_id: uuid.UUID) -> list[CodeRepository]:
    query = (
        select(CodeRepository)
        .where(
            CodeRepository.project_id == project_id,
            CodeRepository.clone_status.in_([status.value for status in CONNECTED_STATUSES]),
        )
        .order_by(CodeRepository.created_at.desc(), CodeRepository.id)
    )
    return list(db.scalars(query))


def has_connected_repository(db: Session, *, project_id: str | uuid.UUID) -> bool:
    """True when the project has a repository that is queued, cloning or cloned (not failed or disconnected)."""
    return bool(_connected_repositories(db, _as_uuid(project_id)))


def project_snapshot(db: Session, *, project_id: str | uuid.UUID) -> RepositorySnapshot:
    """The project's most recently connected repository whose clone is COMPLETED.

    Raises RepositoryNotReady (409) when no repository is connected or no clone is finished.
    Read files through trellis.repos.sandbox.safe_walk / read_file: they never follow a symlink out.
    """
    repositories = _connected_repositories(db, _as_uuid(project_id))
    if not repositories:
        raise RepositoryNotReady(
            "No repository is connected to this project. Connect one first (POST /api/v1/code/connect).",
            project_id=str(project_id),
        )
    completed = [r for r in repositories if r.clone_status == CloneStatus.COMPLETED.value]
    if not completed:
        latest = repositories[0]
        raise RepositoryNotReady(
            f"The repository {latest.git_url} is {latest.clone_status}, not COMPLETED yet; "
            f"see GET /api/v1/code/repos/{latest.id}/status.",
            project_id=str(project_id),
            repo_id=str(latest.id),
            clone_status=latest.clone_status,
        )
    repository = completed[0]
    if repository.sandbox_path is None or repository.commit_sha is None:
        raise RepositoryNotReady(f"The clone of {repository.git_url} has no working tree.", repo_id=str(repository.id))
    return RepositorySnapshot(
        repo_id=str(repository.id), path=Path(repository.sandbox_path) / WORKTREE_DIR, commit_sha=repository.commit_sha
    )

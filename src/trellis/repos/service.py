"""Repositories: connect (with the size pre-check), read, list, sync, disconnect; the snapshot other domains use.

Other domains call `project_snapshot` (the read-only clone validation works on) and
`has_connected_repository` (the gateway's REPOSITORY_CONNECTED guard).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from trellis.core.errors import Conflict
from trellis.repos.models import CONNECTED_STATUSES, CloneStatus, CodeRepository


class RepositoryNotReady(Conflict):
    code = "repository_not_ready"


@dataclass(frozen=True)
class RepositorySnapshot:
    """A completed, read-only clone: `path` is its working tree, checked out at `commit_sha`."""

    repo_id: str
    path: Path
    commit_sha: str


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
    """The project's most recently connected repository, when its clone is COMPLETED.

    Raises RepositoryNotReady (409) when no repository is connected or its clone is not finished.
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
        repo_id=str(repository.id), path=Path(repository.sandbox_path) / "worktree", commit_sha=repository.commit_sha
    )

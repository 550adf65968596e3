"""The work of the clone, sync and cleanup jobs: git on disk, with the repository row as the status board.

Each step commits its status change in its own short transaction (PENDING -> CLONING -> COMPLETED /
FAILED, CLEANING -> CLEANED), so `GET /code/repos/{id}/status` shows progress while git runs.
Transient failures (network, timeouts, 5xx) raise to the job runner, which retries with
exponential backoff; permanent ones (401, 404, too large, limits) raise PermanentJobError.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from trellis.core.config import Settings
from trellis.core.db import utcnow
from trellis.core.jobs import JobContext, PermanentJobError
from trellis.core.key_providers import key_provider_for
from trellis.repos import service
from trellis.repos.git import (
    FailureKind,
    FetchProgress,
    GitCredentials,
    GitError,
    GitSession,
    directory_size,
    guarded_fetch,
    summarize_tree,
)
from trellis.repos.metrics import OVERSIZED_REPO_REJECTIONS, REPO_CLONE_DURATION, SANDBOX_DISK_USAGE, size_category
from trellis.repos.models import CloneStatus, CodeRepository
from trellis.repos.precheck import DISK_HEADROOM_BYTES, MB
from trellis.repos.sandbox import (
    SandboxPaths,
    make_read_only,
    make_writable,
    remove_escaping_symlinks,
    remove_tree,
    sandbox_for,
)

log = structlog.get_logger("trellis.repos")

_PROGRESS_EVERY_SECONDS = 1.0
_GONE = (CloneStatus.CLEANING.value, CloneStatus.CLEANED.value)


class CloneFailed(Exception):
    """A failure with the code and message to show in the status endpoint."""

    def __init__(self, code: str, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.transient = transient


_FAILURE_CODES = {
    FailureKind.AUTH: ("git_authentication_failed", "The Git host refused the stored credentials"),
    FailureKind.NOT_FOUND: ("repository_not_found", "The repository or branch was not found"),
    FailureKind.NETWORK: ("git_network_error", "Network error while talking to the Git host"),
    FailureKind.TIMEOUT: ("git_timeout", "The Git operation timed out"),
    FailureKind.DISK: ("insufficient_storage", "The server ran out of disk space"),
    FailureKind.OTHER: ("git_error", "Git failed"),
}


def _from_git_error(exc: GitError) -> CloneFailed:
    code, what = _FAILURE_CODES[exc.failure.kind]
    return CloneFailed(code, f"{what}: {exc.failure.message}", transient=exc.failure.kind.transient)


@dataclass
class RepoJob:
    """What one job run needs: the runtime's settings and sessions, the repository id, its sandbox."""

    ctx: JobContext
    repo_id: uuid.UUID

    @property
    def settings(self) -> Settings:
        return self.ctx.runtime.settings

    def update(self, **values: Any) -> CodeRepository | None:
        """Set fields on the repository row in a short transaction; None when the row is gone."""
        with self.ctx.session() as session:
            repository = session.get(CodeRepository, self.repo_id)
            if repository is None:
                return None
            for name, value in values.items():
                setattr(repository, name, value)
            session.commit()
            return repository

    def load(self) -> CodeRepository | None:
        with self.ctx.session() as session:
            return session.get(CodeRepository, self.repo_id)

    def credentials(self) -> GitCredentials | None:
        with self.ctx.session() as session:
            return service.open_token(session, repo_id=self.repo_id, key_provider=key_provider_for(self.settings))

    def sandbox(self, repository: CodeRepository) -> SandboxPaths:
        return sandbox_for(self.settings.resolved_sandbox_base_path, str(repository.project_id), str(repository.id))

    def progress_reporter(self, label: str) -> Callable[[FetchProgress], None]:
        last = [0.0]

        def report(progress: FetchProgress) -> None:
            now = time.monotonic()
            if now - last[0] < _PROGRESS_EVERY_SECONDS:
                return
            last[0] = now
            share = f"{progress.objects_received}/{progress.objects_total} objects, " if progress.objects_total else ""
            self.update(progress_message=f"{label}: {share}{progress.downloaded / MB:.1f} MB received")

        return report


def _payload_repo_id(payload: dict[str, Any]) -> uuid.UUID:
    try:
        return uuid.UUID(str(payload["repo_id"]))
    except (KeyError, ValueError):
        raise PermanentJobError("payload needs a repo_id") from None


def _git(job: RepoJob, credentials: GitCredentials | None, repository: CodeRepository) -> GitSession:
    return GitSession(
        credentials=credentials,
        allow_http=job.settings.repo_allow_http,
        allow_file=repository.provider == "local",
        url=repository.git_url,
    )


def _check_tree(job: RepoJob, git: GitSession, sandbox: SandboxPaths, commit: str) -> int:
    summary = summarize_tree(git, git_dir=sandbox.git_dir, commit=commit, timeout=120)
    if summary.files > job.settings.repo_max_files:
        raise CloneFailed(
            "repository_too_many_files",
            f"The repository has {summary.files} files; the limit is {job.settings.repo_max_files}.",
        )
    if summary.bytes > job.settings.repo_max_worktree_mb * MB:
        raise CloneFailed(
            "worktree_too_large",
            f"The checkout would take {summary.bytes / MB:.1f} MB; "
            f"the limit is {job.settings.repo_max_worktree_mb} MB.",
        )
    return summary.files


def _fetch(job: RepoJob, git: GitSession, repository: CodeRepository, sandbox: SandboxPaths, label: str) -> str:
    """Guarded fetch of the repository's branch; returns the fetched commit."""
    branch = repository.branch or "main"
    limit_mb = job.settings.max_repo_size_mb
    result = guarded_fetch(
        git,
        git_dir=sandbox.git_dir,
        url=repository.git_url,
        branch=branch,
        limit_bytes=limit_mb * MB,
        timeout=float(job.settings.git_clone_timeout),
        on_progress=job.progress_reporter(label),
    )
    if result.over_limit:
        OVERSIZED_REPO_REJECTIONS.inc()
        estimate = max(result.progress.estimated_total(), limit_mb * MB + 1) / MB
        job.update(estimated_size_mb=round(estimate, 2))
        raise CloneFailed(
            "repository_too_large",
            f"Repository size at least {estimate:.1f}MB exceeds limit of {limit_mb}MB "
            f"(stopped after {result.progress.downloaded / MB:.1f} MB).",
        )
    sha = git.run("--git-dir", str(sandbox.git_dir), "rev-parse", f"refs/heads/{branch}^{{commit}}", timeout=30)
    return sha.stdout.strip()


def _checkout(git: GitSession, sandbox: SandboxPaths, commit: str) -> list[str]:
    sandbox.worktree.mkdir(exist_ok=True, mode=0o700)
    git.run(
        "--git-dir", str(sandbox.git_dir), "--work-tree", str(sandbox.worktree), "checkout", "--quiet", "--force",
        "--detach", commit, timeout=300,
    )  # fmt: skip
    return remove_escaping_symlinks(sandbox.worktree)


def _measure_disk(settings: Settings) -> None:
    base = settings.resolved_sandbox_base_path
    SANDBOX_DISK_USAGE.labels(f"{os.uname().nodename}:{os.getpid()}").set(directory_size(base) if base.exists() else 0)


def _record_failure(job: RepoJob, exc: CloneFailed, *, final: bool, status: str) -> None:
    progress = None
    if not final:
        progress = f"Retrying after a transient error (attempt {job.ctx.attempt} of {job.ctx.max_attempts})"
    job.update(clone_status=status, error_code=exc.code, error_message=exc.message, progress_message=progress)


def clone_repository(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    job = RepoJob(ctx, _payload_repo_id(payload))
    repository = job.load()
    if repository is None or repository.clone_status in _GONE:
        return {"status": "skipped", "reason": "repository disconnected"}
    sandbox = job.sandbox(repository)
    started = time.monotonic()
    job.update(
        clone_status=CloneStatus.CLONING.value,
        progress_message="Repository clone in progress",
        error_code=None,
        error_message=None,
        task_id=ctx.job_id,
    )
    try:
        free = _free_bytes(job.settings.resolved_sandbox_base_path)
        if free < job.settings.max_repo_size_mb * MB + DISK_HEADROOM_BYTES:
            raise CloneFailed("insufficient_storage", f"Only {free // MB} MB of disk are free for repositories.")
        remove_tree(sandbox.root)  # a previous attempt's leftovers
        sandbox.root.mkdir(parents=True, mode=0o700)
        with _git(job, job.credentials(), repository) as git:
            git.run("init", "--quiet", "--bare", str(sandbox.git_dir), timeout=30)
            commit = _fetch(job, git, repository, sandbox, "Receiving objects")
            files = _check_tree(job, git, sandbox, commit)
            job.update(progress_message="Checking out files")
            removed = _checkout(git, sandbox, commit)
        make_read_only(sandbox.root)
    except (CloneFailed, GitError) as exc:
        failure = exc if isinstance(exc, CloneFailed) else _from_git_error(exc)
        remove_tree(sandbox.root)
        final = not failure.transient or ctx.attempt >= ctx.max_attempts
        current = job.load()
        if current is not None and current.clone_status not in _GONE:
            status = CloneStatus.FAILED if final else CloneStatus.PENDING
            _record_failure(job, failure, final=final, status=status.value)
        REPO_CLONE_DURATION.labels("failed" if final else "retrying", "unknown").observe(time.monotonic() - started)
        log.warning("repo_clone_failed", repo_id=str(job.repo_id), code=failure.code, error=failure.message)
        if final:
            raise PermanentJobError(failure.message) from None
        raise RuntimeError(failure.message) from None
    size_mb = round(directory_size(sandbox.git_dir) / MB, 2)
    current = job.load()
    if current is None or current.clone_status in _GONE:
        # Disconnected while cloning: the cleanup job may already have run, so remove what we wrote.
        remove_tree(sandbox.root)
        return {"status": "discarded", "reason": "repository disconnected during the clone"}
    job.update(
        clone_status=CloneStatus.COMPLETED.value,
        sandbox_path=str(sandbox.root),
        commit_sha=commit,
        repository_size_mb=size_mb,
        file_count=files,
        progress_message="Repository successfully cloned",
        error_code=None,
        error_message=None,
        last_synced_at=utcnow(),
    )
    REPO_CLONE_DURATION.labels("completed", size_category(size_mb)).observe(time.monotonic() - started)
    _measure_disk(job.settings)
    log.info("repo_cloned", repo_id=str(job.repo_id), commit=commit, size_mb=size_mb, files=files)
    return {
        "status": "completed",
        "commit_sha": commit,
        "size_mb": size_mb,
        "files": files,
        "symlinks_removed": removed,
    }


def sync_repository(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Fetch new commits into a COMPLETED clone and check the branch head out. A failed sync keeps the old clone."""
    job = RepoJob(ctx, _payload_repo_id(payload))
    repository = job.load()
    if repository is None or repository.clone_status in _GONE or repository.sandbox_path is None:
        return {"status": "skipped", "reason": "repository disconnected or never cloned"}
    sandbox = job.sandbox(repository)
    previous = repository.commit_sha
    started = time.monotonic()
    job.update(clone_status=CloneStatus.CLONING.value, progress_message="Fetching new commits", task_id=ctx.job_id)
    make_writable(sandbox.root)
    try:
        with _git(job, job.credentials(), repository) as git:
            commit = _fetch(job, git, repository, sandbox, "Fetching new commits")
            files = repository.file_count
            if commit != previous:
                files = _check_tree(job, git, sandbox, commit)
                _checkout(git, sandbox, commit)
    except (CloneFailed, GitError) as exc:
        failure = exc if isinstance(exc, CloneFailed) else _from_git_error(exc)
        _discard_partial_packs(sandbox)
        make_read_only(sandbox.root)
        final = not failure.transient or ctx.attempt >= ctx.max_attempts
        # The previous checkout is intact: the repository stays usable at its old commit.
        _record_failure(job, failure, final=final, status=CloneStatus.COMPLETED.value)
        REPO_CLONE_DURATION.labels("sync_failed", "unknown").observe(time.monotonic() - started)
        if final:
            raise PermanentJobError(failure.message) from None
        raise RuntimeError(failure.message) from None
    make_read_only(sandbox.root)
    size_mb = round(directory_size(sandbox.git_dir) / MB, 2)
    job.update(
        clone_status=CloneStatus.COMPLETED.value,
        commit_sha=commit,
        repository_size_mb=size_mb,
        file_count=files,
        progress_message="Repository successfully synced" if commit != previous else "Already up to date",
        error_code=None,
        error_message=None,
        last_synced_at=utcnow(),
    )
    REPO_CLONE_DURATION.labels("synced", size_category(size_mb)).observe(time.monotonic() - started)
    return {"status": "completed", "previous_commit_sha": previous, "commit_sha": commit}


def cleanup_repository(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Remove a disconnected repository's sandbox (CLEANING -> CLEANED), and sandboxes no row owns any more."""
    job = RepoJob(ctx, _payload_repo_id(payload))
    repository = job.load()
    if repository is None:
        return {"status": "skipped", "reason": "no such repository"}
    remove_tree(job.sandbox(repository).root)
    job.update(clone_status=CloneStatus.CLEANED.value, sandbox_path=None, progress_message="Repository cleaned up")
    orphans = purge_orphaned_sandboxes(ctx)
    _measure_disk(job.settings)
    return {"status": "cleaned", "orphans_removed": orphans}


def purge_orphaned_sandboxes(ctx: JobContext) -> int:
    """Sandboxes whose repository row is gone (its project was deleted) or CLEANED: removed."""
    base = ctx.runtime.settings.resolved_sandbox_base_path
    if not base.is_dir():
        return 0
    candidates: dict[uuid.UUID, Path] = {}
    for project_dir in base.iterdir():
        if project_dir.name.startswith(".") or not project_dir.is_dir():
            continue
        for repo_dir in project_dir.iterdir():
            try:
                candidates[uuid.UUID(repo_dir.name)] = repo_dir
            except ValueError:
                continue
    if not candidates:
        return 0
    with ctx.session() as session:
        live = _live_repo_ids(session, list(candidates))
    removed = 0
    for repo_id, path in candidates.items():
        if repo_id not in live:
            remove_tree(path)
            removed += 1
    return removed


def _live_repo_ids(session: Session, ids: list[uuid.UUID]) -> set[uuid.UUID]:
    rows = session.scalars(
        select(CodeRepository.id).where(
            CodeRepository.id.in_(ids), CodeRepository.clone_status != CloneStatus.CLEANED.value
        )
    )
    return set(rows)


def _discard_partial_packs(sandbox: SandboxPaths) -> None:
    pack_dir = sandbox.git_dir / "objects" / "pack"
    if pack_dir.is_dir():
        for leftover in pack_dir.glob("tmp_*"):
            leftover.unlink(missing_ok=True)


def _free_bytes(base: Path) -> int:
    import shutil

    base.mkdir(parents=True, exist_ok=True, mode=0o700)
    return shutil.disk_usage(base).free

"""The size pre-check of `POST /code/connect`: no database, runs before anything is stored.

1. `git ls-remote`: access (401 bad token, 404 missing, 502 unreachable) and the branch head.
2. The size, from the cheapest source that knows it:
   - GitHub / GitLab / Bitbucket: the hosting API (nothing is downloaded);
   - a local repository: the size of its object directory (nothing is copied);
   - any other host: a guarded shallow fetch (`--depth=1`) into a temporary directory, killed as
     soon as what it received passes the limit; the tip's pack is a lower bound of the full size.
3. Over `MAX_REPO_SIZE_MB` -> 413. The clone job fetches with the same guard, so a repository whose
   history (not its tip) is too big is stopped there, at the limit, and never downloaded in full.
"""

from __future__ import annotations

import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from trellis.core.config import Settings
from trellis.repos import errors
from trellis.repos.git import (
    FailureKind,
    GitCredentials,
    GitError,
    GitSession,
    directory_size,
    guarded_fetch,
    remote_head,
)
from trellis.repos.metrics import GIT_SIZE_CHECK_DURATION, OVERSIZED_REPO_REJECTIONS
from trellis.repos.sizing import HostingApiRefused, hosted_size
from trellis.repos.urls import GitLocation, Provider

MB = 1024 * 1024
# Room kept free beside a clone: its checkout and git's temporary files.
DISK_HEADROOM_BYTES = 64 * MB


@dataclass(frozen=True)
class PrecheckResult:
    branch: str
    head_sha: str
    estimated_bytes: int | None
    source: str
    seconds: float

    @property
    def estimated_size_mb(self) -> float | None:
        return None if self.estimated_bytes is None else round(self.estimated_bytes / MB, 2)


def raise_for_git_failure(exc: GitError) -> None:
    """Turn a git failure into seed 001's HTTP error (the message is already masked)."""
    kind, message = exc.failure.kind, exc.failure.message
    if kind is FailureKind.AUTH:
        raise errors.RepositoryAuthFailed(
            "The Git host refused the credentials (bad or expired access token, or no access to this repository)."
        ) from None
    if kind is FailureKind.NOT_FOUND:
        raise errors.RepositoryNotFound(f"The repository was not found: {message}") from None
    if kind is FailureKind.TIMEOUT:
        raise errors.GitTimeout(f"The Git host did not answer in time: {message}") from None
    if kind is FailureKind.DISK:
        raise errors.InsufficientStorage("The server ran out of disk space for repositories.") from None
    raise errors.GitNetworkError(f"Could not reach the repository: {message}") from None


def ensure_disk_space(base: Path, needed_bytes: int) -> None:
    base.mkdir(parents=True, exist_ok=True, mode=0o700)
    free = shutil.disk_usage(base).free
    if free < needed_bytes + DISK_HEADROOM_BYTES:
        raise errors.InsufficientStorage(
            f"Not enough free disk space for repositories ({free // MB} MB free, "
            f"{(needed_bytes + DISK_HEADROOM_BYTES) // MB} MB needed).",
            free_mb=free // MB,
        )


def local_objects_size(path: Path) -> int | None:
    """Size of a local repository's object store (`.git/objects`, or `objects` of a bare repository)."""
    for objects in (path / ".git" / "objects", path / "objects"):
        if objects.is_dir() and not objects.is_symlink():
            return directory_size(objects)
    return None


def run_precheck(
    location: GitLocation, credentials: GitCredentials | None, *, settings: Settings, branch: str | None
) -> PrecheckResult:
    started = time.monotonic()
    outcome = "error"
    try:
        result = _precheck(location, credentials, settings=settings, branch=branch, started=started)
        outcome = "accepted"
        return result
    except errors.RepositoryTooLarge:
        outcome = "too_large"
        OVERSIZED_REPO_REJECTIONS.inc()
        raise
    finally:
        GIT_SIZE_CHECK_DURATION.labels(outcome).observe(time.monotonic() - started)


def _precheck(
    location: GitLocation,
    credentials: GitCredentials | None,
    *,
    settings: Settings,
    branch: str | None,
    started: float,
) -> PrecheckResult:
    limit_bytes = settings.max_repo_size_mb * MB
    timeout = float(settings.repo_precheck_timeout_seconds)
    base = settings.resolved_sandbox_base_path
    ensure_disk_space(base, limit_bytes)
    with GitSession(
        credentials=credentials, allow_http=settings.repo_allow_http, allow_file=location.is_local, url=location.url
    ) as git:
        try:
            head = remote_head(git, location.url, branch=branch, timeout=timeout)
        except GitError as exc:
            raise_for_git_failure(exc)
            raise  # unreachable: raise_for_git_failure always raises

        def done(estimated: int | None, source: str) -> PrecheckResult:
            if estimated is not None and estimated > limit_bytes:
                raise errors.RepositoryTooLarge(
                    estimated_size_mb=estimated / MB, limit_mb=settings.max_repo_size_mb, at_least=False
                )
            return PrecheckResult(head.branch, head.sha, estimated, source, time.monotonic() - started)

        if location.provider in (Provider.GITHUB, Provider.GITLAB, Provider.BITBUCKET):
            api_base = {
                Provider.GITHUB: settings.github_api_url,
                Provider.GITLAB: settings.gitlab_api_url,
                Provider.BITBUCKET: settings.bitbucket_api_url,
            }[location.provider]
            try:
                hosted = hosted_size(
                    location, api_base=api_base, token=credentials.token if credentials else None, timeout=timeout
                )
            except HostingApiRefused as exc:
                if exc.status_code == 401:
                    raise errors.RepositoryAuthFailed(
                        f"The {location.provider.value} API refused the access token."
                    ) from None
                raise errors.RepositoryNotFound(
                    f"The {location.provider.value} API does not know this repository (or the token cannot see it)."
                ) from None
            if hosted is not None:
                return done(hosted.bytes, hosted.source)
        if location.is_local and location.local_path is not None:
            size = local_objects_size(location.local_path)
            if size is not None:
                return done(size, "local_objects")
        return _shallow_estimate(git, location, head.branch, head.sha, settings, started)


def _shallow_estimate(
    git: GitSession, location: GitLocation, branch: str, sha: str, settings: Settings, started: float
) -> PrecheckResult:
    limit_bytes = settings.max_repo_size_mb * MB
    scratch = settings.resolved_sandbox_base_path / ".precheck" / uuid.uuid4().hex
    scratch.mkdir(parents=True, mode=0o700)
    try:
        git.run("init", "--quiet", "--bare", str(scratch), timeout=30)
        try:
            fetched = guarded_fetch(
                git,
                git_dir=scratch,
                url=location.url,
                branch=branch,
                limit_bytes=limit_bytes,
                timeout=float(settings.repo_precheck_timeout_seconds),
                depth=1,
            )
        except GitError as exc:
            raise_for_git_failure(exc)
            raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if fetched.over_limit:
        raise errors.RepositoryTooLarge(
            estimated_size_mb=fetched.progress.estimated_total() / MB,
            limit_mb=settings.max_repo_size_mb,
            at_least=True,
        )
    return PrecheckResult(branch, sha, fetched.progress.downloaded, "shallow_fetch", time.monotonic() - started)

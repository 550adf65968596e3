"""Checking a task reported done: sync the repository, re-validate the task's requirements against it, and check
the DoD items Trellis can check. Only an accepted check makes a task done; otherwise it goes to review with the
reasons.

The slow parts (a git fetch, indexing the repository) run outside any database transaction:

    outcome = verify_and_report_done(session_factory, principal=p, project_id=pid, task_id="T-003", note="...")

does (1) read the task, (2) sync the project's repository through the repos domain's sync job and wait for it,
(3) re-validate and check the DoD on the synced clone, (4) record the outcome with `service.report_task_done` in
one short transaction. Callers authorize first (WRITE on the project's workspace). `service.report_task_done`
alone verifies against the clone as it is, inside the caller's transaction (no sync).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from trellis.core.jobs import JobStatus, get_job
from trellis.planning.types import PlannedTask
from trellis.requirements.analysis import RequirementInput
from trellis.validation.engine import validate_repository

if TYPE_CHECKING:
    from trellis.auth.service import Principal

SYNC_WAIT_SECONDS = 300.0
_BUSY = ("PENDING", "CLONING")  # clone statuses that end by themselves


@dataclass(frozen=True)
class Verification:
    accepted: bool
    reasons: list[str]
    checks: list[dict[str, Any]] = field(default_factory=list)  # {item, check, passed, detail}
    commit_sha: str | None = None
    repository: dict[str, Any] | None = None  # {repo_id, synced, message}
    requirements: dict[str, dict[str, Any]] = field(default_factory=dict)  # re-validation per code

    def as_dict(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "reasons": list(self.reasons),
            "checks": list(self.checks),
            "commit_sha": self.commit_sha,
            "repository": self.repository,
            "requirements": dict(self.requirements),
        }


@dataclass(frozen=True)
class Snapshot:
    """The clone to check against: None path when no repository has a finished clone (then `message` says why)."""

    path: Path | None
    commit_sha: str | None
    repository: dict[str, Any] | None


def _inside(root: Path, relative: str) -> Path | None:
    candidate = (root / relative).resolve()
    return candidate if candidate.is_relative_to(root.resolve()) else None


def _revalidate(task: PlannedTask, root: Path) -> dict[str, dict[str, Any]]:
    inputs = [RequirementInput(r.code, r.text, tuple(r.acceptance_criteria)) for r in task.requirements]
    report = validate_repository(root, inputs).as_dict(max_links=5)
    results = {}
    for item in report["requirements"]:
        results[item["code"]] = {
            "status": item["status"],
            "coverage": item["coverage"],
            "criteria_met": item["criteria_met"],
            "criteria_total": item["criteria_total"],
            "missing_terms": item["missing_terms"],
            "files": [link["path"] for link in item["links"] if link["linked"]],
            "tests": [link["path"] for link in item["tests"] if link["linked"]],
        }
    return results


def verify_task(
    task: PlannedTask,
    snapshot: Snapshot,
    dependency_status: Mapping[str, str],
    unresolved: Mapping[str, Sequence[str]] | None = None,
) -> Verification:
    """Check every checkable DoD item of `task` against `snapshot` (and, for `findings_resolved`, the current
    requirements' unresolved findings by code); pure apart from reading the clone's files."""
    checkable = [item for item in task.dod if item.checkable]
    needs_code = any(item.check.split(":", 1)[0] in ("implemented", "test_linked", "file_exists") for item in checkable)
    results: dict[str, dict[str, Any]] = {}
    reasons: list[str] = []
    if needs_code and snapshot.path is not None and task.requirements:
        results = _revalidate(task, snapshot.path)
    checks = []
    for item in checkable:
        kind, _, arg = item.check.partition(":")
        passed: bool | None
        if kind == "dependencies_done":
            waiting = [f"{d} ({dependency_status.get(d, 'pending')})" for d in task.depends_on]
            waiting = [w for d, w in zip(task.depends_on, waiting, strict=True) if dependency_status.get(d) != "done"]
            passed, detail = not waiting, ("all done" if not waiting else "not done yet: " + ", ".join(waiting))
        elif kind == "findings_resolved":
            left = list((unresolved or {}).get(arg, ()))
            passed = not left
            detail = "no open finding left" if passed else "still open: " + ", ".join(sorted(set(left)))
        elif snapshot.path is None:
            passed, detail = False, "no repository with a finished clone is connected to check against"
        elif kind == "implemented":
            found = results.get(arg, {})
            status = found.get("status", "missing")
            passed = status == "implemented"
            detail = f"{status}, coverage {found.get('coverage', 0.0):.0%}"
            if found.get("missing_terms") and not passed:
                detail += "; not found in the code: " + ", ".join(f"'{t}'" for t in found["missing_terms"][:6])
        elif kind == "test_linked":
            tests = results.get(arg, {}).get("tests", [])
            passed, detail = bool(tests), ("linked: " + ", ".join(tests[:3]) if tests else "no test mentions it")
        elif kind == "file_exists":
            target = _inside(snapshot.path, arg)
            passed = target is not None and target.is_file()
            detail = "present" if passed else "not in the repository"
        else:
            passed, detail = None, "Trellis has no check of this kind"
        checks.append({"item": item.text, "check": item.check, "passed": passed, "detail": detail})
        if passed is False:
            reasons.append(f"{item.text} - {detail}")
    if snapshot.path is None and needs_code:
        reasons.insert(0, (snapshot.repository or {}).get("message") or "No repository is connected.")
    if not checkable:
        reasons_ok = ["Nothing in its Definition of Done is checkable by Trellis: accepted on the report."]
        return Verification(True, reasons_ok, [], snapshot.commit_sha, snapshot.repository, results)
    accepted = all(check["passed"] is not False for check in checks)
    return Verification(accepted, reasons, checks, snapshot.commit_sha, snapshot.repository, results)


# ---------------------------------------------------------------- the full flow, outside transactions


def sync_project_repository(
    session_factory: Callable[[], Session],
    *,
    principal: Principal,
    project_id: uuid.UUID,
    timeout: float = SYNC_WAIT_SECONDS,
    read_session_factory: Callable[[], Session] | None = None,
) -> Snapshot:
    """Sync the project's repository (the repos domain's job) and wait for it; the clone as it is afterwards.

    No repository, or none with a finished clone: a Snapshot without a path and the reason. A sync that fails
    keeps the previous checkout (the repos domain's rule), and the snapshot says so.
    """
    from trellis.repos import errors as repos_errors
    from trellis.repos import service as repos_service

    deadline = time.monotonic() + timeout
    reads = read_session_factory or session_factory
    while True:
        # Another report's sync (or the first clone) may be running: wait for it, then sync again, so the check
        # sees every commit made before this report. Sleep with no session open: on SQLite a held write
        # transaction would keep that very sync from finishing.
        with reads() as session:
            try:
                before = repos_service.project_snapshot(session, project_id=project_id)
            except repos_service.RepositoryNotReady as exc:
                if exc.extra.get("clone_status") not in _BUSY or time.monotonic() >= deadline:
                    message = exc.message
                    return Snapshot(
                        None, None, {"repo_id": exc.extra.get("repo_id"), "synced": False, "message": message}
                    )
                before = None
        if before is None:
            time.sleep(0.3)
            continue
        busy: str | None = None
        with session_factory() as session:
            try:
                accepted = repos_service.request_sync(session, principal=principal, repo_id=uuid.UUID(before.repo_id))
                session.commit()
            except repos_errors.RepositoryBusy as exc:
                busy = exc.message
        if busy is None:
            break
        if time.monotonic() >= deadline:
            return Snapshot(
                before.path, before.commit_sha, {"repo_id": before.repo_id, "synced": False, "message": busy}
            )
        time.sleep(0.3)
    job_id = accepted.task_id
    status = None
    while time.monotonic() < deadline:
        with reads() as session:
            job = get_job(session, job_id)
            status = job.status if job else None
        if status in (JobStatus.COMPLETED, JobStatus.FAILED, None):
            break
        time.sleep(0.2)
    after = None
    while after is None:
        with reads() as session:
            try:
                after = repos_service.project_snapshot(session, project_id=project_id)
            except repos_service.RepositoryNotReady as exc:
                # Another report's sync may have started after ours finished: its checkout is at least as new.
                if exc.extra.get("clone_status") not in _BUSY or time.monotonic() >= deadline:
                    return Snapshot(None, None, {"repo_id": before.repo_id, "synced": False, "message": exc.message})
        if after is None:
            time.sleep(0.3)
    synced = status == JobStatus.COMPLETED
    if synced:
        message = (
            f"Synced: {before.commit_sha[:12]} -> {after.commit_sha[:12]}"
            if after.commit_sha != before.commit_sha
            else f"Synced: already at {after.commit_sha[:12]}"
        )
    else:
        message = f"The sync did not finish ({status or 'timed out'}); checked the clone at {after.commit_sha[:12]}"
    return Snapshot(after.path, after.commit_sha, {"repo_id": after.repo_id, "synced": synced, "message": message})


def current_snapshot(session: Session, *, project_id: uuid.UUID) -> Snapshot:
    """The clone as it is, without syncing."""
    from trellis.repos import service as repos_service

    try:
        snap = repos_service.project_snapshot(session, project_id=project_id)
    except repos_service.RepositoryNotReady as exc:
        return Snapshot(None, None, {"repo_id": exc.extra.get("repo_id"), "synced": False, "message": exc.message})
    return Snapshot(
        snap.path, snap.commit_sha, {"repo_id": snap.repo_id, "synced": False, "message": "Not synced before checking"}
    )


def verify_and_report_done(
    session_factory: Callable[[], Session],
    *,
    principal: Principal,
    project_id: uuid.UUID,
    task_id: str,
    note: str | None = None,
    read_session_factory: Callable[[], Session] | None = None,
) -> Verification:
    """The whole done report (see the module docstring); the caller has authorized WRITE on the project.
    `read_session_factory` (the runtime's read sessions) keeps the reads from taking SQLite's write lock."""
    from trellis.planning import service

    with (read_session_factory or session_factory)() as session:
        detail = service.get_task(session, project_id, task_id)  # 404 before any sync
        service.ensure_tracking_allowed(session, project_id)
        statuses = {view.task.id: view.status for view in service.list_tasks(session, project_id)}
        unresolved = service.unresolved_findings(session, project_id)
    snapshot = sync_project_repository(
        session_factory, principal=principal, project_id=project_id, read_session_factory=read_session_factory
    )
    verification = verify_task(detail.task, snapshot, statuses, unresolved)
    with session_factory() as session:
        outcome = service.report_task_done(
            session, project_id, task_id, actor_id=principal.user_id, note=note, verification=verification
        )
        session.commit()
    return outcome

"""Projects: CRUD inside workspaces, and the gateway - the only way a project changes state."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from trellis.audit import service as audit_service
from trellis.core.errors import Conflict, InvalidInput, NotFound
from trellis.projects.models import Project
from trellis.projects.state_machine import Guard, ProjectStatus, Transition, allowed_actions, transition_for
from trellis.workspaces import service as workspaces_service
from trellis.workspaces.permissions import Permission
from trellis.workspaces.service import WorkspaceAccess

if TYPE_CHECKING:
    from trellis.auth.service import Principal


class ProjectNotFound(NotFound):
    code = "project_not_found"


class ProjectNameTaken(Conflict):
    code = "project_name_taken"


class InvalidTransition(Conflict):
    code = "invalid_transition"


class GuardFailed(Conflict):
    code = "transition_guard_failed"


@dataclass(frozen=True)
class ProjectAccess:
    project: Project
    access: WorkspaceAccess


def load_project(
    db_session: Session, *, principal: Principal, project_id: uuid.UUID, permission: Permission
) -> ProjectAccess:
    """The project and the caller's standing; 404 when it does not exist or is in a workspace they are not in."""
    missing = ProjectNotFound(f"Project {project_id} does not exist.", project_id=str(project_id))
    project = db_session.get(Project, project_id)
    if project is None:
        raise missing
    access = workspaces_service.authorize(
        db_session, principal=principal, workspace_id=project.workspace_id, permission=permission, not_found=missing
    )
    return ProjectAccess(project, access)


def create_project(
    db_session: Session,
    *,
    principal: Principal,
    workspace_id: uuid.UUID | None,
    name: str,
    description: str | None,
    metadata: dict[str, Any],
) -> Project:
    if workspace_id is None:
        workspace_id = workspaces_service.personal_workspace_id(db_session, user_id=principal.user_id)
    access = workspaces_service.authorize(
        db_session, principal=principal, workspace_id=workspace_id, permission=Permission.WRITE
    )
    project = Project(
        workspace_id=access.workspace_id,
        name=name.strip(),
        description=description,
        details=metadata,
        created_by=principal.user_id,
        status=ProjectStatus.DRAFT.value,
    )
    try:
        with db_session.begin_nested():
            db_session.add(project)
    except IntegrityError:
        raise ProjectNameTaken(f"A project named {name!r} already exists in this workspace.") from None
    audit_service.record(
        db_session,
        action="project.created",
        user_id=principal.user_id,
        workspace_id=project.workspace_id,
        resource_type="project",
        resource_id=project.id,
        to_state=project.status,
        metadata={"name": project.name},
    )
    return project


def list_projects(
    db_session: Session, *, principal: Principal, workspace_id: uuid.UUID | None, limit: int, offset: int
) -> tuple[list[Project], int]:
    if workspace_id is not None:
        workspaces_service.authorize(
            db_session, principal=principal, workspace_id=workspace_id, permission=Permission.READ
        )
        workspace_ids = [workspace_id]
    else:
        workspace_ids = workspaces_service.member_workspace_ids(db_session, user_id=principal.user_id)
    query = select(Project).where(Project.workspace_id.in_(workspace_ids))
    total = db_session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db_session.scalars(query.order_by(Project.created_at.desc()).limit(limit).offset(offset)).all()
    return list(rows), total


def update_project(db_session: Session, *, target: ProjectAccess, changes: dict[str, Any]) -> Project:
    project = target.project
    if "name" in changes and changes["name"] != project.name:
        raise InvalidInput("A project's name cannot change after creation (seed 000).", code="name_immutable")
    if "description" in changes:
        project.description = changes["description"]
    if "metadata" in changes:
        project.details = changes["metadata"]
    audit_service.record(
        db_session,
        action="project.updated",
        user_id=target.access.user_id,
        workspace_id=project.workspace_id,
        resource_type="project",
        resource_id=project.id,
        metadata={"fields": sorted(changes)},
    )
    return project


def delete_project(db_session: Session, *, target: ProjectAccess) -> None:
    project = target.project
    audit_service.record(
        db_session,
        action="project.deleted",
        user_id=target.access.user_id,
        workspace_id=project.workspace_id,
        resource_type="project",
        resource_id=project.id,
        from_state=project.status,
        metadata={"name": project.name},
    )
    db_session.delete(project)


# ---------------------------------------------------------------- the gateway


@dataclass(frozen=True)
class TransitionResult:
    project_id: uuid.UUID
    action: str
    from_state: str
    to_state: str
    correlation_id: str | None
    request_id: str | None
    allowed_actions: list[str]
    details: dict[str, Any] = field(default_factory=dict)


def apply_transition(
    db_session: Session,
    *,
    target: ProjectAccess,
    action: str,
    correlation_id: str | None = None,
    request_id: str | None = None,
    force: bool = False,
    reason: str | None = None,
) -> TransitionResult:
    """Move the project along seed 000's state machine, checking guards; every step is audited."""
    return _apply_transition(
        db_session,
        project=target.project,
        user_id=target.access.user_id,
        action=action,
        correlation_id=correlation_id,
        request_id=request_id,
        force=force,
        reason=reason,
    )


def apply_job_transition(
    db_session: Session,
    *,
    project_id: uuid.UUID,
    action: str,
    user_id: uuid.UUID | None,
    correlation_id: str | None = None,
    reason: str | None = None,
) -> TransitionResult:
    """The same gateway step for a job handler (authorized when the work was queued), audited as `user_id`'s."""
    project = db_session.get(Project, project_id)
    if project is None:
        raise ProjectNotFound(f"Project {project_id} does not exist.", project_id=str(project_id))
    return _apply_transition(
        db_session, project=project, user_id=user_id, action=action, correlation_id=correlation_id, reason=reason
    )


def _apply_transition(
    db_session: Session,
    *,
    project: Project,
    user_id: uuid.UUID | None,
    action: str,
    correlation_id: str | None = None,
    request_id: str | None = None,
    force: bool = False,
    reason: str | None = None,
) -> TransitionResult:
    current = ProjectStatus(project.status)
    transition = transition_for(action)
    allowed = allowed_actions(current)
    if transition is None or current not in transition.sources:
        what = f"Unknown action {action!r}" if transition is None else f"{transition.action} is not possible"
        raise InvalidTransition(
            f"{what} while the project is {current.value}. Allowed now: {', '.join(allowed) or 'none'}.",
            current_state=current.value,
            allowed_actions=allowed,
        )
    details = _check_guards(db_session, project=project, transition=transition, force=force)
    if transition.target is ProjectStatus.CODE_VALIDATION_REQUESTED:
        from trellis.validation import service as validation_service  # validation calls back into this module

        # Queues the validation job (or re-uses a stored result); refuses with 409 while no clone is finished.
        details.update(
            validation_service.queue_validation(
                db_session, project_id=project.id, requested_by=user_id, correlation_id=correlation_id
            )
        )
    if reason:
        details["reason"] = reason
    project.status = transition.target.value
    audit_service.record(
        db_session,
        action=f"project.{transition.action}",
        user_id=user_id,
        workspace_id=project.workspace_id,
        resource_type="project",
        resource_id=project.id,
        from_state=current.value,
        to_state=project.status,
        correlation_id=correlation_id,
        request_id=request_id,
        metadata={"requested_action": action, **details},
    )
    if transition.target is ProjectStatus.REQS_REFINING:
        from trellis.refinement import service as refinement_service  # refinement calls back into this module

        refinement_service.ensure_open_session(db_session, project_id=project.id)
    return TransitionResult(
        project.id,
        transition.action,
        current.value,
        project.status,
        correlation_id,
        request_id,
        allowed_actions(ProjectStatus(project.status)),
        details,
    )


def _check_guards(db_session: Session, *, project: Project, transition: Transition, force: bool) -> dict[str, Any]:
    from trellis.refinement import service as refinement_service
    from trellis.requirements import service as requirements_service

    details: dict[str, Any] = {}
    for guard in transition.guards:
        if guard is Guard.HAS_REQUIREMENTS:
            if requirements_service.count_requirements(db_session, project_id=project.id) == 0:
                raise GuardFailed(
                    "Add requirements first (POST /api/v1/projects/{id}/requirements/bulk or /import).",
                    guard=guard.value,
                )
        elif guard is Guard.QUALITY_THRESHOLDS:
            analysis = requirements_service.analyze_project(db_session, project_id=project.id)
            forced_by_cap = refinement_service.completion_was_forced(db_session, project_id=project.id)
            if not analysis.meets_thresholds and not forced_by_cap and not force:
                failing = sorted(name for name, ok in analysis.scores.passed().items() if not ok)
                raise GuardFailed(
                    "The requirements do not meet the quality thresholds yet (" + ", ".join(failing) + "). "
                    'Answer the refinement questions (POST /api/v1/projects/{id}/refine), or send "force": true '
                    "to accept them as they are.",
                    guard=guard.value,
                    failing=failing,
                )
            if not analysis.meets_thresholds:
                details["accepted_with_findings"] = sum(len(r.findings) for r in analysis.requirements) + len(
                    analysis.findings
                )
                details["completion"] = "forced_by_round_cap" if forced_by_cap else "forced_by_user"
        elif guard is Guard.REPOSITORY_CONNECTED:
            from trellis.repos import service as repos_service

            if not repos_service.has_connected_repository(db_session, project_id=project.id):
                raise GuardFailed(
                    "No repository is connected to this project (or its clone failed). Connect one first "
                    "(POST /api/v1/code/connect).",
                    guard=guard.value,
                )
        elif guard is Guard.VALIDATION_SCORE:
            from trellis.validation import service as validation_service

            details.update(validation_service.check_validation_score(db_session, project_id=project.id))
        elif guard is Guard.PLAN_COMPLETE:
            from trellis.planning import service as planning_service

            details.update(planning_service.check_plan_complete(db_session, project_id=project.id))
        elif guard is Guard.TASKS_DONE:
            from trellis.planning import service as planning_service

            details.update(planning_service.check_tasks_done(db_session, project_id=project.id))
        elif guard is Guard.PROMPTS_GENERATED:
            from trellis.prompts import service as prompts_service

            details.update(prompts_service.check_prompts_generated(db_session, project_id=project.id))
        else:
            raise GuardFailed(_UNAVAILABLE.get(guard, f"The {guard.value} check is not available."), guard=guard.value)
    return details


# Guards whose data arrives with later features: refused with a message saying what is missing.
_UNAVAILABLE: dict[Guard, str] = {}


def project_status(db_session: Session, *, target: ProjectAccess) -> dict[str, Any]:
    from trellis.refinement import service as refinement_service
    from trellis.requirements import service as requirements_service

    project = target.project
    analysis = requirements_service.analyze_project(db_session, project_id=project.id)
    by_category: dict[str, int] = {}
    for finding in [f for r in analysis.requirements for f in r.findings] + list(analysis.findings):
        by_category[finding.category] = by_category.get(finding.category, 0) + 1
    sessions = refinement_service.list_sessions(db_session, project_id=project.id)
    refinement = None
    if sessions:
        latest, questions = sessions[0]
        refinement = {
            "session_id": str(latest.id),
            "status": latest.status,
            "round": latest.round_number,
            "open_questions": sum(q.status == "open" for q in questions),
        }
    return {
        "project_id": project.id,
        "status": project.status,
        "allowed_actions": allowed_actions(ProjectStatus(project.status)),
        "requirements": len(analysis.requirements),
        "requirements_meeting_thresholds": sum(r.scores.meets_thresholds for r in analysis.requirements),
        "findings": sum(by_category.values()),
        "findings_by_category": by_category,
        "scores": requirements_service.scores_as_dict(analysis.scores),
        "meets_thresholds": analysis.meets_thresholds,
        "refinement": refinement,
    }


def project_audit(db_session: Session, *, target: ProjectAccess, limit: int, offset: int) -> tuple[list[Any], int]:
    return audit_service.list_records(
        db_session, resource_type="project", resource_id=str(target.project.id), limit=limit, offset=offset
    )

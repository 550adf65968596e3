"""Workflows: CRUD inside workspaces, a version per change, diff and restore, import/export,
status (publishing syncs cron schedules), duplicate, and the webhook secret."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from croniter import croniter
from sqlalchemy import ColumnElement, cast, delete, exists, func, or_, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from trellis.audit import service as audit_service
from trellis.auth.service import Principal
from trellis.core.crypto import open_secret, seal_secret
from trellis.core.db import utcnow
from trellis.core.errors import Conflict, InvalidInput, NotFound
from trellis.core.key_providers import current_key_provider
from trellis.engine.graph import InvalidWorkflowGraph, WorkflowGraph, parse_graph
from trellis.workflows.diff import diff_versions
from trellis.workflows.models import Workflow, WorkflowSchedule, WorkflowStatus, WorkflowVersion
from trellis.workspaces import service as workspaces_service
from trellis.workspaces.permissions import Permission
from trellis.workspaces.service import WorkspaceAccess

_CONTENT_FIELDS = ("name", "description", "nodes", "connections", "settings", "tags")


class WorkflowNotFound(NotFound):
    code = "workflow_not_found"


class InvalidWorkflow(InvalidInput):
    code = "invalid_workflow"


class WorkflowNotRunnable(Conflict):
    code = "workflow_not_runnable"


@dataclass(frozen=True)
class WorkflowAccess:
    workflow: Workflow
    access: WorkspaceAccess


def load_workflow(
    db_session: Session, *, principal: Principal, workflow_id: uuid.UUID, permission: Permission
) -> WorkflowAccess:
    """The workflow and the caller's standing; 404 when missing or in a workspace they are not in."""
    missing = WorkflowNotFound(f"Workflow {workflow_id} does not exist.", workflow_id=str(workflow_id))
    workflow = db_session.get(Workflow, workflow_id)
    if workflow is None:
        raise missing
    access = workspaces_service.authorize(
        db_session, principal=principal, workspace_id=workflow.workspace_id, permission=permission, not_found=missing
    )
    return WorkflowAccess(workflow, access)


def check_graph(nodes: list[dict[str, Any]], connections: list[dict[str, Any]]) -> WorkflowGraph | None:
    """The parsed graph (None for an empty canvas); InvalidWorkflow naming each bad node otherwise."""
    if not nodes and not connections:
        return None
    try:
        return parse_graph(nodes, connections)
    except InvalidWorkflowGraph as exc:
        raise InvalidWorkflow(
            f"The workflow graph is invalid ({len(exc.problems)} problem(s)).",
            problems=[problem.as_dict() for problem in exc.problems],
        ) from None


def create_workflow(
    db_session: Session,
    *,
    principal: Principal,
    workspace_id: uuid.UUID | None,
    content: dict[str, Any],
    is_public: bool = False,
    parent_workflow_id: uuid.UUID | None = None,
    change_note: str | None = None,
) -> Workflow:
    if workspace_id is None:
        workspace_id = workspaces_service.personal_workspace_id(db_session, user_id=principal.user_id)
    access = workspaces_service.authorize(
        db_session, principal=principal, workspace_id=workspace_id, permission=Permission.WRITE
    )
    check_graph(content["nodes"], content["connections"])
    workflow = Workflow(
        workspace_id=access.workspace_id,
        user_id=principal.user_id,
        status=WorkflowStatus.DRAFT.value,
        is_public=is_public,
        version=1,
        parent_workflow_id=parent_workflow_id,
        **{field: content[field] for field in _CONTENT_FIELDS},
    )
    db_session.add(workflow)
    db_session.flush()
    _save_version(db_session, workflow, principal, change_note or "created")
    _audit(db_session, "workflow.created", workflow, principal, {"name": workflow.name})
    return workflow


def list_workflows(
    db_session: Session,
    *,
    principal: Principal,
    workspace_id: uuid.UUID | None,
    status: str | None,
    tag: str | None,
    search: str | None,
    limit: int,
    offset: int,
) -> tuple[list[Workflow], int]:
    if workspace_id is not None:
        workspaces_service.authorize(
            db_session, principal=principal, workspace_id=workspace_id, permission=Permission.READ
        )
        workspace_ids = [workspace_id]
    else:
        workspace_ids = workspaces_service.member_workspace_ids(db_session, user_id=principal.user_id)
    query = select(Workflow).where(Workflow.workspace_id.in_(workspace_ids))
    if status:
        query = query.where(Workflow.status == status)
    if search:
        pattern = "%" + search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            or_(
                func.lower(Workflow.name).like(pattern, escape="\\"),
                func.lower(Workflow.description).like(pattern, escape="\\"),
            )
        )
    if tag:
        query = query.where(_has_tag(db_session, tag))
    total = db_session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = query.order_by(Workflow.updated_at.desc(), Workflow.id).limit(limit).offset(offset)
    return list(db_session.scalars(page).all()), total


def _has_tag(db_session: Session, tag: str) -> ColumnElement[bool]:
    """Tags are a JSON list (portable across both databases); each database tests membership its own way."""
    if db_session.get_bind().dialect.name == "postgresql":
        return cast(Workflow.tags, JSONB).contains([tag])
    members = func.json_each(Workflow.tags).table_valued("value")
    return exists(select(1).select_from(members).where(members.c.value == tag))


def update_workflow(
    db_session: Session, *, target: WorkflowAccess, content: dict[str, Any], change_note: str | None
) -> Workflow:
    workflow = target.workflow
    check_graph(content["nodes"], content["connections"])
    if workflow.status == WorkflowStatus.PUBLISHED.value and not content["nodes"]:
        raise InvalidWorkflow("A published workflow needs nodes; set it back to draft first.")
    if all(getattr(workflow, field) == content[field] for field in _CONTENT_FIELDS):
        return workflow
    for field in _CONTENT_FIELDS:
        setattr(workflow, field, content[field])
    workflow.version += 1
    workflow.updated_at = utcnow()
    _save_version(db_session, workflow, target.access.principal, change_note)
    if workflow.status == WorkflowStatus.PUBLISHED.value:
        sync_schedules(db_session, workflow)
    _audit(db_session, "workflow.updated", workflow, target.access.principal, {"version": workflow.version})
    return workflow


def delete_workflow(db_session: Session, *, target: WorkflowAccess) -> None:
    workflow = target.workflow
    _audit(db_session, "workflow.deleted", workflow, target.access.principal, {"name": workflow.name})
    db_session.delete(workflow)


def set_status(db_session: Session, *, target: WorkflowAccess, status: str) -> Workflow:
    workflow = target.workflow
    if status == WorkflowStatus.PUBLISHED.value:
        graph = check_graph(workflow.nodes, workflow.connections)
        if graph is None:
            raise InvalidWorkflow("An empty workflow cannot be published; add a trigger and nodes first.")
    previous = workflow.status
    workflow.status = status
    workflow.updated_at = utcnow()
    sync_schedules(db_session, workflow)
    audit_service.record(
        db_session,
        action="workflow.status_changed",
        user_id=target.access.principal.user_id,
        workspace_id=workflow.workspace_id,
        resource_type="workflow",
        resource_id=workflow.id,
        from_state=previous,
        to_state=status,
    )
    return workflow


def duplicate_workflow(db_session: Session, *, target: WorkflowAccess) -> Workflow:
    source = target.workflow
    content = {field: getattr(source, field) for field in _CONTENT_FIELDS}
    content["name"] = f"Copy of {source.name}"[:255]
    return create_workflow(
        db_session,
        principal=target.access.principal,
        workspace_id=source.workspace_id,
        content=content,
        parent_workflow_id=source.id,
        change_note=f"duplicated from {source.id} v{source.version}",
    )


def list_versions(db_session: Session, *, target: WorkflowAccess) -> list[WorkflowVersion]:
    query = select(WorkflowVersion).where(WorkflowVersion.workflow_id == target.workflow.id)
    return list(db_session.scalars(query.order_by(WorkflowVersion.version.desc())).all())


def get_version(db_session: Session, *, workflow_id: uuid.UUID, version: int) -> WorkflowVersion:
    row = db_session.scalar(
        select(WorkflowVersion).where(WorkflowVersion.workflow_id == workflow_id, WorkflowVersion.version == version)
    )
    if row is None:
        raise WorkflowNotFound(f"Workflow {workflow_id} has no version {version}.", version=version)
    return row


def diff(db_session: Session, *, target: WorkflowAccess, from_version: int, to_version: int) -> dict[str, Any]:
    old = get_version(db_session, workflow_id=target.workflow.id, version=from_version)
    new = get_version(db_session, workflow_id=target.workflow.id, version=to_version)
    return {"from_version": from_version, "to_version": to_version, **diff_versions(snapshot(old), snapshot(new))}


def restore_version(db_session: Session, *, target: WorkflowAccess, version: int) -> Workflow:
    old = get_version(db_session, workflow_id=target.workflow.id, version=version)
    return update_workflow(db_session, target=target, content=snapshot(old), change_note=f"restored version {version}")


def snapshot(row: Workflow | WorkflowVersion) -> dict[str, Any]:
    return {field: getattr(row, field) for field in _CONTENT_FIELDS}


def export_workflow(target: WorkflowAccess) -> dict[str, Any]:
    return {"format": "trellis.workflow/v1", **snapshot(target.workflow)}


# ---------------------------------------------------------------- schedules (cron triggers)


def sync_schedules(db_session: Session, workflow: Workflow) -> None:
    """Published workflows have one schedule row per cron node; anything else has none."""
    db_session.execute(delete(WorkflowSchedule).where(WorkflowSchedule.workflow_id == workflow.id))
    if workflow.status != WorkflowStatus.PUBLISHED.value:
        return
    now = utcnow()
    for node in workflow.nodes:
        if node.get("type") != "cron":
            continue
        config = node.get("config", {})
        timezone = config.get("timezone", "UTC")
        db_session.add(
            WorkflowSchedule(
                workflow_id=workflow.id,
                node_id=node["id"],
                cron=config["cron"],
                timezone=timezone,
                next_fire_at=next_slot(config["cron"], timezone, now),
            )
        )


def next_slot(cron: str, timezone: str, after: datetime) -> datetime:
    local = after.astimezone(ZoneInfo(timezone))
    following: datetime = croniter(cron, local).get_next(datetime)
    return following.astimezone(ZoneInfo("UTC"))


# ---------------------------------------------------------------- webhooks


def webhook_secret(db_session: Session, *, target: WorkflowAccess, rotate: bool = False) -> str:
    workflow = target.workflow
    context = f"workflow-webhook:{workflow.id}"
    if workflow.webhook_secret is None or rotate:
        secret = "whsec_" + secrets.token_urlsafe(32)
        workflow.webhook_secret = seal_secret(secret, context=context, provider=current_key_provider())
        _audit(db_session, "workflow.webhook_secret_rotated", workflow, target.access.principal, {})
        return secret
    return open_secret(workflow.webhook_secret, context=context, provider=current_key_provider())


def webhook_secret_for_delivery(workflow: Workflow) -> str | None:
    if workflow.webhook_secret is None:
        return None
    return open_secret(
        workflow.webhook_secret, context=f"workflow-webhook:{workflow.id}", provider=current_key_provider()
    )


# ---------------------------------------------------------------- helpers


def _save_version(db_session: Session, workflow: Workflow, principal: Principal, note: str | None) -> None:
    db_session.add(
        WorkflowVersion(
            workflow_id=workflow.id,
            version=workflow.version,
            change_note=note,
            created_by=principal.user_id,
            **snapshot(workflow),
        )
    )


def _audit(
    db_session: Session, action: str, workflow: Workflow, principal: Principal, metadata: dict[str, Any]
) -> None:
    audit_service.record(
        db_session,
        action=action,
        user_id=principal.user_id,
        workspace_id=workflow.workspace_id,
        resource_type="workflow",
        resource_id=workflow.id,
        metadata=metadata,
    )

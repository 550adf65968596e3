"""Executions (seed 004): start, list, read, node runs, logs, cancel, retry, re-run, approvals;
webhook deliveries; and the live WebSocket `/ws/executions/{id}`."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, WebSocket, WebSocketDisconnect
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from trellis.auth.dependencies import CurrentPrincipal
from trellis.core.db import Db, ReadDb
from trellis.core.errors import InvalidInput, TrellisError
from trellis.core.events import register_topic_authorizer
from trellis.core.runtime import current_runtime
from trellis.executions import events, runner, service
from trellis.executions.events import execution_topic
from trellis.executions.schemas import (
    ApprovalDecision,
    ExecutionList,
    ExecutionLogList,
    ExecutionLogRead,
    ExecutionRead,
    ExecutionStart,
    ExecutionStarted,
    NodeExecutionList,
    NodeExecutionRead,
    RerunRequest,
)
from trellis.realtime.router import UNAUTHENTICATED_CLOSE_CODE, sign_in_websocket
from trellis.workflows import service as workflows_service
from trellis.workspaces.permissions import Permission

router = APIRouter(tags=["executions"])


@router.post("/executions", response_model=ExecutionStarted, status_code=202)
async def start_execution(
    body: ExecutionStart, principal: CurrentPrincipal, db: Db, response: Response
) -> ExecutionStarted:
    execution = await db.run(
        lambda s: ExecutionStarted.model_validate(
            service.start_manual(
                s,
                principal=principal,
                workflow_id=body.workflow_id,
                trigger_type=body.trigger_type,
                trigger_data=body.trigger_data,
                trigger_node_id=body.trigger_node_id,
            ),
            from_attributes=True,
        )
    )
    response.headers["Location"] = f"/api/v1/executions/{execution.id}"
    return execution


@router.get("/executions", response_model=ExecutionList)
async def list_executions(
    principal: CurrentPrincipal,
    db: ReadDb,
    workflow_id: uuid.UUID | None = None,
    status: str | None = Query(None, max_length=50),
    workspace_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> ExecutionList:
    def load(s: Session) -> ExecutionList:
        rows, total = service.list_executions(
            s,
            principal=principal,
            workflow_id=workflow_id,
            status=status,
            workspace_id=workspace_id,
            limit=limit,
            offset=offset,
        )
        return ExecutionList(
            items=[ExecutionRead.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
        )

    return await db.run(load)


@router.get("/executions/{execution_id}", response_model=ExecutionRead)
async def read_execution(execution_id: uuid.UUID, principal: CurrentPrincipal, db: ReadDb) -> ExecutionRead:
    return await db.run(
        lambda s: ExecutionRead.model_validate(
            service.load_execution(
                s, principal=principal, execution_id=execution_id, permission=Permission.READ
            ).execution
        )
    )


@router.get("/executions/{execution_id}/nodes", response_model=NodeExecutionList)
async def execution_nodes(execution_id: uuid.UUID, principal: CurrentPrincipal, db: ReadDb) -> NodeExecutionList:
    def load(s: Session) -> NodeExecutionList:
        service.load_execution(s, principal=principal, execution_id=execution_id, permission=Permission.READ)
        return NodeExecutionList(
            items=[NodeExecutionRead.model_validate(r) for r in service.node_runs(s, execution_id=execution_id)]
        )

    return await db.run(load)


@router.get("/executions/{execution_id}/logs", response_model=ExecutionLogList)
async def execution_logs(
    execution_id: uuid.UUID,
    principal: CurrentPrincipal,
    db: ReadDb,
    after_id: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> ExecutionLogList:
    def load(s: Session) -> ExecutionLogList:
        service.load_execution(s, principal=principal, execution_id=execution_id, permission=Permission.READ)
        rows = service.logs(s, execution_id=execution_id, after_id=after_id, limit=limit)
        return ExecutionLogList(
            items=[ExecutionLogRead.model_validate(r) for r in rows], next_after_id=rows[-1].id if rows else after_id
        )

    return await db.run(load)


@router.post("/executions/{execution_id}/cancel", response_model=ExecutionRead)
async def cancel_execution(execution_id: uuid.UUID, principal: CurrentPrincipal, db: Db) -> ExecutionRead:
    cancelled = await db.run(
        lambda s: ExecutionRead.model_validate(service.cancel(s, target=_write(s, principal, execution_id)))
    )
    if cancelled.status == "cancelled":
        # A running execution announces its own end when its job stops; a pending or waiting one ends here.
        events.publish(current_runtime(), str(execution_id), "status_change", status="cancelled")
    return cancelled


@router.post("/executions/{execution_id}/retry", response_model=ExecutionRead, status_code=202)
async def retry_execution(execution_id: uuid.UUID, principal: CurrentPrincipal, db: Db) -> ExecutionRead:
    return await db.run(
        lambda s: ExecutionRead.model_validate(service.retry(s, target=_write(s, principal, execution_id)))
    )


@router.post("/executions/{execution_id}/rerun", response_model=ExecutionRead, status_code=202)
async def rerun_execution(
    execution_id: uuid.UUID, body: RerunRequest, principal: CurrentPrincipal, db: Db
) -> ExecutionRead:
    def rerun(s: Session) -> ExecutionRead:
        target = _write(s, principal, execution_id)
        execution = target.execution
        version = workflows_service.get_version(
            s, workflow_id=execution.workflow_id, version=execution.workflow_version
        )
        if body.from_node not in {node["id"] for node in version.nodes}:
            raise InvalidInput(f"Workflow version {version.version} has no node {body.from_node!r}.")
        checkpoint_id = runner.checkpoint_before_node(
            current_runtime(), execution, version.nodes, version.connections, body.from_node
        )
        return ExecutionRead.model_validate(
            service.rerun(s, target=target, from_node=body.from_node, checkpoint_id=checkpoint_id)
        )

    return await db.run(rerun)


@router.post("/executions/{execution_id}/approve", response_model=ExecutionRead, status_code=202)
async def approve(
    execution_id: uuid.UUID, body: ApprovalDecision, principal: CurrentPrincipal, db: Db
) -> ExecutionRead:
    return await db.run(lambda s: _decide(s, principal, execution_id, body, approved=True))


@router.post("/executions/{execution_id}/reject", response_model=ExecutionRead, status_code=202)
async def reject(execution_id: uuid.UUID, body: ApprovalDecision, principal: CurrentPrincipal, db: Db) -> ExecutionRead:
    return await db.run(lambda s: _decide(s, principal, execution_id, body, approved=False))


def _decide(
    s: Session, principal: Any, execution_id: uuid.UUID, body: ApprovalDecision, *, approved: bool
) -> ExecutionRead:
    execution = service.decide_approval(
        s, target=_write(s, principal, execution_id), node_id=body.node_id, approved=approved, comment=body.comment
    )
    return ExecutionRead.model_validate(execution)


def _write(s: Session, principal: Any, execution_id: uuid.UUID) -> service.ExecutionAccess:
    return service.load_execution(s, principal=principal, execution_id=execution_id, permission=Permission.WRITE)


# ---------------------------------------------------------------- webhooks (no user auth: HMAC)


@router.post("/hooks/{workflow_id}/{node_id}", status_code=202, tags=["webhooks"])
async def webhook_delivery(workflow_id: uuid.UUID, node_id: str, request: Request, db: Db) -> dict[str, Any]:
    body = await request.body()
    try:
        parsed: Any = json.loads(body) if body else None
    except json.JSONDecodeError:
        parsed = body.decode("utf-8", errors="replace")
    safe_headers = {k: v for k, v in request.headers.items() if k.lower() not in ("authorization", "cookie")}
    payload = {"body": parsed, "headers": safe_headers, "query": dict(request.query_params)}
    execution = await db.run(
        lambda s: service.deliver_webhook(
            s,
            workflow_id=workflow_id,
            node_id=node_id,
            body=body,
            timestamp=request.headers.get("x-trellis-timestamp"),
            signature=request.headers.get("x-trellis-signature"),
            payload=payload,
        )
    )
    if execution is None:
        return {"status": "duplicate", "execution_id": None}
    return {"status": "accepted", "execution_id": str(execution.id)}


# ---------------------------------------------------------------- live progress


async def _may_see_execution_topic(principal: Any, topic: str) -> bool:
    if principal is None:
        return False
    try:
        execution_id = uuid.UUID(topic.split(".")[1])
    except (IndexError, ValueError):
        return False
    return await run_in_threadpool(_can_read, principal, execution_id)


def _can_read(principal: Any, execution_id: uuid.UUID) -> bool:
    with current_runtime().database.read_session_factory() as session:
        try:
            service.load_execution(session, principal=principal, execution_id=execution_id, permission=Permission.READ)
        except TrellisError:
            return False
    return True


register_topic_authorizer("executions.", _may_see_execution_topic)


@router.websocket("/ws/executions/{execution_id}")
async def execution_stream(websocket: WebSocket, execution_id: uuid.UUID) -> None:
    """A snapshot of every node's state, then seed 004's messages as they happen."""
    await websocket.accept()
    principal = await sign_in_websocket(websocket)
    if principal is None or not await run_in_threadpool(_can_read, principal, execution_id):
        await websocket.send_json(
            {
                "type": "error",
                "error": "not_found_or_unauthenticated",
                "message": "Sign in with ?access_token=... and use an execution you can see.",
            }
        )
        await websocket.close(code=UNAUTHENTICATED_CLOSE_CODE)
        return
    bus = websocket.app.state.runtime.events
    # Subscribe before reading the snapshot so nothing that happens in between is missed.
    subscription = await bus.subscribe([execution_topic(str(execution_id))])
    try:
        await websocket.send_json(await run_in_threadpool(_snapshot, principal, execution_id))
        forward = asyncio.create_task(_forward(websocket, subscription))
        try:
            while True:
                if _is_ping(await websocket.receive_text()):
                    await websocket.send_json({"type": "pong"})
        except WebSocketDisconnect:
            pass
        finally:
            forward.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await forward
    finally:
        bus.unsubscribe(subscription)


def _is_ping(raw: str) -> bool:
    try:
        message = json.loads(raw)
    except json.JSONDecodeError:
        return raw.strip() == "ping"
    return isinstance(message, dict) and message.get("action") == "ping"


def _snapshot(principal: Any, execution_id: uuid.UUID) -> dict[str, Any]:
    with current_runtime().database.read_session_factory() as session:
        execution = service.load_execution(
            session, principal=principal, execution_id=execution_id, permission=Permission.READ
        ).execution
        return {
            "type": "snapshot",
            "execution_id": str(execution.id),
            "status": execution.status,
            "run": execution.run,
            "nodes": service.node_snapshot(session, execution=execution),
        }


async def _forward(websocket: WebSocket, subscription: Any) -> None:
    async for event in subscription:
        await websocket.send_json(event["data"])

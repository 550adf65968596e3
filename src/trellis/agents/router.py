"""`/api/v1/agents` (seed 004): list, create, read, update (PUT), delete, and `POST /agents/{id}/test`."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.orm import Session

from trellis.agents import service
from trellis.agents.schemas import (
    AgentCreate,
    AgentList,
    AgentRead,
    AgentTestRequest,
    AgentTestResult,
    AgentType,
    AgentUpdate,
)
from trellis.auth.dependencies import CurrentPrincipal
from trellis.core.db import Db, ReadDb
from trellis.workspaces.permissions import Permission

router = APIRouter(prefix="/agents", tags=["agents"])

_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such agent, or not in your workspaces."}}
_WRITE: dict[int | str, dict[str, Any]] = {
    **_NOT_FOUND,
    403: {"description": "Viewers (and read-only tokens) cannot change or run agents."},
}


@router.get("", response_model=AgentList)
async def list_agents(
    principal: CurrentPrincipal,
    db: ReadDb,
    workspace_id: uuid.UUID | None = None,
    type: AgentType | None = None,
    workflow_id: uuid.UUID | None = None,
    node_id: str | None = None,
    q: Annotated[str | None, Query(max_length=200, description="Part of the name or model.")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> AgentList:
    """Agents of one workspace, or of every workspace you are a member of."""

    def load(s: Session) -> AgentList:
        agents, total = service.list_agents(
            s,
            principal=principal,
            workspace_id=workspace_id,
            agent_type=type,
            workflow_id=workflow_id,
            node_id=node_id,
            search=q,
            limit=limit,
            offset=offset,
        )
        return AgentList(items=[AgentRead.model_validate(a) for a in agents], total=total, limit=limit, offset=offset)

    return await db.run(load)


@router.post("", response_model=AgentRead, status_code=201, responses=_WRITE)
async def create_agent(body: AgentCreate, principal: CurrentPrincipal, response: Response, db: Db) -> AgentRead:
    created = await db.run(lambda s: AgentRead.model_validate(service.create_agent(s, principal=principal, data=body)))
    response.headers["Location"] = f"/api/v1/agents/{created.id}"
    return created


@router.get("/{agent_id}", response_model=AgentRead, responses=_NOT_FOUND)
async def read_agent(agent_id: uuid.UUID, principal: CurrentPrincipal, db: ReadDb) -> AgentRead:
    return await db.run(
        lambda s: AgentRead.model_validate(
            service.load_agent(s, principal=principal, agent_id=agent_id, permission=Permission.READ).agent
        )
    )


@router.put("/{agent_id}", response_model=AgentRead, responses=_WRITE)
async def update_agent(agent_id: uuid.UUID, body: AgentUpdate, principal: CurrentPrincipal, db: Db) -> AgentRead:
    """Fields sent replace the stored ones; fields left out keep their values."""
    changes = body.model_dump(mode="json", exclude_unset=True)
    return await db.run(
        lambda s: AgentRead.model_validate(
            service.update_agent(
                s,
                target=service.load_agent(s, principal=principal, agent_id=agent_id, permission=Permission.WRITE),
                changes=changes,
            )
        )
    )


@router.delete("/{agent_id}", status_code=204, response_class=Response, responses=_WRITE)
async def delete_agent(agent_id: uuid.UUID, principal: CurrentPrincipal, db: Db) -> Response:
    await db.run(
        lambda s: service.delete_agent(
            s, target=service.load_agent(s, principal=principal, agent_id=agent_id, permission=Permission.WRITE)
        )
    )
    return Response(status_code=204)


@router.post(
    "/{agent_id}/test",
    response_model=AgentTestResult,
    responses={
        **_WRITE,
        422: {"description": "No LLM provider or model configured (`llm_not_configured`: the message says how)."},
        502: {"description": "The provider failed (rate limit, bad key, unknown model...); the message is masked."},
    },
)
async def test_agent(
    agent_id: uuid.UUID, body: AgentTestRequest, principal: CurrentPrincipal, request: Request, db: Db
) -> AgentTestResult:
    """Run the agent once on `input` through its provider: the answer, tool calls, usage and cost."""
    settings = request.app.state.settings
    plan = await db.run(
        lambda s: service.plan_test(
            s,
            target=service.load_agent(s, principal=principal, agent_id=agent_id, permission=Permission.WRITE),
            settings=settings,
            use_tools=body.use_tools,
        )
    )
    result = await service.run_test(plan, user_input=body.input)
    await db.run(lambda s: service.record_test(s, agent_id=agent_id, user_id=principal.user_id, result=result))
    return result

"""Agents: CRUD scoped to workspaces, and test runs through the agent's resolved LLM provider.

Authorization follows projects: a missing agent and one in a workspace the caller is not in
are the same 404; viewers read, editors and up write (and run tests, which cost money).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from trellis.agents.models import Agent
from trellis.agents.schemas import (
    AgentCreate,
    AgentTestCall,
    AgentTestResult,
    AgentTestToolCall,
    AgentTestUsage,
    McpTools,
)
from trellis.audit import service as audit_service
from trellis.auth.service import Principal
from trellis.core.config import Settings
from trellis.core.errors import InvalidInput, NotFound
from trellis.credentials import service as credentials_service
from trellis.credentials.models import CredentialKind
from trellis.llm.agent import AgentRun, EventCallback, run_agent
from trellis.llm.resolution import resolve_model, resolve_provider
from trellis.llm.toolsets import CombinedToolSet
from trellis.llm.types import ChatMessage, LLMProvider, ToolSet
from trellis.workspaces import service as workspaces_service
from trellis.workspaces.permissions import Permission
from trellis.workspaces.service import WorkspaceAccess

# Columns an update may set, by API field name (`metadata` is stored in `details`).
_UPDATABLE = {
    "name": "name",
    "workflow_id": "workflow_id",
    "node_id": "node_id",
    "type": "type",
    "system_prompt": "system_prompt",
    "model": "model",
    "temperature": "temperature",
    "max_tokens": "max_tokens",
    "max_tool_depth": "max_tool_depth",
    "tools": "tools",
    "permissions": "permissions",
    "memory_config": "memory_config",
    "sub_agents": "sub_agents",
    "metadata": "details",
    "provider": "provider",
    "credential_id": "credential_id",
    "base_url": "base_url",
}


class AgentNotFound(NotFound):
    code = "agent_not_found"


@dataclass(frozen=True)
class AgentAccess:
    agent: Agent
    access: WorkspaceAccess


def load_agent(
    db_session: Session, *, principal: Principal, agent_id: uuid.UUID, permission: Permission
) -> AgentAccess:
    missing = AgentNotFound(f"Agent {agent_id} does not exist.", agent_id=str(agent_id))
    agent = db_session.get(Agent, agent_id)
    if agent is None:
        raise missing
    access = workspaces_service.authorize(
        db_session, principal=principal, workspace_id=agent.workspace_id, permission=permission, not_found=missing
    )
    return AgentAccess(agent, access)


def _check_credential(db_session: Session, workspace_id: uuid.UUID, credential_id: uuid.UUID | None) -> None:
    if credential_id is None:
        return
    try:
        credential = credentials_service.get_credential(
            db_session, workspace_id=workspace_id, credential_id=credential_id
        )
    except NotFound:
        raise InvalidInput(
            f"credential_id {credential_id} is not a credential of this workspace.",
            code="credential_not_found",
            field="credential_id",
        ) from None
    if credential.kind not in (CredentialKind.LLM_API_KEY, CredentialKind.GENERIC):
        raise InvalidInput(
            f"Credential {credential.name!r} is a {credential.kind.value} credential; an agent needs llm_api_key.",
            code="wrong_credential_kind",
            field="credential_id",
        )


def _check_sub_agents(
    db_session: Session, workspace_id: uuid.UUID, sub_agents: list[uuid.UUID], agent_id: uuid.UUID | None
) -> None:
    if agent_id is not None and agent_id in sub_agents:
        raise InvalidInput("An agent cannot be its own sub-agent.", code="invalid_sub_agents", field="sub_agents")
    if not sub_agents:
        return
    found = set(
        db_session.scalars(select(Agent.id).where(Agent.id.in_(sub_agents), Agent.workspace_id == workspace_id))
    )
    unknown = [str(sub) for sub in sub_agents if sub not in found]
    if unknown:
        raise InvalidInput(
            f"These sub_agents are not agents of this workspace: {', '.join(unknown)}.",
            code="invalid_sub_agents",
            field="sub_agents",
        )


def _audit(db_session: Session, action: str, agent: Agent, user_id: uuid.UUID, **metadata: Any) -> None:
    audit_service.record(
        db_session,
        action=action,
        user_id=user_id,
        workspace_id=agent.workspace_id,
        resource_type="agent",
        resource_id=agent.id,
        metadata={"name": agent.name, **metadata},
    )


def create_agent(db_session: Session, *, principal: Principal, data: AgentCreate) -> Agent:
    workspace_id = data.workspace_id or workspaces_service.personal_workspace_id(db_session, user_id=principal.user_id)
    access = workspaces_service.authorize(
        db_session, principal=principal, workspace_id=workspace_id, permission=Permission.WRITE
    )
    _check_credential(db_session, access.workspace_id, data.credential_id)
    _check_sub_agents(db_session, access.workspace_id, data.sub_agents, None)
    values = data.model_dump(mode="json", exclude={"workspace_id", "metadata"})
    values["workflow_id"] = data.workflow_id
    values["credential_id"] = data.credential_id
    agent = Agent(workspace_id=access.workspace_id, created_by=principal.user_id, details=data.metadata, **values)
    db_session.add(agent)
    db_session.flush()
    _audit(db_session, "agent.created", agent, principal.user_id, provider=agent.provider, model=agent.model)
    return agent


def list_agents(
    db_session: Session,
    *,
    principal: Principal,
    workspace_id: uuid.UUID | None,
    agent_type: str | None,
    workflow_id: uuid.UUID | None,
    node_id: str | None,
    search: str | None,
    limit: int,
    offset: int,
) -> tuple[list[Agent], int]:
    if workspace_id is not None:
        workspaces_service.authorize(
            db_session, principal=principal, workspace_id=workspace_id, permission=Permission.READ
        )
        workspace_ids = [workspace_id]
    else:
        workspace_ids = workspaces_service.member_workspace_ids(db_session, user_id=principal.user_id)
    query = select(Agent).where(Agent.workspace_id.in_(workspace_ids))
    if agent_type is not None:
        query = query.where(Agent.type == agent_type)
    if workflow_id is not None:
        query = query.where(Agent.workflow_id == workflow_id)
    if node_id is not None:
        query = query.where(Agent.node_id == node_id)
    if search:
        pattern = f"%{search.strip().lower()}%"
        query = query.where(or_(func.lower(Agent.name).like(pattern), func.lower(Agent.model).like(pattern)))
    total = db_session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db_session.scalars(query.order_by(Agent.created_at.desc(), Agent.id).limit(limit).offset(offset)).all()
    return list(rows), total


def update_agent(db_session: Session, *, target: AgentAccess, changes: dict[str, Any]) -> Agent:
    """`changes` is the PUT body with only the fields the caller sent (JSON-ready values)."""
    agent = target.agent
    if "name" in changes and not (changes["name"] or "").strip():
        raise InvalidInput("name must not be blank.", code="validation_error", field="name")
    if "credential_id" in changes:
        credential_id = changes["credential_id"]
        _check_credential(db_session, agent.workspace_id, uuid.UUID(credential_id) if credential_id else None)
    if "sub_agents" in changes:
        _check_sub_agents(db_session, agent.workspace_id, [uuid.UUID(s) for s in changes["sub_agents"]], agent.id)
    for field, value in changes.items():
        if field in ("workflow_id", "credential_id") and value is not None:
            value = uuid.UUID(value)
        if field == "name":
            value = value.strip()
        setattr(agent, _UPDATABLE[field], value)
    db_session.flush()
    _audit(db_session, "agent.updated", agent, target.access.user_id, fields=sorted(changes))
    return agent


def delete_agent(db_session: Session, *, target: AgentAccess) -> None:
    agent = target.agent
    _audit(db_session, "agent.deleted", agent, target.access.user_id)
    db_session.delete(agent)
    db_session.flush()


# ---------------------------------------------------------------- test runs


@dataclass(frozen=True)
class AgentPlan:
    """Everything a run needs, resolved inside the database transaction; the run itself happens outside it."""

    agent_id: uuid.UUID
    workspace_id: uuid.UUID
    provider: LLMProvider
    model: str
    system_prompt: str | None
    temperature: float | None
    max_tokens: int | None
    max_tool_depth: int
    mcp_servers: list[tuple[Any, list[str] | None]]


def agent_in_workspace(db_session: Session, *, workspace_id: uuid.UUID, agent_id: uuid.UUID) -> Agent:
    """For the engine (which has already authorized the run): the agent, if it is in that workspace."""
    agent = db_session.get(Agent, agent_id)
    if agent is None or agent.workspace_id != workspace_id:
        raise AgentNotFound(f"Agent {agent_id} does not exist in this workspace.", agent_id=str(agent_id))
    return agent


def plan_test(db_session: Session, *, target: AgentAccess, settings: Settings, use_tools: bool) -> AgentPlan:
    return plan_run(db_session, agent=target.agent, settings=settings, use_tools=use_tools)


def plan_run(
    db_session: Session, *, agent: Agent, settings: Settings | None = None, use_tools: bool = True
) -> AgentPlan:
    """Resolve provider, model and MCP servers inside the transaction; `run_plan` then runs outside it.

    Raises LLMNotConfigured (422, how-to message), InvalidInput, CredentialNotFound, McpServerNotFound.
    """
    provider = resolve_provider(
        db_session,
        workspace_id=agent.workspace_id,
        provider=agent.provider,
        credential_id=agent.credential_id,
        base_url=agent.base_url,
        settings=settings,
    )
    servers: list[tuple[Any, list[str] | None]] = []
    if use_tools and agent.tools:
        # Imported here: MCP is an optional neighbour, loaded only by agents that use its tools.
        from trellis.mcp import service as mcp_service

        for entry in agent.tools:
            ref = McpTools.model_validate(entry)
            config = mcp_service.load_server_config(
                db_session, workspace_id=agent.workspace_id, server_id=ref.server_id
            )
            servers.append((config, ref.tools))
    return AgentPlan(
        agent_id=agent.id,
        workspace_id=agent.workspace_id,
        provider=provider,
        model=resolve_model(agent.model, settings=settings),
        system_prompt=agent.system_prompt,
        temperature=agent.temperature,
        max_tokens=agent.max_tokens,
        max_tool_depth=agent.max_tool_depth,
        mcp_servers=servers,
    )


async def _toolset(plan: AgentPlan) -> ToolSet | None:
    if not plan.mcp_servers:
        return None
    from trellis.mcp.toolset import McpToolSet

    toolsets: list[ToolSet] = [
        await McpToolSet.connect([config], allowed=allowed) for config, allowed in plan.mcp_servers
    ]
    return CombinedToolSet(toolsets)


def summarize_run(plan: AgentPlan, run: AgentRun, duration_ms: int) -> AgentTestResult:
    last = run.calls[-1]
    return AgentTestResult(
        agent_id=plan.agent_id,
        answer=run.text,
        provider=last.provider,
        model=last.model,
        stopped=run.stopped,
        tool_calls=[
            AgentTestToolCall(
                name=t.name,
                arguments=t.arguments,
                result=t.result,
                is_error=t.is_error,
                depth=t.depth,
                duration_ms=t.duration_ms,
            )
            for t in run.tool_calls
        ],
        calls=[
            AgentTestCall(
                model=c.model,
                provider=c.provider,
                input_tokens=c.usage.input_tokens,
                output_tokens=c.usage.output_tokens,
                cost_usd=c.cost_usd,
                duration_ms=c.duration_ms,
                finish_reason=c.finish_reason,
            )
            for c in run.calls
        ],
        usage=AgentTestUsage(
            input_tokens=run.usage.input_tokens,
            output_tokens=run.usage.output_tokens,
            total_tokens=run.usage.total_tokens,
        ),
        cost_usd=run.cost_usd,
        duration_ms=duration_ms,
    )


async def run_plan(
    plan: AgentPlan,
    *,
    user_input: str | None,
    messages: Sequence[ChatMessage] = (),
    stream: bool = False,
    on_event: EventCallback | None = None,
) -> AgentRun:
    """Run a planned agent (no database access here): its MCP tools connected, bounded tool depth."""
    return await run_agent(
        plan.provider,
        model=plan.model,
        system_prompt=plan.system_prompt,
        user_input=user_input,
        messages=messages,
        tools=await _toolset(plan),
        temperature=plan.temperature,
        max_tokens=plan.max_tokens,
        max_tool_depth=plan.max_tool_depth,
        stream=stream,
        on_event=on_event,
    )


async def run_test(plan: AgentPlan, *, user_input: str) -> AgentTestResult:
    """Run the agent once on `user_input` and summarize it for the API."""
    started = time.perf_counter()
    run = await run_plan(plan, user_input=user_input)
    return summarize_run(plan, run, round((time.perf_counter() - started) * 1000))


def record_test(db_session: Session, *, agent_id: uuid.UUID, user_id: uuid.UUID, result: AgentTestResult) -> None:
    agent = db_session.get(Agent, agent_id)
    if agent is None:  # deleted while it ran: nothing to attach the record to
        return
    _audit(
        db_session,
        "agent.tested",
        agent,
        user_id,
        model=result.model,
        input_tokens=result.usage.input_tokens,
        output_tokens=result.usage.output_tokens,
        cost_usd=result.cost_usd,
        tool_calls=len(result.tool_calls),
    )

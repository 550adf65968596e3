"""Agent: runs a workspace agent (its LLM provider, model, prompt and MCP tools) on a rendered prompt.

Tool calls iterate up to the agent's `max_tool_depth`. Usage, cost and every model call are
stored on the node run. Without a configured provider the node fails permanently with a
message saying how to configure one.
"""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import Field

from trellis.engine.nodes.base import NodeConfig, NodeContext, NodeResult, NodeType


class AgentNodeConfig(NodeConfig):
    agent_id: uuid.UUID = Field(description="An agent of this workspace (/api/v1/agents).")
    prompt: str = Field(default="{{ input }}", max_length=100_000, description="The user message (template).")


async def run(context: NodeContext, config: AgentNodeConfig) -> NodeResult:
    # Imported here: the engine's registry loads without the LLM stack until an agent node runs.
    from trellis.agents import service as agents_service

    with context.runtime.database.read_session_factory() as session:
        agent = agents_service.agent_in_workspace(
            session, workspace_id=uuid.UUID(context.workspace_id), agent_id=config.agent_id
        )
        plan = agents_service.plan_run(session, agent=agent, settings=context.runtime.settings)
    prompt = context.render(config.prompt)
    run_result = await agents_service.run_plan(plan, user_input=prompt if isinstance(prompt, str) else str(prompt))
    usage = run_result.usage.model_dump()
    output: dict[str, Any] = {
        "text": run_result.text,
        "tool_calls": [call.model_dump(mode="json") for call in run_result.tool_calls],
        "usage": usage,
        "cost_usd": run_result.cost_usd,
    }
    details = {
        "agent_id": str(config.agent_id),
        "model": plan.model,
        "usage": usage,
        "cost_usd": run_result.cost_usd,
        "llm_calls": [call.model_dump(mode="json") for call in run_result.calls],
        "tool_depth": run_result.tool_depth,
    }
    return NodeResult(output=output, details=details)


NODE = NodeType(
    type="agent",
    category="agent",
    description="Runs an agent (LLM with tools); output: text, tool_calls, usage, cost_usd.",
    config_model=AgentNodeConfig,
    run=run,
    side_effects=True,
)

"""Agent API shapes (seed 004 fields, plus where the agent's LLM comes from)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

AgentType = Literal["agent", "trigger", "action", "logic", "integration"]
ProviderName = Literal["openai", "anthropic", "ollama"]


class McpTools(BaseModel):
    """Tools of one registered MCP server; `tools` narrows to some of them (plain or `server__tool` names)."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["mcp"] = "mcp"
    server_id: uuid.UUID
    tools: list[str] | None = Field(None, description="Only these tools. Unset: all the server's tools.")


class AgentFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    workflow_id: uuid.UUID | None = Field(None, description="The workflow this agent belongs to, if any.")
    node_id: str | None = Field(None, max_length=255, description="Its node in that workflow, if any.")
    type: AgentType = "agent"
    system_prompt: str | None = Field(None, max_length=100_000)
    model: str | None = Field(None, max_length=100, description="Unset: TRELLIS_LLM_MODEL.")
    temperature: float | None = Field(None, ge=0, le=2)
    max_tokens: int | None = Field(None, ge=1, le=1_000_000)
    max_tool_depth: int = Field(8, ge=0, le=50, description="Most rounds of tool calls in one run.")
    tools: list[McpTools] = Field(default_factory=list)
    permissions: dict[str, Any] = Field(default_factory=dict)
    memory_config: dict[str, Any] = Field(default_factory=dict)
    sub_agents: list[uuid.UUID] = Field(default_factory=list, description="Agents of the same workspace.")
    metadata: dict[str, Any] = Field(default_factory=dict)
    provider: ProviderName | None = Field(
        None, description="openai (any OpenAI-compatible server), anthropic or ollama. Unset: TRELLIS_LLM_PROVIDER."
    )
    credential_id: uuid.UUID | None = Field(None, description="Workspace credential (kind llm_api_key) with the key.")
    base_url: str | None = Field(None, max_length=500, description="Self-hosted endpoint, e.g. http://ollama:11434.")

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not value.strip().startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value.strip().rstrip("/")


class AgentCreate(AgentFields):
    name: str = Field(min_length=1, max_length=255)
    workspace_id: uuid.UUID | None = Field(None, description="Default: your personal workspace.")

    @field_validator("name")
    @classmethod
    def _clean_name(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()


class AgentUpdate(AgentFields):
    """PUT body: the fields sent replace the stored ones; fields left out keep their values."""

    name: str | None = Field(None, min_length=1, max_length=255)


class AgentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    workspace_id: uuid.UUID
    workflow_id: uuid.UUID | None
    node_id: str | None
    name: str
    type: str
    system_prompt: str | None
    model: str | None
    temperature: float | None
    max_tokens: int | None
    max_tool_depth: int
    tools: list[dict[str, Any]]
    permissions: dict[str, Any]
    memory_config: dict[str, Any]
    sub_agents: list[uuid.UUID]
    metadata: dict[str, Any] = Field(validation_alias="details")
    provider: str | None
    credential_id: uuid.UUID | None
    base_url: str | None
    created_by: uuid.UUID | None
    created_at: datetime
    updated_at: datetime


class AgentList(BaseModel):
    items: list[AgentRead]
    total: int
    limit: int
    offset: int


class AgentTestRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    input: str = Field(min_length=1, max_length=100_000, description="The user message to answer.")
    use_tools: bool = Field(True, description="Give the agent its MCP tools (needs the servers reachable).")


class AgentTestToolCall(BaseModel):
    name: str
    arguments: dict[str, Any]
    result: str
    is_error: bool
    depth: int
    duration_ms: int


class AgentTestCall(BaseModel):
    model: str
    provider: str
    input_tokens: int
    output_tokens: int
    cost_usd: float | None
    duration_ms: int
    finish_reason: str


class AgentTestUsage(BaseModel):
    input_tokens: int
    output_tokens: int
    total_tokens: int


class AgentTestResult(BaseModel):
    agent_id: uuid.UUID
    answer: str
    provider: str
    model: str
    stopped: Literal["final_answer", "max_tool_depth"]
    tool_calls: list[AgentTestToolCall]
    calls: list[AgentTestCall]
    usage: AgentTestUsage
    cost_usd: float | None = Field(description="USD from the price table; null when a model has no price.")
    duration_ms: int

"""The LLM interfaces every other module codes against: messages, tools, completions, errors.

Adapters (openai_compatible, anthropic, ollama) translate these to and from each provider's
wire format; the agent loop and the workflow engine only ever see these types. Everything
here is plain data (pydantic, JSON-serializable with `model_dump(mode="json")`) so the engine
can store it per node execution.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from trellis.core.errors import TrellisError

Role = Literal["system", "user", "assistant", "tool"]


class ToolCall(BaseModel):
    """A tool invocation the model asked for. `id` pairs it with the tool result message."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)


class ChatMessage(BaseModel):
    """One conversation turn.

    - system / user: `content` is the text.
    - assistant: `content` is the text (may be empty) and `tool_calls` what it asked to run.
    - tool: `content` is the tool's result, `tool_call_id` the `ToolCall.id` it answers
      (`name` is the tool name; Ollama's native API wants it).
    """

    model_config = ConfigDict(frozen=True)

    role: Role
    content: str = ""
    tool_calls: list[ToolCall] = Field(default_factory=list)
    tool_call_id: str | None = None
    name: str | None = None

    @classmethod
    def system(cls, content: str) -> ChatMessage:
        return cls(role="system", content=content)

    @classmethod
    def user(cls, content: str) -> ChatMessage:
        return cls(role="user", content=content)

    @classmethod
    def assistant(cls, content: str = "", tool_calls: Sequence[ToolCall] = ()) -> ChatMessage:
        return cls(role="assistant", content=content, tool_calls=list(tool_calls))

    @classmethod
    def tool_result(cls, call: ToolCall, content: str) -> ChatMessage:
        return cls(role="tool", content=content, tool_call_id=call.id, name=call.name)


class ToolSpec(BaseModel):
    """A tool the model may call; `input_schema` is a JSON Schema object for its arguments."""

    model_config = ConfigDict(frozen=True)

    name: str
    description: str = ""
    input_schema: dict[str, Any] = Field(default_factory=lambda: {"type": "object", "properties": {}})


class Usage(BaseModel):
    input_tokens: int = 0
    output_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
        )


FinishReason = Literal["stop", "tool_calls", "length", "content_filter", "other"]


class Completion(BaseModel):
    """The result of one model call.

    `cost_usd` comes from the configured price table (`TRELLIS_LLM_PRICES`); None when the
    model is not in it. `request_id` is the provider's request id header when it sent one.
    """

    text: str = ""
    tool_calls: list[ToolCall] = Field(default_factory=list)
    usage: Usage = Field(default_factory=Usage)
    cost_usd: float | None = None
    model: str
    provider: str
    finish_reason: FinishReason = "stop"
    request_id: str | None = None

    def as_message(self) -> ChatMessage:
        """The assistant turn to append to the conversation before sending tool results."""
        return ChatMessage.assistant(self.text, self.tool_calls)


class StreamChunk(BaseModel):
    """One piece of a streamed completion.

    - `text_delta`: text to append as it arrives.
    - `tool_call`: set once a tool call is complete (its streamed argument fragments joined
      and parsed), so consumers never see half a JSON document.
    - the last chunk has `done=True` and carries the whole `completion` (text, tool calls,
      usage, cost), identical to what `complete` would have returned.
    """

    text_delta: str = ""
    tool_call: ToolCall | None = None
    done: bool = False
    completion: Completion | None = None


@runtime_checkable
class LLMProvider(Protocol):
    """A configured connection to one provider endpoint (base URL + credential).

    `timeout` is seconds for the whole call (per attempt); None uses the provider default
    (`TRELLIS_LLM_TIMEOUT_SECONDS`). Both methods raise `LLMError` subclasses only.
    """

    name: str

    async def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        model: str,
        tools: Sequence[ToolSpec] | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
        timeout: float | None = None,
    ) -> Completion: ...

    def stream(
        self,
        messages: Sequence[ChatMessage],
        *,
        model: str,
        tools: Sequence[ToolSpec] | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
        timeout: float | None = None,
    ) -> AsyncIterator[StreamChunk]: ...


@runtime_checkable
class ToolSet(Protocol):
    """Tools an agent can use (MCP tools, built-ins). `call` returns the result as text.

    `call` raises `ToolError` for a failure the model should see and may recover from
    (bad arguments, tool-side error); the agent loop sends its message back as the result.
    """

    def specs(self) -> list[ToolSpec]: ...

    async def call(self, name: str, arguments: dict[str, Any]) -> str: ...


class ToolError(Exception):
    """A tool failed in a way worth telling the model (it becomes the tool result text)."""


class LLMError(TrellisError):
    """Any failure talking to a model provider. Messages never contain credentials.

    `transient` is True for failures worth retrying later (rate limits, 5xx, timeouts,
    connection errors) and False for ones that will fail again (bad request, bad key,
    unknown model). The engine's retry policy reads it.
    """

    status_code = 502
    code = "llm_provider_error"
    # Set by `run_agent` when it fails part-way: the calls made so far (usage, cost) for the record.
    partial_run: Any = None

    def __init__(
        self,
        message: str,
        *,
        transient: bool,
        provider: str | None = None,
        status: int | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message, code=code, provider=provider, upstream_status=status, transient=transient)
        self.transient = transient
        self.provider = provider
        self.status = status


class LLMRateLimited(LLMError):
    code = "llm_rate_limited"


class LLMTimeout(LLMError):
    code = "llm_timeout"


class LLMAuthenticationFailed(LLMError):
    code = "llm_authentication_failed"


class LLMBadRequest(LLMError):
    code = "llm_bad_request"


class LLMModelNotFound(LLMError):
    code = "llm_model_not_found"


class LLMNotConfigured(TrellisError):
    """No provider could be resolved. The message says exactly how to configure one."""

    status_code = 422
    code = "llm_not_configured"

    transient = False


class AgentToolDepthExceeded(LLMError):
    """The model kept calling tools past the agent's bounded depth."""

    status_code = 422
    code = "agent_tool_depth_exceeded"

    def __init__(self, message: str) -> None:
        super().__init__(message, transient=False)

"""The agent loop: ask the model, run the tools it calls, feed the results back, to a bounded depth.

No database here: the caller (the agent test endpoint, the engine's agent node) passes a
resolved provider and a tool set, and stores what comes back. Every model call is recorded
(model, usage, cost, duration) so the engine can keep them per node execution, and usage
and cost add up across the calls of a run.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Literal

import structlog
from pydantic import BaseModel, Field

from trellis.core.masking import mask_text
from trellis.llm.types import (
    AgentToolDepthExceeded,
    ChatMessage,
    Completion,
    FinishReason,
    LLMError,
    LLMProvider,
    ToolCall,
    ToolError,
    ToolSet,
    ToolSpec,
    Usage,
)

log = structlog.get_logger("trellis.llm.agent")

DEFAULT_MAX_TOOL_DEPTH = 8
# Tool output beyond this is cut: a huge page or file would blow the context window and the bill.
MAX_TOOL_RESULT_CHARS = 20_000


class LLMCallRecord(BaseModel):
    """One model call of a run, as the engine stores it."""

    model: str
    provider: str
    usage: Usage
    cost_usd: float | None
    duration_ms: int
    finish_reason: FinishReason
    request_id: str | None = None
    tool_calls: list[str] = Field(default_factory=list, description="Names of the tools this call asked for.")


class ToolInvocation(BaseModel):
    id: str
    name: str
    arguments: dict[str, Any]
    result: str
    is_error: bool = False
    duration_ms: int = 0
    depth: int = Field(description="The tool round it ran in, from 1.")


class AgentEvent(BaseModel):
    """Progress for live views: llm_call, text_delta, tool_call, tool_result."""

    type: Literal["llm_call", "text_delta", "tool_call", "tool_result"]
    data: dict[str, Any] = Field(default_factory=dict)


class AgentRun(BaseModel):
    text: str = Field("", description="The final answer.")
    messages: list[ChatMessage] = Field(default_factory=list, description="The whole conversation, answer included.")
    tool_calls: list[ToolInvocation] = Field(default_factory=list)
    calls: list[LLMCallRecord] = Field(default_factory=list)
    usage: Usage = Field(default_factory=Usage)
    cost_usd: float | None = Field(None, description="Sum over the calls; None if any call's model has no price.")
    tool_depth: int = Field(0, description="Tool rounds used.")
    stopped: Literal["final_answer", "max_tool_depth"] = "final_answer"

    def add_call(self, record: LLMCallRecord) -> None:
        self.calls.append(record)
        self.usage = self.usage + record.usage
        costs = [call.cost_usd for call in self.calls]
        self.cost_usd = None if any(cost is None for cost in costs) else round(sum(c for c in costs if c), 12)


EventCallback = Callable[[AgentEvent], Awaitable[None] | None]


async def _emit(on_event: EventCallback | None, event: AgentEvent) -> None:
    if on_event is None:
        return
    outcome = on_event(event)
    if inspect.isawaitable(outcome):
        await outcome


async def _call_model(
    provider: LLMProvider,
    messages: list[ChatMessage],
    *,
    model: str,
    tools: list[ToolSpec] | None,
    temperature: float | None,
    max_tokens: int | None,
    timeout: float | None,
    stream: bool,
    on_event: EventCallback | None,
) -> Completion:
    if not stream:
        return await provider.complete(
            messages, model=model, tools=tools, temperature=temperature, max_tokens=max_tokens, timeout=timeout
        )
    final: Completion | None = None
    async for chunk in provider.stream(
        messages, model=model, tools=tools, temperature=temperature, max_tokens=max_tokens, timeout=timeout
    ):
        if chunk.text_delta:
            await _emit(on_event, AgentEvent(type="text_delta", data={"text": chunk.text_delta}))
        if chunk.done:
            final = chunk.completion
    if final is None:
        raise LLMError("the model's stream ended without a final message", transient=True, provider=provider.name)
    return final


async def _run_tool(tools: ToolSet | None, call: ToolCall, known: set[str]) -> tuple[str, bool]:
    """The tool's text result, and whether it is an error. Errors go back to the model, which may recover."""
    if tools is None or call.name not in known:
        return f"Error: there is no tool named {call.name!r}. Available: {', '.join(sorted(known)) or 'none'}.", True
    try:
        result = await tools.call(call.name, call.arguments)
    except ToolError as exc:
        return f"Error: {mask_text(str(exc))}", True
    except Exception as exc:
        # A transient infrastructure failure (an MCP server that is down) fails the run so the
        # engine's retry policy applies; anything else is a broken tool the model is told about.
        if getattr(exc, "transient", False):
            raise
        log.warning("agent.tool_failed", tool=call.name, error_type=type(exc).__name__)
        return f"Error: tool {call.name!r} failed ({type(exc).__name__}: {mask_text(str(exc))[:500]})", True
    if len(result) > MAX_TOOL_RESULT_CHARS:
        result = result[:MAX_TOOL_RESULT_CHARS] + f"\n[truncated: {len(result)} characters in all]"
    return result, False


async def run_agent(
    provider: LLMProvider,
    *,
    model: str,
    system_prompt: str | None = None,
    user_input: str | None = None,
    messages: Sequence[ChatMessage] = (),
    tools: ToolSet | None = None,
    temperature: float | None = None,
    max_tokens: int | None = None,
    max_tool_depth: int = DEFAULT_MAX_TOOL_DEPTH,
    on_depth_exceeded: Literal["finish", "fail"] = "finish",
    timeout: float | None = None,
    stream: bool = False,
    on_event: EventCallback | None = None,
) -> AgentRun:
    """Run one agent turn to its final answer.

    The conversation is `system_prompt` (if any), then `messages` (earlier turns, if any), then
    `user_input` (if any). The model may call tools up to `max_tool_depth` rounds. When it asks
    for more: with `on_depth_exceeded="finish"` each further call is answered "not run, limit
    reached" and the model gets one last call to answer with what it has (`stopped` is
    `max_tool_depth`); with `"fail"`, or if it still asks for tools then, `AgentToolDepthExceeded`.

    Errors are `LLMError`s (with `transient`); `partial_run` on them holds the calls made so far.
    """
    if max_tool_depth < 0:
        raise ValueError("max_tool_depth must be >= 0")
    conversation: list[ChatMessage] = []
    if system_prompt:
        conversation.append(ChatMessage.system(system_prompt))
    conversation.extend(messages)
    if user_input:
        conversation.append(ChatMessage.user(user_input))
    specs = tools.specs() if tools is not None else []
    known = {spec.name for spec in specs}
    run = AgentRun()
    limit_reached = False
    try:
        while True:
            started = time.perf_counter()
            completion = await _call_model(
                provider,
                conversation,
                model=model,
                tools=specs or None,
                temperature=temperature,
                max_tokens=max_tokens,
                timeout=timeout,
                stream=stream,
                on_event=on_event,
            )
            record = LLMCallRecord(
                model=completion.model,
                provider=completion.provider,
                usage=completion.usage,
                cost_usd=completion.cost_usd,
                duration_ms=round((time.perf_counter() - started) * 1000),
                finish_reason=completion.finish_reason,
                request_id=completion.request_id,
                tool_calls=[call.name for call in completion.tool_calls],
            )
            run.add_call(record)
            await _emit(on_event, AgentEvent(type="llm_call", data=record.model_dump(mode="json")))
            conversation.append(completion.as_message())
            if not completion.tool_calls:
                run.text = completion.text
                run.stopped = "max_tool_depth" if limit_reached else "final_answer"
                break
            if limit_reached or (run.tool_depth >= max_tool_depth and on_depth_exceeded == "fail"):
                raise AgentToolDepthExceeded(
                    f"The agent kept calling tools after {run.tool_depth} rounds; its limit is "
                    f"max_tool_depth={max_tool_depth}. Raise the limit or tell the agent to answer sooner."
                )
            if run.tool_depth >= max_tool_depth:
                # Every tool call needs an answer before the model may speak again (all three APIs insist).
                limit_reached = True
                notice = (
                    f"Not run: the limit of {max_tool_depth} tool rounds is reached. "
                    "Answer now with what you have, without calling tools."
                )
                conversation.extend(ChatMessage.tool_result(call, notice) for call in completion.tool_calls)
                continue
            run.tool_depth += 1
            for call in completion.tool_calls:
                await _emit(on_event, AgentEvent(type="tool_call", data=call.model_dump(mode="json")))
                tool_started = time.perf_counter()
                result, is_error = await _run_tool(tools, call, known)
                invocation = ToolInvocation(
                    id=call.id,
                    name=call.name,
                    arguments=call.arguments,
                    result=result,
                    is_error=is_error,
                    duration_ms=round((time.perf_counter() - tool_started) * 1000),
                    depth=run.tool_depth,
                )
                run.tool_calls.append(invocation)
                await _emit(on_event, AgentEvent(type="tool_result", data=invocation.model_dump(mode="json")))
                conversation.append(ChatMessage.tool_result(call, result))
    except LLMError as exc:
        run.messages = conversation
        exc.partial_run = run
        raise
    run.messages = conversation
    return run

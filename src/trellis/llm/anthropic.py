"""Anthropic's Messages API (`POST <base_url>/v1/messages`, `anthropic-version: 2023-06-01`).

Differences from OpenAI's format handled here: system prompts are a top-level field, tool
results are `tool_result` blocks inside a user turn, turns must alternate (consecutive
same-role turns are merged), `max_tokens` is required, and tool inputs are JSON objects
(streamed as `input_json_delta` fragments).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from trellis.llm.http import HttpProvider, iter_sse, parse_tool_arguments
from trellis.llm.types import (
    ChatMessage,
    Completion,
    FinishReason,
    LLMError,
    StreamChunk,
    ToolCall,
    ToolSpec,
    Usage,
)

ANTHROPIC_BASE_URL = "https://api.anthropic.com"
ANTHROPIC_VERSION = "2023-06-01"
# The API insists on max_tokens; this is used when the agent sets none.
DEFAULT_MAX_TOKENS = 4096

_STOP_REASONS: dict[str, FinishReason] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "tool_use": "tool_calls",
    "max_tokens": "length",
    "refusal": "content_filter",
}


def _blocks(message: ChatMessage) -> list[dict[str, Any]]:
    if message.role == "tool":
        return [{"type": "tool_result", "tool_use_id": message.tool_call_id or "", "content": message.content}]
    blocks: list[dict[str, Any]] = []
    if message.content:
        blocks.append({"type": "text", "text": message.content})
    for call in message.tool_calls:
        blocks.append({"type": "tool_use", "id": call.id, "name": call.name, "input": call.arguments})
    return blocks


def to_wire_messages(messages: Sequence[ChatMessage]) -> tuple[str | None, list[dict[str, Any]]]:
    """(system prompt, alternating user/assistant turns with content blocks)."""
    system = "\n\n".join(m.content for m in messages if m.role == "system" and m.content) or None
    turns: list[dict[str, Any]] = []
    for message in messages:
        if message.role == "system":
            continue
        role = "assistant" if message.role == "assistant" else "user"
        blocks = _blocks(message)
        if not blocks:
            continue
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": role, "content": blocks})
    return system, turns


def to_wire_tool(spec: ToolSpec) -> dict[str, Any]:
    return {"name": spec.name, "description": spec.description, "input_schema": spec.input_schema}


def _usage(data: dict[str, Any] | None) -> Usage:
    data = data or {}
    # Cached prompt tokens are billed as input too; count them so cost is not understated.
    input_tokens = sum(
        int(data.get(key) or 0) for key in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
    )
    return Usage(input_tokens=input_tokens, output_tokens=int(data.get("output_tokens") or 0))


@dataclass
class _PartialBlock:
    kind: str
    id: str = ""
    name: str = ""
    parts: list[str] = field(default_factory=list)


class AnthropicProvider(HttpProvider):
    name = "anthropic"

    def _headers(self) -> dict[str, str]:
        headers = super()._headers()
        headers["anthropic-version"] = ANTHROPIC_VERSION
        if self._api_key:
            headers["x-api-key"] = self._api_key
        return headers

    def _request_id(self, headers: httpx.Headers) -> str | None:
        value: str | None = headers.get("request-id") or headers.get("x-request-id")
        return value

    def _payload(
        self,
        messages: Sequence[ChatMessage],
        *,
        model: str,
        tools: Sequence[ToolSpec] | None,
        temperature: float | None,
        max_tokens: int | None,
        stream: bool,
    ) -> dict[str, Any]:
        system, turns = to_wire_messages(messages)
        payload: dict[str, Any] = {
            "model": model,
            "messages": turns,
            "max_tokens": max_tokens if max_tokens is not None else DEFAULT_MAX_TOKENS,
        }
        if system:
            payload["system"] = system
        if tools:
            payload["tools"] = [to_wire_tool(spec) for spec in tools]
        if temperature is not None:
            payload["temperature"] = temperature
        if stream:
            payload["stream"] = True
        return payload

    async def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        model: str,
        tools: Sequence[ToolSpec] | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
        timeout: float | None = None,
    ) -> Completion:
        payload = self._payload(
            messages, model=model, tools=tools, temperature=temperature, max_tokens=max_tokens, stream=False
        )
        data, request_id = await self._post_json("/v1/messages", payload, model=model, timeout=timeout)
        text: list[str] = []
        tool_calls: list[ToolCall] = []
        for block in data.get("content") or []:
            if block.get("type") == "text":
                text.append(block.get("text") or "")
            elif block.get("type") == "tool_use":
                name = str(block.get("name") or "")
                tool_calls.append(
                    ToolCall(
                        id=str(block.get("id") or f"toolu_{len(tool_calls)}"),
                        name=name,
                        arguments=parse_tool_arguments(block.get("input"), provider=self.name, tool=name),
                    )
                )
        usage = _usage(data.get("usage"))
        answered_model = str(data.get("model") or model)
        return Completion(
            text="".join(text),
            tool_calls=tool_calls,
            usage=usage,
            cost_usd=self.cost(answered_model, usage),
            model=answered_model,
            provider=self.name,
            finish_reason=_STOP_REASONS.get(str(data.get("stop_reason")), "other"),
            request_id=request_id or data.get("id"),
        )

    async def stream(
        self,
        messages: Sequence[ChatMessage],
        *,
        model: str,
        tools: Sequence[ToolSpec] | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
        timeout: float | None = None,
    ) -> AsyncIterator[StreamChunk]:
        payload = self._payload(
            messages, model=model, tools=tools, temperature=temperature, max_tokens=max_tokens, stream=True
        )
        text: list[str] = []
        blocks: dict[int, _PartialBlock] = {}
        tool_calls: list[ToolCall] = []
        input_usage: dict[str, Any] = {}
        output_tokens = 0
        stop_reason: str | None = None
        answered_model = model
        request_id: str | None = None
        async with self._open_stream("/v1/messages", payload, model=model, timeout=timeout) as response:
            request_id = self._request_id(response.headers)
            async for event, data in iter_sse(response):
                body = json.loads(data)
                kind = body.get("type") or event
                if kind == "message_start":
                    message = body.get("message") or {}
                    answered_model = str(message.get("model") or answered_model)
                    request_id = request_id or message.get("id")
                    input_usage = message.get("usage") or {}
                    output_tokens = int(input_usage.get("output_tokens") or 0)
                elif kind == "content_block_start":
                    start = body.get("content_block") or {}
                    block = _PartialBlock(
                        kind=str(start.get("type")), id=start.get("id", ""), name=start.get("name", "")
                    )
                    blocks[int(body.get("index", 0))] = block
                    if block.kind == "text" and start.get("text"):
                        text.append(start["text"])
                        yield StreamChunk(text_delta=start["text"])
                elif kind == "content_block_delta":
                    delta = body.get("delta") or {}
                    block = blocks.setdefault(int(body.get("index", 0)), _PartialBlock(kind="text"))
                    if delta.get("type") == "text_delta":
                        text.append(delta.get("text") or "")
                        yield StreamChunk(text_delta=delta.get("text") or "")
                    elif delta.get("type") == "input_json_delta":
                        block.parts.append(delta.get("partial_json") or "")
                elif kind == "content_block_stop":
                    finished = blocks.get(int(body.get("index", 0)))
                    if finished is not None and finished.kind == "tool_use":
                        call = ToolCall(
                            id=finished.id or f"toolu_{len(tool_calls)}",
                            name=finished.name,
                            arguments=parse_tool_arguments(
                                "".join(finished.parts), provider=self.name, tool=finished.name
                            ),
                        )
                        tool_calls.append(call)
                        yield StreamChunk(tool_call=call)
                elif kind == "message_delta":
                    stop_reason = (body.get("delta") or {}).get("stop_reason") or stop_reason
                    # message_delta's usage is cumulative for the output side.
                    output_tokens = int((body.get("usage") or {}).get("output_tokens") or output_tokens)
                elif kind == "message_stop":
                    break
                elif kind == "error":
                    error = body.get("error") or {}
                    overloaded = error.get("type") in ("overloaded_error", "api_error", "rate_limit_error")
                    raise LLMError(
                        f"{self.name} failed mid-stream: {self._scrub(str(error.get('message') or error))}",
                        transient=overloaded,
                        provider=self.name,
                    )
        usage = _usage({**input_usage, "output_tokens": output_tokens})
        completion = Completion(
            text="".join(text),
            tool_calls=tool_calls,
            usage=usage,
            cost_usd=self.cost(answered_model, usage),
            model=answered_model,
            provider=self.name,
            finish_reason=_STOP_REASONS.get(str(stop_reason), "other"),
            request_id=request_id,
        )
        yield StreamChunk(done=True, completion=completion)

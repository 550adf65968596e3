"""OpenAI's Chat Completions wire format: OpenAI itself, and Ollama (`/v1`), vLLM, llama.cpp server,
LM Studio and any other server that speaks it.

`base_url` includes the version prefix (`https://api.openai.com/v1`, `http://localhost:11434/v1`);
requests go to `<base_url>/chat/completions`.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

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

OPENAI_BASE_URL = "https://api.openai.com/v1"

_FINISH_REASONS: dict[str, FinishReason] = {
    "stop": "stop",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "length": "length",
    "content_filter": "content_filter",
}


def to_wire_message(message: ChatMessage) -> dict[str, Any]:
    if message.role == "tool":
        return {"role": "tool", "tool_call_id": message.tool_call_id or "", "content": message.content}
    wire: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.role == "assistant" and message.tool_calls:
        # The content of an assistant turn that only calls tools is null in OpenAI's own transcripts.
        wire["content"] = message.content or None
        wire["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": json.dumps(call.arguments)},
            }
            for call in message.tool_calls
        ]
    return wire


def to_wire_tool(spec: ToolSpec) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {"name": spec.name, "description": spec.description, "parameters": spec.input_schema},
    }


def _usage(data: dict[str, Any] | None) -> Usage:
    data = data or {}
    return Usage(
        input_tokens=int(data.get("prompt_tokens") or 0), output_tokens=int(data.get("completion_tokens") or 0)
    )


@dataclass
class _PartialToolCall:
    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)


class OpenAICompatibleProvider(HttpProvider):
    name = "openai"

    def _headers(self) -> dict[str, str]:
        headers = super()._headers()
        if self._api_key:
            headers["authorization"] = f"Bearer {self._api_key}"
        return headers

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
        payload: dict[str, Any] = {"model": model, "messages": [to_wire_message(m) for m in messages]}
        if tools:
            payload["tools"] = [to_wire_tool(spec) for spec in tools]
        if temperature is not None:
            payload["temperature"] = temperature
        if max_tokens is not None:
            payload["max_tokens"] = max_tokens
        if stream:
            payload["stream"] = True
            # Without this, OpenAI sends no token counts in a stream.
            payload["stream_options"] = {"include_usage": True}
        return payload

    def _tool_call(self, raw: dict[str, Any], index: int) -> ToolCall:
        function = raw.get("function") or {}
        name = str(function.get("name") or "")
        return ToolCall(
            id=str(raw.get("id") or f"call_{index}"),
            name=name,
            arguments=parse_tool_arguments(function.get("arguments"), provider=self.name, tool=name),
        )

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
        data, request_id = await self._post_json("/chat/completions", payload, model=model, timeout=timeout)
        choices = data.get("choices") or []
        if not choices:
            raise LLMError(f"{self.name} answered without any choice", transient=True, provider=self.name)
        choice = choices[0]
        message = choice.get("message") or {}
        tool_calls = [self._tool_call(raw, i) for i, raw in enumerate(message.get("tool_calls") or [])]
        usage = _usage(data.get("usage"))
        answered_model = str(data.get("model") or model)
        return Completion(
            text=message.get("content") or "",
            tool_calls=tool_calls,
            usage=usage,
            cost_usd=self.cost(answered_model, usage),
            model=answered_model,
            provider=self.name,
            finish_reason=_FINISH_REASONS.get(str(choice.get("finish_reason")), "other")
            if not tool_calls
            else "tool_calls",
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
        partial: dict[int, _PartialToolCall] = {}
        usage = Usage()
        finish: str | None = None
        answered_model = model
        request_id: str | None = None
        async with self._open_stream("/chat/completions", payload, model=model, timeout=timeout) as response:
            request_id = self._request_id(response.headers)
            async for _event, data in iter_sse(response):
                if data.strip() == "[DONE]":
                    break
                chunk = json.loads(data)
                if "error" in chunk:
                    raise LLMError(
                        f"{self.name} failed mid-stream: {self._upstream_message(data.encode())}",
                        transient=True,
                        provider=self.name,
                    )
                answered_model = str(chunk.get("model") or answered_model)
                request_id = request_id or chunk.get("id")
                if chunk.get("usage"):
                    usage = _usage(chunk["usage"])
                for choice in chunk.get("choices") or []:
                    delta = choice.get("delta") or {}
                    if delta.get("content"):
                        text.append(delta["content"])
                        yield StreamChunk(text_delta=delta["content"])
                    # Tool calls arrive in fragments keyed by index: the id and name first,
                    # then the JSON arguments a few characters at a time.
                    for fragment in delta.get("tool_calls") or []:
                        slot = partial.setdefault(int(fragment.get("index", 0)), _PartialToolCall())
                        slot.id = fragment.get("id") or slot.id
                        function = fragment.get("function") or {}
                        slot.name = function.get("name") or slot.name
                        if function.get("arguments"):
                            slot.arguments.append(function["arguments"])
                    if choice.get("finish_reason"):
                        finish = choice["finish_reason"]
        tool_calls = [
            ToolCall(
                id=slot.id or f"call_{index}",
                name=slot.name,
                arguments=parse_tool_arguments("".join(slot.arguments), provider=self.name, tool=slot.name),
            )
            for index, slot in sorted(partial.items())
        ]
        for call in tool_calls:
            yield StreamChunk(tool_call=call)
        completion = Completion(
            text="".join(text),
            tool_calls=tool_calls,
            usage=usage,
            cost_usd=self.cost(answered_model, usage),
            model=answered_model,
            provider=self.name,
            finish_reason="tool_calls" if tool_calls else _FINISH_REASONS.get(str(finish), "other"),
            request_id=request_id,
        )
        yield StreamChunk(done=True, completion=completion)

"""Ollama's native chat API (`POST <base_url>/api/chat`), streaming newline-delimited JSON.

Ollama streams by default, so `stream` is always sent explicitly. Tool calls carry no id
and arrive whole (arguments as a JSON object); ids are made up here so the agent loop can
pair results with calls, and tool results name their tool (`tool_name`).
Token counts are `prompt_eval_count` / `eval_count` on the final (`done: true`) object.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from trellis.llm.http import HttpProvider, iter_ndjson, parse_tool_arguments
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

OLLAMA_BASE_URL = "http://localhost:11434"

_DONE_REASONS: dict[str, FinishReason] = {"stop": "stop", "length": "length"}


def to_wire_message(message: ChatMessage) -> dict[str, Any]:
    wire: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.role == "assistant" and message.tool_calls:
        wire["tool_calls"] = [
            {"function": {"name": call.name, "arguments": call.arguments}} for call in message.tool_calls
        ]
    if message.role == "tool" and message.name:
        wire["tool_name"] = message.name
    return wire


def to_wire_tool(spec: ToolSpec) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {"name": spec.name, "description": spec.description, "parameters": spec.input_schema},
    }


def _usage(data: dict[str, Any]) -> Usage:
    return Usage(input_tokens=int(data.get("prompt_eval_count") or 0), output_tokens=int(data.get("eval_count") or 0))


class OllamaProvider(HttpProvider):
    name = "ollama"

    def _headers(self) -> dict[str, str]:
        headers = super()._headers()
        # Ollama itself has no auth; a key is sent for proxies in front of it (and Ollama's cloud).
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
        payload: dict[str, Any] = {
            "model": model,
            "messages": [to_wire_message(m) for m in messages],
            "stream": stream,
        }
        if tools:
            payload["tools"] = [to_wire_tool(spec) for spec in tools]
        options: dict[str, Any] = {}
        if temperature is not None:
            options["temperature"] = temperature
        if max_tokens is not None:
            options["num_predict"] = max_tokens
        if options:
            payload["options"] = options
        return payload

    def _tool_calls(self, message: dict[str, Any], *, first_index: int) -> list[ToolCall]:
        calls = []
        for offset, raw in enumerate(message.get("tool_calls") or []):
            function = raw.get("function") or {}
            name = str(function.get("name") or "")
            calls.append(
                ToolCall(
                    id=str(raw.get("id") or f"call_{first_index + offset}"),
                    name=name,
                    arguments=parse_tool_arguments(function.get("arguments"), provider=self.name, tool=name),
                )
            )
        return calls

    def _finish(self, data: dict[str, Any], tool_calls: list[ToolCall]) -> FinishReason:
        if tool_calls:
            return "tool_calls"
        return _DONE_REASONS.get(str(data.get("done_reason") or "stop"), "other")

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
        data, request_id = await self._post_json("/api/chat", payload, model=model, timeout=timeout)
        message = data.get("message") or {}
        tool_calls = self._tool_calls(message, first_index=0)
        usage = _usage(data)
        answered_model = str(data.get("model") or model)
        return Completion(
            text=message.get("content") or "",
            tool_calls=tool_calls,
            usage=usage,
            cost_usd=self.cost(answered_model, usage),
            model=answered_model,
            provider=self.name,
            finish_reason=self._finish(data, tool_calls),
            request_id=request_id,
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
        tool_calls: list[ToolCall] = []
        final: dict[str, Any] = {}
        answered_model = model
        async with self._open_stream("/api/chat", payload, model=model, timeout=timeout) as response:
            request_id = self._request_id(response.headers)
            async for data in iter_ndjson(response):
                if data.get("error"):
                    raise LLMError(
                        f"{self.name} failed mid-stream: {self._scrub(str(data['error']))}",
                        transient=True,
                        provider=self.name,
                    )
                answered_model = str(data.get("model") or answered_model)
                message = data.get("message") or {}
                if message.get("content"):
                    text.append(message["content"])
                    yield StreamChunk(text_delta=message["content"])
                for call in self._tool_calls(message, first_index=len(tool_calls)):
                    tool_calls.append(call)
                    yield StreamChunk(tool_call=call)
                if data.get("done"):
                    final = data
                    break
        if not final:
            raise LLMError(f"{self.name} ended the stream before it was done", transient=True, provider=self.name)
        usage = _usage(final)
        completion = Completion(
            text="".join(text),
            tool_calls=tool_calls,
            usage=usage,
            cost_usd=self.cost(answered_model, usage),
            model=answered_model,
            provider=self.name,
            finish_reason=self._finish(final, tool_calls),
            request_id=request_id,
        )
        yield StreamChunk(done=True, completion=completion)

"""Each provider's wire format, as the test server speaks it and as the tests read requests back.

The replies follow the providers' API references: OpenAI Chat Completions (incl. streamed
`tool_calls` deltas and the final usage chunk), Anthropic Messages (content blocks, SSE
events message_start ... message_stop with input_json_delta), Ollama /api/chat (NDJSON).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from tests.llm.provider_server import Recorded, Reply, openai_sse
from trellis.llm.anthropic import AnthropicProvider
from trellis.llm.http import HttpProvider, ProviderOptions
from trellis.llm.ollama import OllamaProvider
from trellis.llm.openai_compatible import OpenAICompatibleProvider


@dataclass(frozen=True)
class ToolResultSeen:
    call_id: str | None
    content: str


class Wire:
    name: str
    path: str

    def provider(self, url: str, api_key: str | None, options: ProviderOptions) -> HttpProvider:
        raise NotImplementedError

    def auth_header(self, request: Recorded) -> str | None:
        raise NotImplementedError

    def text(self, text: str, *, model: str, usage: tuple[int, int]) -> Reply:
        raise NotImplementedError

    def tool_call(self, call_id: str, name: str, args: dict[str, Any], *, model: str, usage: tuple[int, int]) -> Reply:
        raise NotImplementedError

    def stream_text(self, pieces: list[str], *, model: str, usage: tuple[int, int]) -> Reply:
        raise NotImplementedError

    def stream_tool_call(
        self, call_id: str, name: str, args: dict[str, Any], *, model: str, usage: tuple[int, int]
    ) -> Reply:
        raise NotImplementedError

    def error(self, status: int, message: str, headers: dict[str, str] | None = None) -> Reply:
        return Reply(status=status, json={"error": {"message": message}}, headers=headers or {})

    def tool_names_sent(self, request: Recorded) -> list[str]:
        raise NotImplementedError

    def tool_results_sent(self, request: Recorded) -> list[ToolResultSeen]:
        raise NotImplementedError

    def system_prompt_sent(self, request: Recorded) -> str | None:
        raise NotImplementedError


class OpenAIWire(Wire):
    name = "openai"
    path = "/v1/chat/completions"

    def provider(self, url: str, api_key: str | None, options: ProviderOptions) -> HttpProvider:
        return OpenAICompatibleProvider(base_url=url + "/v1", api_key=api_key, options=options)

    def auth_header(self, request: Recorded) -> str | None:
        value = request.headers.get("authorization")
        return value.removeprefix("Bearer ") if value else None

    @staticmethod
    def _usage(usage: tuple[int, int]) -> dict[str, int]:
        return {"prompt_tokens": usage[0], "completion_tokens": usage[1], "total_tokens": sum(usage)}

    def text(self, text: str, *, model: str, usage: tuple[int, int]) -> Reply:
        return Reply(
            json={
                "id": "chatcmpl-1",
                "object": "chat.completion",
                "model": model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                "usage": self._usage(usage),
            },
            headers={"x-request-id": "req_openai_1"},
        )

    def tool_call(self, call_id: str, name: str, args: dict[str, Any], *, model: str, usage: tuple[int, int]) -> Reply:
        call = {"id": call_id, "type": "function", "function": {"name": name, "arguments": json.dumps(args)}}
        return Reply(
            json={
                "id": "chatcmpl-2",
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": None, "tool_calls": [call]},
                        "finish_reason": "tool_calls",
                    }
                ],
                "usage": self._usage(usage),
            }
        )

    def stream_text(self, pieces: list[str], *, model: str, usage: tuple[int, int]) -> Reply:
        chunks: list[dict[str, Any]] = [
            {"id": "c", "model": model, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]}
        ]
        chunks += [{"id": "c", "model": model, "choices": [{"index": 0, "delta": {"content": p}}]} for p in pieces]
        chunks.append({"id": "c", "model": model, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        chunks.append({"id": "c", "model": model, "choices": [], "usage": self._usage(usage)})
        return openai_sse(chunks)

    def stream_tool_call(
        self, call_id: str, name: str, args: dict[str, Any], *, model: str, usage: tuple[int, int]
    ) -> Reply:
        encoded = json.dumps(args)
        fragments = [encoded[i : i + 4] for i in range(0, len(encoded), 4)]
        first = {"index": 0, "id": call_id, "type": "function", "function": {"name": name, "arguments": ""}}
        chunks: list[dict[str, Any]] = [
            {"model": model, "choices": [{"index": 0, "delta": {"role": "assistant", "tool_calls": [first]}}]}
        ]
        chunks += [
            {
                "model": model,
                "choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": f}}]}}],
            }
            for f in fragments
        ]
        chunks.append({"model": model, "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]})
        chunks.append({"model": model, "choices": [], "usage": self._usage(usage)})
        return openai_sse(chunks)

    def tool_names_sent(self, request: Recorded) -> list[str]:
        return [tool["function"]["name"] for tool in request.json.get("tools", [])]

    def tool_results_sent(self, request: Recorded) -> list[ToolResultSeen]:
        return [
            ToolResultSeen(m["tool_call_id"], m["content"]) for m in request.json["messages"] if m["role"] == "tool"
        ]

    def system_prompt_sent(self, request: Recorded) -> str | None:
        return next((m["content"] for m in request.json["messages"] if m["role"] == "system"), None)


class AnthropicWire(Wire):
    name = "anthropic"
    path = "/v1/messages"

    def provider(self, url: str, api_key: str | None, options: ProviderOptions) -> HttpProvider:
        return AnthropicProvider(base_url=url, api_key=api_key, options=options)

    def auth_header(self, request: Recorded) -> str | None:
        return request.headers.get("x-api-key")

    def error(self, status: int, message: str, headers: dict[str, str] | None = None) -> Reply:
        return Reply(
            status=status,
            json={"type": "error", "error": {"type": "api_error", "message": message}},
            headers=headers or {},
        )

    def _message(self, content: list[dict[str, Any]], stop: str, model: str, usage: tuple[int, int]) -> Reply:
        return Reply(
            json={
                "id": "msg_1",
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": content,
                "stop_reason": stop,
                "usage": {"input_tokens": usage[0], "output_tokens": usage[1]},
            },
            headers={"request-id": "req_anthropic_1"},
        )

    def text(self, text: str, *, model: str, usage: tuple[int, int]) -> Reply:
        return self._message([{"type": "text", "text": text}], "end_turn", model, usage)

    def tool_call(self, call_id: str, name: str, args: dict[str, Any], *, model: str, usage: tuple[int, int]) -> Reply:
        content = [
            {"type": "text", "text": "Let me calculate."},
            {"type": "tool_use", "id": call_id, "name": name, "input": args},
        ]
        return self._message(content, "tool_use", model, usage)

    def _start(self, model: str, usage: tuple[int, int]) -> list[tuple[str, Any]]:
        message = {
            "id": "msg_s",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [],
            "usage": {"input_tokens": usage[0], "output_tokens": 1},
        }
        return [("message_start", {"type": "message_start", "message": message}), ("ping", {"type": "ping"})]

    def _end(self, stop: str, usage: tuple[int, int]) -> list[tuple[str, Any]]:
        return [
            (
                "message_delta",
                {"type": "message_delta", "delta": {"stop_reason": stop}, "usage": {"output_tokens": usage[1]}},
            ),
            ("message_stop", {"type": "message_stop"}),
        ]

    def stream_text(self, pieces: list[str], *, model: str, usage: tuple[int, int]) -> Reply:
        events = self._start(model, usage)
        events.append(
            (
                "content_block_start",
                {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
            )
        )
        events += [
            (
                "content_block_delta",
                {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": p}},
            )
            for p in pieces
        ]
        events.append(("content_block_stop", {"type": "content_block_stop", "index": 0}))
        return Reply(sse=events + self._end("end_turn", usage))

    def stream_tool_call(
        self, call_id: str, name: str, args: dict[str, Any], *, model: str, usage: tuple[int, int]
    ) -> Reply:
        encoded = json.dumps(args)
        events = self._start(model, usage)
        block = {"type": "tool_use", "id": call_id, "name": name, "input": {}}
        events.append(("content_block_start", {"type": "content_block_start", "index": 0, "content_block": block}))
        events += [
            (
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "input_json_delta", "partial_json": encoded[i : i + 4]},
                },
            )
            for i in range(0, len(encoded), 4)
        ]
        events.append(("content_block_stop", {"type": "content_block_stop", "index": 0}))
        return Reply(sse=events + self._end("tool_use", usage))

    def tool_names_sent(self, request: Recorded) -> list[str]:
        return [tool["name"] for tool in request.json.get("tools", [])]

    def tool_results_sent(self, request: Recorded) -> list[ToolResultSeen]:
        return [
            ToolResultSeen(block["tool_use_id"], block["content"])
            for message in request.json["messages"]
            if message["role"] == "user" and isinstance(message["content"], list)
            for block in message["content"]
            if block["type"] == "tool_result"
        ]

    def system_prompt_sent(self, request: Recorded) -> str | None:
        system: str | None = request.json.get("system")
        return system


class OllamaWire(Wire):
    name = "ollama"
    path = "/api/chat"

    def provider(self, url: str, api_key: str | None, options: ProviderOptions) -> HttpProvider:
        return OllamaProvider(base_url=url, api_key=api_key, options=options)

    def auth_header(self, request: Recorded) -> str | None:
        value = request.headers.get("authorization")
        return value.removeprefix("Bearer ") if value else None

    def error(self, status: int, message: str, headers: dict[str, str] | None = None) -> Reply:
        return Reply(status=status, json={"error": message}, headers=headers or {})

    @staticmethod
    def _final(model: str, usage: tuple[int, int], message: dict[str, Any], reason: str = "stop") -> dict[str, Any]:
        return {
            "model": model,
            "created_at": "2025-06-01T10:00:00Z",
            "message": message,
            "done": True,
            "done_reason": reason,
            "total_duration": 1000,
            "prompt_eval_count": usage[0],
            "eval_count": usage[1],
        }

    def text(self, text: str, *, model: str, usage: tuple[int, int]) -> Reply:
        return Reply(json=self._final(model, usage, {"role": "assistant", "content": text}))

    def tool_call(self, call_id: str, name: str, args: dict[str, Any], *, model: str, usage: tuple[int, int]) -> Reply:
        message = {"role": "assistant", "content": "", "tool_calls": [{"function": {"name": name, "arguments": args}}]}
        return Reply(json=self._final(model, usage, message))

    def stream_text(self, pieces: list[str], *, model: str, usage: tuple[int, int]) -> Reply:
        lines: list[Any] = [
            {"model": model, "message": {"role": "assistant", "content": p}, "done": False} for p in pieces
        ]
        lines.append(self._final(model, usage, {"role": "assistant", "content": ""}))
        return Reply(ndjson=lines)

    def stream_tool_call(
        self, call_id: str, name: str, args: dict[str, Any], *, model: str, usage: tuple[int, int]
    ) -> Reply:
        message = {"role": "assistant", "content": "", "tool_calls": [{"function": {"name": name, "arguments": args}}]}
        lines: list[Any] = [{"model": model, "message": message, "done": False}]
        lines.append(self._final(model, usage, {"role": "assistant", "content": ""}))
        return Reply(ndjson=lines)

    def tool_names_sent(self, request: Recorded) -> list[str]:
        return [tool["function"]["name"] for tool in request.json.get("tools", [])]

    def tool_results_sent(self, request: Recorded) -> list[ToolResultSeen]:
        # Ollama has no call ids; results are matched by order and name (`tool_name`).
        messages = request.json["messages"]
        return [ToolResultSeen(m.get("tool_name"), m["content"]) for m in messages if m["role"] == "tool"]

    def system_prompt_sent(self, request: Recorded) -> str | None:
        return next((m["content"] for m in request.json["messages"] if m["role"] == "system"), None)


WIRES: list[Wire] = [OpenAIWire(), AnthropicWire(), OllamaWire()]

"""Each adapter against a local server speaking its provider's wire format."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest

from tests.llm.provider_server import ProviderServer, Reply, running_provider_server
from tests.llm.wires import WIRES, Wire
from trellis.llm.http import ProviderOptions
from trellis.llm.pricing import ModelPrice
from trellis.llm.retry import RetryPolicy
from trellis.llm.types import (
    ChatMessage,
    Completion,
    LLMAuthenticationFailed,
    LLMError,
    LLMModelNotFound,
    LLMRateLimited,
    LLMTimeout,
    StreamChunk,
    ToolCall,
    ToolSpec,
)

API_KEY = "sk-test-0123456789abcdefSECRET"
MODEL = "test-model-1"
# $2 per million input tokens, $10 per million output tokens.
PRICES = {"test-model": ModelPrice(input_per_mtok=2.0, output_per_mtok=10.0)}
ADD_TOOL = ToolSpec(
    name="add",
    description="Add two numbers.",
    input_schema={
        "type": "object",
        "properties": {"a": {"type": "number"}, "b": {"type": "number"}},
        "required": ["a", "b"],
    },
)


def options(**retry: Any) -> ProviderOptions:
    policy = {"max_attempts": 3, "backoff_seconds": 0.01, "backoff_max_seconds": 0.05, **retry}
    return ProviderOptions(timeout_seconds=5.0, retry=RetryPolicy(**policy), prices=PRICES)


@pytest.fixture
def server() -> Iterator[ProviderServer]:
    with running_provider_server() as running:
        yield running


@pytest.fixture(params=WIRES, ids=[wire.name for wire in WIRES])
def wire(request: pytest.FixtureRequest) -> Wire:
    selected: Wire = request.param
    return selected


CONVERSATION = [ChatMessage.system("You are terse."), ChatMessage.user("Say hello.")]


def collect(stream: Any) -> list[StreamChunk]:
    async def gather() -> list[StreamChunk]:
        return [chunk async for chunk in stream]

    return asyncio.run(gather())


def test_complete_returns_text_usage_and_cost_from_the_price_table(server: ProviderServer, wire: Wire) -> None:
    server.push(wire.text("Hello there.", model=MODEL, usage=(1200, 300)))
    provider = wire.provider(server.url, API_KEY, options())

    completion = asyncio.run(provider.complete(CONVERSATION, model=MODEL, temperature=0.2, max_tokens=50))

    assert completion.text == "Hello there."
    assert completion.provider == wire.name
    assert completion.model == MODEL
    assert (completion.usage.input_tokens, completion.usage.output_tokens) == (1200, 300)
    # 1200 * $2/M + 300 * $10/M
    assert completion.cost_usd == pytest.approx(0.0054)
    assert completion.finish_reason == "stop"
    [sent] = server.requests
    assert sent.path == wire.path
    assert wire.auth_header(sent) == API_KEY
    assert sent.json["model"] == MODEL
    assert wire.system_prompt_sent(sent) == "You are terse."
    if wire.name == "ollama":
        assert sent.json["stream"] is False
        assert sent.json["options"] == {"temperature": 0.2, "num_predict": 50}
    else:
        assert (sent.json["temperature"], sent.json["max_tokens"]) == (0.2, 50)


def test_unknown_model_has_no_cost(server: ProviderServer, wire: Wire) -> None:
    server.push(wire.text("ok", model="mystery-7b", usage=(10, 2)))
    completion = asyncio.run(wire.provider(server.url, None, options()).complete(CONVERSATION, model="mystery-7b"))
    assert completion.cost_usd is None
    assert completion.usage.total_tokens == 12
    assert wire.auth_header(server.requests[0]) is None


def test_stream_yields_text_as_it_arrives_and_a_final_completion(server: ProviderServer, wire: Wire) -> None:
    server.push(wire.stream_text(["Hel", "lo, ", "world", "."], model=MODEL, usage=(40, 8)))
    provider = wire.provider(server.url, API_KEY, options())

    chunks = collect(provider.stream(CONVERSATION, model=MODEL))

    assert [c.text_delta for c in chunks if c.text_delta] == ["Hel", "lo, ", "world", "."]
    final = chunks[-1]
    assert final.done and final.completion is not None
    assert final.completion.text == "Hello, world."
    assert (final.completion.usage.input_tokens, final.completion.usage.output_tokens) == (40, 8)
    assert final.completion.cost_usd == pytest.approx((40 * 2 + 8 * 10) / 1_000_000)
    assert server.requests[0].json["stream"] is True


def test_tool_call_round_trip_in_the_providers_format(server: ProviderServer, wire: Wire) -> None:
    server.push(
        wire.tool_call("call_abc", "add", {"a": 2, "b": 40}, model=MODEL, usage=(100, 20)),
        wire.text("2 + 40 = 42", model=MODEL, usage=(150, 10)),
    )
    provider = wire.provider(server.url, API_KEY, options())

    async def scenario() -> tuple[Completion, Completion]:
        messages = [*CONVERSATION]
        first = await provider.complete(messages, model=MODEL, tools=[ADD_TOOL])
        messages.append(first.as_message())
        for call in first.tool_calls:
            messages.append(ChatMessage.tool_result(call, str(call.arguments["a"] + call.arguments["b"])))
        second = await provider.complete(messages, model=MODEL, tools=[ADD_TOOL])
        return first, second

    first, second = asyncio.run(scenario())

    assert first.finish_reason == "tool_calls"
    [call] = first.tool_calls
    assert (call.name, call.arguments) == ("add", {"a": 2, "b": 40})
    assert second.text == "2 + 40 = 42"
    assert wire.tool_names_sent(server.requests[0]) == ["add"]
    [result] = wire.tool_results_sent(server.requests[1])
    assert result.content == "42"
    # OpenAI and Anthropic pair results by the call id; Ollama by the tool name.
    assert result.call_id == ("add" if wire.name == "ollama" else "call_abc")


def test_streamed_tool_call_arrives_whole(server: ProviderServer, wire: Wire) -> None:
    args = {"a": 1.5, "b": -7, "note": "fragments of JSON"}
    server.push(wire.stream_tool_call("call_s1", "add", args, model=MODEL, usage=(30, 12)))
    provider = wire.provider(server.url, API_KEY, options())

    chunks = collect(provider.stream(CONVERSATION, model=MODEL, tools=[ADD_TOOL]))

    calls = [c.tool_call for c in chunks if c.tool_call is not None]
    assert [(c.name, c.arguments) for c in calls] == [("add", args)]
    final = chunks[-1].completion
    assert final is not None and final.finish_reason == "tool_calls"
    assert final.tool_calls == calls
    assert final.usage.output_tokens == 12


def test_429_with_retry_after_seconds_is_waited_out_then_succeeds(server: ProviderServer, wire: Wire) -> None:
    server.push(wire.error(429, "slow down", {"retry-after": "1"}), wire.text("done", model=MODEL, usage=(1, 1)))
    provider = wire.provider(server.url, API_KEY, options())

    started = time.monotonic()
    completion = asyncio.run(provider.complete(CONVERSATION, model=MODEL))
    elapsed = time.monotonic() - started

    assert completion.text == "done"
    assert len(server.requests) == 2
    assert elapsed >= 0.95  # the server asked for one second


def test_retry_after_as_http_date_is_honoured(server: ProviderServer) -> None:
    wire = WIRES[0]
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=2), usegmt=True)
    server.push(wire.error(503, "overloaded", {"retry-after": when}), wire.text("back", model=MODEL, usage=(1, 1)))

    started = time.monotonic()
    completion = asyncio.run(wire.provider(server.url, API_KEY, options()).complete(CONVERSATION, model=MODEL))

    assert completion.text == "back"
    # HTTP dates have whole-second precision: "in 2 s" is 1..2 s away when parsed.
    assert time.monotonic() - started >= 0.9


def test_stream_retries_a_429_before_the_first_byte(server: ProviderServer, wire: Wire) -> None:
    server.push(
        wire.error(429, "slow down", {"retry-after": "0"}),
        wire.stream_text(["ok"], model=MODEL, usage=(3, 1)),
    )
    chunks = collect(wire.provider(server.url, API_KEY, options()).stream(CONVERSATION, model=MODEL))
    assert chunks[-1].completion is not None and chunks[-1].completion.text == "ok"
    assert len(server.requests) == 2


def test_500_then_success(server: ProviderServer, wire: Wire) -> None:
    server.push(wire.error(500, "internal"), wire.text("recovered", model=MODEL, usage=(5, 5)))
    completion = asyncio.run(wire.provider(server.url, API_KEY, options()).complete(CONVERSATION, model=MODEL))
    assert completion.text == "recovered"
    assert len(server.requests) == 2


def test_rate_limit_that_never_clears_gives_up_after_the_bounded_attempts(server: ProviderServer, wire: Wire) -> None:
    server.push(*[wire.error(429, "quota") for _ in range(3)])
    with pytest.raises(LLMRateLimited) as caught:
        asyncio.run(wire.provider(server.url, API_KEY, options()).complete(CONVERSATION, model=MODEL))
    assert caught.value.transient is True
    assert caught.value.status == 429
    assert len(server.requests) == 3


def test_retry_after_beyond_the_cap_fails_at_once_as_transient(server: ProviderServer) -> None:
    wire = WIRES[0]
    server.push(wire.error(429, "come back in an hour", {"retry-after": "3600"}))
    with pytest.raises(LLMRateLimited) as caught:
        asyncio.run(wire.provider(server.url, API_KEY, options()).complete(CONVERSATION, model=MODEL))
    assert caught.value.transient is True
    assert len(server.requests) == 1


def test_401_is_permanent_not_retried_and_never_shows_the_key(server: ProviderServer, wire: Wire) -> None:
    server.push(wire.error(401, f"Incorrect API key provided: {API_KEY}"))
    with pytest.raises(LLMAuthenticationFailed) as caught:
        asyncio.run(wire.provider(server.url, API_KEY, options()).complete(CONVERSATION, model=MODEL))
    error = caught.value
    assert error.transient is False
    assert len(server.requests) == 1
    assert "Incorrect API key provided" in error.message
    assert API_KEY not in error.message
    assert API_KEY not in str(error.to_detail())


def test_unknown_model_404_is_permanent(server: ProviderServer, wire: Wire) -> None:
    server.push(wire.error(404, "model 'nope' not found"))
    with pytest.raises(LLMModelNotFound) as caught:
        asyncio.run(wire.provider(server.url, API_KEY, options()).complete(CONVERSATION, model="nope"))
    assert caught.value.transient is False
    assert "'nope'" in caught.value.message
    assert len(server.requests) == 1


def test_timeout_is_transient_and_retried_within_the_bound(server: ProviderServer, wire: Wire) -> None:
    server.push(*[Reply(delay=1.0, json={}) for _ in range(2)])
    provider = wire.provider(server.url, API_KEY, options(max_attempts=2))
    started = time.monotonic()
    with pytest.raises(LLMTimeout) as caught:
        asyncio.run(provider.complete(CONVERSATION, model=MODEL, timeout=0.2))
    assert caught.value.transient is True
    assert "0.2 s" in caught.value.message
    assert len(server.requests) == 2
    assert time.monotonic() - started < 1.5


def test_unreachable_server_is_a_transient_error() -> None:
    with running_provider_server() as stopped:
        url = stopped.url
    provider = WIRES[0].provider(url, API_KEY, options(max_attempts=1))
    with pytest.raises(LLMError) as caught:
        asyncio.run(provider.complete(CONVERSATION, model=MODEL))
    assert caught.value.code == "llm_unreachable"
    assert caught.value.transient is True


def test_provider_repr_hides_the_key() -> None:
    provider = WIRES[1].provider("http://127.0.0.1:9", API_KEY, options())
    assert API_KEY not in repr(provider)
    assert ToolCall(id="x", name="y").arguments == {}

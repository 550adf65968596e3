"""The agent loop with a tool set that really computes, talking to a local OpenAI-compatible server."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from tests.llm.provider_server import ProviderServer, running_provider_server
from tests.llm.test_adapters import MODEL, options
from tests.llm.wires import AnthropicWire, OpenAIWire
from trellis.llm.agent import AgentEvent, AgentRun, run_agent
from trellis.llm.types import AgentToolDepthExceeded, LLMRateLimited, ToolError, ToolSet, ToolSpec

WIRE = OpenAIWire()


class Calculator:
    """A ToolSet: arithmetic the loop really executes."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def specs(self) -> list[ToolSpec]:
        schema = {"type": "object", "properties": {"a": {"type": "number"}, "b": {"type": "number"}}}
        names = ("add", "mul", "div")
        return [ToolSpec(name=name, description=f"{name} a and b", input_schema=schema) for name in names]

    async def call(self, name: str, arguments: dict[str, Any]) -> str:
        self.calls.append((name, arguments))
        a, b = float(arguments["a"]), float(arguments["b"])
        if name == "div" and b == 0:
            raise ToolError("division by zero")
        value = {"add": a + b, "mul": a * b, "div": a / b if b else 0.0}[name]
        return f"{value:g}"


@pytest.fixture
def server() -> Iterator[ProviderServer]:
    with running_provider_server() as running:
        yield running


def test_calculator_is_a_toolset() -> None:
    assert isinstance(Calculator(), ToolSet)


def test_tools_run_over_several_rounds_and_usage_and_cost_add_up(server: ProviderServer) -> None:
    server.push(
        WIRE.tool_call("c1", "mul", {"a": 6, "b": 7}, model=MODEL, usage=(100, 10)),
        WIRE.tool_call("c2", "add", {"a": 42, "b": 0.5}, model=MODEL, usage=(200, 10)),
        WIRE.text("The answer is 42.5.", model=MODEL, usage=(300, 20)),
    )
    calculator = Calculator()
    events: list[AgentEvent] = []

    run = asyncio.run(
        run_agent(
            WIRE.provider(server.url, "k", options()),
            model=MODEL,
            system_prompt="Use the tools.",
            user_input="What is 6*7+0.5?",
            tools=calculator,
            max_tool_depth=3,
            on_event=events.append,
        )
    )

    assert run.text == "The answer is 42.5."
    assert run.stopped == "final_answer"
    assert [(t.name, t.result, t.depth) for t in run.tool_calls] == [("mul", "42", 1), ("add", "42.5", 2)]
    assert calculator.calls == [("mul", {"a": 6, "b": 7}), ("add", {"a": 42, "b": 0.5})]
    assert [c.usage.input_tokens for c in run.calls] == [100, 200, 300]
    assert (run.usage.input_tokens, run.usage.output_tokens) == (600, 40)
    # 600 * $2/M + 40 * $10/M
    assert run.cost_usd == pytest.approx(0.0016)
    assert run.tool_depth == 2
    # What the model was told: the real results, paired with its call ids.
    assert [r.content for r in WIRE.tool_results_sent(server.requests[2])] == ["42", "42.5"]
    assert [r.call_id for r in WIRE.tool_results_sent(server.requests[2])] == ["c1", "c2"]
    assert [e.type for e in events] == ["llm_call", "tool_call", "tool_result"] * 2 + ["llm_call"]
    assert [m.role for m in run.messages] == ["system", "user", "assistant", "tool", "assistant", "tool", "assistant"]


def test_tool_errors_and_unknown_tools_go_back_to_the_model(server: ProviderServer) -> None:
    server.push(
        WIRE.tool_call("c1", "div", {"a": 1, "b": 0}, model=MODEL, usage=(1, 1)),
        WIRE.tool_call("c2", "sqrt", {"x": 2}, model=MODEL, usage=(1, 1)),
        WIRE.text("Cannot divide by zero.", model=MODEL, usage=(1, 1)),
    )
    run = asyncio.run(
        run_agent(WIRE.provider(server.url, "k", options()), model=MODEL, user_input="1/0?", tools=Calculator())
    )
    assert run.text == "Cannot divide by zero."
    assert [(t.result, t.is_error) for t in run.tool_calls] == [
        ("Error: division by zero", True),
        ("Error: there is no tool named 'sqrt'. Available: add, div, mul.", True),
    ]


def test_past_the_depth_limit_the_model_is_told_and_answers(server: ProviderServer) -> None:
    server.push(
        WIRE.tool_call("c1", "add", {"a": 1, "b": 1}, model=MODEL, usage=(10, 1)),
        WIRE.tool_call("c2", "add", {"a": 2, "b": 2}, model=MODEL, usage=(10, 1)),
        WIRE.text("2, as far as I got.", model=MODEL, usage=(10, 1)),
    )
    calculator = Calculator()
    run = asyncio.run(
        run_agent(
            WIRE.provider(server.url, "k", options()),
            model=MODEL,
            user_input="count",
            tools=calculator,
            max_tool_depth=1,
        )
    )
    assert run.stopped == "max_tool_depth"
    assert run.text == "2, as far as I got."
    assert calculator.calls == [("add", {"a": 1, "b": 1})]  # the second round never ran
    [notice] = WIRE.tool_results_sent(server.requests[2])[1:]
    assert notice.call_id == "c2"
    assert notice.content.startswith("Not run: the limit of 1 tool rounds is reached.")
    assert len(run.calls) == 3


def test_depth_limit_in_fail_mode_raises_with_the_calls_made_so_far(server: ProviderServer) -> None:
    server.push(
        WIRE.tool_call("c1", "add", {"a": 1, "b": 1}, model=MODEL, usage=(10, 1)),
        WIRE.tool_call("c2", "add", {"a": 2, "b": 2}, model=MODEL, usage=(10, 1)),
    )
    with pytest.raises(AgentToolDepthExceeded) as caught:
        asyncio.run(
            run_agent(
                WIRE.provider(server.url, "k", options()),
                model=MODEL,
                user_input="count",
                tools=Calculator(),
                max_tool_depth=1,
                on_depth_exceeded="fail",
            )
        )
    assert "max_tool_depth=1" in caught.value.message
    assert caught.value.transient is False
    partial: AgentRun = caught.value.partial_run
    assert len(partial.calls) == 2 and partial.usage.input_tokens == 20


def test_a_provider_failure_mid_run_keeps_the_usage_so_far(server: ProviderServer) -> None:
    server.push(
        WIRE.tool_call("c1", "add", {"a": 1, "b": 1}, model=MODEL, usage=(70, 7)),
        WIRE.error(429, "quota"),
    )
    with pytest.raises(LLMRateLimited) as caught:
        asyncio.run(
            run_agent(
                WIRE.provider(server.url, "k", options(max_attempts=1)),
                model=MODEL,
                user_input="x",
                tools=Calculator(),
            )
        )
    assert caught.value.partial_run.usage.input_tokens == 70
    assert caught.value.partial_run.tool_calls[0].result == "2"


def test_streaming_run_over_anthropic_emits_text_deltas_and_runs_streamed_tool_calls(server: ProviderServer) -> None:
    wire = AnthropicWire()
    server.push(
        wire.stream_tool_call("toolu_1", "mul", {"a": 3, "b": 5}, model=MODEL, usage=(50, 5)),
        wire.stream_text(["Fif", "teen."], model=MODEL, usage=(80, 3)),
    )
    deltas: list[str] = []

    async def on_event(event: AgentEvent) -> None:
        if event.type == "text_delta":
            deltas.append(event.data["text"])

    run = asyncio.run(
        run_agent(
            wire.provider(server.url, "k", options()),
            model=MODEL,
            user_input="3*5?",
            tools=Calculator(),
            stream=True,
            on_event=on_event,
        )
    )
    assert run.text == "Fifteen."
    assert deltas == ["Fif", "teen."]
    assert run.tool_calls[0].result == "15"
    assert [r.content for r in wire.tool_results_sent(server.requests[1])] == ["15"]
    assert run.usage.input_tokens == 130

"""An agent whose tools come from a real MCP server (PyPI's mcp-server-time over stdio), driven by a local
OpenAI-compatible server that asks for the tool: the tool really runs and its answer goes back to the model."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from tests.conftest import SignedInUser
from tests.llm.provider_server import ProviderServer, running_provider_server
from tests.llm.wires import OpenAIWire
from trellis.mcp.connections import connection_manager


@pytest.fixture
def server() -> Iterator[ProviderServer]:
    with running_provider_server() as running:
        yield running


@pytest.fixture(autouse=True)
def _close_mcp_sessions() -> Iterator[None]:
    yield
    manager = connection_manager()
    manager.run_sync(manager.close_all(), timeout=60)


def test_agent_calls_an_mcp_tool_and_answers_with_its_result(
    client: TestClient, signed_in: Callable[..., SignedInUser], server: ProviderServer
) -> None:
    owner = signed_in("owner@example.com")
    registered = client.post(
        "/api/v1/mcp/servers",
        json={
            "name": "time",
            "type": "stdio",
            "command": sys.executable,
            "args": ["-m", "mcp_server_time", "--local-timezone", "UTC"],
        },
        headers=owner.headers,
    )
    assert registered.status_code == 201, registered.text
    agent = client.post(
        "/api/v1/agents",
        json={
            "name": "Clock",
            "model": "gpt-4o-mini",
            "provider": "openai",
            "base_url": server.url + "/v1",
            "tools": [{"type": "mcp", "server_id": registered.json()["id"], "tools": ["convert_time"]}],
        },
        headers=owner.headers,
    ).json()
    wire = OpenAIWire()
    args = {"source_timezone": "UTC", "time": "12:00", "target_timezone": "Asia/Kathmandu"}
    server.push(
        wire.tool_call("call_t", "time__convert_time", args, model="gpt-4o-mini", usage=(300, 40)),
        wire.text("Noon UTC is 17:45 in Kathmandu.", model="gpt-4o-mini", usage=(500, 12)),
    )

    response = client.post(
        f"/api/v1/agents/{agent['id']}/test", json={"input": "Noon UTC in Kathmandu?"}, headers=owner.headers
    )

    assert response.status_code == 200, response.text
    result = response.json()
    assert result["answer"] == "Noon UTC is 17:45 in Kathmandu."
    [call] = result["tool_calls"]
    assert (call["name"], call["arguments"], call["is_error"]) == ("time__convert_time", args, False)
    assert "17:45" in call["result"]  # Kathmandu is UTC+05:45: computed by the real MCP server
    assert wire.tool_names_sent(server.requests[0]) == ["time__convert_time"]  # only the allowed tool
    [sent_result] = wire.tool_results_sent(server.requests[1])
    assert sent_result.call_id == "call_t" and "17:45" in sent_result.content
    assert result["usage"]["input_tokens"] == 800
    assert result["cost_usd"] == pytest.approx((800 * 0.15 + 52 * 0.60) / 1_000_000)

"""Agent, MCP tool and sub-workflow nodes inside real executions (local LLM server, mcp-server-time over stdio)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.llm.provider_server import ProviderServer, running_provider_server
from tests.llm.wires import OpenAIWire
from tests.mcp.conftest import time_server_body
from tests.workflows.helpers import chain, create_workflow, node_runs, start, wait_status

KEY = "sk-proj-engine-agent-key-0123456789abcdef"


@pytest.fixture
def llm_server() -> Iterator[ProviderServer]:
    with running_provider_server() as running:
        yield running


def test_agent_node_answers_through_the_agents_provider_and_records_usage_and_cost(
    client: TestClient, signed_in, llm_server: ProviderServer
) -> None:  # type: ignore[no-untyped-def]
    alice = signed_in("alice@example.com")
    credential = client.post(
        f"/api/v1/workspaces/{alice.workspace_id}/credentials",
        json={"name": "openai", "kind": "llm_api_key", "provider": "openai", "value": KEY},
        headers=alice.headers,
    ).json()
    agent = client.post(
        "/api/v1/agents",
        json={
            "name": "Summarizer",
            "model": "gpt-4o-mini",
            "provider": "openai",
            "base_url": llm_server.url + "/v1",
            "credential_id": credential["id"],
            "system_prompt": "Be brief.",
        },
        headers=alice.headers,
    ).json()
    llm_server.push(OpenAIWire().text("Three bugs, one blocker.", model="gpt-4o-mini", usage=(1000, 500)))
    graph = chain(
        {"id": "start", "type": "manual"},
        {
            "id": "summarize",
            "type": "agent",
            "config": {"agent_id": agent["id"], "prompt": "Summarize: {{ input.text }}"},
        },
        {"id": "shout", "type": "transform", "config": {"output": "{{ input.text | upper }}"}},
    )
    workflow = create_workflow(client, alice, "Summaries", graph)
    execution_id = start(client, alice, workflow["id"], {"text": "bug list"})
    done = wait_status(client, alice, execution_id, "completed", "failed")
    assert done["status"] == "completed", done
    assert done["output"] == {"shout": "THREE BUGS, ONE BLOCKER."}
    [sent] = llm_server.requests
    assert sent.json["messages"][-1] == {"role": "user", "content": "Summarize: bug list"}
    summarize = next(r for r in node_runs(client, alice, execution_id) if r["node_id"] == "summarize")
    assert summarize["metadata"]["usage"]["input_tokens"] == 1000
    assert summarize["metadata"]["cost_usd"] == pytest.approx(0.00045)  # gpt-4o-mini price table
    assert KEY not in str(summarize)


def test_agent_node_without_any_provider_fails_saying_how_to_configure_one(client: TestClient, signed_in) -> None:  # type: ignore[no-untyped-def]
    alice = signed_in("alice@example.com")
    agent = client.post("/api/v1/agents", json={"name": "Unconfigured"}, headers=alice.headers).json()
    graph = chain(
        {"id": "start", "type": "manual"}, {"id": "think", "type": "agent", "config": {"agent_id": agent["id"]}}
    )
    workflow = create_workflow(client, alice, "No LLM", graph)
    done = wait_status(client, alice, start(client, alice, workflow["id"]), "completed", "failed")
    assert done["status"] == "failed"
    assert done["failed_node_id"] == "think"
    assert "TRELLIS_LLM_PROVIDER" in done["error_message"]


def test_mcp_tool_node_calls_mcp_server_time_over_stdio(client: TestClient, signed_in) -> None:  # type: ignore[no-untyped-def]
    alice = signed_in("alice@example.com")
    server = client.post("/api/v1/mcp/servers", json=time_server_body(), headers=alice.headers)
    assert server.status_code == 201, server.text
    graph = chain(
        {"id": "start", "type": "manual"},
        {
            "id": "convert",
            "type": "mcp_tool",
            "config": {
                "server_id": server.json()["id"],
                "tool": "convert_time",
                "arguments": {"source_timezone": "UTC", "time": "{{ input.at }}", "target_timezone": "Asia/Tokyo"},
            },
        },
    )
    workflow = create_workflow(client, alice, "Clock", graph)
    done = wait_status(client, alice, start(client, alice, workflow["id"], {"at": "12:30"}), "completed", "failed")
    assert done["status"] == "completed", done
    assert "21:30" in str(done["output"]["convert"])


def test_sub_workflow_runs_as_a_child_execution_and_hands_back_its_output(client: TestClient, signed_in) -> None:  # type: ignore[no-untyped-def]
    alice = signed_in("alice@example.com")
    child = create_workflow(
        client,
        alice,
        "Child",
        chain(
            {"id": "in", "type": "manual"},
            {"id": "square", "type": "transform", "config": {"output": "{{ input.n * input.n }}"}},
        ),
    )
    parent = create_workflow(
        client,
        alice,
        "Parent",
        chain(
            {"id": "start", "type": "manual"},
            {
                "id": "call",
                "type": "subworkflow",
                "config": {"workflow_id": child["id"], "input": {"n": "{{ input.n }}"}},
            },
            {"id": "report", "type": "transform", "config": {"output": "square is {{ input.square }}"}},
        ),
    )
    execution_id = start(client, alice, parent["id"], {"n": 7})
    done = wait_status(client, alice, execution_id, "completed", "failed")
    assert done["status"] == "completed", done
    assert done["output"] == {"report": "square is 49"}
    children = client.get(f"/api/v1/executions?workflow_id={child['id']}", headers=alice.headers).json()["items"]
    assert len(children) == 1
    assert children[0]["parent_execution_id"] == execution_id
    assert children[0]["status"] == "completed"

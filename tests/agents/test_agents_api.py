"""`/api/v1/agents` over HTTP: CRUD, workspace authorization, audit, and test runs against a local LLM server."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import SignedInUser, add_member, row_counts
from tests.llm.provider_server import ProviderServer, running_provider_server
from tests.llm.wires import AnthropicWire, OpenAIWire
from trellis.audit.models import AuditRecord
from trellis.core.runtime import Runtime

KEY = "sk-proj-agent-test-key-0123456789abcdef"


@pytest.fixture
def server() -> Iterator[ProviderServer]:
    with running_provider_server() as running:
        yield running


def credential(client: TestClient, user: SignedInUser, *, kind: str = "llm_api_key", name: str = "openai") -> str:
    response = client.post(
        f"/api/v1/workspaces/{user.workspace_id}/credentials",
        json={"name": name, "kind": kind, "provider": "openai", "value": KEY},
        headers=user.headers,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def create(client: TestClient, user: SignedInUser, **body: Any) -> dict[str, Any]:
    response = client.post("/api/v1/agents", json={"name": "Support", **body}, headers=user.headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def audit_actions(runtime: Runtime, agent_id: str) -> list[str]:
    with runtime.database.session_factory() as session:
        rows = session.scalars(
            select(AuditRecord).where(AuditRecord.resource_id == agent_id).order_by(AuditRecord.created_at)
        ).all()
        return [row.action for row in rows]


def test_create_read_list_update_delete(
    client: TestClient, runtime: Runtime, signed_in: Callable[..., SignedInUser]
) -> None:
    alice = signed_in("alice@example.com")
    workflow_id = str(uuid.uuid4())
    response = client.post(
        "/api/v1/agents",
        json={
            "name": "  Support  ",
            "system_prompt": "You answer customers.",
            "model": "gpt-4o-mini",
            "temperature": 0.3,
            "max_tokens": 800,
            "permissions": {"web": False},
            "memory_config": {"window": 10},
            "metadata": {"team": "cx"},
            "provider": "openai",
            "workflow_id": workflow_id,
            "node_id": "agent-1",
        },
        headers=alice.headers,
    )
    assert response.status_code == 201, response.text
    agent = response.json()
    assert response.headers["location"] == f"/api/v1/agents/{agent['id']}"
    assert agent["name"] == "Support"
    assert agent["workspace_id"] == alice.workspace_id
    assert (agent["type"], agent["temperature"], agent["max_tokens"], agent["max_tool_depth"]) == ("agent", 0.3, 800, 8)
    assert agent["metadata"] == {"team": "cx"}
    assert (agent["workflow_id"], agent["node_id"]) == (workflow_id, "agent-1")
    helper = create(client, alice, name="Summarizer", type="action", model="claude-3-5-haiku-latest")

    assert client.get(f"/api/v1/agents/{agent['id']}", headers=alice.headers).json() == agent

    listed = client.get("/api/v1/agents", params={"limit": 1, "offset": 0}, headers=alice.headers).json()
    assert (listed["total"], listed["limit"], listed["offset"], len(listed["items"])) == (2, 1, 0, 1)
    by_type = client.get("/api/v1/agents", params={"type": "action"}, headers=alice.headers).json()
    assert [a["name"] for a in by_type["items"]] == ["Summarizer"]
    by_workflow = client.get("/api/v1/agents", params={"workflow_id": workflow_id}, headers=alice.headers).json()
    assert [a["id"] for a in by_workflow["items"]] == [agent["id"]]
    by_text = client.get("/api/v1/agents", params={"q": "HAIKU"}, headers=alice.headers).json()
    assert [a["name"] for a in by_text["items"]] == ["Summarizer"]

    updated = client.put(
        f"/api/v1/agents/{agent['id']}",
        json={"model": "gpt-4.1-mini", "temperature": 0.9, "sub_agents": [helper["id"]]},
        headers=alice.headers,
    )
    assert updated.status_code == 200, updated.text
    body = updated.json()
    assert (body["model"], body["temperature"], body["sub_agents"]) == ("gpt-4.1-mini", 0.9, [helper["id"]])
    assert body["system_prompt"] == "You answer customers."  # not sent, kept

    assert client.delete(f"/api/v1/agents/{agent['id']}", headers=alice.headers).status_code == 204
    assert client.get(f"/api/v1/agents/{agent['id']}", headers=alice.headers).status_code == 404
    assert audit_actions(runtime, agent["id"]) == ["agent.created", "agent.updated", "agent.deleted"]


def test_outsiders_see_nothing_and_viewers_cannot_write_or_run(
    client: TestClient, signed_in: Callable[..., SignedInUser]
) -> None:
    alice, mallory, victor = signed_in("alice@example.com"), signed_in("mallory@example.com"), signed_in("v@x.org")
    add_member(client, alice, alice.workspace_id, victor, "viewer")
    agent = create(client, alice)
    path = f"/api/v1/agents/{agent['id']}"

    for method, url, body in [
        ("GET", path, None),
        ("PUT", path, {"model": "x"}),
        ("DELETE", path, None),
        ("POST", f"{path}/test", {"input": "hi"}),
    ]:
        response = client.request(method, url, json=body, headers=mallory.headers)
        assert response.status_code == 404, (method, url)
        assert response.json()["detail"]["error"] == "agent_not_found"
    assert client.get("/api/v1/agents", headers=mallory.headers).json()["total"] == 0
    outsider_list = client.get("/api/v1/agents", params={"workspace_id": alice.workspace_id}, headers=mallory.headers)
    assert outsider_list.status_code == 404

    assert client.get(path, headers=victor.headers).status_code == 200
    assert client.get("/api/v1/agents", headers=victor.headers).json()["total"] == 1
    for method, url, body in [
        ("PUT", path, {"model": "x"}),
        ("DELETE", path, None),
        ("POST", f"{path}/test", {"input": "hi"}),
        ("POST", "/api/v1/agents", {"name": "Mine", "workspace_id": alice.workspace_id}),
    ]:
        assert client.request(method, url, json=body, headers=victor.headers).status_code == 403, (method, url)
    assert client.get(path, headers=alice.headers).json()["model"] is None


def test_bad_input_is_refused_and_changes_nothing(
    client: TestClient, runtime: Runtime, signed_in: Callable[..., SignedInUser]
) -> None:
    alice, bob = signed_in("alice@example.com"), signed_in("bob@example.com")
    bobs_key = credential(client, bob)
    git_token = credential(client, alice, kind="git_token", name="gh")
    before = row_counts(runtime)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"base_url": "ftp://x"}, "validation_error"),
        ({"temperature": 3}, "validation_error"),
        ({"provider": "gemini"}, "validation_error"),
        ({"type": "robot"}, "validation_error"),
        ({"name": "   "}, "validation_error"),
        ({"credential_id": bobs_key}, "credential_not_found"),
        ({"credential_id": git_token}, "wrong_credential_kind"),
        ({"sub_agents": [str(uuid.uuid4())]}, "invalid_sub_agents"),
        ({"tools": [{"type": "mcp"}]}, "validation_error"),
    ]
    for body, code in cases:
        response = client.post("/api/v1/agents", json={"name": "A", **body}, headers=alice.headers)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["detail"]["error"] == code, body
    assert row_counts(runtime) == before


def test_running_an_agent_through_a_workspace_credential(
    client: TestClient, runtime: Runtime, signed_in: Callable[..., SignedInUser], server: ProviderServer
) -> None:
    alice = signed_in("alice@example.com")
    agent = create(
        client,
        alice,
        system_prompt="Answer in one sentence.",
        model="gpt-4o-mini",
        temperature=0.1,
        provider="openai",
        base_url=server.url + "/v1",
        credential_id=credential(client, alice),
    )
    wire = OpenAIWire()
    server.push(wire.text("Refunds take 5 days.", model="gpt-4o-mini-2024-07-18", usage=(1000, 500)))

    response = client.post(
        f"/api/v1/agents/{agent['id']}/test", json={"input": "How long do refunds take?"}, headers=alice.headers
    )

    assert response.status_code == 200, response.text
    result = response.json()
    assert result["answer"] == "Refunds take 5 days."
    assert (result["provider"], result["stopped"]) == ("openai", "final_answer")
    assert result["model"] == "gpt-4o-mini-2024-07-18"  # as the provider reported it
    assert result["usage"] == {"input_tokens": 1000, "output_tokens": 500, "total_tokens": 1500}
    # gpt-4o-mini: 1000 * $0.15/M + 500 * $0.60/M
    assert result["cost_usd"] == pytest.approx(0.00045)
    assert result["tool_calls"] == []
    assert len(result["calls"]) == 1 and result["calls"][0]["cost_usd"] == pytest.approx(0.00045)
    [sent] = server.requests
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.json["model"] == "gpt-4o-mini" and sent.json["temperature"] == 0.1
    assert sent.json["messages"] == [
        {"role": "system", "content": "Answer in one sentence."},
        {"role": "user", "content": "How long do refunds take?"},
    ]
    assert KEY not in response.text
    assert audit_actions(runtime, agent["id"])[-1] == "agent.tested"


def test_a_provider_failure_is_a_502_with_a_masked_message(
    client: TestClient, signed_in: Callable[..., SignedInUser], server: ProviderServer
) -> None:
    alice = signed_in("alice@example.com")
    agent = create(
        client,
        alice,
        model="claude-3-5-haiku-latest",
        provider="anthropic",
        base_url=server.url,
        credential_id=credential(client, alice),
    )
    server.push(AnthropicWire().error(401, f"invalid x-api-key {KEY}"))

    response = client.post(f"/api/v1/agents/{agent['id']}/test", json={"input": "hi"}, headers=alice.headers)

    assert response.status_code == 502
    detail = response.json()["detail"]
    assert detail["error"] == "llm_authentication_failed"
    assert detail["transient"] is False and detail["upstream_status"] == 401
    assert "rejected the credential" in detail["message"]
    assert KEY not in json.dumps(detail)
    assert server.requests[0].headers["x-api-key"] == KEY


def test_running_without_any_provider_says_how_to_configure_one(
    client: TestClient, signed_in: Callable[..., SignedInUser]
) -> None:
    alice = signed_in("alice@example.com")
    agent = create(client, alice, model="gpt-4o-mini")
    response = client.post(f"/api/v1/agents/{agent['id']}/test", json={"input": "hi"}, headers=alice.headers)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail["error"] == "llm_not_configured"
    assert "TRELLIS_LLM_PROVIDER" in detail["message"]
    assert "credential_id" in detail["message"]

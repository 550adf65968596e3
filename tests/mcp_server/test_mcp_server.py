"""Trellis's MCP server as a coding agent meets it: the SDK's own clients against a real `trellis serve` (streamable
HTTP at /mcp) and a real `trellis mcp` process (stdio). The agent takes the next task, reports it done without the
code and is refused with the reason, commits the code, reports again and is accepted."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client

from tests.conftest import DEFAULT_PASSWORD, wait_for
from tests.planning.test_planning_api import DISCOUNT, DISCOUNT_TEST, REQUIREMENTS
from tests.repos.git_server import git
from tests.test_serve import free_port
from tests.validation.test_validation_api import CART_SOURCE, CART_TEST, make_repository

TOOLS = {"list_projects", "next_task", "get_task", "set_task_status", "get_requirement", "report_task_done"}


@dataclass
class Server:
    url: str
    env: dict[str, str]
    local_root: Path

    def api(self, method: str, path: str, token: str, body: Any = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"}
        return httpx.request(method, f"{self.url}/api/v1{path}", json=body, headers=headers, timeout=60)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    with running_server(tmp_path) as started:
        yield started


@contextmanager
def running_server(tmp_path: Path, **settings: str) -> Iterator[Server]:
    port = free_port()
    local_root = tmp_path / "local-repos"
    local_root.mkdir()
    env = {key: value for key, value in os.environ.items() if not key.startswith("TRELLIS_")}
    env.update(TRELLIS_ENV="test", TRELLIS_REPO_LOCAL_ROOTS=str(local_root), TRELLIS_DATA_DIR=str(tmp_path / "data"))
    env.update(settings)
    with (tmp_path / "server.log").open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-c", "from trellis.cli import main; main()", "serve", "--port", str(port)],
            cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        try:
            return httpx.get(f"{url}/ready", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_for(ready, timeout=30, interval=0.2, what="server")
        yield Server(url, env, local_root)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)


def personal_token(server: Server, email: str) -> str:
    registered = httpx.post(f"{server.url}/api/v1/auth/register", json={"email": email, "password": DEFAULT_PASSWORD})
    assert registered.status_code == 201, registered.text
    created = server.api("POST", "/auth/tokens", registered.json()["access_token"], {"name": "agent"})
    assert created.status_code == 201, created.text
    token: str = created.json()["token"]
    return token


def wait_status(server: Server, token: str, project_id: str, *states: str) -> str:
    def reached() -> str | None:
        status: str = server.api("GET", f"/projects/{project_id}", token).json()["status"]
        return status if status in states else None

    result: str = wait_for(reached, timeout=60, what=f"project in {states}")
    return result


def executing_project(server: Server, token: str) -> tuple[str, Path]:
    """A project validated against a real local git repository, planned, with prompts, executing."""
    repository = make_repository(
        server.local_root, "cart", {"cart/shopping_cart.py": CART_SOURCE, "tests/test_shopping_cart.py": CART_TEST}
    )
    project_id = server.api("POST", "/projects", token, {"name": "Cart"}).json()["id"]
    assert (
        server.api(
            "POST", f"/projects/{project_id}/requirements/bulk", token, {"requirements": REQUIREMENTS}
        ).status_code
        == 200
    )
    for action in ({"action": "initialize_requirements"}, {"action": "finalize_requirements", "force": True}):
        assert server.api("POST", f"/projects/{project_id}/gateway", token, action).status_code == 200
    connected = server.api(
        "POST", "/code/connect", token, {"git_url": f"file://{repository}", "project_id": project_id}
    )
    assert connected.status_code == 201, connected.text
    repo_id = connected.json()["repo_id"]
    wait_for(
        lambda: server.api("GET", f"/code/repos/{repo_id}/status", token).json()["clone_status"] == "COMPLETED",
        timeout=30,
        what="clone",
    )
    assert server.api("POST", f"/projects/{project_id}/validate-code", token).status_code == 202
    assert wait_status(server, token, project_id, "CODE_VALIDATED", "BLOCKED") == "CODE_VALIDATED"
    assert (
        server.api("POST", f"/projects/{project_id}/gateway", token, {"action": "approve_validation"}).status_code
        == 200
    )
    assert server.api("POST", f"/projects/{project_id}/plan", token).status_code == 201
    assert server.api("POST", f"/projects/{project_id}/prompts", token).status_code == 201
    for action in ("generate_prompts", "begin_execution"):
        moved = server.api("POST", f"/projects/{project_id}/gateway", token, {"action": action})
        assert moved.status_code == 200, moved.text
    return project_id, repository


def result(call: Any) -> Any:
    """A tool result's structured content (the tools return JSON objects)."""
    assert not call.is_error, call.content[0].text
    return call.structured_content if call.structured_content is not None else json.loads(call.content[0].text)


def http_client(server: Server, token: str) -> Client:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=httpx2.Timeout(30.0, read=180.0))
    return Client(streamable_http_client(f"{server.url}/mcp", http_client=http))


def stdio_agent(server: Server, token: str) -> Client:
    env = {**server.env, "TRELLIS_API_URL": server.url, "TRELLIS_API_TOKEN": token}
    trellis = str(Path(sys.executable).parent / "trellis")
    return Client(stdio_client(StdioServerParameters(command=trellis, args=["mcp"], env=env)), read_timeout_seconds=180)


def test_an_agent_is_refused_without_the_code_and_accepted_with_it(server: Server) -> None:
    token = personal_token(server, "agent@example.com")
    project_id, repository = executing_project(server, token)

    async def over_http() -> dict[str, Any]:
        async with http_client(server, token) as agent:
            assert {tool.name for tool in (await agent.list_tools()).tools} == TOOLS
            projects = result(await agent.call_tool("list_projects", {}))
            assert [(p["id"], p["name"], p["status"]) for p in projects["items"]] == [(project_id, "Cart", "EXECUTING")]
            taken = result(await agent.call_tool("next_task", {"project_id": project_id}))["task"]
            assert taken["id"] == "T-001" and taken["requirements"][0]["code"] == "CART-3"
            task = result(await agent.call_tool("get_task", {"project_id": project_id, "task_id": "T-002"}))
            assert set(task["prompts"]) == {"implementation", "testing", "review", "documentation"}
            assert "SAVE10" in task["prompts"]["implementation"] and task["dod"][0]["text"].startswith("CART-4: Given")
            requirement = result(await agent.call_tool("get_requirement", {"project_id": project_id, "code": "CART-4"}))
            assert requirement["acceptance_criteria"] == REQUIREMENTS[3]["acceptance_criteria"]
            moved = result(
                await agent.call_tool(
                    "set_task_status", {"project_id": project_id, "task_id": "T-002", "status": "in_progress"}
                )
            )
            assert moved["status"] == "in_progress"
            # Done without the code: refused, with the reason.
            refused = result(
                await agent.call_tool(
                    "report_task_done", {"project_id": project_id, "task_id": "T-002", "note": "done?"}
                )
            )
            unknown = await agent.call_tool("get_task", {"project_id": project_id, "task_id": "T-999"})
            assert unknown.is_error and "task_not_found" in unknown.content[0].text
            return dict(refused)

    refused = anyio.run(over_http)
    assert refused["accepted"] is False and refused["status"] == "review"
    assert any("CART-4 implemented" in reason and "missing" in reason for reason in refused["reasons"]), refused

    for relative, content in {"cart/discounts.py": DISCOUNT, "tests/test_discounts.py": DISCOUNT_TEST}.items():
        (repository / relative).write_text(content)
    git("add", "-A", cwd=repository)
    git("commit", "-q", "-m", "discount codes", cwd=repository)

    async def over_stdio() -> tuple[dict[str, Any], dict[str, Any]]:
        async with stdio_agent(server, token) as agent:
            first = result(await agent.call_tool("report_task_done", {"project_id": project_id, "task_id": "T-001"}))
            second = result(await agent.call_tool("report_task_done", {"project_id": project_id, "task_id": "T-002"}))
            return dict(first), dict(second)

    first, accepted = anyio.run(over_stdio)
    assert first["accepted"] is True, first
    assert accepted["accepted"] is True and accepted["status"] == "done", accepted
    assert accepted["verification"]["requirements"]["CART-4"]["status"] == "implemented"
    history = server.api("GET", f"/projects/{project_id}/tasks/T-002", token).json()["history"]
    assert [e["to_status"] for e in history][-3:] == ["in_progress", "review", "done"]


def test_tokens_and_workspace_permissions(server: Server) -> None:
    owner = personal_token(server, "owner@example.com")
    project_id, _ = executing_project(server, owner)
    # No token, a session JWT or a wrong token: 401 before any MCP handling.
    initialize = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}}
    assert httpx.post(f"{server.url}/mcp", json=initialize).status_code == 401
    wrong = httpx.post(f"{server.url}/mcp", json=initialize, headers={"Authorization": "Bearer trl_not-a-token"})
    assert wrong.status_code == 401 and wrong.json()["detail"]["error"] == "invalid_token"

    outsider = personal_token(server, "mallory@example.com")
    workspace_id = server.api("GET", f"/projects/{project_id}", owner).json()["workspace_id"]
    viewer_email = "victor@example.com"
    viewer = personal_token(server, viewer_email)
    invited = server.api("POST", f"/workspaces/{workspace_id}/invite", owner, {"email": viewer_email, "role": "viewer"})
    assert server.api("POST", f"/invitations/{invited.json()['token']}/accept", viewer).status_code == 200

    async def check() -> None:
        async with http_client(server, outsider) as agent:
            assert result(await agent.call_tool("list_projects", {}))["items"] == []
            hidden = await agent.call_tool("next_task", {"project_id": project_id})
            assert hidden.is_error and "project_not_found" in hidden.content[0].text
        async with stdio_agent(server, viewer) as agent:
            assert result(await agent.call_tool("next_task", {"project_id": project_id}))["task"]["id"] == "T-001"
            denied = await agent.call_tool(
                "set_task_status", {"project_id": project_id, "task_id": "T-001", "status": "in_progress"}
            )
            assert denied.is_error and "forbidden" in denied.content[0].text
            refused = await agent.call_tool("report_task_done", {"project_id": project_id, "task_id": "T-001"})
            assert refused.is_error and "forbidden" in refused.content[0].text

    anyio.run(check)
    assert server.api("GET", f"/projects/{project_id}/tasks/T-001", owner).json()["status"] == "pending"


def test_a_tool_call_counts_once_against_the_per_user_limit(tmp_path: Path) -> None:
    """The tool's own API requests (made in-process with the caller's token) are not counted a second time."""
    with running_server(tmp_path, TRELLIS_RATE_LIMIT_PER_USER="5/hour") as limited:
        token = personal_token(limited, "agent@example.com")  # creating the token is the 1st request of 5

        def list_projects(call_id: int) -> httpx.Response:
            return httpx.post(
                f"{limited.url}/mcp",
                json={"jsonrpc": "2.0", "id": call_id, "method": "tools/call",
                      "params": {"name": "list_projects", "arguments": {}}},
                headers={"Authorization": f"Bearer {token}", "Accept": "application/json, text/event-stream"},
                timeout=30,
            )  # fmt: skip

        for call_id in range(1, 5):  # 4 more tool calls fit, each of which makes an API request of its own
            answered = list_projects(call_id)
            assert answered.status_code == 200, (call_id, answered.text)
            assert answered.json()["result"]["structuredContent"]["items"] == []
        refused = list_projects(5)
        assert refused.status_code == 429
        assert refused.json()["detail"]["error"] == "rate_limited"
        assert 0 < int(refused.headers["retry-after"]) <= 720  # one more request every 12 minutes

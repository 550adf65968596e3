"""What the engine and agents call: load_server_config, call_mcp_tool, McpToolSet, against real MCP servers."""

from __future__ import annotations

import asyncio
import pickle
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import SignedInUser, make_settings, sign_up, wait_for
from tests.mcp.conftest import HttpMcpServer, mcp_children, time_server_body
from trellis.core.runtime import Runtime
from trellis.llm.types import ToolError
from trellis.main import create_app
from trellis.mcp import service
from trellis.mcp.client import call_mcp_tool
from trellis.mcp.config import McpServerConfig
from trellis.mcp.connections import connection_manager
from trellis.mcp.errors import McpCallRejected, McpServerNotFound, McpTimeout
from trellis.mcp.toolset import McpToolSet, namespaced_name

BASE = "/api/v1/mcp/servers"
SECRET = "ghp_abcdefghijklmnopqrstuvwxyz0123456789"
# Tokyo (UTC+9) and Kolkata (UTC+5:30) keep no daylight saving time: the answer holds on any date.
CONVERT = {"source_timezone": "Asia/Tokyo", "time": "12:00", "target_timezone": "Asia/Kolkata"}


def register(client: TestClient, user: SignedInUser, body: dict[str, object]) -> str:
    response = client.post(BASE, json=body, headers=user.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def load(runtime: Runtime, workspace_id: str, server_id: str) -> McpServerConfig:
    with runtime.database.session_factory() as session:
        return service.load_server_config(session, workspace_id=workspace_id, server_id=server_id)


def test_call_mcp_tool_over_stdio_returns_the_known_conversion_and_reuses_the_session(
    client: TestClient, runtime: Runtime, signed_in: Callable[..., SignedInUser]
) -> None:
    owner = signed_in("owner@example.com")
    body = time_server_body(env={"GITHUB_TOKEN": SECRET})
    body["args"] = ["-m", "mcp_server_time", "--local-timezone", "Pacific/Chatham"]
    server_id = register(client, owner, body)
    config = load(runtime, owner.workspace_id, server_id)
    assert config.env == {"GITHUB_TOKEN": SECRET}
    assert SECRET not in repr(config)
    with pytest.raises(TypeError):
        pickle.dumps(config)

    result = asyncio.run(call_mcp_tool(config, "convert_time", CONVERT, timeout=10))
    assert result.is_error is False
    assert result.structured is not None
    assert result.structured["time_difference"] == "-3.5h"
    assert result.structured["source"]["datetime"].endswith("T12:00:00+09:00")
    assert result.structured["target"]["datetime"].endswith("T08:30:00+05:30")
    assert '"time_difference": "-3.5h"' in result.text
    assert len(mcp_children("Pacific/Chatham")) == 1

    # A second event loop (as a Celery task's asyncio.run would have) reuses the same process.
    bad_zone = asyncio.run(
        call_mcp_tool(config, "convert_time", {**CONVERT, "source_timezone": "Mars/Base"}, timeout=10)
    )
    assert bad_zone.is_error is True and "Invalid timezone" in bad_zone.text
    assert len(mcp_children("Pacific/Chatham")) == 1

    with pytest.raises(McpCallRejected) as rejected:
        asyncio.run(call_mcp_tool(config, "no_such_tool", {}, timeout=10))
    assert "Unknown tool: no_such_tool" in rejected.value.message and rejected.value.transient is False

    # Calls from several threads and loops at once share the session.
    outcomes: list[str] = []

    def one_call() -> None:
        outcome = asyncio.run(call_mcp_tool(config, "convert_time", CONVERT, timeout=10))
        outcomes.append(outcome.structured["time_difference"] if outcome.structured else "")

    threads = [threading.Thread(target=one_call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert outcomes == ["-3.5h"] * 8
    assert len(mcp_children("Pacific/Chatham")) == 1

    # A configuration change (the row is the truth) replaces the session and its process.
    changed = client.put(
        f"{BASE}/{server_id}",
        json={"args": ["-m", "mcp_server_time", "--local-timezone", "Pacific/Apia"]},
        headers=owner.headers,
    )
    assert changed.status_code == 200
    wait_for(lambda: not mcp_children("Pacific/Chatham"), timeout=15, what="the old process to stop")
    fresh = load(runtime, owner.workspace_id, server_id)
    assert fresh.config_version == config.config_version + 1
    assert asyncio.run(call_mcp_tool(fresh, "convert_time", CONVERT, timeout=10)).is_error is False
    assert len(mcp_children("Pacific/Apia")) == 1


def test_load_server_config_is_scoped_to_the_workspace(
    client: TestClient, runtime: Runtime, signed_in: Callable[..., SignedInUser]
) -> None:
    owner, other = signed_in("owner@example.com"), signed_in("other@example.com")
    server_id = register(client, owner, time_server_body())
    with pytest.raises(McpServerNotFound):
        load(runtime, other.workspace_id, server_id)
    with pytest.raises(McpServerNotFound):
        load(runtime, owner.workspace_id, "not-a-uuid")


def test_toolset_over_several_servers_namespaces_and_calls_tools(
    client: TestClient,
    runtime: Runtime,
    signed_in: Callable[..., SignedInUser],
    streamable_http_server: HttpMcpServer,
) -> None:
    owner = signed_in("owner@example.com")
    time_id = register(client, owner, time_server_body("Time Server"))
    echo_id = register(
        client,
        owner,
        {
            "name": "echo",
            "type": "streamable_http",
            "url": streamable_http_server.url,
            "headers": {"Authorization": f"Bearer {streamable_http_server.token}"},
        },
    )
    configs = [load(runtime, owner.workspace_id, time_id), load(runtime, owner.workspace_id, echo_id)]
    toolset = asyncio.run(McpToolSet.connect(configs, timeout=10))
    specs = {spec.name: spec for spec in toolset.specs()}
    assert set(specs) == {
        "time_server__get_current_time", "time_server__convert_time",
        "echo__echo", "echo__add", "echo__sleep", "echo__fail",
    }  # fmt: skip
    assert specs["echo__add"].description == "Add two integers."
    assert specs["echo__add"].input_schema["required"] == ["a", "b"]

    async def calls() -> tuple[str, str, str]:
        added = await toolset.call("echo__add", {"a": 19, "b": 23})
        converted = await toolset.call("time_server__convert_time", CONVERT)
        echoed = await toolset.call("echo__echo", {"text": "héllo"})
        return added, converted, echoed

    added, converted, echoed = asyncio.run(calls())
    assert added == "42" and echoed == "héllo"
    assert '"time_difference": "-3.5h"' in converted

    with pytest.raises(ToolError, match="Error executing tool fail: out of paper"):
        asyncio.run(toolset.call("echo__fail", {"message": "out of paper"}))
    with pytest.raises(ToolError, match="Unknown tool 'echo__nope'"):
        asyncio.run(toolset.call("echo__nope", {}))

    # Only the allowed tools are offered.
    narrowed = asyncio.run(McpToolSet.connect(configs, allowed={"echo__add", "convert_time"}))
    assert sorted(spec.name for spec in narrowed.specs()) == ["echo__add", "time_server__convert_time"]

    # A tool that outlives its timeout is a transient McpTimeout (the engine retries those).
    slow = McpToolSet.from_tool_lists([(configs[1], [{"name": "sleep", "input_schema": {}}])], timeout=0.5)
    with pytest.raises(McpTimeout) as timed_out:
        asyncio.run(slow.call("echo__sleep", {"seconds": 5}))
    assert timed_out.value.transient is True


def test_namespaced_names_are_valid_function_names() -> None:
    assert namespaced_name("My Time/Server", "convert_time") == "my_time_server__convert_time"
    long = namespaced_name("s" * 80, "tool")
    assert len(long) == 64 and long != namespaced_name("s" * 81, "tool")
    assert namespaced_name("a__b", "x.y") == "a_b__x_y"


def test_idle_sessions_are_closed_and_their_process_stopped(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path / "data", mcp_idle_timeout_seconds=0.5))
    with TestClient(app) as client:
        runtime: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
        owner = sign_up(client, "owner@example.com")
        body = time_server_body()
        body["args"] = ["-m", "mcp_server_time", "--local-timezone", "America/Lima"]
        server_id = register(client, owner, body)
        config = load(runtime, owner.workspace_id, server_id)
        assert asyncio.run(call_mcp_tool(config, "convert_time", CONVERT, timeout=10)).is_error is False
        assert mcp_children("America/Lima")
        wait_for(lambda: not mcp_children("America/Lima"), timeout=15, what="the idle session to close")
        manager = connection_manager()
        assert manager.run_sync(_live(server_id)) is False


async def _live(server_id: str) -> bool:
    return connection_manager().live(server_id) is not None


def test_another_process_loads_and_calls_a_server_like_a_worker_does(
    client: TestClient, runtime: Runtime, signed_in: Callable[..., SignedInUser], settings: object
) -> None:
    owner = signed_in("owner@example.com")
    server_id = register(client, owner, time_server_body())
    data_dir = runtime.settings.data_dir
    script = f"""
import asyncio
from trellis.core.config import Settings
from trellis.core.runtime import build_runtime
from trellis.mcp.client import call_mcp_tool
from trellis.mcp.service import load_server_config

settings = Settings(_env_file=None, data_dir={str(data_dir)!r}, env="test", database_url=None, redis_url=None)
runtime = build_runtime(settings)
with runtime.database.session_factory() as session:
    config = load_server_config(session, workspace_id={owner.workspace_id!r}, server_id={server_id!r})
for _ in range(2):  # two event loops, as two jobs in one worker process would use
    result = asyncio.run(call_mcp_tool(config, "convert_time", {CONVERT!r}, timeout=10))
    print("RESULT", result.structured["time_difference"])
"""
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=Path(__file__).parents[2]
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    results = [line for line in completed.stdout.splitlines() if line.startswith("RESULT ")]
    assert results == ["RESULT -3.5h", "RESULT -3.5h"]

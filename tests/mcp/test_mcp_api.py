"""`/api/v1/mcp/servers` against real MCP servers: PyPI's mcp-server-time over stdio, FastMCP over HTTP and SSE."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from tests.conftest import SignedInUser, add_member, wait_for
from tests.mcp.conftest import HttpMcpServer, mcp_children, time_server_body
from trellis.audit.models import AuditRecord
from trellis.core.runtime import Runtime
from trellis.mcp.models import McpServer

BASE = "/api/v1/mcp/servers"
ENV_SECRET = "sk-live-mcp-7d1e0c55aa93f4b2"


def _counts(runtime: Runtime) -> tuple[int, int]:
    with runtime.database.session_factory() as session:
        servers = session.scalar(select(func.count()).select_from(McpServer)) or 0
        audit = session.scalar(select(func.count()).select_from(AuditRecord)) or 0
    return servers, audit


def create(client: TestClient, user: SignedInUser, body: dict[str, object]) -> dict:
    response = client.post(BASE, json=body, headers=user.headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_stdio_server_lifecycle_with_mcp_server_time(
    client: TestClient, runtime: Runtime, signed_in: Callable[..., SignedInUser]
) -> None:
    owner = signed_in("owner@example.com")
    body = time_server_body(env={"TIME_API_KEY": ENV_SECRET, "PLAIN": "x"})
    body["args"] = ["-m", "mcp_server_time", "--local-timezone", "Asia/Kathmandu"]
    created = create(client, owner, body)
    assert created["type"] == "stdio"
    assert created["status"] == "disconnected"
    assert created["env"] == {"PLAIN": "***", "TIME_API_KEY": "***"}
    assert created["workspace_id"] == owner.workspace_id and created["created_by"] == owner.user_id
    server_id = created["id"]

    # Before any connect the tool list is the (empty) cache.
    cached = client.get(f"{BASE}/{server_id}/tools", headers=owner.headers).json()
    assert cached == {
        "server_id": server_id,
        "source": "cache",
        "fetched_at": None,
        "status": "disconnected",
        "items": [],
    }

    connected = client.post(f"{BASE}/{server_id}/connect", headers=owner.headers)
    assert connected.status_code == 200, connected.text
    server = connected.json()
    assert server["status"] == "connected" and server["last_error"] is None
    assert server["server_info"]["name"] == "mcp-time"
    assert "tools" in server["capabilities"]
    assert server["tool_count"] == 2 and server["last_connected_at"] is not None
    assert mcp_children("Asia/Kathmandu"), "the stdio server process should be running"

    tools = client.get(f"{BASE}/{server_id}/tools", headers=owner.headers).json()
    assert tools["source"] == "live" and tools["status"] == "connected"
    by_name = {tool["name"]: tool for tool in tools["items"]}
    assert set(by_name) == {"get_current_time", "convert_time"}
    schema = by_name["convert_time"]["input_schema"]
    assert schema["required"] == ["source_timezone", "time", "target_timezone"]
    assert schema["properties"]["time"]["type"] == "string"
    assert "Asia/Kathmandu" in schema["properties"]["source_timezone"]["description"]

    disconnected = client.post(f"{BASE}/{server_id}/disconnect", headers=owner.headers)
    assert disconnected.status_code == 200 and disconnected.json()["status"] == "disconnected"
    wait_for(lambda: not mcp_children("Asia/Kathmandu"), timeout=15, what="the stdio server process to exit")

    after = client.get(f"{BASE}/{server_id}/tools", headers=owner.headers).json()
    assert after["source"] == "cache" and after["status"] == "disconnected"
    assert {tool["name"] for tool in after["items"]} == {"get_current_time", "convert_time"}
    assert after["fetched_at"] is not None

    # The secret is nowhere in clear: not in any response, not in the row, not in the audit trail.
    everything = (
        client.get(BASE, headers=owner.headers).text + client.get(f"{BASE}/{server_id}", headers=owner.headers).text
    )
    assert ENV_SECRET not in everything
    with runtime.database.session_factory() as session:
        row = session.get(McpServer, uuid.UUID(server_id))
        assert row is not None
        assert ENV_SECRET not in row.sealed_env and row.sealed_env.startswith("v1:")
        dump = " ".join(str(value) for value in session.execute(text("SELECT * FROM mcp_servers")).one())
        assert ENV_SECRET not in dump
        audit = session.scalars(select(AuditRecord).where(AuditRecord.resource_id == server_id)).all()
        assert [record.action for record in audit] == [
            "mcp_server.created", "mcp_server.connected", "mcp_server.disconnected",
        ]  # fmt: skip
        assert all(ENV_SECRET not in str(record.details) for record in audit)


def test_a_server_that_fails_to_start_reports_a_masked_error(
    client: TestClient, signed_in: Callable[..., SignedInUser]
) -> None:
    owner = signed_in("owner@example.com")
    leaky = create(
        client,
        owner,
        {
            "name": "leaky",
            "type": "stdio",
            "command": sys.executable,
            "args": [
                "-c",
                "import os, sys; sys.stderr.write('cannot start, key=' + os.environ['API_KEY']); sys.exit(3)",
            ],
            "env": {"API_KEY": ENV_SECRET},
        },
    )
    response = client.post(f"{BASE}/{leaky['id']}/connect", headers=owner.headers)
    assert response.status_code == 502
    detail = response.json()["detail"]
    assert detail["error"] == "mcp_connect_failed"
    assert "exited or closed its output before completing the MCP handshake" in detail["message"]
    assert "cannot start, key=[REDACTED]" in detail["message"]
    assert ENV_SECRET not in response.text
    server = client.get(f"{BASE}/{leaky['id']}", headers=owner.headers).json()
    assert server["status"] == "error" and server["last_error"] == detail["message"]

    bad_zone = create(
        client, owner, time_server_body("bad zone", args=["-m", "mcp_server_time", "--local-timezone", "Nowhere/Land"])
    )
    response = client.post(f"{BASE}/{bad_zone['id']}/connect", headers=owner.headers)
    assert response.status_code == 502
    assert "invalid --local-timezone 'Nowhere/Land'" in response.json()["detail"]["message"]

    missing = create(client, owner, {"name": "missing", "type": "stdio", "command": "/nonexistent/mcp-server"})
    response = client.post(f"{BASE}/{missing['id']}/connect", headers=owner.headers)
    assert response.status_code == 502
    assert "the command '/nonexistent/mcp-server' was not found" in response.json()["detail"]["message"]


def test_streamable_http_and_sse_servers_with_encrypted_headers(
    client: TestClient,
    runtime: Runtime,
    signed_in: Callable[..., SignedInUser],
    streamable_http_server: HttpMcpServer,
    sse_server: HttpMcpServer,
) -> None:
    editor_owner = signed_in("owner@example.com")
    for served in (streamable_http_server, sse_server):
        created = create(
            client,
            editor_owner,
            {
                "name": f"echo {served.transport}",
                "type": served.transport,
                "url": served.url,
                "headers": {"Authorization": f"Bearer {served.token}"},
            },
        )
        assert created["headers"] == {"Authorization": "***"}
        connected = client.post(f"{BASE}/{created['id']}/connect", headers=editor_owner.headers)
        assert connected.status_code == 200, connected.text
        assert connected.json()["server_info"]["name"] == "echo-test"
        listed = client.get(f"{BASE}/{created['id']}/tools", headers=editor_owner.headers)
        tools = listed.json()
        assert tools["source"] == "live"
        add = next(tool for tool in tools["items"] if tool["name"] == "add")
        assert add["description"] == "Add two integers."
        assert add["input_schema"]["properties"] == {
            "a": {"title": "A", "type": "integer"},
            "b": {"title": "B", "type": "integer"},
        }
        assert served.token not in connected.text + listed.text

        # A wrong token: the server answers 401, the status says so.
        wrong = client.put(
            f"{BASE}/{created['id']}",
            json={"headers": {"Authorization": "Bearer wrong-token-123456"}},
            headers=editor_owner.headers,
        )
        assert wrong.status_code == 200 and wrong.json()["status"] == "disconnected"
        refused = client.post(f"{BASE}/{created['id']}/connect", headers=editor_owner.headers)
        assert refused.status_code == 502
        assert refused.json()["detail"]["error"] == "mcp_connect_rejected"
        assert "the server answered HTTP 401" in refused.json()["detail"]["message"]
        assert "wrong-token-123456" not in refused.text

    with runtime.database.session_factory() as session:
        for row in session.scalars(select(McpServer)):
            assert streamable_http_server.token not in row.sealed_headers + str(row.last_error)


def test_masked_values_round_trip_and_updates_validate_the_whole_server(
    client: TestClient, signed_in: Callable[..., SignedInUser], runtime: Runtime
) -> None:
    owner = signed_in("owner@example.com")
    created = create(client, owner, time_server_body(env={"API_KEY": ENV_SECRET}))
    url = f"{BASE}/{created['id']}"
    # PUT back what GET returned: `***` keeps the stored value.
    echoed = client.put(url, json={"env": created["env"], "description": "clock"}, headers=owner.headers)
    assert echoed.status_code == 200, echoed.text
    from trellis.mcp import service

    with runtime.database.session_factory() as session:
        config = service.load_server_config(session, workspace_id=owner.workspace_id, server_id=created["id"])
    assert config.env == {"API_KEY": ENV_SECRET}
    assert ENV_SECRET not in repr(config)

    unknown_mask = client.put(url, json={"env": {"OTHER": "***"}}, headers=owner.headers)
    assert unknown_mask.status_code == 422
    assert unknown_mask.json()["detail"]["errors"][0]["loc"] == ["body", "env.OTHER"]

    # Switching transport needs the new transport's fields.
    to_http = client.put(url, json={"type": "streamable_http"}, headers=owner.headers)
    assert to_http.status_code == 422 and to_http.json()["detail"]["errors"][0]["loc"] == ["body", "url"]
    switched = client.put(
        url, json={"type": "streamable_http", "url": "https://mcp.example.com/mcp"}, headers=owner.headers
    )
    assert switched.status_code == 200
    assert switched.json()["command"] is None and switched.json()["env"] == {} and switched.json()["args"] == []


def test_bad_input_is_422_naming_the_field_and_changes_nothing(
    client: TestClient, runtime: Runtime, signed_in: Callable[..., SignedInUser]
) -> None:
    owner = signed_in("owner@example.com")
    before = _counts(runtime)
    cases: list[tuple[dict[str, object], list[str]]] = [
        ({"name": "a", "type": "stdio"}, ["body", "command"]),
        ({"name": "a", "type": "sse"}, ["body", "url"]),
        ({"name": "a", "type": "streamable_http", "url": "ftp://example.com/mcp"}, ["body", "url"]),
        ({"name": "a", "type": "streamable_http", "url": "not a url"}, ["body", "url"]),
        ({"name": "a", "type": "streamable_http", "url": "http://[::1/mcp"}, ["body", "url"]),
        ({"name": "a", "type": "streamable_http", "url": "http://example.com:99999/mcp"}, ["body", "url"]),
        ({"name": "a", "type": "sse", "url": "https://user:pw@example.com/sse"}, ["body", "url"]),
        ({"name": "a", "type": "sse", "url": "https://example.com/sse", "command": "ls"}, ["body", "command"]),
        ({"name": "a", "type": "stdio", "command": "x", "url": "https://example.com"}, ["body", "url"]),
        ({"name": "a", "type": "websocket", "url": "https://example.com"}, ["body", "type"]),
        ({"name": " ", "type": "stdio", "command": "x"}, ["body", "name"]),
        ({"name": "a", "type": "stdio", "command": "x", "env": {"1BAD": "v"}}, ["body", "env"]),
        (
            {"name": "a", "type": "sse", "url": "https://example.com/sse", "headers": {"Bad Header": "v"}},
            ["body", "headers"],
        ),
        ({"name": "a", "type": "stdio", "command": "x", "surprise": 1}, ["body", "surprise"]),
    ]
    for body, loc in cases:
        response = client.post(BASE, json=body, headers=owner.headers)
        assert response.status_code == 422, (body, response.text)
        detail = response.json()["detail"]
        assert detail["error"] == "validation_error"
        assert detail["errors"][0]["loc"] == loc, (body, detail)
    assert _counts(runtime) == before


def test_roles_outsiders_viewers_editors_and_stdio_admins(
    client: TestClient, runtime: Runtime, signed_in: Callable[..., SignedInUser], admin: SignedInUser
) -> None:
    owner = signed_in("owner@example.com")
    editor, viewer, outsider = (
        signed_in("editor@example.com"),
        signed_in("viewer@example.com"),
        signed_in("out@example.com"),
    )
    add_member(client, owner, owner.workspace_id, editor, "editor")
    add_member(client, owner, owner.workspace_id, viewer, "viewer")
    stdio = create(client, owner, time_server_body())
    http_body = {
        "workspace_id": owner.workspace_id,
        "name": "remote",
        "type": "sse",
        "url": "https://mcp.example.com/sse",
    }

    # Outsiders learn nothing: 404 on every route, nothing in their list.
    for method, path in [
        ("get", f"{BASE}/{stdio['id']}"),
        ("put", f"{BASE}/{stdio['id']}"),
        ("delete", f"{BASE}/{stdio['id']}"),
        ("post", f"{BASE}/{stdio['id']}/connect"),
        ("post", f"{BASE}/{stdio['id']}/disconnect"),
        ("get", f"{BASE}/{stdio['id']}/tools"),
    ]:
        kwargs = {"json": {"description": "x"}} if method == "put" else {}
        response = getattr(client, method)(path, headers=outsider.headers, **kwargs)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["detail"]["error"] == "mcp_server_not_found"
    assert client.get(BASE, headers=outsider.headers).json()["total"] == 0
    assert client.post(BASE, json=http_body, headers=outsider.headers).status_code == 404

    # Viewers read but never write.
    assert client.get(f"{BASE}/{stdio['id']}", headers=viewer.headers).status_code == 200
    assert client.get(BASE, params={"workspace_id": owner.workspace_id}, headers=viewer.headers).json()["total"] == 1
    for response in (
        client.post(BASE, json=http_body, headers=viewer.headers),
        client.put(f"{BASE}/{stdio['id']}", json={"description": "x"}, headers=viewer.headers),
        client.delete(f"{BASE}/{stdio['id']}", headers=viewer.headers),
        client.post(f"{BASE}/{stdio['id']}/connect", headers=viewer.headers),
        client.post(f"{BASE}/{stdio['id']}/disconnect", headers=viewer.headers),
    ):
        assert response.status_code == 403, response.text

    # Editors manage HTTP servers, but a stdio server (a command run on the host) needs an owner or admin.
    remote = client.post(BASE, json=http_body, headers=editor.headers)
    assert remote.status_code == 201
    refused = client.post(
        BASE, json={**time_server_body("mine"), "workspace_id": owner.workspace_id}, headers=editor.headers
    )
    assert refused.status_code == 403 and refused.json()["detail"]["error"] == "mcp_stdio_requires_admin"
    as_stdio = client.put(
        f"{BASE}/{remote.json()['id']}", json={"type": "stdio", "command": "/bin/sh"}, headers=editor.headers
    )
    assert as_stdio.status_code == 403
    changed = client.put(f"{BASE}/{stdio['id']}", json={"args": ["-c", "print(1)"]}, headers=editor.headers)
    assert changed.status_code == 403
    assert client.get(f"{BASE}/{stdio['id']}", headers=owner.headers).json()["args"] == stdio["args"]

    # An instance admin who is an editor of the workspace may register one.
    add_member(client, owner, owner.workspace_id, admin, "editor")
    by_admin = client.post(
        BASE, json={**time_server_body("admins"), "workspace_id": owner.workspace_id}, headers=admin.headers
    )
    assert by_admin.status_code == 201

    # Names are unique per workspace.
    clash = client.post(BASE, json={**http_body, "name": "time"}, headers=owner.headers)
    assert clash.status_code == 409 and clash.json()["detail"]["error"] == "mcp_server_name_taken"

    # Editors delete; the row goes.
    assert client.delete(f"{BASE}/{remote.json()['id']}", headers=editor.headers).status_code == 204
    assert client.get(f"{BASE}/{remote.json()['id']}", headers=owner.headers).status_code == 404


def test_stdio_can_be_switched_off_for_the_instance(tmp_path, signed_in: Callable[..., SignedInUser]) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import make_settings, sign_up
    from trellis.main import create_app

    app = create_app(make_settings(tmp_path / "data", mcp_allow_stdio=False))
    with TestClient(app) as locked:
        owner = sign_up(locked, "owner@example.com")
        response = locked.post(BASE, json=time_server_body(), headers=owner.headers)
        assert response.status_code == 403 and response.json()["detail"]["error"] == "mcp_stdio_disabled"

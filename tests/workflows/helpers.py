"""Shared pieces of the workflow tests: a local HTTP target the HTTP node calls, and graph builders."""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import SignedInUser, wait_for


@dataclass
class HttpTarget:
    """A real HTTP server on loopback whose answer the test can change while a run is going on."""

    status: int = 200
    received: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""


@contextmanager
def http_target(status: int = 200) -> Iterator[HttpTarget]:
    target = HttpTarget(status=status)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            body = json.loads(self.rfile.read(length) or b"null")
            target.received.append({"headers": dict(self.headers), "body": body})
            payload = json.dumps({"ok": target.status < 400, "echo": body}).encode()
            self.send_response(target.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    target.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield target
    finally:
        server.shutdown()
        server.server_close()


def chain(*nodes: dict[str, Any]) -> dict[str, Any]:
    """nodes connected one after the other (plain connections)."""
    return {
        "nodes": list(nodes),
        "connections": [{"source": a["id"], "target": b["id"]} for a, b in itertools.pairwise(nodes)],
    }


def create_workflow(
    client: TestClient, user: SignedInUser, name: str, graph: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    response = client.post("/api/v1/workflows", json={"name": name, **graph, **extra}, headers=user.headers)
    assert response.status_code == 201, response.text
    return response.json()


def start(client: TestClient, user: SignedInUser, workflow_id: str, data: dict[str, Any] | None = None) -> str:
    response = client.post(
        "/api/v1/executions", json={"workflow_id": workflow_id, "trigger_data": data or {}}, headers=user.headers
    )
    assert response.status_code == 202, response.text
    assert response.headers["Location"] == f"/api/v1/executions/{response.json()['id']}"
    return str(response.json()["id"])


def wait_status(
    client: TestClient, user: SignedInUser, execution_id: str, *statuses: str, timeout: float = 20
) -> dict[str, Any]:
    def reached() -> dict[str, Any] | None:
        body = client.get(f"/api/v1/executions/{execution_id}", headers=user.headers).json()
        return body if body["status"] in statuses else None

    return wait_for(reached, timeout=timeout, what=f"execution {execution_id} to be {statuses}")


def node_runs(client: TestClient, user: SignedInUser, execution_id: str) -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/executions/{execution_id}/nodes", headers=user.headers)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def check_workflow_listing(client: TestClient, user: SignedInUser) -> None:
    """Filters and pages are applied by the database: tag membership, literal search text, total before paging."""
    for name, tags in (
        ("Billing sync", ["billing", "nightly"]),
        ("100% done_report", ["reports"]),
        ("Billing export", ["billing"]),
        ("Nightly cleanup", ["nightly-ish"]),
    ):
        create_workflow(client, user, name, chain({"id": "start", "type": "manual"}), tags=tags)

    def names(query: str) -> tuple[list[str], int]:
        page = client.get(f"/api/v1/workflows?{query}", headers=user.headers)
        assert page.status_code == 200, page.text
        return sorted(w["name"] for w in page.json()["items"]), page.json()["total"]

    assert names("tag=billing") == (["Billing export", "Billing sync"], 2)
    assert names("tag=nightly") == (["Billing sync"], 1)  # a tag is matched whole, not as a prefix
    assert names("search=100%25") == (["100% done_report"], 1)  # % is literal text, not a wildcard
    assert names("search=g_s") == ([], 0)  # _ too: as a wildcard it would match "Billing sync"
    assert names("search=BILLING&tag=nightly") == (["Billing sync"], 1)
    first, total = names("limit=3&offset=0")
    rest, _ = names("limit=3&offset=3")
    assert total == 4 and len(first) == 3 and len(rest) == 1 and not set(first) & set(rest)

"""Issue 4's check: approval + failing HTTP node, watched over the WebSocket, retried from the failed node."""

from __future__ import annotations

import time
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import wait_for
from tests.workflows.helpers import create_workflow, http_target, node_runs, start, wait_status

FAST_RETRIES = {"max_retries": 2, "delays_seconds": [0.05, 0.05]}


def _graph(url: str) -> dict[str, Any]:
    return {
        "nodes": [
            {"id": "start", "type": "manual"},
            {"id": "review", "type": "approval", "config": {"message": "Ship {{ input.release }}?"}},
            {
                "id": "notify",
                "type": "http_request",
                "config": {"method": "POST", "url": url, "body": {"release": "{{ nodes.start.release }}"}},
                "retry": FAST_RETRIES,
            },
            {"id": "summary", "type": "transform", "config": {"output": "notified: {{ input.body.ok }}"}},
        ],
        "connections": [
            {"source": "start", "target": "review"},
            {"source": "review", "target": "notify", "source_handle": "approved"},
            {"source": "notify", "target": "summary"},
        ],
    }


def test_approve_watch_fail_fix_and_retry_from_the_failed_node(client: TestClient, signed_in) -> None:  # type: ignore[no-untyped-def]
    alice = signed_in("alice@example.com")
    with http_target(status=500) as target:
        workflow = create_workflow(client, alice, "Release", _graph(target.url))
        execution_id = start(client, alice, workflow["id"], {"release": "v1.2"})
        with client.websocket_connect(
            f"/api/v1/ws/executions/{execution_id}?access_token={alice.access_token}"
        ) as socket:
            snapshot = socket.receive_json()
            assert snapshot["type"] == "snapshot"
            assert [n["node_id"] for n in snapshot["nodes"]] == ["start", "review", "notify", "summary"]
            seen: list[tuple[str, str]] = []
            while ("review", "waiting") not in seen:
                message = socket.receive_json()
                assert set(message) >= {"type", "execution_id", "timestamp"}
                if message["type"] == "node_status":
                    seen.append((message["node_id"], message["status"]))
            assert ("start", "completed") in seen
            waiting = wait_status(client, alice, execution_id, "waiting")
            assert waiting["status"] == "waiting"
            review = next(r for r in node_runs(client, alice, execution_id) if r["node_id"] == "review")
            assert review["metadata"]["waiting_for"]["message"] == "Ship v1.2?"

            approved = client.post(
                f"/api/v1/executions/{execution_id}/approve", json={"comment": "go"}, headers=alice.headers
            )
            assert approved.status_code == 202, approved.text
            twice = client.post(f"/api/v1/executions/{execution_id}/approve", json={}, headers=alice.headers)
            assert twice.status_code == 409

            while ("notify", "failed") not in seen:
                message = socket.receive_json()
                if message["type"] == "node_status":
                    seen.append((message["node_id"], message["status"]))
            assert seen.count(("notify", "retrying")) == 2

        failed = wait_status(client, alice, execution_id, "failed")
        assert failed["failed_node_id"] == "notify"
        assert "answered 500" in failed["error_message"]
        # Three attempts of one node run share one idempotency key; the attempt number differs.
        assert len(target.received) == 3
        keys = {r["headers"]["Idempotency-Key"] for r in target.received}
        assert len(keys) == 1
        assert [r["headers"]["X-Trellis-Attempt"] for r in target.received] == ["1", "2", "3"]
        assert target.received[0]["body"] == {"release": "v1.2"}

        before = {r["node_id"]: r for r in node_runs(client, alice, execution_id) if r["status"] == "completed"}
        assert set(before) == {"start", "review"}
        assert before["review"]["output_data"]["comment"] == "go"
        assert before["review"]["output_data"]["decided_by_email"] == "alice@example.com"

        target.status = 200
        retried = client.post(f"/api/v1/executions/{execution_id}/retry", headers=alice.headers)
        assert retried.status_code == 202, retried.text
        assert retried.json()["run"] == 2
        done = wait_status(client, alice, execution_id, "completed", "failed")
        assert done["status"] == "completed", done
        assert done["output"] == {"summary": "notified: True"}

    runs = node_runs(client, alice, execution_id)
    by_node: dict[str, list[dict[str, Any]]] = {}
    for run in runs:
        by_node.setdefault(run["node_id"], []).append(run)
    # Earlier nodes were not re-run: one row each, unchanged.
    assert [r["id"] for r in by_node["start"]] == [before["start"]["id"]]
    assert [r["id"] for r in by_node["review"]] == [before["review"]["id"]]
    assert by_node["start"][0]["end_time"] == before["start"]["end_time"]
    assert [(r["run"], r["status"], r["retry_count"]) for r in by_node["notify"]] == [
        (1, "failed", 2),
        (2, "completed", 0),
    ]
    assert len(target.received) == 4


def test_rejecting_without_a_rejected_branch_ends_the_run_and_reject_comment_is_kept(
    client: TestClient, signed_in
) -> None:  # type: ignore[no-untyped-def]
    alice = signed_in("alice@example.com")
    graph = {
        "nodes": [
            {"id": "start", "type": "manual"},
            {"id": "review", "type": "approval"},
            {"id": "yes", "type": "transform", "config": {"output": "approved"}},
            {"id": "no", "type": "transform", "config": {"output": "rejected because {{ input.comment }}"}},
        ],
        "connections": [
            {"source": "start", "target": "review"},
            {"source": "review", "target": "yes", "source_handle": "approved"},
            {"source": "review", "target": "no", "source_handle": "rejected"},
        ],
    }
    workflow = create_workflow(client, alice, "Gate", graph)
    execution_id = start(client, alice, workflow["id"])
    wait_status(client, alice, execution_id, "waiting")
    rejected = client.post(
        f"/api/v1/executions/{execution_id}/reject", json={"comment": "too risky"}, headers=alice.headers
    )
    assert rejected.status_code == 202
    done = wait_status(client, alice, execution_id, "completed", "failed")
    assert done["output"] == {"no": "rejected because too risky"}
    assert "yes" not in {r["node_id"] for r in node_runs(client, alice, execution_id)}


def test_cancel_a_waiting_execution_and_outsiders_see_nothing(client: TestClient, signed_in) -> None:  # type: ignore[no-untyped-def]
    alice = signed_in("alice@example.com")
    mallory = signed_in("mallory@example.com")
    graph = {
        "nodes": [{"id": "start", "type": "manual"}, {"id": "review", "type": "approval"}],
        "connections": [{"source": "start", "target": "review"}],
    }
    workflow = create_workflow(client, alice, "Gate", graph)
    execution_id = start(client, alice, workflow["id"])
    wait_status(client, alice, execution_id, "waiting")
    for path in (
        f"/api/v1/executions/{execution_id}",
        f"/api/v1/executions/{execution_id}/nodes",
        f"/api/v1/executions/{execution_id}/logs",
        f"/api/v1/workflows/{workflow['id']}",
    ):
        assert client.get(path, headers=mallory.headers).status_code == 404, path
    assert (
        client.post(f"/api/v1/executions/{execution_id}/approve", json={}, headers=mallory.headers).status_code == 404
    )
    assert client.post(f"/api/v1/executions/{execution_id}/cancel", headers=mallory.headers).status_code == 404
    assert client.get("/api/v1/executions", headers=mallory.headers).json()["total"] == 0
    with client.websocket_connect(f"/api/v1/ws/executions/{execution_id}?access_token={mallory.access_token}") as ws:
        assert ws.receive_json()["type"] == "error"

    cancelled = client.post(f"/api/v1/executions/{execution_id}/cancel", headers=alice.headers)
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert client.post(f"/api/v1/executions/{execution_id}/approve", json={}, headers=alice.headers).status_code == 409
    review = next(r for r in node_runs(client, alice, execution_id) if r["node_id"] == "review")
    assert review["status"] == "cancelled"


def test_cancel_during_a_retry_delay_stops_at_once_and_the_delayed_attempt_never_runs(  # type: ignore[no-untyped-def]
    client: TestClient, signed_in
) -> None:
    alice = signed_in("alice@example.com")
    with http_target(status=503) as target:
        graph = {
            "nodes": [
                {"id": "start", "type": "manual"},
                {
                    "id": "notify",
                    "type": "http_request",
                    "config": {"method": "POST", "url": target.url, "body": {"n": 1}},
                    "retry": {"max_retries": 1, "delays_seconds": [1.5]},
                },
            ],
            "connections": [{"source": "start", "target": "notify"}],
        }
        workflow = create_workflow(client, alice, "Flaky", graph)
        execution_id = start(client, alice, workflow["id"])
        wait_for(
            lambda: any(r["status"] == "retrying" for r in node_runs(client, alice, execution_id)),
            what="the first attempt to fail and wait for its retry",
        )
        cancelled = client.post(f"/api/v1/executions/{execution_id}/cancel", headers=alice.headers)
        assert cancelled.status_code == 200
        assert cancelled.json()["status"] == "cancelled"  # at once, not after the 1.5 s delay
        time.sleep(2.5)  # past the moment the delayed attempt was due
        assert len(target.received) == 1
    notify = next(r for r in node_runs(client, alice, execution_id) if r["node_id"] == "notify")
    assert (notify["status"], notify["retry_count"]) == ("cancelled", 0)
    assert client.get(f"/api/v1/executions/{execution_id}", headers=alice.headers).json()["status"] == "cancelled"

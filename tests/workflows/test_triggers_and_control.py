"""Webhook (HMAC) and cron triggers, loops/switch/merge in a run, re-run from a node, durable waits, retention."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from tests.conftest import make_settings, wait_for
from tests.workflows.helpers import chain, create_workflow, node_runs, start, wait_status
from trellis.core.db import utcnow
from trellis.executions.jobs import prune_old_executions
from trellis.executions.models import WorkflowExecution
from trellis.main import create_app
from trellis.workflows.models import WorkflowSchedule


def _sign(secret: str, body: bytes, timestamp: int) -> dict[str, str]:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return {
        "X-Trellis-Timestamp": str(timestamp),
        "X-Trellis-Signature": f"sha256={digest}",
        "Content-Type": "application/json",
    }


def test_webhook_deliveries_must_be_signed_and_replays_start_nothing(client: TestClient, signed_in) -> None:  # type: ignore[no-untyped-def]
    alice = signed_in("alice@example.com")
    graph = chain(
        {"id": "hook", "type": "webhook"},
        {"id": "pick", "type": "transform", "config": {"output": "{{ input.body.order }}"}},
    )
    workflow = create_workflow(client, alice, "Orders", graph)
    info = client.post(f"/api/v1/workflows/{workflow['id']}/webhook", headers=alice.headers).json()
    url = info["urls"]["hook"]
    body = json.dumps({"order": 42}).encode()
    now = int(time.time())
    assert client.post(url, content=body, headers=_sign(info["secret"], body, now)).status_code == 404  # draft
    client.patch(f"/api/v1/workflows/{workflow['id']}/status", json={"status": "published"}, headers=alice.headers)

    assert client.post(url, content=body, headers=_sign("whsec_wrong", body, now)).status_code == 401
    assert client.post(url, content=body, headers=_sign(info["secret"], body, now - 3600)).status_code == 401
    assert client.post(url, content=body).status_code == 401
    accepted = client.post(url, content=body, headers=_sign(info["secret"], body, now))
    assert accepted.status_code == 202, accepted.text
    replay = client.post(url, content=body, headers=_sign(info["secret"], body, now))
    assert replay.json() == {"status": "duplicate", "execution_id": None}
    done = wait_status(client, alice, accepted.json()["execution_id"], "completed", "failed")
    assert done["output"] == {"pick": 42}
    assert done["trigger_type"] == "webhook"
    assert "authorization" not in {k.lower() for k in done["trigger_data"]["headers"]}
    rotated = client.post(f"/api/v1/workflows/{workflow['id']}/webhook?rotate=true", headers=alice.headers).json()
    assert rotated["secret"] != info["secret"]
    assert client.post(url, content=b"{}", headers=_sign(info["secret"], b"{}", now)).status_code == 401


def test_cron_fires_once_per_slot_for_published_workflows(tmp_path, signed_in) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(tmp_path / "data", workflow_scheduler_interval_seconds=0.1)
    with TestClient(create_app(settings)) as client:
        runtime = client.app.state.runtime  # type: ignore[attr-defined]
        from tests.conftest import sign_up

        alice = sign_up(client, "alice@example.com")
        graph = chain(
            {"id": "tick", "type": "cron", "config": {"cron": "0 3 * * *", "timezone": "Europe/Paris"}},
            {"id": "note", "type": "transform", "config": {"output": "{{ input.scheduled_for }}"}},
        )
        workflow = create_workflow(client, alice, "Nightly", graph)
        with runtime.database.session_factory() as session:
            assert session.scalars(select(WorkflowSchedule)).all() == []  # drafts have no schedule
        client.patch(f"/api/v1/workflows/{workflow['id']}/status", json={"status": "published"}, headers=alice.headers)
        with runtime.database.session_factory() as session:
            schedule = session.scalars(select(WorkflowSchedule)).one()
            assert schedule.next_fire_at > utcnow()
            slot = utcnow().replace(microsecond=0) - timedelta(minutes=1)
            session.execute(update(WorkflowSchedule).values(next_fire_at=slot))
            session.commit()

        def executions() -> list[WorkflowExecution]:
            with runtime.database.session_factory() as session:
                return list(session.scalars(select(WorkflowExecution)).all())

        wait_for(lambda: executions() and executions()[0].status == "completed", what="the cron run")
        time.sleep(0.5)  # several more scheduler passes
        [run] = executions()
        assert run.trigger_type == "cron"
        assert run.trigger_key == f"cron:tick:{slot.isoformat()}"
        assert run.output == {"note": slot.isoformat()}
        with runtime.database.session_factory() as session:
            assert session.scalars(select(WorkflowSchedule)).one().next_fire_at > utcnow()


def test_loop_switch_and_merge_and_rerun_from_a_node(client: TestClient, signed_in) -> None:  # type: ignore[no-untyped-def]
    alice = signed_in("alice@example.com")
    graph = {
        "nodes": [
            {"id": "start", "type": "manual"},
            {"id": "each", "type": "loop", "config": {"items": "input.items"}},
            {
                "id": "kind",
                "type": "switch",
                "config": {"value": "input.item.kind", "cases": [{"name": "bug", "equals": "bug"}]},
            },
            {"id": "bug", "type": "transform", "config": {"output": "fix {{ nodes.each.item.title }}"}},
            {"id": "other", "type": "transform", "config": {"output": "triage {{ nodes.each.item.title }}"}},
            {"id": "joined", "type": "merge", "config": {"mode": "any"}},
            {"id": "a", "type": "transform", "config": {"output": "{{ input.results | length }}"}},
            {"id": "b", "type": "transform", "config": {"output": "{{ input.results | join(', ') }}"}},
            {"id": "both", "type": "merge"},
        ],
        "connections": [
            {"source": "start", "target": "each"},
            {"source": "each", "target": "kind", "source_handle": "body"},
            {"source": "kind", "target": "bug", "source_handle": "bug"},
            {"source": "kind", "target": "other", "source_handle": "default"},
            {"source": "bug", "target": "joined"},
            {"source": "other", "target": "joined"},
            {"source": "joined", "target": "each"},
            {"source": "each", "target": "a", "source_handle": "done"},
            {"source": "each", "target": "b", "source_handle": "done"},
            {"source": "a", "target": "both"},
            {"source": "b", "target": "both"},
        ],
    }
    workflow = create_workflow(client, alice, "Triage", graph)
    items = [{"kind": "bug", "title": "crash"}, {"kind": "idea", "title": "dark mode"}]
    execution_id = start(client, alice, workflow["id"], {"items": items})
    done = wait_status(client, alice, execution_id, "completed", "failed")
    assert done["status"] == "completed", (done["error_message"], done["failed_node_id"])
    assert done["output"] == {"both": {"a": 2, "b": "fix crash, triage dark mode"}}

    first = node_runs(client, alice, execution_id)
    rerun = client.post(f"/api/v1/executions/{execution_id}/rerun", json={"from_node": "b"}, headers=alice.headers)
    assert rerun.status_code == 202, rerun.text
    again = wait_status(client, alice, execution_id, "completed", "failed")
    assert again["run"] == 2 and again["output"] == done["output"]
    second = [r for r in node_runs(client, alice, execution_id) if r["run"] == 2]
    # b re-runs with its parallel sibling a (same graph step) and what follows; the loop is not run again.
    assert sorted(r["node_id"] for r in second) == ["a", "b", "both"]
    assert len(first) == len(node_runs(client, alice, execution_id)) - 3
    missing = client.post(f"/api/v1/executions/{execution_id}/rerun", json={"from_node": "nope"}, headers=alice.headers)
    assert missing.status_code == 422


def test_a_long_wait_frees_the_worker_and_resumes_from_a_scheduled_job(client: TestClient, signed_in) -> None:  # type: ignore[no-untyped-def]
    alice = signed_in("alice@example.com")
    graph = chain(
        {"id": "start", "type": "manual"},
        {"id": "pause", "type": "wait", "config": {"seconds": 2.5}},
        {"id": "after", "type": "transform", "config": {"output": "woke"}},
    )
    workflow = create_workflow(client, alice, "Sleepy", graph)
    execution_id = start(client, alice, workflow["id"])
    waiting = wait_status(client, alice, execution_id, "waiting")
    assert waiting["status"] == "waiting"
    done = wait_status(client, alice, execution_id, "completed", "failed", timeout=20)
    assert done["output"] == {"after": "woke"}
    pause = next(r for r in node_runs(client, alice, execution_id) if r["node_id"] == "pause")
    assert pause["duration_ms"] >= 2400


def test_retention_prunes_finished_executions_with_their_checkpoints(client: TestClient, runtime, signed_in) -> None:  # type: ignore[no-untyped-def]
    alice = signed_in("alice@example.com")
    workflow = create_workflow(client, alice, "Old", chain({"id": "start", "type": "manual"}))
    old_id = start(client, alice, workflow["id"])
    wait_status(client, alice, old_id, "completed")
    new_id = start(client, alice, workflow["id"])
    wait_status(client, alice, new_id, "completed")
    from trellis.engine.checkpoints import checkpointer_for

    saver = checkpointer_for(runtime)
    assert saver.get_tuple({"configurable": {"thread_id": old_id}}) is not None
    with runtime.database.session_factory() as session:
        session.execute(
            update(WorkflowExecution)
            .where(WorkflowExecution.id == uuid.UUID(old_id))
            .values(created_at=utcnow() - timedelta(days=31))
        )
        session.commit()
    prune_old_executions(runtime)
    assert client.get(f"/api/v1/executions/{old_id}", headers=alice.headers).status_code == 404
    assert client.get(f"/api/v1/executions/{new_id}", headers=alice.headers).status_code == 200
    assert saver.get_tuple({"configurable": {"thread_id": old_id}}) is None
    assert saver.get_tuple({"configurable": {"thread_id": new_id}}) is not None

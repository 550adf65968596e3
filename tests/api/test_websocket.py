from __future__ import annotations

import threading

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from tests.conftest import SignedInUser
from trellis.core.jobs import enqueue, job_handler
from trellis.core.runtime import Runtime

release = threading.Event()


@job_handler("test.ws.job")
def waits_for_release(ctx, payload):  # type: ignore[no-untyped-def]
    release.wait(10)
    return {"n": payload["n"]}


def test_subscriber_receives_a_jobs_status_events(client: TestClient, runtime: Runtime, admin: SignedInUser) -> None:
    release.clear()
    with client.websocket_connect(f"/api/v1/ws?access_token={admin.access_token}") as ws:
        assert ws.receive_json()["type"] == "authenticated"
        job_id = enqueue("test.ws.job", {"n": 1})
        ws.send_json({"action": "subscribe", "topics": [f"jobs.{job_id}"]})
        assert ws.receive_json() == {"type": "subscribed", "topics": [f"jobs.{job_id}"]}
        release.set()
        statuses = []
        while not statuses or statuses[-1] != "completed":
            message = ws.receive_json()
            assert message["type"] == "event" and message["topic"] == f"jobs.{job_id}"
            assert message["data"]["job_id"] == str(job_id)
            statuses.append(message["data"]["status"])
        # "running" may be published before the subscription lands; "completed" always after it.
        assert statuses[-1] == "completed"
        assert set(statuses) <= {"running", "completed"}


def test_events_of_other_topics_are_not_delivered(client: TestClient, runtime: Runtime, admin: SignedInUser) -> None:
    with client.websocket_connect(f"/api/v1/ws?access_token={admin.access_token}") as ws:
        assert ws.receive_json()["type"] == "authenticated"
        ws.send_json({"action": "subscribe", "topics": ["jobs.mine"]})
        ws.receive_json()
        runtime.events.publish("jobs.other", {"n": 1})
        runtime.events.publish("jobs.mine", {"n": 2})
        assert ws.receive_json()["data"] == {"n": 2}
        ws.send_json({"action": "unsubscribe", "topics": ["jobs.mine"]})
        assert ws.receive_json() == {"type": "unsubscribed", "topics": ["jobs.mine"]}
        runtime.events.publish("jobs.mine", {"n": 3})
        ws.send_json({"action": "ping"})
        assert ws.receive_json() == {"type": "pong"}


def test_topics_no_domain_authorizes_are_refused(client: TestClient, admin: SignedInUser) -> None:
    with client.websocket_connect(f"/api/v1/ws?access_token={admin.access_token}") as ws:
        assert ws.receive_json()["type"] == "authenticated"
        ws.send_json({"action": "subscribe", "topics": ["secrets.all", "jobs.abc"]})
        assert ws.receive_json() == {"type": "subscribed", "topics": ["jobs.abc"]}
        assert ws.receive_json() == {
            "type": "error",
            "error": "forbidden_topic",
            "message": "You may not subscribe to 'secrets.all'.",
            "topic": "secrets.all",
        }


def test_malformed_messages_get_an_error_and_keep_the_socket(client: TestClient, admin: SignedInUser) -> None:
    with client.websocket_connect(f"/api/v1/ws?access_token={admin.access_token}") as ws:
        assert ws.receive_json()["type"] == "authenticated"
        ws.send_text("{not json")
        assert ws.receive_json()["error"] == "malformed_json"
        ws.send_json({"action": "subscribe", "topics": "jobs.1"})
        assert ws.receive_json()["error"] == "invalid_message"
        ws.send_json({"action": "ping"})
        assert ws.receive_json() == {"type": "pong"}


def test_unauthenticated_sockets_are_closed_with_4401(client: TestClient) -> None:
    with client.websocket_connect("/api/v1/ws?access_token=not-a-token") as ws:
        assert ws.receive_json()["error"] == "not_authenticated"
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == 4401


def test_the_first_message_can_authenticate(client: TestClient, admin: SignedInUser) -> None:
    with client.websocket_connect("/api/v1/ws") as ws:
        ws.send_json({"action": "auth", "token": admin.access_token})
        assert ws.receive_json() == {"type": "authenticated", "user_id": admin.user_id}
        ws.send_json({"action": "subscribe", "topics": ["jobs.x"]})
        assert ws.receive_json() == {"type": "subscribed", "topics": ["jobs.x"]}


def test_job_topics_are_for_administrators(client: TestClient, signed_in) -> None:  # type: ignore[no-untyped-def]
    user = signed_in("wsuser@example.com")
    with client.websocket_connect(f"/api/v1/ws?access_token={user.access_token}") as ws:
        ws.receive_json()
        ws.send_json({"action": "subscribe", "topics": ["jobs.x"]})
        assert ws.receive_json() == {"type": "subscribed", "topics": []}
        assert ws.receive_json()["error"] == "forbidden_topic"


def test_workspace_topics_are_for_its_members(client: TestClient, runtime: Runtime, signed_in) -> None:  # type: ignore[no-untyped-def]
    member = signed_in("member@example.com")
    outsider = signed_in("stranger@example.com")
    topic = f"workspaces.{member.workspace_id}.activity"
    with client.websocket_connect(f"/api/v1/ws?access_token={outsider.access_token}") as ws:
        ws.receive_json()
        ws.send_json({"action": "subscribe", "topics": [topic]})
        assert ws.receive_json() == {"type": "subscribed", "topics": []}
        assert ws.receive_json()["error"] == "forbidden_topic"
    with client.websocket_connect(f"/api/v1/ws?access_token={member.access_token}") as ws:
        ws.receive_json()
        ws.send_json({"action": "subscribe", "topics": [topic, "workspaces.not-a-uuid"]})
        assert ws.receive_json() == {"type": "subscribed", "topics": [topic]}
        assert ws.receive_json()["error"] == "forbidden_topic"
        runtime.events.publish(topic, {"hello": "members"})
        assert ws.receive_json()["data"] == {"hello": "members"}

"""Idempotency-Key / request_id: a retried mutating request runs once and gets the first response back."""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from fastapi import Depends, FastAPI, Response
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy import select, update

from tests.conftest import make_settings, wait_for
from trellis.core.db import Database, utcnow
from trellis.core.idempotency import IdempotencyMiddleware, exclude_from_idempotency
from trellis.core.idempotency_models import IdempotencyRecord, IdempotencyState
from trellis.core.ratelimit import rate_limit
from trellis.main import create_app


class ThingCreate(BaseModel):
    name: str
    request_id: str | None = None


@dataclass
class Calls:
    counts: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, route: str) -> int:
        with self.lock:
            self.counts[route] = self.counts.get(route, 0) + 1
            return self.counts[route]

    def __getitem__(self, route: str) -> int:
        return self.counts.get(route, 0)


def created(route: str, calls: Calls, name: str) -> JSONResponse:
    call = calls.count(route)
    thing_id = str(uuid.uuid4())  # differs per run: a replay must return the first one
    return JSONResponse(
        {"id": thing_id, "name": name, "call": call},
        status_code=201,
        headers={"Location": f"/api/v1/things/{thing_id}", "X-Thing-Version": "1"},
    )


def build_app(tmp_path: Path, calls: Calls, **settings: Any) -> FastAPI:
    app = create_app(make_settings(tmp_path / "data", **settings))

    @app.get("/api/v1/test-counter")
    async def read_counter() -> dict[str, int]:
        return {"calls": calls["counter"]}

    @app.post("/api/v1/test-counter")
    async def counter(body: ThingCreate) -> JSONResponse:
        return created("counter", calls, body.name)

    @app.put("/api/v1/test-counter/{name}")
    async def put_counter(name: str) -> JSONResponse:
        return created("put", calls, name)

    @app.post("/api/v1/test-slow")
    async def slow(body: ThingCreate) -> JSONResponse:
        await anyio.sleep(0.4)
        return created("slow", calls, body.name)

    @app.post("/api/v1/test-unavailable")
    async def unavailable() -> JSONResponse:
        calls.count("unavailable")
        return JSONResponse({"detail": {"error": "service_unavailable", "message": "down"}}, status_code=503)

    @app.post("/api/v1/test-crash")
    async def crash() -> JSONResponse:
        calls.count("crash")
        raise RuntimeError("handler bug")

    @app.post("/api/v1/test-token")
    async def token(response: Response) -> dict[str, Any]:
        exclude_from_idempotency(response)
        return {"token": f"secret-{calls.count('token')}"}

    @app.post("/api/v1/test-login", dependencies=[Depends(exclude_from_idempotency)])
    async def login() -> dict[str, Any]:
        return {"token": f"secret-{calls.count('login')}"}

    @app.post("/api/v1/test-limited", dependencies=[Depends(rate_limit("test.limited", "1/hour"))])
    async def limited() -> dict[str, int]:
        return {"call": calls.count("limited")}

    return app


@pytest.fixture
def calls() -> Calls:
    return Calls()


@pytest.fixture
def app(tmp_path: Path, calls: Calls) -> FastAPI:
    return build_app(tmp_path, calls)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def database(client: TestClient) -> Database:
    db: Database = client.app.state.runtime.database  # type: ignore[attr-defined]
    return db


def records(client: TestClient) -> list[IdempotencyRecord]:
    with database(client).session_factory() as session:
        return list(session.scalars(select(IdempotencyRecord)))


def key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


def same_response(first: httpx.Response, again: httpx.Response) -> None:
    assert again.status_code == first.status_code
    assert again.content == first.content
    for name in ("content-type", "content-length", "location", "x-thing-version"):
        assert again.headers.get(name) == first.headers.get(name), name
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers


def test_same_key_and_body_replays_the_first_response_without_running_again(client: TestClient, calls: Calls) -> None:
    headers = key()
    first = client.post("/api/v1/test-counter", json={"name": "a"}, headers=headers)
    assert first.status_code == 201
    again = client.post("/api/v1/test-counter", json={"name": "a"}, headers=headers)
    same_response(first, again)
    assert calls["counter"] == 1
    # The outer layers still run: the replay has its own request id and the security headers.
    assert again.headers["x-request-id"] != first.headers["x-request-id"]
    assert again.headers["x-frame-options"] == "DENY"


def test_same_key_with_a_different_body_is_409(client: TestClient, calls: Calls) -> None:
    headers = key()
    assert client.post("/api/v1/test-counter", json={"name": "a"}, headers=headers).status_code == 201
    reused = client.post("/api/v1/test-counter", json={"name": "b"}, headers=headers)
    assert reused.status_code == 409
    assert reused.json()["detail"]["error"] == "idempotency_key_reused"
    assert reused.json()["detail"]["message"]
    assert calls["counter"] == 1


def test_same_key_on_another_method_or_path_is_409(client: TestClient, calls: Calls) -> None:
    headers = key()
    assert client.put("/api/v1/test-counter/a", headers=headers).status_code == 201
    assert client.put("/api/v1/test-counter/b", headers=headers).json()["detail"]["error"] == "idempotency_key_reused"
    assert client.put("/api/v1/test-counter/a?x=1", headers=headers).status_code == 409
    assert client.delete("/api/v1/test-counter/a", headers=headers).status_code == 409
    assert calls["put"] == 1


def test_request_id_in_the_json_body_works_like_the_header(client: TestClient, calls: Calls) -> None:
    body = {"name": "a", "request_id": str(uuid.uuid4())}
    first = client.post("/api/v1/test-counter", json=body)
    same_response(first, client.post("/api/v1/test-counter", json=body))
    assert calls["counter"] == 1
    reused = client.post("/api/v1/test-counter", json={**body, "name": "b"})
    assert reused.status_code == 409
    assert reused.json()["detail"]["error"] == "idempotency_key_reused"
    # Without a key of either kind, every request runs.
    client.post("/api/v1/test-counter", json={"name": "a"})
    client.post("/api/v1/test-counter", json={"name": "a"})
    assert calls["counter"] == 3


def test_the_header_wins_over_request_id(client: TestClient, calls: Calls) -> None:
    headers = key()
    client.post("/api/v1/test-counter", json={"name": "a", "request_id": "r-1"}, headers=headers)
    again = client.post("/api/v1/test-counter", json={"name": "a", "request_id": "r-1"}, headers=headers)
    assert again.headers["idempotent-replayed"] == "true"
    assert [record.key for record in records(client)] == [headers["Idempotency-Key"]]


def test_different_callers_never_share_a_key(client: TestClient, calls: Calls) -> None:
    headers = key()
    alice = client.post(
        "/api/v1/test-counter", json={"name": "a"}, headers={**headers, "Authorization": "Bearer alice-token"}
    )
    bob = client.post(
        "/api/v1/test-counter", json={"name": "a"}, headers={**headers, "Authorization": "Bearer bob-token"}
    )
    anonymous = client.post("/api/v1/test-counter", json={"name": "b"}, headers=headers)
    assert (alice.status_code, bob.status_code, anonymous.status_code) == (201, 201, 201)
    assert "idempotent-replayed" not in bob.headers
    assert calls["counter"] == 3
    # Only hashes of the caller are stored, never the credential.
    scopes = {record.scope_hash for record in records(client)}
    assert scopes == {
        hashlib.sha256(b"Bearer alice-token").hexdigest(),
        hashlib.sha256(b"Bearer bob-token").hexdigest(),
        "anonymous",
    }
    assert all("token" not in record.scope_hash for record in records(client))


def test_concurrent_requests_with_one_key_run_once(client: TestClient, calls: Calls) -> None:
    headers = key()
    barrier = threading.Barrier(5)
    responses: list[httpx.Response] = []
    lock = threading.Lock()

    def send() -> None:
        barrier.wait()
        response = client.post("/api/v1/test-slow", json={"name": "a"}, headers=headers)
        with lock:
            responses.append(response)

    threads = [threading.Thread(target=send) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert calls["slow"] == 1
    assert len(responses) == 5
    assert {r.status_code for r in responses} == {201}
    assert len({r.content for r in responses}) == 1
    assert sorted(r.headers.get("idempotent-replayed", "no") for r in responses) == ["no"] + ["true"] * 4


def test_waiting_too_long_for_the_first_request_is_409_in_progress(tmp_path: Path, calls: Calls) -> None:
    app = build_app(tmp_path, calls)
    for middleware in app.user_middleware:
        if middleware.cls is IdempotencyMiddleware:
            middleware.kwargs["wait_seconds"] = 0.1
    headers = key()
    with TestClient(app) as client:
        results: list[httpx.Response] = []
        first = threading.Thread(
            target=lambda: results.append(client.post("/api/v1/test-slow", json={"name": "a"}, headers=headers))
        )
        first.start()
        wait_for(lambda: records(client), what="the first request to hold the key")
        waiting = client.post("/api/v1/test-slow", json={"name": "a"}, headers=headers)
        first.join(timeout=10)
        assert waiting.status_code == 409
        assert waiting.json()["detail"]["error"] == "idempotency_request_in_progress"
        assert results[0].status_code == 201
        # Once it finished, the same retry gets the stored response.
        same_response(results[0], client.post("/api/v1/test-slow", json={"name": "a"}, headers=headers))
        assert calls["slow"] == 1


def test_5xx_responses_are_not_stored_so_a_retry_runs_again(client: TestClient, calls: Calls) -> None:
    headers = key()
    assert client.post("/api/v1/test-unavailable", headers=headers).status_code == 503
    again = client.post("/api/v1/test-unavailable", headers=headers)
    assert again.status_code == 503
    assert "idempotent-replayed" not in again.headers
    assert calls["unavailable"] == 2
    assert records(client) == []


def test_a_crashing_handler_frees_the_key(client: TestClient, calls: Calls) -> None:
    headers = key()
    crashed = client.post("/api/v1/test-crash", headers=headers)
    assert crashed.status_code == 500
    assert crashed.json()["detail"]["error"] == "internal_error"
    assert client.post("/api/v1/test-crash", headers=headers).status_code == 500
    assert calls["crash"] == 2
    assert records(client) == []


def test_429_is_not_stored_so_a_later_retry_can_succeed(client: TestClient, calls: Calls) -> None:
    assert client.post("/api/v1/test-limited", headers=key()).status_code == 200
    headers = key()
    assert client.post("/api/v1/test-limited", headers=headers).status_code == 429
    again = client.post("/api/v1/test-limited", headers=headers)
    assert again.status_code == 429
    assert "idempotent-replayed" not in again.headers


def test_responses_a_route_excludes_are_not_stored(client: TestClient, calls: Calls) -> None:
    headers = key()
    first = client.post("/api/v1/test-token", headers=headers)
    again = client.post("/api/v1/test-token", headers=headers)
    assert (first.json(), again.json()) == ({"token": "secret-1"}, {"token": "secret-2"})
    assert "x-trellis-idempotency-skip" not in first.headers
    # The same, declared on the route.
    assert client.post("/api/v1/test-login", headers=headers).json() == {"token": "secret-1"}
    again = client.post("/api/v1/test-login", headers=headers)
    assert again.json() == {"token": "secret-2"}
    assert "x-trellis-idempotency-skip" not in again.headers
    assert records(client) == []


def test_an_expired_record_is_ignored_and_the_request_runs_again(client: TestClient, calls: Calls) -> None:
    headers = key()
    first = client.post("/api/v1/test-counter", json={"name": "a"}, headers=headers)
    with database(client).session_factory() as session, session.begin():
        session.execute(update(IdempotencyRecord).values(expires_at=utcnow() - timedelta(seconds=1)))
    again = client.post("/api/v1/test-counter", json={"name": "a"}, headers=headers)
    assert again.status_code == 201
    assert "idempotent-replayed" not in again.headers
    assert again.json()["id"] != first.json()["id"]
    assert calls["counter"] == 2
    (record,) = records(client)
    assert record.state == IdempotencyState.COMPLETED
    assert record.expires_at > utcnow() + timedelta(hours=23)


def test_a_request_abandoned_by_a_dead_process_is_taken_over_after_its_lease(client: TestClient, calls: Calls) -> None:
    headers = key()
    with database(client).session_factory() as session, session.begin():
        session.add(
            IdempotencyRecord(
                scope_hash="anonymous",
                key=headers["Idempotency-Key"],
                method="POST",
                path="/api/v1/test-counter",
                request_hash=hashlib.sha256(b'{"name":"a"}').hexdigest(),
                state=IdempotencyState.PROCESSING,
                created_at=utcnow() - timedelta(minutes=10),
                expires_at=utcnow() - timedelta(minutes=5),
            )
        )
    response = client.post(
        "/api/v1/test-counter", content=b'{"name":"a"}', headers={**headers, "content-type": "application/json"}
    )
    assert response.status_code == 201
    assert calls["counter"] == 1


def test_stored_responses_live_for_the_configured_ttl(tmp_path: Path, calls: Calls) -> None:
    with TestClient(build_app(tmp_path, calls, idempotency_ttl_seconds=3600)) as client:
        client.post("/api/v1/test-counter", json={"name": "a"}, headers=key())
        (record,) = records(client)
        assert timedelta(minutes=59) < record.expires_at - utcnow() <= timedelta(hours=1)
        assert record.response_status == 201
        stored = dict(record.response_headers or [])
        assert stored["content-type"] == "application/json"
        assert stored["location"].startswith("/api/v1/things/")


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ({"Idempotency-Key": ""}, {"name": "a"}),
        ({"Idempotency-Key": "k" * 256}, {"name": "a"}),
        ({"Idempotency-Key": "clé".encode()}, {"name": "a"}),
        ({}, {"name": "a", "request_id": ""}),
        ({}, {"name": "a", "request_id": "x" * 300}),
    ],
)
def test_malformed_keys_are_400(
    client: TestClient, calls: Calls, headers: dict[str, Any], body: dict[str, Any]
) -> None:
    response = client.post("/api/v1/test-counter", json=body, headers=headers)
    assert response.status_code == 400
    assert response.json()["detail"]["error"] == "invalid_idempotency_key"
    assert calls["counter"] == 0


def test_keys_of_255_printable_characters_are_accepted(client: TestClient, calls: Calls) -> None:
    headers = {"Idempotency-Key": "a-Z_0 9:~" + "k" * 246}
    client.post("/api/v1/test-counter", json={"name": "a"}, headers=headers)
    again = client.post("/api/v1/test-counter", json={"name": "a"}, headers=headers)
    assert again.headers["idempotent-replayed"] == "true"


def test_reads_and_keyless_requests_are_untouched(client: TestClient, calls: Calls) -> None:
    headers = key()
    assert client.get("/api/v1/test-counter", headers=headers).status_code == 200
    assert client.get("/api/v1/test-counter", headers=headers).headers.get("idempotent-replayed") is None
    client.post("/api/v1/test-counter", json={"name": "a", "request_id": 42})  # not a string: not a key
    assert records(client) == []


def test_oversized_bodies_are_still_refused_before_any_record(tmp_path: Path, calls: Calls) -> None:
    with TestClient(build_app(tmp_path, calls, max_request_body_bytes=2048)) as client:

        def chunks() -> Iterator[bytes]:
            yield b'{"name": "'
            yield b"x" * 4096
            yield b'"}'

        response = client.post(
            "/api/v1/test-counter", content=chunks(), headers={**key(), "content-type": "application/json"}
        )
        assert response.status_code == 413
        assert records(client) == []
        assert calls["counter"] == 0


def test_stored_responses_survive_a_master_key_rotation(client: TestClient, runtime) -> None:  # type: ignore[no-untyped-def]
    """Stored bodies are sealed; rotation re-wraps them, so a replay after it still works."""
    from trellis.core.key_rotation import rotate_master_key

    body = {"email": "rot@example.com", "password": "Correct-Horse-Battery-9"}
    first = client.post("/api/v1/auth/register", json=body, headers={"Idempotency-Key": "rotate-me"})
    assert first.status_code == 201
    rotate_master_key(runtime.settings, runtime.database)
    replay = client.post("/api/v1/auth/register", json=body, headers={"Idempotency-Key": "rotate-me"})
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.content == first.content

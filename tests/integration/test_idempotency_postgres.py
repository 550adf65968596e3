"""Idempotency on PostgreSQL with two API processes: one key runs once, whichever process gets it."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import anyio
import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from trellis.core.config import Settings
from trellis.core.db import Database, utcnow
from trellis.core.idempotency_models import IdempotencyRecord, IdempotencyState
from trellis.main import create_app


def api_process(settings: Settings, calls: list[str]) -> FastAPI:
    app = create_app(settings)

    @app.post("/api/v1/test-slow", status_code=201)
    async def slow(body: dict[str, str]) -> dict[str, str]:
        calls.append(body["name"])
        await anyio.sleep(0.4)
        return {"id": str(uuid.uuid4()), "name": body["name"]}

    return app


def test_concurrent_retries_across_two_processes_run_once(distributed_settings: Settings) -> None:
    calls: list[str] = []
    headers = {"Idempotency-Key": str(uuid.uuid4()), "Authorization": "Bearer it-user"}
    with (
        TestClient(api_process(distributed_settings, calls)) as first,
        TestClient(api_process(distributed_settings, calls)) as second,
    ):
        barrier = threading.Barrier(6)
        responses: list[httpx.Response] = []
        lock = threading.Lock()

        def send(client: TestClient) -> None:
            barrier.wait()
            response = client.post("/api/v1/test-slow", json={"name": "a"}, headers=headers)
            with lock:
                responses.append(response)

        threads = [threading.Thread(target=send, args=((first, second)[n % 2],)) for n in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        assert calls == ["a"]
        assert {r.status_code for r in responses} == {201}
        assert len({r.content for r in responses}) == 1
        assert sorted(r.headers.get("idempotent-replayed", "no") for r in responses) == ["no"] + ["true"] * 5

        reused = second.post("/api/v1/test-slow", json={"name": "b"}, headers=headers)
        assert reused.status_code == 409
        assert reused.json()["detail"]["error"] == "idempotency_key_reused"

        database: Database = first.app.state.runtime.database  # type: ignore[attr-defined]
        assert database.dialect == "postgresql"
        with database.session_factory() as session, session.begin():
            record = session.scalars(select(IdempotencyRecord)).one()
            assert record.state == IdempotencyState.COMPLETED
            assert record.response_status == 201
            # Stored sealed (it could carry credentials), never in clear.
            assert record.response_body is not None and record.response_body.startswith("v1:")
            assert '"name":"a"' not in record.response_body
            session.execute(update(IdempotencyRecord).values(expires_at=utcnow() - timedelta(seconds=1)))
        again = first.post("/api/v1/test-slow", json={"name": "a"}, headers=headers)
        assert again.status_code == 201
        assert "idempotent-replayed" not in again.headers
        assert calls == ["a", "a"]

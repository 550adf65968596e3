"""Rate limits over HTTP: the per-IP middleware and per-route dependencies."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import Depends, FastAPI, Request
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from tests.conftest import make_settings
from trellis.core.ratelimit import rate_limit
from trellis.main import create_app


def rate_limited_count(limit: str) -> float:
    return REGISTRY.get_sample_value("rate_limited_total", {"limit": limit}) or 0.0


def app_with_test_routes(tmp_path: Path, **settings: object) -> FastAPI:
    app = create_app(make_settings(tmp_path / "data", **settings))

    @app.get("/api/v1/test-ping")
    async def ping() -> dict[str, str]:
        return {"status": "pong"}

    @app.post("/api/v1/test-otp", status_code=202, dependencies=[Depends(rate_limit("test.otp", "5/15minutes"))])
    async def request_otp() -> dict[str, str]:
        return {"status": "sent"}

    def by_email(request: Request) -> str:
        return "email:" + request.query_params["email"]

    @app.post("/api/v1/test-login", dependencies=[Depends(rate_limit("test.login", "2/minute", key=by_email))])
    async def login() -> dict[str, str]:
        return {"status": "ok"}

    return app


@pytest.fixture
def otp_client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(app_with_test_routes(tmp_path), raise_server_exceptions=False) as client:
        yield client


def test_sixth_otp_request_within_the_window_is_429_with_retry_after(otp_client: TestClient) -> None:
    before = rate_limited_count("test.otp")
    for _ in range(5):
        assert otp_client.post("/api/v1/test-otp").status_code == 202
    refused = otp_client.post("/api/v1/test-otp")
    assert refused.status_code == 429
    # GCRA: 5 per 15 minutes refills one request every 3 minutes (less the time the requests took when loaded).
    retry_after = int(refused.headers["retry-after"])
    assert 175 <= retry_after <= 180
    assert refused.json() == {
        "detail": {
            "error": "rate_limited",
            "message": f"Too many requests; retry in {retry_after} seconds.",
            "retry_after": retry_after,
        }
    }
    assert refused.headers["x-request-id"]  # still a normal response of ours: ids, security headers
    assert refused.headers["x-content-type-options"] == "nosniff"
    assert rate_limited_count("test.otp") == before + 1


def test_route_limits_are_per_client_ip(tmp_path: Path) -> None:
    app = app_with_test_routes(tmp_path)
    with TestClient(app, client=("10.0.0.1", 1000)) as first:
        for _ in range(5):
            first.post("/api/v1/test-otp")
        assert first.post("/api/v1/test-otp").status_code == 429
        second = TestClient(app, client=("10.0.0.2", 1000))
        assert second.post("/api/v1/test-otp").status_code == 202


def test_route_limits_can_key_on_anything_in_the_request(otp_client: TestClient) -> None:
    for _ in range(2):
        assert otp_client.post("/api/v1/test-login", params={"email": "a@example.com"}).status_code == 200
    assert otp_client.post("/api/v1/test-login", params={"email": "a@example.com"}).status_code == 429
    assert otp_client.post("/api/v1/test-login", params={"email": "b@example.com"}).status_code == 200


def test_per_ip_limit_applies_to_every_route_but_health_and_metrics(tmp_path: Path) -> None:
    before = rate_limited_count("per_ip")
    with TestClient(app_with_test_routes(tmp_path, rate_limit_per_ip="3/minute")) as client:
        assert [client.get("/api/v1/test-ping").status_code for _ in range(3)] == [200, 200, 200]
        refused = client.get("/api/v1/test-ping")
        assert refused.status_code == 429
        retry_after = int(refused.headers["retry-after"])
        assert 17 <= retry_after <= 20  # one request refills every 20 s, less the time the requests took
        assert refused.json()["detail"] == {
            "error": "rate_limited",
            "message": f"Too many requests; retry in {retry_after} seconds.",
            "retry_after": retry_after,
        }
        assert refused.headers["x-request-id"]
        # Any route, any method: the budget is the client's, not the route's.
        assert client.post("/api/v1/does-not-exist").status_code == 429
        for path in ("/health", "/live", "/ready", "/metrics"):
            for prefix in ("", "/api/v1"):
                if prefix and path == "/metrics":
                    continue  # metrics are served at the root only
                for _ in range(5):
                    assert client.get(prefix + path).status_code == 200, prefix + path
        assert rate_limited_count("per_ip") == before + 2
        other_ip = TestClient(client.app, client=("192.0.2.7", 1000))
        assert other_ip.get("/api/v1/test-ping").status_code == 200


def test_per_ip_limit_zero_turns_it_off(tmp_path: Path) -> None:
    with TestClient(app_with_test_routes(tmp_path, rate_limit_per_ip="0")) as client:
        assert all(client.get("/api/v1/test-ping").status_code == 200 for _ in range(50))


def test_default_per_ip_limit_leaves_normal_use_alone(tmp_path: Path) -> None:
    with TestClient(app_with_test_routes(tmp_path)) as client:
        assert all(client.get("/api/v1/test-ping").status_code == 200 for _ in range(100))

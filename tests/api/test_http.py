"""HTTP basics every route gets: uniform errors, ids, security headers, CORS, body limit, 500s."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from tests.conftest import make_settings
from trellis.main import create_app


def test_unknown_route_is_a_uniform_404(client: TestClient) -> None:
    response = client.get("/api/v1/does-not-exist")
    assert response.status_code == 404
    assert response.json() == {
        "detail": {"error": "not_found", "message": "No route or resource at /api/v1/does-not-exist."}
    }


def test_wrong_method_is_a_uniform_405_with_allow_header(client: TestClient) -> None:
    response = client.delete("/api/v1/jobs")
    assert response.status_code == 405
    assert response.json()["detail"]["error"] == "method_not_allowed"
    assert "GET" in response.headers["allow"]


def test_malformed_json_body_is_a_uniform_400(client: TestClient) -> None:
    response = client.post(
        "/api/v1/auth/login",
        content=b'{"email": "a@example.com", "password": "hunter2-secret-value"',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert detail["error"] == "malformed_json"
    assert detail["message"].startswith("The request body is not valid JSON")
    assert "hunter2-secret-value" not in response.text


def test_validation_errors_keep_field_paths_and_never_echo_input(client: TestClient) -> None:
    response = client.post("/api/v1/auth/login", json={"email": "not-an-email", "password": "hunter2-secret-value"})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail["error"] == "validation_error"
    assert [error["loc"] for error in detail["errors"]] == [["body", "email"]]
    assert detail["errors"][0]["type"] == "value_error"
    assert detail["message"].startswith("The request is invalid: body.email: value is not a valid email address")
    assert "hunter2-secret-value" not in response.text


def test_bad_path_parameter_is_a_422_naming_it(client: TestClient, admin) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/jobs/not-a-uuid", headers=admin.headers)
    assert response.status_code == 422
    assert response.json()["detail"]["errors"][0]["loc"] == ["path", "job_id"]


def test_body_over_the_limit_is_a_413_before_routing(tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = create_app(make_settings(tmp_path, max_request_body_bytes=2048))
    with TestClient(app) as client:
        response = client.post(
            "/api/v1/auth/login",
            content=b"x" * 4096,
            headers={"content-type": "application/json"},
        )
        assert response.status_code == 413
        assert response.json() == {
            "detail": {
                "error": "payload_too_large",
                "message": "The request body is larger than the 2048-byte limit.",
                "limit_bytes": 2048,
            }
        }
        # Also on a route that does not exist: the limit is checked before anything else.
        assert client.post("/nowhere", content=b"x" * 4096).status_code == 413


def test_chunked_body_over_the_limit_is_cut_off_with_413(tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = create_app(make_settings(tmp_path, max_request_body_bytes=2048))

    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(8):
            yield b'{"a": "' + b"x" * 500 + b'"}'

    with TestClient(app) as client:
        response = client.post(
            "/api/v1/auth/login",
            content=chunks(),
            headers={"content-type": "application/json"},
        )
        assert response.status_code == 413
        assert response.json()["detail"]["error"] == "payload_too_large"


def test_default_body_limit_is_ten_megabytes(client: TestClient) -> None:
    big = b"x" * (10 * 1024 * 1024 + 1)
    assert client.post("/api/v1/jobs/x/retry", content=big).status_code == 413


def test_request_and_correlation_ids_are_generated_and_echoed(client: TestClient) -> None:
    generated = client.get("/health")
    assert len(generated.headers["x-request-id"]) == 32
    assert generated.headers["x-correlation-id"] == generated.headers["x-request-id"]
    given = client.get("/health", headers={"X-Request-ID": "req-123", "X-Correlation-ID": "flow-9"})
    assert given.headers["x-request-id"] == "req-123"
    assert given.headers["x-correlation-id"] == "flow-9"


def test_malformed_incoming_ids_are_replaced(client: TestClient) -> None:
    response = client.get("/health", headers={"X-Request-ID": "bad id\twith spaces" + "x" * 200})
    assert response.headers["x-request-id"] != "bad id\twith spaces" + "x" * 200
    assert len(response.headers["x-request-id"]) == 32


def test_security_headers_from_seed_004_are_on_every_response(client: TestClient) -> None:
    for response in (client.get("/health"), client.get("/api/v1/nope")):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["x-xss-protection"] == "1; mode=block"
        assert response.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
        assert response.headers["content-security-policy"].startswith("default-src 'self'")


def test_cors_allows_only_listed_origins(tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = create_app(make_settings(tmp_path, cors_origins=["https://ui.example.com"]))
    with TestClient(app) as client:
        allowed = client.options(
            "/api/v1/jobs",
            headers={"Origin": "https://ui.example.com", "Access-Control-Request-Method": "GET"},
        )
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == "https://ui.example.com"
        denied = client.get("/api/v1/jobs", headers={"Origin": "https://evil.example.net"})
        assert "access-control-allow-origin" not in denied.headers


def test_no_cors_headers_without_configured_origins(client: TestClient) -> None:
    response = client.get("/api/v1/jobs", headers={"Origin": "https://ui.example.com"})
    assert "access-control-allow-origin" not in response.headers


def test_unexpected_error_is_a_500_with_correlation_id_and_no_internals(tmp_path, capfd) -> None:  # type: ignore[no-untyped-def]
    app = create_app(make_settings(tmp_path))

    @app.get("/api/v1/explode")
    def explode() -> None:
        raise RuntimeError("internal detail: connection to db-secret-host failed with password=topsecret99")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/api/v1/explode", headers={"X-Correlation-ID": "corr-777"})
    assert response.status_code == 500
    assert response.json() == {
        "detail": {
            "error": "internal_error",
            "message": "An unexpected error occurred. Quote the correlation id when reporting it.",
            "correlation_id": "corr-777",
        }
    }
    assert response.headers["x-correlation-id"] == "corr-777"
    logged = capfd.readouterr().err
    records = [json.loads(line) for line in logged.splitlines() if line.startswith("{")]
    error = next(r for r in records if r["event"] == "unhandled_error")
    assert error["correlation_id"] == "corr-777"
    assert "RuntimeError: internal detail" in error["exception"]
    assert "topsecret99" not in logged


@pytest.mark.parametrize("path", ["/docs", "/openapi.json"])
def test_api_docs_are_served(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 200


def test_root_serves_the_ui_or_says_the_api_runs_without_a_build(client: TestClient) -> None:
    from trellis.web import find_web_build  # the no-build page itself: tests/test_web_ui.py

    response = client.get("/")
    assert response.status_code == 200
    if find_web_build() is None:
        assert "Trellis API is running" in response.text
    else:
        assert '<div id="root">' in response.text

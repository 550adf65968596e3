from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import make_settings
from trellis import __version__
from trellis.main import create_app


def test_health_reports_version_and_mode(client: TestClient) -> None:
    for path in ("/health", "/api/v1/health"):
        assert client.get(path).json() == {"status": "ok", "version": __version__, "mode": "embedded"}


def test_live(client: TestClient) -> None:
    assert client.get("/live").json() == {"status": "alive"}


def test_ready_checks_every_embedded_dependency(client: TestClient) -> None:
    response = client.get("/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": "ok", "job_workers": "ok"}}


def test_ready_is_503_naming_the_failing_check(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(tmp_path, database_url=f"sqlite:///{tmp_path}/missing-dir/trellis.db")
    client = TestClient(create_app(settings))  # no lifespan: nothing to migrate into a missing directory
    response = client.get("/ready")
    assert response.status_code == 503
    detail = response.json()["detail"]
    assert detail["error"] == "not_ready"
    assert detail["message"] == "Not ready: database unavailable."
    assert detail["checks"]["database"].startswith("OperationalError")

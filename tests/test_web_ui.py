"""Serving the built web UI: SPA fallback, caching, and API paths that never fall through to it."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from trellis.main import api_router
from trellis.web import NO_BUILD_PAGE, find_web_build, mount_web_ui


@pytest.fixture
def build(tmp_path: Path) -> Path:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><div id=root></div>")
    (dist / "assets" / "index-abc123.js").write_text("console.log(1)")
    (dist / "favicon.svg").write_text("<svg/>")
    (tmp_path / "secret.txt").write_text("outside the build")
    return dist


def _app(build_dir: Path | None) -> TestClient:
    app = FastAPI()
    app.include_router(api_router())
    mount_web_ui(app, build_dir)
    return TestClient(app)


def test_client_routes_get_index_and_assets_are_cached_for_good(build: Path) -> None:
    client = _app(build)
    for path in ("/", "/projects", "/projects/42/requirements", "/settings/members"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.text == "<!doctype html><div id=root></div>"
        assert response.headers["cache-control"] == "no-cache"
    asset = client.get("/assets/index-abc123.js")
    assert asset.text == "console.log(1)"
    assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert client.get("/favicon.svg").text == "<svg/>"


def test_api_and_missing_assets_stay_404_not_html(build: Path) -> None:
    client = _app(build)
    for path in ("/api/v1/nope", "/api/nope", "/assets/missing.js", "/metrics/x", "/docs/x"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "root" not in response.text, path


def test_no_path_escapes_the_build_directory(build: Path) -> None:
    client = _app(build)
    response = client.get("/..%2Fsecret.txt")
    assert "outside the build" not in response.text


def test_without_a_build_root_explains_how_to_build(tmp_path: Path) -> None:
    client = _app(tmp_path / "missing")
    response = client.get("/")
    assert response.status_code == 200
    assert response.text == NO_BUILD_PAGE
    assert "npm ci &amp;&amp; npm run build" in response.text
    assert client.get("/api/v1/nope").status_code == 404


def test_find_web_build_prefers_the_first_directory_with_an_index(build: Path, tmp_path: Path) -> None:
    assert find_web_build((tmp_path / "none", build)) == build
    assert find_web_build((tmp_path / "none",)) is None

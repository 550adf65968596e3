"""`trellis project ...` against a real server process, as a new user would drive it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from tests.conftest import DEFAULT_PASSWORD, wait_for
from tests.test_serve import free_port
from trellis.cli import app as cli

DOCUMENT = """# Storefront

## REQ-1: Search
The search page shall load fast and show TBD results.

## REQ-2: Checkout
When a customer confirms the order, the system shall charge the card within 3 seconds.
Depends on: REQ-1
"""


@pytest.fixture
def server(tmp_path: Path):  # type: ignore[no-untyped-def]
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("TRELLIS_")}
    env["TRELLIS_ENV"] = "test"
    with (tmp_path / "server.log").open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-c", "from trellis.cli import main; main()", "serve", "--port", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def ready() -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/ready", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_for(ready, timeout=30, interval=0.2, what="server")
        yield port, tmp_path, env
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)


def test_a_new_user_imports_refines_and_finalizes_from_the_cli(server, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    port, workdir, _env = server
    for key in list(os.environ):
        if key.startswith("TRELLIS_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(workdir)  # the same data directory as the server
    runner = CliRunner()
    created = runner.invoke(
        cli, ["user", "create", "--email", "cli@example.com", "--password-stdin"], input=f"{DEFAULT_PASSWORD}\n"
    )
    assert created.exit_code == 0, created.output
    token = runner.invoke(cli, ["token", "create", "--email", "cli@example.com", "--name", "cli"]).stdout.strip()
    monkeypatch.setenv("TRELLIS_API_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("TRELLIS_API_TOKEN", token)
    (workdir / "reqs.md").write_text(DOCUMENT)

    project = runner.invoke(cli, ["project", "create", "Storefront"])
    assert project.exit_code == 0, project.output
    project_id = project.stdout.split()[0]
    imported = runner.invoke(cli, ["project", "import", project_id, str(workdir / "reqs.md")])
    assert imported.stdout.strip() == "created 2, updated 0, unchanged 0; 2 requirements"
    status = runner.invoke(cli, ["project", "status", project_id])
    assert "state: DRAFT" in status.output and "placeholder" in status.output
    first = runner.invoke(cli, ["project", "refine", project_id])
    assert first.exit_code == 0 and "round 1" in first.output and "REQ-1" in first.output
    answered = runner.invoke(cli, ["project", "refine", project_id, "--accept-recommended"])
    assert answered.exit_code == 0, answered.output
    finalized = runner.invoke(cli, ["project", "gateway", project_id, "finalizar", "--force"])
    assert finalized.exit_code == 0 and finalized.stdout.startswith("REQS_REFINING -> REQS_READY")
    refused = runner.invoke(cli, ["project", "gateway", project_id, "request_validation"])
    assert refused.exit_code == 2 and "No repository is connected" in refused.output
    monkeypatch.setenv("TRELLIS_API_TOKEN", "trl_not-a-real-token-000000000000")
    denied = runner.invoke(cli, ["project", "status", project_id])
    assert denied.exit_code == 2 and "401" in denied.output

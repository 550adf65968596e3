"""`trellis plan ...` and `trellis task ...` against a real server process: plan, take the next task, report it
done without the code (refused, exit 1, the reasons printed), commit the code, report again (accepted)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from tests.conftest import DEFAULT_PASSWORD, wait_for
from tests.planning.test_planning_api import DISCOUNT, DISCOUNT_TEST, REQUIREMENTS
from tests.repos.git_server import git
from tests.test_serve import free_port
from tests.validation.test_validation_api import CART_SOURCE, CART_TEST, make_repository
from trellis.cli import app as cli


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[int, Path, Path]]:
    port, repos = free_port(), tmp_path / "repos"
    repos.mkdir()
    env = {key: value for key, value in os.environ.items() if not key.startswith("TRELLIS_")}
    env.update(TRELLIS_ENV="test", TRELLIS_REPO_LOCAL_ROOTS=str(repos))
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
        yield port, tmp_path, repos
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)


def test_plan_and_work_tasks_from_the_cli(server: tuple[int, Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    port, workdir, repos = server
    for key in list(os.environ):
        if key.startswith("TRELLIS_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(workdir)
    runner = CliRunner()
    created = runner.invoke(
        cli, ["user", "create", "--email", "cli@example.com", "--password-stdin"], input=f"{DEFAULT_PASSWORD}\n"
    )
    assert created.exit_code == 0, created.output
    token = runner.invoke(cli, ["token", "create", "--email", "cli@example.com", "--name", "cli"]).stdout.strip()
    monkeypatch.setenv("TRELLIS_API_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("TRELLIS_API_TOKEN", token)
    api = httpx.Client(base_url=f"http://127.0.0.1:{port}/api/v1", headers={"Authorization": f"Bearer {token}"})

    def post(path: str, body: Any = None) -> Any:
        response = api.post(path, json=body)
        assert response.status_code < 300, response.text
        return response.json()

    repository = make_repository(
        repos, "cart", {"cart/shopping_cart.py": CART_SOURCE, "tests/test_shopping_cart.py": CART_TEST}
    )
    project_id = post("/projects", {"name": "Cart"})["id"]
    post(f"/projects/{project_id}/requirements/bulk", {"requirements": REQUIREMENTS})
    post(f"/projects/{project_id}/gateway", {"action": "initialize_requirements"})
    post(f"/projects/{project_id}/gateway", {"action": "finalize_requirements", "force": True})
    repo_id = post("/code/connect", {"git_url": f"file://{repository}", "project_id": project_id})["repo_id"]
    wait_for(lambda: api.get(f"/code/repos/{repo_id}/status").json()["clone_status"] == "COMPLETED", timeout=30)
    post(f"/projects/{project_id}/validate-code")
    wait_for(lambda: api.get(f"/projects/{project_id}").json()["status"] == "CODE_VALIDATED", timeout=60)
    post(f"/projects/{project_id}/gateway", {"action": "approve_validation"})

    planned = runner.invoke(cli, ["plan", "create", project_id])
    assert planned.exit_code == 0, planned.output
    assert planned.stdout.startswith("plan version 1 (new); project PLANNING\n4 task(s) in 3 phase(s)")
    again = runner.invoke(cli, ["plan", "create", project_id])
    assert again.stdout.startswith("plan version 1 (unchanged inputs: stored)")
    shown = runner.invoke(cli, ["plan", "show", project_id]).stdout
    assert "Foundation:" in shown and "T-002" in shown and "after T-001" in shown

    nxt = runner.invoke(cli, ["task", "next", project_id]).stdout
    assert nxt.startswith("T-001  pending") and "modify    cart/shopping_cart.py" in nxt
    assert runner.invoke(cli, ["task", "set", project_id, "T-001", "in_progress"]).stdout == "T-001 is in_progress\n"
    refused = runner.invoke(cli, ["task", "done", project_id, "T-002"])
    assert refused.exit_code == 1 and refused.stdout.startswith("T-002: refused, in review\n")
    assert "Code validation finds CART-4 implemented in the repository. - missing" in refused.stdout

    for relative, content in {"cart/discounts.py": DISCOUNT, "tests/test_discounts.py": DISCOUNT_TEST}.items():
        (repository / relative).write_text(content)
    git("add", "-A", cwd=repository)
    git("commit", "-q", "-m", "discount codes", cwd=repository)
    for task_id in ("T-001", "T-002"):
        accepted = runner.invoke(cli, ["task", "done", project_id, task_id])
        assert accepted.exit_code == 0 and accepted.stdout == f"{task_id}: accepted, done\n", accepted.output
    listed = runner.invoke(cli, ["task", "list", project_id]).stdout
    assert listed.splitlines()[-1] == "2 pending, 2 done"
    history = runner.invoke(cli, ["task", "show", project_id, "T-002"]).stdout
    assert "pending -> review" in history and "review -> done" in history

    csv = runner.invoke(cli, ["plan", "trace", project_id, "--csv"]).stdout
    assert csv.splitlines()[0].startswith("requirement,version,current") and "T-002=done" in csv
    missing = runner.invoke(cli, ["task", "show", project_id, "T-404"])
    assert missing.exit_code == 2 and "T-404" in missing.output

"""`trellis workflow ...` and `trellis execution ...` against a real `trellis serve` process."""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner, Result

from tests.conftest import DEFAULT_PASSWORD, wait_for
from tests.test_serve import free_port
from trellis.cli import app as cli

EXPORTED = {
    "format": "trellis.workflow/v1",
    "name": "Greeting",
    "description": "manual -> transform -> transform",
    "nodes": [
        {"id": "start", "type": "manual", "config": {"required_fields": ["name", "n"]}},
        {
            "id": "double",
            "type": "transform",
            "config": {"output": {"name": "{{ input.name }}", "n": "{{ input.n * 2 }}"}},
        },
        {
            "id": "greet",
            "type": "transform",
            "config": {"output": {"text": "Hello {{ input.name }}, {{ input.n }}", "n": "{{ input.n + 1 }}"}},
        },
    ],
    "connections": [{"source": "start", "target": "double"}, {"source": "double", "target": "greet"}],
    "settings": {"note": "kept as is"},
    "tags": ["cli", "demo"],
}

APPROVAL = {
    "format": "trellis.workflow/v1",
    "name": "Needs a yes",
    "nodes": [
        {"id": "start", "type": "manual"},
        {"id": "ask", "type": "approval", "config": {"message": "Ship it?"}},
        {"id": "done", "type": "transform", "config": {"output": "shipped"}},
    ],
    "connections": [
        {"source": "start", "target": "ask"},
        {"source": "ask", "target": "done", "source_handle": "approved"},
    ],
}

TYPE_ERROR = """expression ' input.n + 1 ' failed: can only concatenate str (not "int") to str"""
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


@pytest.fixture(scope="module")
def signed_in_server(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """One `trellis serve` process (as in tests/test_project_cli.py) and a user's API token, for this module."""
    workdir = tmp_path_factory.mktemp("serve")
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("TRELLIS_")}
    env["TRELLIS_ENV"] = "test"
    command = [sys.executable, "-c", "from trellis.cli import main; main()"]
    with (workdir / "server.log").open("w") as log:
        process = subprocess.Popen(
            [*command, "serve", "--port", str(port)], cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT
        )

    def ready() -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/ready", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_for(ready, timeout=90, interval=0.2, what="server")
        # Account and token from child processes in the server's data directory (in this process they
        # would install log handlers on CliRunner's short-lived stderr).
        created = subprocess.run(
            [*command, "user", "create", "--email", "flows@example.com", "--password-stdin"],
            input=f"{DEFAULT_PASSWORD}\n",
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert created.returncode == 0, created.stderr
        token = subprocess.run(
            [*command, "token", "create", "--email", "flows@example.com", "--name", "cli"],
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        yield port, token
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)


@pytest.fixture
def trellis(signed_in_server, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Run `trellis ...` in this process as the signed-in user (TRELLIS_API_URL / TRELLIS_API_TOKEN)."""
    port, token = signed_in_server
    for key in list(os.environ):
        if key.startswith("TRELLIS_"):
            monkeypatch.delenv(key)
    # Earlier tests may have pointed the root logger at a stream that is closed now; the CLI adds none.
    monkeypatch.setattr(logging.getLogger(), "handlers", [])
    monkeypatch.setenv("TRELLIS_API_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("TRELLIS_API_TOKEN", token)
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> Result:
        return runner.invoke(cli, list(args), input=input)

    return invoke


def write(path: Path, document: dict[str, Any] | list[Any]) -> Path:
    path.write_text(json.dumps(document, indent=2))
    return path


def error_line(result: Result) -> str:
    """The one line a failed command prints (on stderr), with no traceback."""
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_import_list_run_export_show_and_logs_from_the_cli(trellis, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    workdir = tmp_path
    source = write(workdir / "greeting.json", EXPORTED)

    imported = trellis("workflow", "import", str(source))
    assert imported.exit_code == 0, imported.output
    workflow_id, name, status = imported.stdout.split("  ")
    assert re.fullmatch(UUID, workflow_id) and name == "Greeting" and status.strip() == "draft"

    listed = trellis("workflow", "list", "--tag", "demo")
    assert listed.exit_code == 0, listed.output
    header, row = listed.stdout.strip().splitlines()
    assert header.split() == ["ID", "NAME", "STATUS", "VERSION", "TAGS", "UPDATED"]
    assert row.split()[:5] == [workflow_id, "Greeting", "draft", "1", "cli,demo"]
    as_json = json.loads(trellis("workflow", "list", "--format", "json", "--tag", "demo").stdout)
    assert [(w["id"], w["tags"]) for w in as_json] == [(workflow_id, ["cli", "demo"])]
    assert json.loads(trellis("workflow", "list", "--format", "json", "--status", "published").stdout) == []
    assert json.loads(trellis("workflow", "list", "--format", "json", "--tag", "other").stdout) == []

    ran = trellis("workflow", "run", workflow_id, "--input", '{"name": "Ada", "n": 20}', "--wait", "--timeout", "60")
    assert ran.exit_code == 0, ran.output
    execution_id, status_line, *output = ran.stdout.splitlines()
    assert re.fullmatch(UUID, execution_id)
    assert re.fullmatch(r"status: completed \(\d+ ms\)", status_line)
    assert json.loads("\n".join(output)) == {"greet": {"text": "Hello Ada, 40", "n": 41}}

    exported_file = workdir / "out.json"
    exported = trellis("workflow", "export", workflow_id, "--output", str(exported_file))
    assert exported.exit_code == 0 and exported.stderr.strip() == f"wrote {exported_file}"
    assert json.loads(exported_file.read_text()) == EXPORTED
    assert json.loads(trellis("workflow", "export", workflow_id).stdout) == EXPORTED

    shown = trellis("execution", "show", execution_id)
    assert shown.exit_code == 0, shown.output
    assert f"execution  {execution_id}" in shown.stdout
    assert f"workflow   {workflow_id} (version 1)" in shown.stdout
    assert "status     completed (run 1)" in shown.stdout
    assert 'output     {"greet": {"text": "Hello Ada, 40", "n": 41}}' in shown.stdout
    table = shown.stdout.split("\n\n", 1)[1].strip().splitlines()
    assert table[0].split() == ["RUN", "STEP", "NODE", "TYPE", "STATUS", "ATTEMPT", "DURATION", "ERROR"]
    assert [line.split()[:6] for line in table[1:]] == [
        ["1", "1", "start", "manual", "completed", "1"],
        ["1", "2", "double", "transform", "completed", "1"],
        ["1", "3", "greet", "transform", "completed", "1"],
    ]
    assert all(re.fullmatch(r"\d+ ms", " ".join(line.split()[6:8])) for line in table[1:]), table  # durations
    clean_log = [line[19:] for line in trellis("execution", "logs", execution_id).stdout.splitlines()]
    assert clean_log == [
        "  info    execution started: run 1 of workflow version 1 (manual trigger)",
        "  info    execution completed",
    ]

    # A run that fails at its last node: --wait exits 1 with the engine's reason; logs and show say where.
    input_file = write(workdir / "input.json", {"name": "Bob", "n": "x"})
    failed = trellis("workflow", "run", workflow_id, "--input", f"@{input_file}", "--wait")
    assert failed.exit_code == 1
    failed_id = failed.stdout.splitlines()[0]
    assert failed.stdout.splitlines()[1].startswith("status: failed")
    reason = error_line(failed)
    assert reason == (
        f"trellis: execution {failed_id} failed: node greet: {TYPE_ERROR} "
        f"(details: `trellis execution show {failed_id}`; retry: `trellis execution retry {failed_id}`)"
    )
    logs = trellis("execution", "logs", failed_id)
    assert logs.exit_code == 0
    log_lines = logs.stdout.splitlines()
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", line[:19]) for line in log_lines)
    assert [line[19:] for line in log_lines] == [
        "  info    execution started: run 1 of workflow version 1 (manual trigger)",
        f"  error   [greet] node greet attempt 1 failed: {TYPE_ERROR}",
        "  info    execution failed",
    ]
    followed = trellis("execution", "logs", failed_id, "--follow")
    assert followed.stdout.splitlines() == log_lines and followed.stderr.strip() == "-- execution failed"
    failed_show = trellis("execution", "show", failed_id).stdout
    assert f"error      node greet: {TYPE_ERROR}" in failed_show
    assert re.search(
        r"^1\s+3\s+greet\s+transform\s+failed\s+1\s+\d+ ms\s+expression ' input", failed_show, re.MULTILINE
    )

    # Retry goes on from the failed node: the first two nodes are not run again in run 2.
    retried = trellis("execution", "retry", failed_id, "--wait", "--timeout", "60")
    assert retried.exit_code == 1
    assert retried.stdout.splitlines()[0] == f"{failed_id} retrying from node greet (run 2, pending)"
    runs = json.loads(trellis("execution", "show", failed_id, "--format", "json").stdout)
    assert runs["execution"]["run"] == 2 and runs["execution"]["failed_node_id"] == "greet"
    assert [(n["run"], n["node_id"], n["status"]) for n in runs["nodes"]] == [
        (1, "start", "completed"),
        (1, "double", "completed"),
        (1, "greet", "failed"),
        (2, "greet", "failed"),
    ]

    listed_runs = trellis("execution", "list", "--workflow", workflow_id, "--format", "json")
    assert sorted(e["status"] for e in json.loads(listed_runs.stdout)) == ["completed", "failed"]

    # Cancelling what has finished: the API's 409 message, exit 1.
    refused = trellis("execution", "cancel", execution_id)
    assert refused.exit_code == 1
    assert error_line(refused) == "trellis: 409: The execution is already completed."


def test_waiting_runs_time_out_of_wait_and_can_be_cancelled(trellis, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    source = write(tmp_path / "approval.json", APPROVAL)
    workflow_id = trellis("workflow", "import", str(source)).stdout.split()[0]
    # Long enough to reach the approval on a busy machine; the run then stays waiting until the timeout.
    waited = trellis("workflow", "run", workflow_id, "--timeout", "10")
    assert waited.exit_code == 1
    execution_id = waited.stdout.strip()
    assert f"waiting for approval at node ask: POST /api/v1/executions/{execution_id}/approve" in waited.stderr
    assert waited.stderr.strip().splitlines()[-1] == (
        f"trellis: execution {execution_id} is still waiting after 10 s (it keeps running on the server)"
    )
    cancelled = trellis("execution", "cancel", execution_id)
    assert cancelled.exit_code == 0 and cancelled.stdout.strip() == f"{execution_id} cancelled"
    shown = trellis("execution", "show", execution_id).stdout
    assert "status     cancelled (run 1)" in shown
    assert re.search(r"^1\s+2\s+ask\s+approval\s+cancelled", shown, re.MULTILINE)


def test_errors_are_one_line_with_the_api_message_and_exit_1(
    trellis, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    workdir = tmp_path
    broken = {**EXPORTED, "connections": [{"source": "start", "target": "double"}]}  # greet is unreachable
    result = trellis("workflow", "import", str(write(workdir / "broken.json", broken)))
    assert result.exit_code == 1
    assert error_line(result) == (
        "trellis: 422: The workflow graph is invalid (2 problem(s)): "
        "greet: needs at least 1 incoming connection(s), has 0; greet: is not reachable from any trigger"
    )
    # A hand-written body (what POST /workflows takes, no "format") imports; another format is refused.
    plain = {key: value for key, value in EXPORTED.items() if key != "format"}
    hand_written = trellis("workflow", "import", str(write(workdir / "plain.json", plain)))
    assert hand_written.exit_code == 0 and hand_written.stdout.split("  ")[1] == "Greeting", hand_written.output
    other = trellis("workflow", "import", str(write(workdir / "n8n.json", {**plain, "format": "n8n/v1"})))
    assert error_line(other) == (
        f"trellis: {workdir / 'n8n.json'}: not a workflow export "
        '(expected "format": "trellis.workflow/v1", found \'n8n/v1\')'
    )
    listed = trellis("workflow", "import", str(write(workdir / "list.json", [plain])))
    assert error_line(listed) == (
        f"trellis: {workdir / 'list.json'}: expected a JSON object with name, nodes and connections, found list"
    )
    (workdir / "bad.json").write_text("{nope")
    assert error_line(trellis("workflow", "import", str(workdir / "bad.json"))).startswith(
        f"trellis: {workdir / 'bad.json'}: not valid JSON (Expecting property name"
    )
    missing = "00000000-0000-4000-8000-000000000000"
    unknown = trellis("execution", "show", missing)
    assert unknown.exit_code == 1 and error_line(unknown) == f"trellis: 404: Execution {missing} does not exist."
    not_object = trellis("workflow", "run", missing, "--input", "[1, 2]")
    assert not_object.exit_code == 1 and error_line(not_object) == "trellis: --input must be a JSON object, not list"
    assert error_line(trellis("workflow", "list", "--format", "yaml")) == "trellis: --format must be table or json"
    monkeypatch.setenv("TRELLIS_API_TOKEN", "trl_not-a-real-token-000000000000")
    denied = trellis("workflow", "list")
    assert denied.exit_code == 1 and error_line(denied).startswith("trellis: 401: ")


def test_approve_and_reject_from_the_cli(trellis, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    document = {
        "format": "trellis.workflow/v1",
        "name": "Release gate",
        "nodes": [
            {"id": "start", "type": "manual"},
            {"id": "ok", "type": "approval", "config": {"message": "Ship {{ input.version }}?"}},
            {"id": "shipped", "type": "transform", "config": {"output": "released {{ nodes.start.version }}"}},
            {"id": "held", "type": "transform", "config": {"output": "held back"}},
        ],
        "connections": [
            {"source": "start", "target": "ok"},
            {"source": "ok", "target": "shipped", "source_handle": "approved"},
            {"source": "ok", "target": "held", "source_handle": "rejected"},
        ],
    }
    workflow_id = trellis("workflow", "import", str(write(tmp_path / "gate.json", document))).stdout.split()[0]
    input_file = write(tmp_path / "input.json", {"version": "1.2"})

    def run_until_waiting() -> str:
        execution_id = trellis("workflow", "run", workflow_id, "--input", f"@{input_file}").stdout.split()[0]
        wait_for(lambda: "status     waiting" in trellis("execution", "show", execution_id).stdout, what="the approval")
        return execution_id

    approved_id = run_until_waiting()
    wrong = trellis("execution", "approve", approved_id, "--node", "nope")
    assert wrong.exit_code == 1
    assert error_line(wrong) == "trellis: 409: Node 'nope' is not waiting for an approval; waiting: ok."
    approved = trellis("execution", "approve", approved_id, "--comment", "looks good")
    assert approved.exit_code == 0 and approved.stdout.strip() == f"{approved_id} approved (running)"
    wait_for(lambda: "status     completed" in trellis("execution", "show", approved_id).stdout, what="completion")
    assert '"shipped": "released 1.2"' in trellis("execution", "show", approved_id).stdout
    assert "[ok] approved by flows@example.com: looks good" in trellis("execution", "logs", approved_id).stdout

    rejected_id = run_until_waiting()
    assert trellis("execution", "reject", rejected_id).stdout.strip() == f"{rejected_id} rejected (running)"
    wait_for(lambda: "status     completed" in trellis("execution", "show", rejected_id).stdout, what="completion")
    assert '"held": "held back"' in trellis("execution", "show", rejected_id).stdout
    again = trellis("execution", "approve", rejected_id)
    assert error_line(again) == "trellis: 409: No approval is waiting in this execution."

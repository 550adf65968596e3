"""`trellis workflow ...` and `trellis execution ...`: drive workflows on a running Trellis over its API
(TRELLIS_API_URL, TRELLIS_API_TOKEN). Errors are one line from the API's error body; exit code 1."""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from trellis.core.api_client import ApiClient, api_session, call, fail

workflow_app = typer.Typer(help="Workflows on a running Trellis (needs TRELLIS_API_TOKEN).", no_args_is_help=True)
execution_app = typer.Typer(
    help="Workflow executions on a running Trellis (needs TRELLIS_API_TOKEN).", no_args_is_help=True
)

EXPORT_FORMAT = "trellis.workflow/v1"
FINISHED = ("completed", "failed", "cancelled")
_POLL_START_SECONDS = 0.1
_POLL_MAX_SECONDS = 1.0
_ERROR_COLUMN_WIDTH = 60

OutputFormat = Annotated[str, typer.Option("--format", help="table or json.", case_sensitive=False)]


# ---------------------------------------------------------------- workflow


@workflow_app.command("import")
def import_workflow(
    file: Annotated[
        Path,
        typer.Argument(help=f"A {EXPORT_FORMAT} JSON document (`trellis workflow export`) or a workflow body."),
    ],
    workspace: Annotated[str | None, typer.Option(help="Workspace id (default: your personal workspace).")] = None,
) -> None:
    """Create a workflow (as a draft) from a JSON file; prints its id, name and status.

    The file is an export, or a hand-written body with name, nodes and connections (as POST /workflows takes)."""
    document = _read_json(file)
    if not isinstance(document, dict):
        fail(f"{file}: expected a JSON object with name, nodes and connections, found {type(document).__name__}")
    if document.setdefault("format", EXPORT_FORMAT) != EXPORT_FORMAT:
        fail(f'{file}: not a workflow export (expected "format": "{EXPORT_FORMAT}", found {document["format"]!r})')
    workflow = call("POST", "/workflows/import", json={**document, "workspace_id": workspace})
    typer.echo(f"{workflow['id']}  {workflow['name']}  {workflow['status']}")


@workflow_app.command("export")
def export_workflow(
    workflow_id: Annotated[str, typer.Argument(metavar="ID")],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to FILE instead of stdout.")] = None,
) -> None:
    """The workflow's current version as a portable JSON document (re-import with `trellis workflow import`)."""
    document = call("GET", f"/workflows/{workflow_id}/export")
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}")
    typer.echo(f"wrote {output}", err=True)


@workflow_app.command("list")
def list_workflows(
    status: Annotated[str | None, typer.Option(help="draft, published or archived.")] = None,
    tag: Annotated[str | None, typer.Option(help="Only workflows with this tag.")] = None,
    search: Annotated[str | None, typer.Option(help="Text in the name or description.")] = None,
    workspace: Annotated[str | None, typer.Option(help="Only this workspace (default: all of yours).")] = None,
    limit: Annotated[int, typer.Option(min=1, max=200)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    output_format: OutputFormat = "table",
) -> None:
    """Workflows in your workspaces, most recently changed first."""
    output_format = _check_format(output_format)
    params = {"status": status, "tag": tag, "search": search, "workspace_id": workspace, "limit": limit}
    page = call("GET", "/workflows", params={**{k: v for k, v in params.items() if v is not None}, "offset": offset})
    if output_format == "json":
        typer.echo(json.dumps(page["items"], indent=2, ensure_ascii=False))
        return
    rows = [
        [w["id"], w["name"], w["status"], str(w["version"]), ",".join(w["tags"]), _when(w["updated_at"])]
        for w in page["items"]
    ]
    _print_table(["ID", "NAME", "STATUS", "VERSION", "TAGS", "UPDATED"], rows)
    if page["total"] > offset + len(rows) or offset:
        typer.echo(f"{len(rows)} of {page['total']} (from {offset}; use --offset/--limit for more)", err=True)


@workflow_app.command("run")
def run_workflow(
    workflow_id: Annotated[str, typer.Argument(metavar="ID")],
    input_data: Annotated[
        str | None, typer.Option("--input", help="Run input: a JSON object, @FILE, or @- for stdin.")
    ] = None,
    trigger: Annotated[str | None, typer.Option(help="Trigger node id, when the workflow has several.")] = None,
    wait: Annotated[bool, typer.Option("--wait", help="Wait for the end; print status and output.")] = False,
    timeout: Annotated[
        float | None, typer.Option(min=0.1, help="Seconds to wait (implies --wait; default 600).")
    ] = None,
) -> None:
    """Start a run; prints the execution id. With --wait: exit 1 unless it completes."""
    trigger_data = _parse_input(input_data) if input_data is not None else {}
    body: dict[str, Any] = {"workflow_id": workflow_id, "trigger_data": trigger_data}
    if trigger:
        body["trigger_node_id"] = trigger
    with api_session() as client:
        started = client.call("POST", "/executions", json=body)
        typer.echo(started["id"])
        if wait or timeout is not None:
            sys.stdout.flush()
            _wait_and_report(client, started["id"], timeout or 600.0)


# ---------------------------------------------------------------- execution


@execution_app.command("list")
def list_executions(
    workflow: Annotated[str | None, typer.Option(help="Only this workflow's executions.")] = None,
    status: Annotated[str | None, typer.Option(help="pending, running, waiting, completed, failed, cancelled.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=200)] = 20,
    output_format: OutputFormat = "table",
) -> None:
    """Recent executions, newest first."""
    output_format = _check_format(output_format)
    params = {"workflow_id": workflow, "status": status, "limit": limit}
    page = call("GET", "/executions", params={k: v for k, v in params.items() if v is not None})
    if output_format == "json":
        typer.echo(json.dumps(page["items"], indent=2, ensure_ascii=False))
        return
    rows = [
        [
            e["id"],
            e["workflow_id"],
            str(e["workflow_version"]),
            e["status"],
            e["trigger_type"],
            _when(e["created_at"]),
            _ms(e["duration_ms"]),
        ]
        for e in page["items"]
    ]
    _print_table(["ID", "WORKFLOW", "VERSION", "STATUS", "TRIGGER", "CREATED", "DURATION"], rows)


@execution_app.command("show")
def show_execution(
    execution_id: Annotated[str, typer.Argument(metavar="ID")], output_format: OutputFormat = "table"
) -> None:
    """Status, error, output and a table of every node run."""
    output_format = _check_format(output_format)
    with api_session() as client:
        execution = client.call("GET", f"/executions/{execution_id}")
        nodes = client.call("GET", f"/executions/{execution_id}/nodes")["items"]
    if output_format == "json":
        typer.echo(json.dumps({"execution": execution, "nodes": nodes}, indent=2, ensure_ascii=False))
        return
    _print_execution(execution)
    typer.echo("")
    rows = [
        [
            str(n["run"]),
            str(n["step"]),
            n["node_id"],
            n["node_type"],
            n["status"],
            str(n["retry_count"] + 1),
            _ms(n["duration_ms"]),
            _clip(n["error_message"]),
        ]
        for n in nodes
    ]
    _print_table(["RUN", "STEP", "NODE", "TYPE", "STATUS", "ATTEMPT", "DURATION", "ERROR"], rows)


@execution_app.command("logs")
def execution_logs(
    execution_id: Annotated[str, typer.Argument(metavar="ID")],
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new lines until the run ends.")] = False,
) -> None:
    """The execution's log lines (node failures, retries, node messages)."""
    after = 0
    with api_session() as client:
        if not follow:
            _print_logs(client, execution_id, after)
            return
        delay = _POLL_START_SECONDS
        while True:
            # Read the status first: a run that had ended by then has written all its lines.
            status = client.call("GET", f"/executions/{execution_id}")["status"]
            after = _print_logs(client, execution_id, after)
            if status in FINISHED:
                typer.echo(f"-- execution {status}", err=True)
                return
            time.sleep(delay)
            delay = min(delay * 2, _POLL_MAX_SECONDS)


@execution_app.command("cancel")
def cancel_execution(execution_id: Annotated[str, typer.Argument(metavar="ID")]) -> None:
    """Cancel a pending, running or waiting execution (a running one stops before its next node)."""
    execution = call("POST", f"/executions/{execution_id}/cancel")
    if execution["status"] == "cancelled":
        typer.echo(f"{execution['id']} cancelled")
    else:
        typer.echo(f"{execution['id']} cancel requested; it stops before its next node")


@execution_app.command("retry")
def retry_execution(
    execution_id: Annotated[str, typer.Argument(metavar="ID")],
    wait: Annotated[bool, typer.Option("--wait", help="Wait for the end; print status and output.")] = False,
    timeout: Annotated[
        float | None, typer.Option(min=0.1, help="Seconds to wait (implies --wait; default 600).")
    ] = None,
) -> None:
    """Continue a failed execution from its failed node; completed nodes keep their outputs."""
    with api_session() as client:
        failed_node = client.call("GET", f"/executions/{execution_id}").get("failed_node_id")
        execution = client.call("POST", f"/executions/{execution_id}/retry")
        where = f" from node {failed_node}" if failed_node else ""
        typer.echo(f"{execution['id']} retrying{where} (run {execution['run']}, {execution['status']})")
        if wait or timeout is not None:
            sys.stdout.flush()
            _wait_and_report(client, execution["id"], timeout or 600.0)


@execution_app.command("approve")
def approve_execution(
    execution_id: Annotated[str, typer.Argument(metavar="ID")],
    node: Annotated[str | None, typer.Option(help="The approval node (needed when several are waiting).")] = None,
    comment: Annotated[str | None, typer.Option(help="Kept with the decision.")] = None,
) -> None:
    """Approve the approval node an execution is waiting on; the run goes on down `approved`."""
    _decide(execution_id, "approve", node, comment)


@execution_app.command("reject")
def reject_execution(
    execution_id: Annotated[str, typer.Argument(metavar="ID")],
    node: Annotated[str | None, typer.Option(help="The approval node (needed when several are waiting).")] = None,
    comment: Annotated[str | None, typer.Option(help="Kept with the decision.")] = None,
) -> None:
    """Reject the approval node an execution is waiting on; the run goes on down `rejected`."""
    _decide(execution_id, "reject", node, comment)


def _decide(execution_id: str, decision: str, node: str | None, comment: str | None) -> None:
    body = {key: value for key, value in {"node_id": node, "comment": comment}.items() if value is not None}
    execution = call("POST", f"/executions/{execution_id}/{decision}", json=body)
    done = {"approve": "approved", "reject": "rejected"}[decision]
    typer.echo(f"{execution['id']} {done} ({execution['status']})")


# ---------------------------------------------------------------- helpers


def _wait_and_report(client: ApiClient, execution_id: str, timeout: float) -> None:
    """Poll until the execution ends; print its status and output; exit 1 unless it completed."""
    deadline = time.monotonic() + timeout
    delay = _POLL_START_SECONDS
    told_waiting = False
    while True:
        execution = client.call("GET", f"/executions/{execution_id}")
        status = execution["status"]
        if status in FINISHED:
            break
        if status == "waiting" and not told_waiting:
            told_waiting = True
            _tell_waiting(client, execution_id)
        if time.monotonic() >= deadline:
            fail(f"execution {execution_id} is still {status} after {timeout:g} s (it keeps running on the server)")
        time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
        delay = min(delay * 2, _POLL_MAX_SECONDS)
    typer.echo(f"status: {status}" + (f" ({_ms(execution['duration_ms'])})" if execution["duration_ms"] else ""))
    if status == "completed":
        typer.echo(json.dumps(execution["output"], indent=2, ensure_ascii=False))
        return
    if status == "failed":
        fail(
            f"execution {execution_id} failed: {execution['error_message']} "
            f"(details: `trellis execution show {execution_id}`; retry: `trellis execution retry {execution_id}`)"
        )
    fail(f"execution {execution_id} was cancelled")


def _tell_waiting(client: ApiClient, execution_id: str) -> None:
    nodes = client.call("GET", f"/executions/{execution_id}/nodes")["items"]
    waiting = [n for n in nodes if n["status"] == "waiting"]
    for node in waiting:
        if node["node_type"] == "approval":
            typer.echo(
                f"waiting for approval at node {node['node_id']}: "
                f"POST /api/v1/executions/{execution_id}/approve (or /reject)",
                err=True,
            )
        else:
            typer.echo(f"waiting at node {node['node_id']} ({node['node_type']})", err=True)


def _print_execution(execution: dict[str, Any]) -> None:
    fields = [
        ("execution", execution["id"]),
        ("workflow", f"{execution['workflow_id']} (version {execution['workflow_version']})"),
        (
            "status",
            f"{execution['status']} (run {execution['run']})"
            + (", cancel requested" if execution["cancel_requested"] and execution["status"] not in FINISHED else ""),
        ),
        ("trigger", f"{execution['trigger_type']} (node {execution['trigger_node_id']})"),
        ("started", _when(execution["start_time"]) or "-"),
        ("duration", _ms(execution["duration_ms"]) or "-"),
    ]
    if execution["error_message"]:
        fields.append(("error", execution["error_message"]))
    if execution["output"] is not None:
        fields.append(("output", json.dumps(execution["output"], ensure_ascii=False)))
    for label, value in fields:
        typer.echo(f"{label:<10} {value}")


def _print_logs(client: ApiClient, execution_id: str, after: int) -> int:
    """Print every line after `after`; returns the last id printed."""
    while True:
        page = client.call("GET", f"/executions/{execution_id}/logs", params={"after_id": after, "limit": 1000})
        for line in page["items"]:
            node = f"[{line['node_id']}] " if line["node_id"] else ""
            typer.echo(f"{_when(line['created_at'])}  {line['level']:<7} {node}{line['message']}")
        if not page["items"]:
            return after
        after = page["next_after_id"]


def _print_table(headers: list[str], rows: list[list[str]]) -> None:
    if not rows:
        typer.echo("(none)", err=True)
        return
    widths = [max(len(headers[i]), *(len(row[i]) for row in rows)) for i in range(len(headers))]
    for row in [headers, *rows]:
        typer.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


def _read_json(file: Path) -> Any:
    try:
        text = sys.stdin.read() if str(file) == "-" else file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read {file}: {getattr(exc, 'strerror', None) or exc}")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        fail(f"{file}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})")


def _parse_input(value: str) -> dict[str, Any]:
    data = _read_json(Path(value[1:])) if value.startswith("@") else _loads(value)
    if not isinstance(data, dict):
        fail(f"--input must be a JSON object, not {type(data).__name__}")
    return data


def _loads(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        fail(f"--input is not valid JSON ({exc.msg} at column {exc.colno}); use a JSON object or @FILE")


def _check_format(value: str) -> str:
    value = value.lower()
    if value not in ("table", "json"):
        fail("--format must be table or json")
    return value


def _when(value: str | None) -> str:
    if not value:
        return ""
    return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M:%S")


def _ms(value: int | None) -> str:
    return "" if value is None else f"{value} ms"


def _clip(value: str | None) -> str:
    if not value:
        return ""
    line = " ".join(value.split())
    return line if len(line) <= _ERROR_COLUMN_WIDTH else line[: _ERROR_COLUMN_WIDTH - 3] + "..."

"""`trellis plan ...` and `trellis task ...`: plans, tasks and done reports on a running Trellis over its API
(TRELLIS_API_URL, TRELLIS_API_TOKEN)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from trellis.core import api_client

plan_app = typer.Typer(help="Plans of a project on a running Trellis (needs TRELLIS_API_TOKEN).", no_args_is_help=True)
task_app = typer.Typer(help="Work on a plan's tasks (needs TRELLIS_API_TOKEN).", no_args_is_help=True)
_EXIT_CODE = 2
# Done reports sync and re-validate the repository: give them longer than an ordinary call.
DONE_TIMEOUT_SECONDS = 600.0


def _call(method: str, path: str, **kwargs: Any) -> Any:
    return api_client.call(method, path, exit_code=_EXIT_CODE, **kwargs)


def _task_line(task: dict[str, Any]) -> str:
    marks = [m for m, on in (("ready", task.get("ready")), ("critical", task.get("on_critical_path"))) if on]
    return (
        f"{task['id']}  {task.get('status', 'pending'):<11} {task['category']:<14} cx {task['complexity']:>2}  "
        f"P50 {task['estimate']['p50_hours']:>6}h  {task['title']}" + (f"  [{', '.join(marks)}]" if marks else "")
    )


@plan_app.command("create")
def create(project_id: str, seed: Annotated[int, typer.Option(help="Monte Carlo seed.")] = 0) -> None:
    """Plan the project (PLAN_READY -> PLANNING); the same inputs return the stored version."""
    result = _call("POST", f"/projects/{project_id}/plan", json={"seed": seed})
    state = "new" if result["created"] else "unchanged inputs: stored"
    typer.echo(f"plan version {result['version']} ({state}); project {result['project_status']}")
    typer.echo(result["plan"]["summary"])
    for warning in result["plan"]["warnings"]:
        typer.echo(f"warning: {warning}")


@plan_app.command("show")
def show(
    project_id: str,
    version: Annotated[int | None, typer.Option(help="An earlier version.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="The whole plan as JSON.")] = False,
) -> None:
    """The current plan (or --version N): phases and tasks."""
    result = _call("GET", f"/projects/{project_id}/plan", params={"version": version} if version else None)
    plan = result["plan"]
    if as_json:
        typer.echo(json.dumps(plan, indent=2))
        return
    typer.echo(f"plan version {result['version']}: {plan['summary']}")
    tasks = {t["id"]: t for t in plan["tasks"]}
    for phase in plan["phases"]:
        typer.echo(f"\n{phase['name']}: {phase['description']}")
        for task_id in phase["task_ids"]:
            task = tasks[task_id]
            after = f"  after {', '.join(task['depends_on'])}" if task["depends_on"] else ""
            typer.echo(f"  {_task_line({**task, 'status': task['kind']})}{after}")


@plan_app.command("diff")
def diff(
    project_id: str,
    from_version: Annotated[int | None, typer.Option("--from")] = None,
    to_version: Annotated[int | None, typer.Option("--to")] = None,
) -> None:
    """What changed between two versions (default: the latest against the one before)."""
    params = {k: v for k, v in (("from", from_version), ("to", to_version)) if v is not None}
    result = _call("GET", f"/projects/{project_id}/plan/diff", params=params)
    typer.echo(f"version {result['from']} -> {result['to']}: {result['unchanged']} task(s) unchanged")
    for item in result["added"]:
        typer.echo(f"+ {item['id']} {item['title']}")
    for item in result["removed"]:
        typer.echo(f"- {item['id']} {item['title']}")
    for item in result["changed"]:
        fields = ", ".join(item["fields"]) or "renumbered"
        typer.echo(f"~ {item['from_id']} -> {item['to_id']} ({item['key']}): {fields}")


@plan_app.command("trace")
def trace(
    project_id: str,
    file: Annotated[str | None, typer.Option(help="Reverse lookup from a file.")] = None,
    task: Annotated[str | None, typer.Option(help="Reverse lookup from a task id.")] = None,
    csv: Annotated[bool, typer.Option("--csv", help="The matrix as CSV.")] = False,
) -> None:
    """Traceability: requirement versions -> Q&A, code evidence, tasks, prompts, verification (JSON or CSV)."""
    params = {k: v for k, v in (("file", file), ("task", task)) if v}
    result = _call("GET", f"/projects/{project_id}/traceability", params=params)
    if csv and not params:
        from trellis.planning.traceability import matrix_csv

        typer.echo(matrix_csv(result), nl=False)  # the server's own CSV layout (GET ...?format=csv)
    else:
        typer.echo(json.dumps(result, indent=2))


@task_app.command("list")
def list_tasks(project_id: str, status: Annotated[str | None, typer.Option(help="Only this status.")] = None) -> None:
    """The current plan's tasks with their status."""
    result = _call("GET", f"/projects/{project_id}/tasks", params={"status": status} if status else None)
    for task in result["items"]:
        typer.echo(_task_line(task))
    typer.echo(", ".join(f"{n} {name}" for name, n in result["counts"].items() if n))


@task_app.command("next")
def next_task(project_id: str) -> None:
    """The task to work on now."""
    result = _call("GET", f"/projects/{project_id}/tasks/next")
    if result["task"] is None:
        typer.echo(result["message"])
        return
    task = result["task"]
    typer.echo(_task_line(task))
    typer.echo(task["description"])
    for item in task["files"]:
        typer.echo(f"  {item['action']:<9} {item['path']}")
    for item in task["dod"]:
        typer.echo(f"  [ ] {item['text']}")


@task_app.command("show")
def show_task(project_id: str, task_id: str) -> None:
    """A task with its history."""
    task = _call("GET", f"/projects/{project_id}/tasks/{task_id}")
    typer.echo(_task_line(task))
    for event in task["history"]:
        note = f"  {event['note']}" if event["note"] else ""
        typer.echo(f"  {event['created_at']}  {event['from_status'] or '-'} -> {event['to_status']}{note}")


@task_app.command("set")
def set_status(project_id: str, task_id: str, status: str, note: Annotated[str | None, typer.Option()] = None) -> None:
    """Set pending, in_progress, review or blocked (done: `trellis task done`)."""
    task = _call("PATCH", f"/projects/{project_id}/tasks/{task_id}", json={"status": status, "note": note})
    typer.echo(f"{task['id']} is {task['status']}")


@task_app.command("done")
def done(project_id: str, task_id: str, note: Annotated[str | None, typer.Option()] = None) -> None:
    """Report a task done: Trellis syncs and re-validates the repository; accepted -> done, else review."""
    with api_client.api_session(exit_code=_EXIT_CODE, timeout=DONE_TIMEOUT_SECONDS) as client:
        result = client.call("POST", f"/projects/{project_id}/tasks/{task_id}/done", json={"note": note})
    typer.echo(f"{task_id}: {'accepted, done' if result['accepted'] else 'refused, in review'}")
    for reason in result["reasons"]:
        typer.echo(f"  - {reason}")
    if not result["accepted"]:
        raise typer.Exit(1)

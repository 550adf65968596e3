"""The tool set a coding agent gets: list projects, take the next task, read a task with its prompts and DoD, move
it, read a requirement, and report it done (Trellis verifies before accepting)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from pydantic import Field

from trellis import __version__
from trellis.mcp_server.api import TrellisApi

ApiFactory = Callable[[Context], Awaitable[TrellisApi]]

INSTRUCTIONS = (
    "Trellis plans software work as tasks with acceptance criteria and a Definition of Done. Work loop: "
    "list_projects -> next_task -> get_task (read its implementation prompt and DoD) -> set_task_status in_progress "
    "-> write and commit the code -> report_task_done. Trellis syncs the repository and re-checks the requirement "
    "and the DoD; a refused report lists the reasons: fix them and report again."
)

ProjectId = Annotated[str, Field(description="Project id (from list_projects).")]
TaskId = Annotated[str, Field(description="Task id, e.g. T-001.", max_length=20)]
Note = Annotated[str | None, Field(description="What you did or why, kept in the task's history.", max_length=2000)]


def _task_summary(task: dict[str, Any]) -> dict[str, Any]:
    keep = ("id", "title", "category", "kind", "status", "depends_on", "requirements", "files", "dod", "ready")
    return {key: task[key] for key in keep if key in task}


def build_server(api_for: ApiFactory) -> MCPServer:
    server = MCPServer("trellis", instructions=INSTRUCTIONS, version=__version__)

    @server.tool()
    async def list_projects(
        ctx: Context,
        workspace_id: Annotated[str | None, Field(description="Only this workspace's projects.")] = None,
    ) -> dict[str, Any]:
        """The projects you can see, newest first, with their pipeline status."""
        api = await api_for(ctx)
        listed = await api.get("/projects", workspace_id=workspace_id, limit=200)
        items = [
            {k: p.get(k) for k in ("id", "name", "status", "workspace_id", "description")} for p in listed["items"]
        ]
        return {"items": items, "total": listed["total"]}

    @server.tool()
    async def next_task(ctx: Context, project_id: ProjectId) -> dict[str, Any]:
        """The task to work on now: in-progress work first, then ready tasks by priority, fewest dependencies, id."""
        api = await api_for(ctx)
        found = await api.get(f"/projects/{project_id}/tasks/next")
        task = found.get("task")
        return {"task": _task_summary(task) if task else None, "message": found.get("message", "")}

    @server.tool()
    async def get_task(ctx: Context, project_id: ProjectId, task_id: TaskId) -> dict[str, Any]:
        """A task with its requirements, files, Definition of Done, status history and generated prompts
        (implementation, testing, review, documentation)."""
        api = await api_for(ctx)
        detail = await api.get(f"/projects/{project_id}/tasks/{task_id}")
        prompts = await api.get_or_none(
            f"/projects/{project_id}/prompts", missing="prompts_not_generated", task_id=task_id
        )
        detail["prompts"] = {p["category"]: p["text"] for p in prompts["items"]} if prompts else {}
        if not detail["prompts"]:
            detail["prompts_note"] = (
                "No prompts generated for this plan version yet (POST /api/v1/projects/{id}/prompts)."
            )
        return dict(detail)

    @server.tool()
    async def set_task_status(
        ctx: Context,
        project_id: ProjectId,
        task_id: TaskId,
        status: Annotated[
            str, Field(description="pending, in_progress, review or blocked (done: use report_task_done).")
        ],
        note: Note = None,
    ) -> dict[str, Any]:
        """Move a task (e.g. to in_progress when you start it, blocked with a note when you cannot go on)."""
        api = await api_for(ctx)
        body: dict[str, Any] = {"status": status, **({"note": note} if note else {})}
        detail = await api.request("PATCH", f"/projects/{project_id}/tasks/{task_id}", json=body)
        return {"id": detail.get("id", task_id), "status": detail["status"], "history": detail.get("history", [])}

    @server.tool()
    async def get_requirement(
        ctx: Context, project_id: ProjectId, code: Annotated[str, Field(description="Requirement code, e.g. REQ-001.")]
    ) -> dict[str, Any]:
        """A requirement's current version: text, acceptance criteria, dependencies, findings, and its history."""
        api = await api_for(ctx)
        listed = await api.get(f"/projects/{project_id}/requirements")
        requirement = next((r for r in listed["items"] if r["code"] == code), None)
        if requirement is None:
            from mcp.server.mcpserver.exceptions import ToolError

            raise ToolError(f"requirement_not_found: Requirement {code} does not exist in this project.")
        versions = await api.get(f"/projects/{project_id}/requirements/{code}/versions")
        requirement["versions"] = [{"version": v["version"], "created_at": v["created_at"]} for v in versions]
        return dict(requirement)

    @server.tool()
    async def report_task_done(
        ctx: Context, project_id: ProjectId, task_id: TaskId, note: Note = None
    ) -> dict[str, Any]:
        """Report the task done. Trellis syncs the repository, re-validates the task's requirements and checks its DoD:
        accepted -> done; otherwise the task goes to review and `reasons` say what is missing."""
        api = await api_for(ctx)
        outcome = await api.request(
            "POST", f"/projects/{project_id}/tasks/{task_id}/done", json={"note": note} if note else None
        )
        return dict(outcome)

    return server

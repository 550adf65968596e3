"""Exports of a plan's prompts: one Markdown bundle, JSON, and a `tasks.md` checklist a coding agent can follow."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from trellis.planning.types import PROMPT_CATEGORIES, Plan, PlannedTask
from trellis.prompts.generator import RenderedPrompt

EXPORT_FORMATS = ("markdown", "json", "tasks")


def prompt_path(task_id: str, category: str) -> str:
    return f"prompts/{task_id}/{category}.md"


def _by_task(prompts: Sequence[RenderedPrompt]) -> dict[str, dict[str, RenderedPrompt]]:
    grouped: dict[str, dict[str, RenderedPrompt]] = {}
    for prompt in prompts:
        grouped.setdefault(prompt.task_id, {})[prompt.category] = prompt
    return grouped


def markdown_bundle(plan: Plan, prompts: Sequence[RenderedPrompt], *, title: str) -> str:
    """Every prompt in plan order, one section per task, one subsection per category."""
    grouped = _by_task(prompts)
    out = [f"# Prompts: {title}", "", plan.summary, ""]
    for task in plan.tasks:
        if task.id not in grouped:
            continue
        out += [f"## {task.id}: {task.title}", ""]
        for category in PROMPT_CATEGORIES:
            prompt = grouped[task.id].get(category)
            if prompt is None:
                continue
            out += [f"### {category} ({prompt.token_count} tokens, template {prompt.template_version})", ""]
            out += _demoted(prompt.text)
            out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def _demoted(text: str) -> list[str]:
    """The prompt's headings three levels down so the bundle's outline stays readable; code blocks untouched."""
    lines: list[str] = []
    fenced = False
    for line in text.rstrip("\n").split("\n"):
        if line.startswith("```"):
            fenced = not fenced
        lines.append("###" + line if line.startswith("#") and not fenced else line)
    return lines


def json_export(plan: Plan, prompts: Sequence[RenderedPrompt], *, meta: Mapping[str, Any]) -> dict[str, Any]:
    grouped = _by_task(prompts)
    return {
        **meta,
        "tasks": [
            {
                "id": task.id,
                "title": task.title,
                "category": task.category,
                "depends_on": list(task.depends_on),
                "prompts": {c: p.as_dict() for c, p in grouped.get(task.id, {}).items()},
            }
            for task in plan.tasks
        ],
    }


def tasks_markdown(
    plan: Plan, *, title: str, statuses: Mapping[str, str] | None = None, prompt_files: bool = True
) -> str:
    """A checklist in dependency order: ids, dependencies, requirements, files, DoD and where each prompt is."""
    statuses = statuses or {}
    out = [
        f"# Tasks: {title}",
        "",
        "Work top to bottom: a task's dependencies are always above it. Take a task only when every task it depends on "
        "is checked. Tick a DoD item when it holds; report the task done to Trellis, which re-checks what it can.",
        "",
    ]
    # Phases in order, tasks in plan order within each: no task's phase comes before its dependencies' phases.
    listed = {task_id for phase in plan.phases for task_id in phase.task_ids}
    groups = [(phase.name, [t for t in plan.tasks if t.id in set(phase.task_ids)]) for phase in plan.phases]
    unphased = [t for t in plan.tasks if t.id not in listed]
    if unphased:
        groups.append(("Other", unphased))
    for heading, tasks in groups:
        if tasks:
            out += [f"## {heading}", ""]
        for task in tasks:
            out += _task_lines(task, statuses, prompt_files)
    return "\n".join(out).rstrip("\n") + "\n"


def _task_lines(task: PlannedTask, statuses: Mapping[str, str], prompt_files: bool) -> list[str]:
    out: list[str] = []
    mark = "x" if statuses.get(task.id) == "done" else " "
    flags = [task.category, f"complexity {task.complexity}", f"{task.estimate.p50_hours:g}h P50"]
    if task.parallel:
        flags.append("parallel")
    if task.on_critical_path:
        flags.append("critical path")
    out.append(f"- [{mark}] **{task.id}** {task.title} ({', '.join(flags)})")
    out.append(f"  - Depends on: {', '.join(task.depends_on) if task.depends_on else 'nothing'}")
    if task.requirements:
        out.append(
            "  - Requirements: "
            + ", ".join(f"{r.code} v{r.version}" + (f" ({r.title})" if r.title else "") for r in task.requirements)
        )
    for file in task.files:
        span = ""
        if file.lines:
            first, last = file.lines
            span = f" line {first}" if first == last else f" lines {first}-{last}"
        out.append(f"  - {file.action} `{file.path}`{span}")
    if task.dod:
        out.append("  - Definition of Done:")
        out += [f"    - [{mark}] {item.text}" for item in task.dod]
    if prompt_files:
        out.append("  - Prompts: " + ", ".join(f"[{c}]({prompt_path(task.id, c)})" for c in PROMPT_CATEGORIES))
    out.append("")
    return out

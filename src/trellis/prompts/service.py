"""Prompt templates per workspace (versioned overrides of the shipped ones) and prompts generated per plan version.

Callers own the transaction. Authorization: `authorize_workspace` / projects' `load_project` decide first.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from trellis.audit import service as audit_service
from trellis.core.errors import InvalidInput, NotFound
from trellis.planning import service as planning_service
from trellis.planning.types import PROMPT_CATEGORIES, Plan
from trellis.prompts.context import LineReader, build_context
from trellis.prompts.generator import RenderedPrompt, render_plan_prompts, render_prompt
from trellis.prompts.models import GeneratedPrompt, PromptTemplateVersion
from trellis.prompts.rendering import TemplateProblem, TemplateSource, builtin_template, compile_template
from trellis.prompts.sample import sample_plan
from trellis.prompts.sources import RepositoryLines
from trellis.prompts.tokens import default_counter


class TemplateNotFound(NotFound):
    code = "prompt_template_not_found"


class TemplateInvalid(InvalidInput):
    code = "template_invalid"


class PromptsNotGenerated(NotFound):
    code = "prompts_not_generated"


def template_error(problem: TemplateProblem) -> TemplateInvalid:
    where = f" at line {problem.line}" if problem.line else ""
    return TemplateInvalid(
        f"The template does not {problem.stage}{where}: {problem.message}", line=problem.line, stage=problem.stage
    )


def _version_label(row: PromptTemplateVersion) -> str:
    return f"workspace:{row.version}"


def template_read(row: PromptTemplateVersion | None, source: TemplateSource | None = None) -> dict[str, Any]:
    if row is None:
        assert source is not None
        return {
            "id": None,
            "workspace_id": None,
            "category": source.category,
            "version": source.version,
            "source": "builtin",
            "text": source.text,
        }
    return {
        "id": row.id,
        "workspace_id": row.workspace_id,
        "category": row.category,
        "version": _version_label(row),
        "source": "workspace",
        "text": row.text,
        "note": row.note,
        "created_by": row.created_by,
        "created_at": row.created_at,
    }


def _latest(db: Session, workspace_id: uuid.UUID, category: str) -> PromptTemplateVersion | None:
    return db.scalar(
        select(PromptTemplateVersion)
        .where(PromptTemplateVersion.workspace_id == workspace_id, PromptTemplateVersion.category == category)
        .order_by(PromptTemplateVersion.version.desc())
        .limit(1)
    )


def effective_templates(db: Session, workspace_id: uuid.UUID) -> dict[str, TemplateSource]:
    """Per category: the workspace's latest override, else the shipped template."""
    templates = {}
    for category in PROMPT_CATEGORIES:
        row = _latest(db, workspace_id, category)
        templates[category] = (
            builtin_template(category) if row is None else TemplateSource(category, row.text, _version_label(row))
        )
    return templates


def check_template(text: str) -> None:
    """Compile, then render against the sample plan: an override that cannot render is refused when saved."""
    try:
        compile_template(text)
        plan = sample_plan()
        render_prompt(
            build_context(plan, plan.tasks[-1], project_name="Sample"),
            TemplateSource("check", text, "check"),
            budget=200_000,
        )
    except TemplateProblem as problem:
        raise template_error(problem) from None


def create_template_version(
    db: Session, *, workspace_id: uuid.UUID, category: str, text: str, note: str | None, actor_id: uuid.UUID
) -> PromptTemplateVersion:
    check_template(text)
    current = db.scalar(
        select(func.max(PromptTemplateVersion.version)).where(
            PromptTemplateVersion.workspace_id == workspace_id, PromptTemplateVersion.category == category
        )
    )
    row = PromptTemplateVersion(
        workspace_id=workspace_id,
        category=category,
        version=(current or 0) + 1,
        text=text,
        note=note,
        created_by=actor_id,
    )
    db.add(row)
    db.flush()
    audit_service.record(
        db,
        action="prompt_template.saved",
        user_id=actor_id,
        workspace_id=workspace_id,
        resource_type="prompt_template",
        resource_id=str(row.id),
        metadata={"category": category, "version": row.version},
    )
    return row


def get_template_version(db: Session, *, template_id: uuid.UUID) -> PromptTemplateVersion:
    row = db.get(PromptTemplateVersion, template_id)
    if row is None:
        raise TemplateNotFound(f"Prompt template {template_id} does not exist.", template_id=str(template_id))
    return row


def list_templates(
    db: Session, *, workspace_id: uuid.UUID, category: str | None, history: bool
) -> list[dict[str, Any]]:
    """The template in use per category (override or shipped); with `history`, every stored version too."""
    items = []
    for name in PROMPT_CATEGORIES if category is None else (category,):
        query = select(PromptTemplateVersion).where(
            PromptTemplateVersion.workspace_id == workspace_id, PromptTemplateVersion.category == name
        )
        rows = list(db.scalars(query.order_by(PromptTemplateVersion.version.desc())))
        if not rows:
            items.append(template_read(None, builtin_template(name)))
        items += [template_read(row) for row in (rows if history else rows[:1])]
    return items


def delete_template_version(db: Session, *, row: PromptTemplateVersion, actor_id: uuid.UUID) -> None:
    """Delete one version; the category falls back to the previous version, or to the shipped template."""
    metadata = {"category": row.category, "version": row.version}
    db.execute(delete(PromptTemplateVersion).where(PromptTemplateVersion.id == row.id))
    audit_service.record(
        db,
        action="prompt_template.deleted",
        user_id=actor_id,
        workspace_id=row.workspace_id,
        resource_type="prompt_template",
        resource_id=str(row.id),
        metadata=metadata,
    )


# ---------------------------------------------------------------- generating


@dataclass(frozen=True)
class ProjectSources:
    read_lines: LineReader | None
    validation_report: dict[str, Any] | None
    statuses: dict[str, str]


def project_sources(db: Session, project_id: uuid.UUID) -> ProjectSources:
    """The clone's working tree (to quote real lines), the latest validation report, and task statuses."""
    from trellis.repos import service as repos_service
    from trellis.validation import service as validation_service

    read_lines: LineReader | None
    try:
        read_lines = RepositoryLines(Path(repos_service.project_snapshot(db, project_id=project_id).path))
    except repos_service.RepositoryNotReady:
        read_lines = None
    run = validation_service.latest_completed_run(db, project_id=project_id)
    statuses = {view.task.id: view.status for view in planning_service.list_tasks(db, project_id)}
    return ProjectSources(read_lines, run.report if run is not None else None, statuses)


def generation_key(plan_version: int, templates: Mapping[str, TemplateSource], budget: int) -> str:
    payload = {
        "plan": plan_version,
        "templates": {c: t.version for c, t in sorted(templates.items())},
        "budget": budget,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _stored(db: Session, project_id: uuid.UUID, key: str) -> list[GeneratedPrompt]:
    rows = db.scalars(
        select(GeneratedPrompt).where(GeneratedPrompt.project_id == project_id, GeneratedPrompt.generation_key == key)
    )
    return _plan_ordered(list(rows))


def _plan_ordered(rows: list[GeneratedPrompt]) -> list[GeneratedPrompt]:
    order = {category: index for index, category in enumerate(PROMPT_CATEGORIES)}
    # "T-999" before "T-1000": ids grow in width past 999 tasks.
    return sorted(rows, key=lambda r: (len(r.task_id), r.task_id, order.get(r.category, 9)))


@dataclass(frozen=True)
class PromptGeneration:
    project_id: uuid.UUID
    plan_version: int
    key: str
    created: bool
    templates: dict[str, TemplateSource]
    rows: list[GeneratedPrompt]
    plan: Plan


@dataclass(frozen=True)
class PendingGeneration:
    """What rendering needs, read in one short transaction; rendering itself runs outside any transaction."""

    project_id: uuid.UUID
    workspace_id: uuid.UUID
    project_name: str
    plan_version: int
    key: str
    budget: int
    templates: dict[str, TemplateSource]
    plan: Plan
    sources: ProjectSources

    def render(self) -> list[RenderedPrompt]:
        try:
            return render_plan_prompts(
                self.plan,
                self.templates,
                project_name=self.project_name,
                budget=self.budget,
                statuses=self.sources.statuses,
                read_lines=self.sources.read_lines,
                validation_report=self.sources.validation_report,
            )
        except TemplateProblem as problem:  # an override that rendered on the sample but not on this plan
            raise template_error(problem) from None


def prepare_generation(
    db: Session, *, project_id: uuid.UUID, workspace_id: uuid.UUID, project_name: str, budget: int
) -> PromptGeneration | PendingGeneration:
    """The stored set when this plan version, these templates and this budget were rendered before; else what to
    render."""
    row, plan = planning_service.require_plan(db, project_id)
    templates = effective_templates(db, workspace_id)
    key = generation_key(row.version, templates, budget)
    stored = _stored(db, project_id, key)
    if stored:
        return PromptGeneration(project_id, row.version, key, False, templates, stored, plan)
    sources = project_sources(db, project_id)
    return PendingGeneration(project_id, workspace_id, project_name, row.version, key, budget, templates, plan, sources)


def store_generation(
    db: Session,
    *,
    pending: PendingGeneration,
    rendered: list[RenderedPrompt],
    actor_id: uuid.UUID | None,
    keep_sets: int,
) -> PromptGeneration:
    """Save a rendered set and delete the project's sets older than the `keep_sets` newest (settings
    `prompt_sets_kept`); when a concurrent request saved the same set first, return that one."""
    stored = _stored(db, pending.project_id, pending.key)
    if stored:
        return PromptGeneration(
            pending.project_id, pending.plan_version, pending.key, False, pending.templates, stored, pending.plan
        )
    rows = [_row(pending.project_id, pending.plan_version, pending.key, pending.budget, p, actor_id) for p in rendered]
    try:
        with db.begin_nested():
            db.add_all(rows)
    except IntegrityError:  # the same set saved by another request between our read and this write
        stored = _stored(db, pending.project_id, pending.key)
        return PromptGeneration(
            pending.project_id, pending.plan_version, pending.key, False, pending.templates, stored, pending.plan
        )
    pruned = prune_prompt_sets(db, project_id=pending.project_id, keep=keep_sets)
    audit_service.record(
        db,
        action="prompts.generated",
        user_id=actor_id,
        workspace_id=pending.workspace_id,
        resource_type="project",
        resource_id=str(pending.project_id),
        metadata={
            "plan_version": pending.plan_version,
            "prompts": len(rows),
            "templates": {c: t.version for c, t in pending.templates.items()},
            "pruned_sets": pruned,
        },
    )
    return PromptGeneration(
        pending.project_id,
        pending.plan_version,
        pending.key,
        True,
        pending.templates,
        _plan_ordered(rows),
        pending.plan,
    )


def prune_prompt_sets(db: Session, *, project_id: uuid.UUID, keep: int) -> list[str]:
    """Delete every prompt set (generation key) of the project but the `keep` most recently generated; returns the
    keys deleted. The newest set is what `latest_prompts` - exports, the MCP tools, traceability - reads, so what a
    task's prompts were stays answerable; regenerating a deleted set renders it again."""
    newest = func.max(GeneratedPrompt.created_at)
    sets = db.execute(
        select(GeneratedPrompt.generation_key, newest)
        .where(GeneratedPrompt.project_id == project_id)
        .group_by(GeneratedPrompt.generation_key)
        .order_by(newest.desc(), GeneratedPrompt.generation_key)
    ).all()
    old = [key for key, _ in sets[max(keep, 1) :]]
    if old:
        db.execute(
            delete(GeneratedPrompt).where(
                GeneratedPrompt.project_id == project_id, GeneratedPrompt.generation_key.in_(old)
            )
        )
    return old


def _row(
    project_id: uuid.UUID, plan_version: int, key: str, budget: int, prompt: RenderedPrompt, actor_id: uuid.UUID | None
) -> GeneratedPrompt:
    return GeneratedPrompt(
        project_id=project_id,
        plan_version=plan_version,
        generation_key=key,
        task_id=prompt.task_id,
        category=prompt.category,
        template_version=prompt.template_version,
        text=prompt.text,
        token_count=prompt.token_count,
        token_budget=budget,
        omitted=list(prompt.omitted),
        over_budget=prompt.over_budget,
        created_by=actor_id,
    )


def latest_prompts(
    db: Session, *, project_id: uuid.UUID, task_id: str | None = None, category: str | None = None
) -> tuple[int, list[GeneratedPrompt]]:
    """The most recently generated set for the project's current plan version (optionally one task / category)."""
    found = planning_service.current_plan(db, project_id)
    if found is None:
        raise PromptsNotGenerated("This project has no plan yet, so no prompts.", project_id=str(project_id))
    version = found[0].version
    newest = db.scalar(
        select(GeneratedPrompt.generation_key)
        .where(GeneratedPrompt.project_id == project_id, GeneratedPrompt.plan_version == version)
        .order_by(GeneratedPrompt.created_at.desc())
        .limit(1)
    )
    if newest is None:
        raise PromptsNotGenerated(
            f"No prompts for plan version {version} yet (POST /api/v1/projects/{{id}}/prompts).",
            project_id=str(project_id),
            plan_version=version,
        )
    rows = _stored(db, project_id, newest)
    if task_id is not None:
        rows = [r for r in rows if r.task_id == task_id]
    if category is not None:
        rows = [r for r in rows if r.category == category]
    return version, rows


def rendered(rows: list[GeneratedPrompt]) -> list[RenderedPrompt]:
    return [
        RenderedPrompt(
            r.task_id, r.category, r.template_version, r.text, r.token_count, tuple(r.omitted), r.over_budget
        )
        for r in rows
    ]


def check_prompts_generated(db: Session, *, project_id: uuid.UUID) -> dict[str, Any]:
    """The PROMPTS_GENERATED gateway guard (seed 000: PROMPTS_READY -> EXECUTING needs all prompts generated): every
    task of the current plan version has its four prompts."""
    from trellis.projects.service import GuardFailed

    guard = "prompts_generated"
    try:
        version, rows = latest_prompts(db, project_id=project_id)
    except PromptsNotGenerated as exc:
        raise GuardFailed(exc.message, guard=guard) from None
    plan = planning_service.require_plan(db, project_id)[1]
    have = {(r.task_id, r.category) for r in rows}
    missing = sorted({t.id for t in plan.tasks for c in PROMPT_CATEGORIES if (t.id, c) not in have})
    if missing:
        raise GuardFailed(
            f"Prompts are missing for {', '.join(missing[:10])} of plan version {version}; generate them again "
            "(POST /api/v1/projects/{id}/prompts).",
            guard=guard,
            missing=missing,
        )
    return {"plan_version": version, "prompts": len(rows)}


def preview(
    db: Session,
    *,
    workspace_id: uuid.UUID,
    category: str,
    text: str | None,
    project: tuple[uuid.UUID, str] | None,
    task_id: str | None,
    budget: int,
) -> dict[str, Any]:
    """Render one template (given text, or the one in use) against a project's task or the sample plan."""
    template = effective_templates(db, workspace_id)[category]
    if text is not None:
        template = TemplateSource(category, text, "preview")
    sources = ProjectSources(None, None, {})
    if project is None:
        plan, name = sample_plan(), "Sample"
    else:
        plan = planning_service.require_plan(db, project[0])[1]
        name = project[1]
        sources = project_sources(db, project[0])
    task = plan.task(task_id) if task_id else (plan.tasks[0] if plan.tasks else None)
    if task is None:
        raise planning_service.TaskNotFound(f"Task {task_id} is not in the plan.", task_id=task_id)
    context = build_context(
        plan,
        task,
        project_name=name,
        statuses=sources.statuses,
        read_lines=sources.read_lines,
        validation_report=sources.validation_report,
    )
    try:
        prompt = render_prompt(context, template, budget=budget)
    except TemplateProblem as problem:
        raise template_error(problem) from None
    return {
        "category": category,
        "template_version": template.version,
        "task_id": task.id,
        "sample": project is None,
        "text": prompt.text,
        "token_count": prompt.token_count,
        "token_budget": budget,
        "omitted": list(prompt.omitted),
        "over_budget": prompt.over_budget,
    }


def counter_label() -> str:
    counter = default_counter()
    return counter.name if counter.exact else f"{counter.name} (estimate)"

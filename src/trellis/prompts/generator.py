"""Prompts for a plan's tasks: one per task and category, each cut to the token budget. Pure.

prompts = render_plan_prompts(plan, builtin_templates(), project_name="shop", budget=4000)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from trellis.planning.types import PROMPT_CATEGORIES, Plan, PlannedTask
from trellis.prompts.context import LineReader, PromptContext, build_context
from trellis.prompts.rendering import TemplateSource, compile_template, render_template
from trellis.prompts.tokens import ApproximateCounter, TokenCounter, default_counter

DEFAULT_BUDGET = 4000
_ESTIMATE = ApproximateCounter()
_ITEM_OVERHEAD = 8  # the bullet, labels and line breaks around a piece of context


@dataclass(frozen=True)
class RenderedPrompt:
    task_id: str
    category: str
    template_version: str
    text: str
    token_count: int
    omitted: tuple[str, ...]  # context left out to fit the budget, least relevant first
    over_budget: bool  # still over after everything optional was left out

    def as_dict(self) -> dict[str, Any]:
        return {
            "task_id": self.task_id,
            "category": self.category,
            "template_version": self.template_version,
            "text": self.text,
            "token_count": self.token_count,
            "omitted": list(self.omitted),
            "over_budget": self.over_budget,
        }


def _tidy(text: str) -> str:
    """At most one blank line in a row outside code fences: optional blocks that render empty leave no holes,
    and quoted code stays exactly as it is in the file."""
    lines: list[str] = []
    fenced = False
    for line in text.strip().splitlines():
        if line.startswith("```"):
            fenced = not fenced
        if fenced:
            lines.append(line)
            continue
        line = line.rstrip()
        if line or (lines and lines[-1]):
            lines.append(line)
    return "\n".join(lines) + "\n"


def render_prompt(
    context: PromptContext, template: TemplateSource, *, budget: int, counter: TokenCounter | None = None
) -> RenderedPrompt:
    """Render, then while over budget leave out the least relevant context and render again."""
    counter = counter or default_counter()
    compiled = compile_template(template.text)
    working = context.copy()  # the cut is per category: the next category starts from the full context
    while True:
        text = _tidy(render_template(compiled, working.variables(category=template.category, budget=budget)))
        tokens = counter.count(text)
        if tokens <= budget:
            break
        # Drop as many pieces as the overshoot needs (by an estimate of each piece's size), then measure again:
        # one render per round, not one per piece.
        overshoot = tokens - budget
        dropped_any = False
        while overshoot > 0:
            dropped = working.drop_least_relevant()
            if dropped is None:
                break
            dropped_any = True
            overshoot -= _ESTIMATE.count(dropped) + _ITEM_OVERHEAD
        if not dropped_any:
            break
    return RenderedPrompt(
        task_id=str(context.task["id"]),
        category=template.category,
        template_version=template.version,
        text=text,
        token_count=tokens,
        omitted=tuple(working.omitted),
        over_budget=tokens > budget,
    )


def render_task_prompts(
    plan: Plan,
    task: PlannedTask,
    templates: Mapping[str, TemplateSource],
    *,
    project_name: str,
    budget: int = DEFAULT_BUDGET,
    statuses: Mapping[str, str] | None = None,
    read_lines: LineReader | None = None,
    validation_report: Mapping[str, Any] | None = None,
    categories: Sequence[str] = PROMPT_CATEGORIES,
    counter: TokenCounter | None = None,
) -> list[RenderedPrompt]:
    context = build_context(
        plan,
        task,
        project_name=project_name,
        statuses=statuses,
        read_lines=read_lines,
        validation_report=validation_report,
    )
    return [render_prompt(context, templates[category], budget=budget, counter=counter) for category in categories]


def render_plan_prompts(
    plan: Plan,
    templates: Mapping[str, TemplateSource],
    *,
    project_name: str,
    budget: int = DEFAULT_BUDGET,
    statuses: Mapping[str, str] | None = None,
    read_lines: LineReader | None = None,
    validation_report: Mapping[str, Any] | None = None,
    counter: TokenCounter | None = None,
) -> list[RenderedPrompt]:
    """Every task's four prompts, in plan order (task, then implementation/testing/review/documentation)."""
    prompts: list[RenderedPrompt] = []
    for task in plan.tasks:
        prompts.extend(
            render_task_prompts(
                plan,
                task,
                templates,
                project_name=project_name,
                budget=budget,
                statuses=statuses,
                read_lines=read_lines,
                validation_report=validation_report,
                counter=counter,
            )
        )
    return prompts

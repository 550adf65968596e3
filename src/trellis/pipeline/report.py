"""DIR/report.md of `trellis pipeline run`: findings, open questions (listed, never answered for the user),
validation scores, and the plan in brief."""

from __future__ import annotations

from typing import TYPE_CHECKING

from trellis.requirements.report import render_markdown as render_findings
from trellis.validation.scoring import COMPLIANCE_THRESHOLD

if TYPE_CHECKING:
    from trellis.pipeline.run import PipelineResult


def _percent(value: float) -> str:
    return f"{value * 100:.0f}%"


def _questions(result: PipelineResult) -> list[str]:
    lines = ["## Open questions", ""]
    if not result.questions:
        return [*lines, "None: the analysis found nothing that needs an answer before building.", ""]
    lines += [
        f"{len(result.questions)} questions the requirements leave open, most valuable first. They are not answered "
        "here: the plan below treats the affected requirements as unclear (research tasks, risk of unclear "
        "requirements). Answer them in Trellis (`POST /api/v1/projects/{id}/refine`) or edit the file and run again.",
        "",
    ]
    for number, question in enumerate(result.questions, start=1):
        lines.append(
            f"{number}. **{question.requirement_code}** ({question.category.replace('_', ' ')}): {question.question}"
        )
        for option in question.options:
            recommended = " (recommended)" if option.id == question.recommended else ""
            lines.append(f"   - {option.label}{recommended}")
    lines.append("")
    return lines


def _validation(result: PipelineResult) -> list[str]:
    report = result.validation
    scores = report["scores"]
    lines = [
        "## Code validation",
        "",
        f"Compliance score **{_percent(scores['compliance_score'])}** "
        f"({'passes' if scores['passed'] else 'does not pass'} the {_percent(COMPLIANCE_THRESHOLD)} threshold); "
        f"{report['index']['files']} code files indexed.",
        "",
        "| dimension | score | weight | result |",
        "|---|---|---|---|",
    ]
    for name, dimension in scores["dimensions"].items():
        verdict = "pass" if dimension["passed"] else "FAIL"
        score, weight = _percent(dimension["score"]), _percent(dimension["weight"])
        lines.append(f"| {name.replace('_', ' ')} | {score} | {weight} | {verdict} |")
    lines += ["", "| requirement | status | coverage | criteria met | best file |", "|---|---|---|---|---|"]
    titles = {r.code: r.title for r in result.requirements}
    for requirement in report["requirements"]:
        best = next((link["path"] for link in requirement["links"] if link["linked"]), "-")
        title = (titles.get(requirement["code"]) or "").replace("|", "\\|")  # a "|" would end the cell
        name = f"{requirement['code']}: {title}" if title else requirement["code"]
        lines.append(
            f"| {name} | {requirement['status']} | {_percent(requirement['coverage'])} "
            f"| {requirement['criteria_met']}/{requirement['criteria_total']} | `{best}` |"
        )
    lines.append("")
    return lines


def _plan(result: PipelineResult, budget: int) -> list[str]:
    plan = result.plan
    lines = [
        "## Plan",
        "",
        plan.summary,
        "",
        "The whole plan is in plan.json; the checklist to work from is tasks.md.",
        "",
    ]
    for warning in plan.warnings:
        lines.append(f"- Warning: {warning}")
    if plan.warnings:
        lines.append("")
    for phase in plan.phases:
        lines += [f"### {phase.name}", ""]
        for task_id in phase.task_ids:
            task = plan.task(task_id)
            if task is None:
                continue
            after = f" after {', '.join(task.depends_on)}" if task.depends_on else ""
            codes = ", ".join(r.code for r in task.requirements)
            lines.append(f"- {task.id} {task.title} ({task.category}, {codes or 'no requirement'}{after})")
        lines.append("")
    over = [p for p in result.prompts if p.over_budget]
    trimmed = [p for p in result.prompts if p.omitted and not p.over_budget]
    lines += [
        "## Prompts",
        "",
        f"{len(result.prompts)} prompts (implementation, testing, review, documentation per task) under "
        f"`prompts/<task>/<category>.md`, token budget {budget} each; {len(trimmed)} had context left out to fit"
        + (f", {len(over)} are still over it (their task and criteria alone exceed it)." if over else "."),
        "",
    ]
    return lines


def render_report(result: PipelineResult, *, title: str, budget: int) -> str:
    seconds = ", ".join(f"{stage} {value:.2f} s" for stage, value in result.seconds.items())
    lines = [f"# Trellis pipeline report: {title}", "", f"Stages: {seconds}.", ""]
    lines += _questions(result)
    lines += _validation(result)
    lines += _plan(result, budget)
    findings = render_findings(result.requirements, result.analysis).replace(
        "# Requirements quality report", "## Findings", 1
    )
    findings = "\n".join(
        ("#" + line) if line.startswith("## ") or line.startswith("### ") else line for line in findings.split("\n")[1:]
    )
    lines += ["## Findings", findings]
    return "\n".join(lines).rstrip("\n") + "\n"

"""The one-shot pipeline: a requirements file and a repository on disk in, a report, a plan and prompts out.

No server, no database, no network: the same pure functions the API uses, in one process.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trellis.planning.docs import read_doc_files
from trellis.planning.planner import plan_project
from trellis.planning.types import PROMPT_CATEGORIES, Plan
from trellis.prompts.context import LineReader
from trellis.prompts.exports import markdown_bundle, prompt_path, tasks_markdown
from trellis.prompts.generator import DEFAULT_BUDGET, RenderedPrompt, render_plan_prompts
from trellis.prompts.rendering import builtin_templates
from trellis.prompts.sources import RepositoryLines
from trellis.prompts.tokens import default_counter
from trellis.refinement.questions import DraftQuestion, draft_questions
from trellis.requirements.analysis import ProjectAnalysis, RequirementInput, analyze_project
from trellis.validation.engine import validate_repository

MAX_QUESTIONS = 1000  # every open question, not the top few a Q&A round would ask


@dataclass
class PipelineResult:
    requirements: list[RequirementInput]
    analysis: ProjectAnalysis
    questions: list[DraftQuestion]
    validation: dict[str, Any]
    plan: Plan
    prompts: list[RenderedPrompt]
    seconds: dict[str, float] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)


def run_pipeline(
    requirements: Sequence[RequirementInput],
    repo: Path,
    *,
    title: str,
    budget: int = DEFAULT_BUDGET,
    seed: int = 0,
    read_lines: LineReader | None = None,
) -> PipelineResult:
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    analysis = analyze_project(requirements)
    by_code = {r.code: r for r in requirements}
    questions = draft_questions(analysis, by_code, limit=MAX_QUESTIONS)
    seconds["analysis"] = time.perf_counter() - started

    started = time.perf_counter()
    validation = validate_repository(repo, requirements).as_dict()
    seconds["validation"] = time.perf_counter() - started

    started = time.perf_counter()
    plan = plan_project(requirements, analysis, validation, doc_files=read_doc_files(repo), seed=seed)
    seconds["plan"] = time.perf_counter() - started

    started = time.perf_counter()
    prompts = render_plan_prompts(
        plan,
        builtin_templates(),
        project_name=title,
        budget=budget,
        read_lines=read_lines or RepositoryLines(repo),
        validation_report=validation,
    )
    seconds["prompts"] = time.perf_counter() - started
    return PipelineResult(list(requirements), analysis, questions, validation, plan, prompts, seconds)


def write_outputs(result: PipelineResult, out: Path, *, title: str, budget: int) -> list[Path]:
    """DIR/report.md, plan.json, tasks.md, prompts.md (the bundle) and prompts/<task>/<category>.md."""
    from trellis.pipeline.report import render_report

    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def write(relative: str, text: str) -> None:
        target = out / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        written.append(target)

    # Prompt files of an earlier run whose tasks are gone would read as current: remove exactly those.
    current = {prompt_path(p.task_id, p.category) for p in result.prompts}
    for stale in sorted((out / "prompts").glob("T-*/*.md")) if (out / "prompts").is_dir() else []:
        relative = stale.relative_to(out).as_posix()
        if stale.stem in PROMPT_CATEGORIES and relative not in current:
            stale.unlink()
            if not any(stale.parent.iterdir()):
                stale.parent.rmdir()
    write("report.md", render_report(result, title=title, budget=budget))
    write("plan.json", json.dumps(result.plan.as_dict(), indent=2, ensure_ascii=False) + "\n")
    write("tasks.md", tasks_markdown(result.plan, title=title))
    write("prompts.md", markdown_bundle(result.plan, result.prompts, title=title))
    for prompt in result.prompts:
        write(prompt_path(prompt.task_id, prompt.category), prompt.text)
    result.files = written
    return written


def counter_name() -> str:
    counter = default_counter()
    return counter.name if counter.exact else f"{counter.name} (estimate)"

"""What a task's prompt is made of, and which of it goes first when the prompt is over its token budget. Pure.

Kept whatever the budget: the task itself, its requirements' text and acceptance criteria, the list of files and
the DoD items that restate acceptance criteria. Dropped first to last (least relevant first): code excerpts of files
only referenced, dependencies (furthest in the list first), risks (lowest score first), excerpts of files to modify,
constraints, then the quality-gate DoD items.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from trellis.planning.profile import is_test_path
from trellis.planning.types import Plan, PlannedTask

EXCERPT_MARGIN = 3  # lines shown around the evidence span
MAX_EXCERPT_LINES = 60
HEAD_LINES = 30  # lines shown of a file to modify when validation gave no span
MAX_EXCERPTS = 6

# (path, first line, last line) -> that text, or None when the file cannot be read.
LineReader = Callable[[str, int, int], "str | None"]

_LANGUAGES = {
    ".py": "python", ".js": "javascript", ".jsx": "jsx", ".ts": "typescript", ".tsx": "tsx", ".go": "go",
    ".java": "java", ".c": "c", ".h": "c", ".cpp": "cpp", ".hpp": "cpp", ".rb": "ruby", ".rs": "rust",
    ".md": "markdown", ".json": "json", ".yaml": "yaml", ".yml": "yaml", ".toml": "toml", ".sql": "sql",
    ".sh": "bash", ".html": "html", ".css": "css", ".kt": "kotlin", ".cs": "csharp", ".php": "php",
}  # fmt: skip


@dataclass(frozen=True)
class Passage:
    """A code passage recorded by a validation run (used when the repository itself cannot be read)."""

    path: str
    start: int
    end: int
    text: str


@dataclass
class PromptContext:
    """Everything a template sees, as plain data, plus what was left out."""

    task: dict[str, Any]
    project: dict[str, Any]
    requirements: list[dict[str, Any]]
    files: list[dict[str, Any]]
    excerpts: list[dict[str, Any]]
    dependencies: list[dict[str, Any]]
    dod: list[dict[str, Any]]
    constraints: list[str]
    risks: list[dict[str, Any]]
    omitted: list[str] = field(default_factory=list)

    def variables(self, *, category: str, budget: int) -> dict[str, Any]:
        return {
            "task": self.task,
            "project": self.project,
            "category": category,
            "requirements": self.requirements,
            "files": self.files,
            "excerpts": self.excerpts,
            "dependencies": self.dependencies,
            "dod": self.dod,
            "constraints": self.constraints,
            "risks": self.risks,
            "omitted": self.omitted,
            "budget": budget,
        }

    def copy(self) -> PromptContext:
        """A copy whose lists can be cut without touching this one (the items themselves are never changed)."""
        return PromptContext(
            self.task, self.project, self.requirements, self.files, list(self.excerpts), list(self.dependencies),
            list(self.dod), list(self.constraints), list(self.risks), list(self.omitted),
        )  # fmt: skip

    def drop_least_relevant(self) -> str | None:
        """Remove one piece of optional context (see the module docstring) and return its text, for a size estimate;
        None when only the core is left."""
        for index in range(len(self.excerpts) - 1, -1, -1):
            if self.excerpts[index]["action"] == "reference":
                return self._dropped(self.excerpts.pop(index), "excerpt of {path}", "code")
        if self.dependencies:
            dependency = self.dependencies.pop()
            self.omitted.append(f"dependency {dependency['id']}")
            return f"{dependency['id']} {dependency['title']} {' '.join(dependency['files'])}"
        if self.risks:
            return self._dropped(self.risks.pop(), "risk {factor}", "mitigation")
        if self.excerpts:
            return self._dropped(self.excerpts.pop(), "excerpt of {path}", "code")
        if self.constraints:
            self.omitted.append("a constraint")
            return self.constraints.pop()
        for index in range(len(self.dod) - 1, -1, -1):
            if self.dod[index]["source"] != "acceptance_criterion":
                return self._dropped(self.dod.pop(index), "DoD item '{text}'", "text")
        return None

    def _dropped(self, item: dict[str, Any], label: str, text_field: str) -> str:
        self.omitted.append(label.format(**item))
        return str(item[text_field])


def language_of(path: str) -> str:
    return _LANGUAGES.get(PurePosixPath(path).suffix.lower(), "")


def evidence_passages(validation_report: Mapping[str, Any] | None, codes: Sequence[str]) -> dict[str, list[Passage]]:
    """Passages a validation report recorded for these requirements, by file path (best evidence first)."""
    found: dict[str, list[Passage]] = {}
    if not validation_report:
        return found
    wanted = set(codes)
    for requirement in validation_report.get("requirements", ()):
        if requirement.get("code") not in wanted:
            continue
        for link in [*requirement.get("links", ()), *requirement.get("tests", ())]:
            for item in link.get("evidence", ()):
                lines, passage = item.get("lines"), item.get("passage")
                if lines and passage:
                    found.setdefault(link["path"], []).append(Passage(link["path"], lines[0], lines[1], passage))
    return found


def _excerpt(
    file: Any, read_lines: LineReader | None, passages: Mapping[str, Sequence[Passage]]
) -> dict[str, Any] | None:
    """The file's lines around the evidence, read from the repository; the planner's span first, else the best
    passage validation recorded for the file, else (a file to modify) its first lines. Without a readable
    repository, the passage validation recorded, marked as such (it may be a comment or docstring, not code)."""
    if file.action == "create":
        return None
    recorded = passages.get(file.path, ())
    span = file.lines or ((recorded[0].start, recorded[0].end) if recorded else None)
    if read_lines is not None:
        if span is not None:
            start = max(1, span[0] - EXCERPT_MARGIN)
            end = min(span[1] + EXCERPT_MARGIN, start + MAX_EXCERPT_LINES - 1)
        elif file.action == "modify":
            start, end = 1, HEAD_LINES
        else:
            start = end = 0
        text = read_lines(file.path, start, end) if end else None
        if text is not None and text.strip():
            last = start + text.count("\n")
            return _excerpt_dict(file, start, last, text.rstrip("\n"), "repository", language_of(file.path))
    if recorded:
        passage = recorded[0]
        return _excerpt_dict(file, passage.start, passage.end, passage.text.strip(), "validation_evidence", "text")
    return None


def _excerpt_dict(file: Any, start: int, end: int, text: str, source: str, language: str) -> dict[str, Any]:
    return {
        "path": file.path,
        "action": file.action,
        "why": file.why,
        "start": start,
        "end": end,
        "code": text,
        "language": language,
        "source": source,
    }


def _category(plan: Plan, task_id: str) -> str | None:
    found = plan.task(task_id)
    return found.category if found else None


def _summary(task: PlannedTask) -> str:
    """The description without the requirement block the planner appends ("REQ-1 v2: ..." and its criteria):
    the prompt's Requirements section quotes them already."""
    heads = tuple(f"{r.code} v{r.version}:" for r in task.requirements)
    kept = [p for p in task.description.split("\n\n") if not p.startswith(heads)]
    return "\n\n".join(kept).strip()


def _constraints(plan: Plan, task: PlannedTask) -> list[str]:
    codes = [r.code for r in task.requirements]
    constraints = []
    touched = [f.path for f in task.files if f.action in ("create", "modify")]
    names_code = any(not is_test_path(p) for p in touched)
    if task.quality == "performance" and touched:
        constraints.append(
            "Add " + ", ".join(f"`{p}`" for p in touched) + "; change other code only where the figure misses the "
            "target, and say which change bought how much."
        )
    elif touched and (names_code or task.category != "implementation"):
        constraints.append(
            "Change only " + ", ".join(f"`{p}`" for p in touched) + " unless the work proves it needs more; say why."
        )
    elif task.category == "implementation":
        constraints.append(
            "No code file is named yet: put the change beside the related code listed above, or where the answers "
            "it builds on point, and say in the commit why there."
        )
    if task.depends_on:
        constraints.append(
            "Start after "
            + ", ".join(task.depends_on)
            + (" is" if len(task.depends_on) == 1 else " are")
            + " done; build on what came out of it, do not redo it."
        )
    if task.kind == "verify":
        constraints.append(
            "Code validation found this implemented: verify first, change code only for a failing criterion."
        )
    if codes:
        constraints.append(
            "Cite " + ", ".join(f"{r.code} v{r.version}" for r in task.requirements) + " in commits and tests."
        )
    constraints.extend(w for w in plan.warnings if any(code in w for code in codes))
    return constraints


def build_context(
    plan: Plan,
    task: PlannedTask,
    *,
    project_name: str,
    statuses: Mapping[str, str] | None = None,
    read_lines: LineReader | None = None,
    validation_report: Mapping[str, Any] | None = None,
) -> PromptContext:
    """The full context of one task's prompts, before any budget cut."""
    statuses = statuses or {}
    passages = evidence_passages(validation_report, [r.code for r in task.requirements])
    excerpts: list[dict[str, Any]] = []
    for file in task.files:
        if len(excerpts) >= MAX_EXCERPTS:
            break
        excerpt = _excerpt(file, read_lines, passages)
        if excerpt is not None:
            excerpts.append(excerpt)
    dependencies: list[dict[str, Any]] = []
    for dependency_id in task.depends_on:
        dependency = plan.task(dependency_id)
        if dependency is not None:
            dependencies.append(
                {
                    "id": dependency.id,
                    "title": dependency.title,
                    "category": dependency.category,
                    "status": statuses.get(dependency.id, "pending"),
                    "files": [f.path for f in dependency.files if f.action in ("create", "modify")],
                }
            )
    return PromptContext(
        task={
            "id": task.id,
            "key": task.key,
            "title": task.title,
            "description": task.description,
            "summary": _summary(task),
            "quality": task.quality,
            # Research tasks it waits for: their answers, not the text quoted here, say what to build.
            "answers_from": [d for d in task.depends_on if _category(plan, d) == "research"],
            "category": task.category,
            "kind": task.kind,
            "phase": task.phase,
            "complexity": task.complexity,
            "complexity_reasons": list(task.complexity_reasons),
            "priority": task.priority,
            "parallel": task.parallel,
            "on_critical_path": task.on_critical_path,
            "status": statuses.get(task.id, "pending"),
            "estimate": {
                "story_points": task.estimate.story_points,
                "p50_hours": task.estimate.p50_hours,
                "p85_hours": task.estimate.p85_hours,
            },
        },
        project={"name": project_name},
        requirements=[
            {
                "code": r.code,
                "version": r.version,
                "title": r.title,
                "text": r.text,
                "acceptance_criteria": list(r.acceptance_criteria),
            }
            for r in task.requirements
        ],
        files=[
            {"path": f.path, "action": f.action, "why": f.why, "lines": list(f.lines) if f.lines else None}
            for f in task.files
        ],
        excerpts=excerpts,
        dependencies=dependencies,
        dod=[{"text": d.text, "source": d.source, "checkable": d.checkable, "check": d.check} for d in task.dod],
        constraints=_constraints(plan, task),
        risks=[
            {
                "factor": r.factor,
                "probability": r.probability,
                "impact": r.impact,
                "score": r.score,
                "mitigation": r.mitigation,
            }
            for r in sorted(task.risks, key=lambda r: -r.score)
        ],
    )

"""The plan as data: what the planner produces and what prompts, tracking, the MCP server and exports read.

Pure value types (no database). A stored plan version keeps `Plan.as_dict()` as its body; `Plan.from_dict`
reads it back, so every consumer works from the same shape whether the plan came from the API or the
offline pipeline. Fields may be added; existing names stay stable (API clients and templates use them).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

TaskCategory = Literal["implementation", "testing", "documentation", "review", "research", "design"]
FileAction = Literal["create", "modify", "reference"]
TaskStatus = Literal["pending", "in_progress", "review", "done", "blocked"]
PromptCategory = Literal["implementation", "testing", "review", "documentation"]

TASK_STATUSES: tuple[str, ...] = ("pending", "in_progress", "review", "done", "blocked")
PROMPT_CATEGORIES: tuple[str, ...] = ("implementation", "testing", "review", "documentation")


@dataclass(frozen=True)
class RequirementRef:
    code: str  # e.g. "REQ-001"
    version: int
    text: str
    acceptance_criteria: tuple[str, ...] = ()
    title: str | None = None  # the requirement's own title ("Circuit breaker"); None when it has none


@dataclass(frozen=True)
class FileRef:
    path: str
    action: FileAction
    why: str  # the evidence that made the planner name this file
    lines: tuple[int, int] | None = None  # the evidence's line span, when there is one


@dataclass(frozen=True)
class Risk:
    factor: str  # one of seed 000's named factors, e.g. "technical_complexity", "dependencies", "unclear_requirements"
    probability: float  # 0..1
    impact: float  # 0..1
    mitigation: str

    @property
    def score(self) -> float:
        return round(self.probability * self.impact, 4)


@dataclass(frozen=True)
class Estimate:
    story_points: int
    hours_likely: float
    p50_hours: float  # Monte Carlo, seeded and reproducible
    p85_hours: float


@dataclass(frozen=True)
class DodItem:
    text: str
    source: str  # "acceptance_criterion", "quality_gate"
    checkable: bool  # Trellis can check it itself (re-validation, file exists, tests present)
    # How Trellis checks it when checkable: "implemented:<code>", "file_exists:<path>", "test_linked:<code>",
    # "dependencies_done"; empty when a person has to judge it.
    check: str = ""


@dataclass(frozen=True)
class PlannedTask:
    id: str  # stable "T-001"
    title: str
    description: str
    category: TaskCategory
    phase: str  # Phase.key
    requirements: tuple[RequirementRef, ...]
    depends_on: tuple[str, ...]  # task ids
    complexity: int  # 1..10
    complexity_reasons: tuple[str, ...]
    estimate: Estimate
    risks: tuple[Risk, ...]
    dod: tuple[DodItem, ...]
    files: tuple[FileRef, ...]
    priority: int  # 1 = highest
    parallel: bool  # no unfinished dependency and no file shared with another such task
    on_critical_path: bool
    kind: Literal["build", "verify"] = "build"  # "verify" when validation found the requirement implemented
    # What the task is for, independent of its id (e.g. "build:REQ-001"): matches tasks across plan versions.
    key: str = ""
    # The non-functional quality a build task must reach and measure ("performance"); "" for a feature.
    quality: str = ""


@dataclass(frozen=True)
class Phase:
    key: str  # "foundation", "core_features", "integration", "quality_assurance" by default
    name: str
    description: str
    task_ids: tuple[str, ...]


@dataclass(frozen=True)
class Plan:
    requirements_hash: str
    validation_hash: str | None  # of the validation report and documentation read; None when neither was
    phases: tuple[Phase, ...]
    tasks: tuple[PlannedTask, ...]
    critical_path: tuple[str, ...]
    total_p50_hours: float
    total_p85_hours: float
    summary: str
    warnings: tuple[str, ...] = field(default=())
    risks: tuple[Risk, ...] = field(default=())  # plan-wide risks (e.g. resource availability on a long chain)
    planner_version: str = ""

    def task(self, task_id: str) -> PlannedTask | None:
        return next((t for t in self.tasks if t.id == task_id), None)

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = _jsonable(asdict(self))
        return body

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Plan:
        tasks = tuple(_task_from_dict(t) for t in data["tasks"])
        phases = tuple(Phase(**{**p, "task_ids": tuple(p["task_ids"])}) for p in data["phases"])
        return cls(
            requirements_hash=data["requirements_hash"],
            validation_hash=data.get("validation_hash"),
            phases=phases,
            tasks=tasks,
            critical_path=tuple(data["critical_path"]),
            total_p50_hours=data["total_p50_hours"],
            total_p85_hours=data["total_p85_hours"],
            summary=data["summary"],
            warnings=tuple(data.get("warnings", ())),
            risks=tuple(Risk(**r) for r in data.get("risks", ())),
            planner_version=data.get("planner_version", ""),
        )


def _task_from_dict(data: dict[str, Any]) -> PlannedTask:
    return PlannedTask(
        **{
            **data,
            "requirements": tuple(
                RequirementRef(**{**r, "acceptance_criteria": tuple(r.get("acceptance_criteria", ()))})
                for r in data["requirements"]
            ),
            "depends_on": tuple(data["depends_on"]),
            "complexity_reasons": tuple(data["complexity_reasons"]),
            "estimate": Estimate(**data["estimate"]),
            "risks": tuple(Risk(**r) for r in data["risks"]),
            "dod": tuple(DodItem(**d) for d in data["dod"]),
            "files": tuple(
                FileRef(**{**f, "lines": tuple(f["lines"]) if f.get("lines") else None}) for f in data["files"]
            ),
        }
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value

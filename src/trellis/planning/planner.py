"""The planner: requirements, their findings and the latest validation report in, a `Plan` out. Pure and
deterministic: no database, clock or network; the same inputs and seed give the same plan, byte for byte.

plan = plan_project([PlanInput("REQ-1", "Users export their orders as CSV.")], None, report_dict, seed=0)
[t.id for t in plan.tasks]  # ["T-001"]

Steps: order the requirements by their dependencies (a cycle is refused), profile each one (validation status,
linked files, unresolved findings, the kinds of work its words name), give it a phase of seed 000's frame, draft
its tasks (see drafting.py), then settle ids, the task graph, complexity, risks, estimates, DoD, the critical path
and which tasks can start side by side.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from trellis.core.errors import InvalidInput
from trellis.planning import dod, estimation, graph, risks
from trellis.planning.docs import DocFile
from trellis.planning.drafting import PHASE_ORDER, Draft, assign_phase, documentation_drafts, draft_requirement
from trellis.planning.profile import (
    PlanInput,
    Profile,
    RepoLayout,
    RequirementLike,
    blocking_categories,
    build_profiles,
)
from trellis.planning.types import Phase, Plan, PlannedTask, RequirementRef, Risk

PLANNER_VERSION = "3"  # part of a stored plan's key: bump when a change alters plans for the same inputs
PHASE_NAMES = {
    "foundation": ("Foundation", "What the rest builds on"),
    "core_features": ("Core features", "The features themselves"),
    "integration": ("Integration", "Where features meet each other or outside services"),
    "quality_assurance": ("Quality assurance", "Verification, end-to-end tests, reviews and documentation"),
}
_CATEGORY_RANK = {"research": 0, "design": 1, "implementation": 2, "testing": 3, "review": 4, "documentation": 5}

__all__ = ["PLANNER_VERSION", "PlanInput", "plan_project", "requirements_hash", "validation_hash"]


class NothingToPlan(InvalidInput):
    code = "no_requirements"


def requirements_hash(requirements: Sequence[RequirementLike]) -> str:
    """sha256 of the requirements' content (order-independent): what a plan version is keyed by."""
    canonical = sorted(
        (
            r.code,
            getattr(r, "title", None),
            r.text,
            list(r.acceptance_criteria),
            list(r.dependencies),
            r.priority,
            list(r.tags),
        )
        for r in requirements
    )
    return hashlib.sha256(json.dumps(canonical, ensure_ascii=False).encode("utf-8")).hexdigest()


def validation_hash(report: Mapping[str, Any] | None, doc_files: Sequence[DocFile] | None = None) -> str | None:
    """sha256 of what the planner read from the repository: the validation report and, when read, the documentation
    files' paths and headings (a changed page can change which files a documentation task names). None: neither."""
    if report is None and doc_files is None:
        return None
    body: Any = report
    if doc_files is not None:
        body = {"report": report, "docs": [[d.path, d.headings] for d in doc_files]}
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def _findings(
    findings: Any, with_criteria: set[str]
) -> tuple[dict[str, list[str]], dict[str, int], dict[str, list[str]]]:
    """Per code: the blocking categories (`blocking_categories`; `with_criteria` are the codes that have acceptance
    criteria), the number of findings, and what each blocking finding says ('"intuitive" depends on who judges it;
    ...'), from a ProjectAnalysis or a {code: [finding]} mapping."""
    found: dict[str, list[tuple[str, str, str]]] = {}

    def add(code: str, category: str, field: str, message: str) -> None:
        found.setdefault(code, []).append((category, field, message))

    if findings is None:
        return {}, {}, {}
    if hasattr(findings, "requirements") and hasattr(findings, "findings"):
        for result in findings.requirements:
            for finding in result.findings:
                add(result.code, finding.category, finding.field, finding.message)
        for finding in findings.findings:
            for code in finding.codes:
                add(code, finding.category, "project", finding.message)
    else:
        for code, items in dict(findings).items():
            for item in items:
                if isinstance(item, Mapping):
                    category, field, message = item["category"], item.get("field"), item.get("message")
                else:
                    category, field, message = item.category, getattr(item, "field", ""), getattr(item, "message", "")
                add(code, str(category), str(field or "text"), str(message or ""))
    unclear: dict[str, list[str]] = {}
    points: dict[str, list[str]] = {}
    for code, triples in found.items():
        blocking = blocking_categories([(c, f) for c, f, _ in triples], has_criteria=code in with_criteria)
        if blocking:
            unclear[code] = blocking
            points[code] = list(dict.fromkeys(m for c, _, m in triples if c in blocking and m))
    return unclear, {code: len(triples) for code, triples in found.items()}, points


def _drafts(
    requirements: Sequence[RequirementLike],
    profiles: Mapping[str, Profile],
    layout: RepoLayout,
    doc_files: Sequence[DocFile] | None,
) -> list[Draft]:
    order = graph.topological_order(
        {r.code: list(r.dependencies) for r in requirements},
        {r.code: profiles[r.code].priority * 1_000_000 + index for index, r in enumerate(requirements)},
    )
    phases: dict[str, str] = {}
    built: dict[str, str] = {}
    drafts: list[Draft] = []
    for code in order:
        profile = profiles[code]
        phase = assign_phase(profile, [phases[d] for d in profile.dependencies if d in built])
        phases[code] = phase
        for draft in draft_requirement(profile, phase, built, layout, profiles):
            drafts.append(draft)
            if draft.key == f"build:{code}":
                built[code] = draft.key
    return drafts + documentation_drafts([profiles[code] for code in order], built, doc_files)


def plan_project(
    requirements: Sequence[RequirementLike],
    findings: Any = None,
    validation_report: Mapping[str, Any] | None = None,
    *,
    doc_files: Sequence[DocFile] | None = None,
    seed: int = 0,
    hours_per_point: float = estimation.HOURS_PER_POINT,
    samples: int = estimation.SAMPLES,
) -> Plan:
    """Plan the work. `findings`: a `ProjectAnalysis` or `{code: [finding]}`; `validation_report`: a stored
    validation run's `report` (ValidationReport.as_dict()); `doc_files`: the repository's documentation
    (docs.read_doc_files), which documentation tasks name - None when the repository was not read, and then they
    name no file. Raises NothingToPlan or DependencyCycle (422)."""
    if not requirements:
        raise NothingToPlan("There are no requirements to plan.")
    warnings: list[str] = []
    codes = {r.code for r in requirements}
    unknown = sorted({d for r in requirements for d in r.dependencies if d not in codes})
    if unknown:
        warnings.append(f"Dependencies on unknown requirements were ignored: {', '.join(unknown)}.")
        requirements = [_without(r, codes) for r in requirements]
    if validation_report is None:
        warnings.append(
            "Planned without code validation: no files are named and every requirement is treated as not built yet."
        )
    unclear, counts, points = _findings(findings, {r.code for r in requirements if r.acceptance_criteria})
    profiles = build_profiles(requirements, unclear, counts, validation_report, points)
    drafts = _drafts(requirements, profiles, RepoLayout.from_report(validation_report), doc_files)
    return _assemble(
        drafts,
        requirements_hash(requirements),
        validation_hash(validation_report, doc_files),
        warnings,
        seed=seed,
        hours_per_point=hours_per_point,
        samples=samples,
    )


def _without(requirement: RequirementLike, codes: set[str]) -> PlanInput:
    return PlanInput(
        code=requirement.code,
        text=requirement.text,
        acceptance_criteria=tuple(requirement.acceptance_criteria),
        dependencies=tuple(d for d in requirement.dependencies if d in codes),
        priority=requirement.priority,
        tags=tuple(requirement.tags),
        version=int(getattr(requirement, "version", 1) or 1),
        title=getattr(requirement, "title", None),
    )


def _assemble(
    drafts: list[Draft],
    req_hash: str,
    val_hash: str | None,
    warnings: list[str],
    *,
    seed: int,
    hours_per_point: float,
    samples: int,
) -> Plan:
    by_key = {d.key: d for d in drafts}
    sequence = {d.key: index for index, d in enumerate(drafts)}
    rank = {
        d.key: PHASE_ORDER.index(d.phase) * 10_000_000 + sequence[d.key] * 10 + _CATEGORY_RANK[d.category]
        for d in drafts
    }
    order = graph.topological_order({d.key: d.depends_on for d in drafts}, rank)
    ids = {key: f"T-{index:03d}" for index, key in enumerate(order, start=1)}
    task_risks: dict[str, tuple[Risk, ...]] = {}
    for draft in drafts:
        task_risks[draft.key] = (
            risks.task_risks(draft.profiles[0], kind=draft.kind, depends_on=len(draft.depends_on))
            if draft.category == "implementation" or draft.kind == "verify"
            else ()
        )
    estimates, total_p50, total_p85 = estimation.estimate(
        [estimation.EffortInput(key, by_key[key].complexity, risks.exposure(task_risks[key])) for key in order],
        seed=seed,
        samples=samples,
        hours_per_point=hours_per_point,
    )
    depends = {key: by_key[key].depends_on for key in order}
    critical = graph.critical_path(order, depends, {key: estimates[key].p50_hours for key in order})
    writes = {key: [f.path for f in by_key[key].files if f.action != "reference"] for key in order}
    parallel = graph.parallel_now([key for key in order if not depends[key]], writes)
    tasks = []
    for key in order:
        draft = by_key[key]
        dependency_ids = tuple(ids[d] for d in draft.depends_on)
        tasks.append(
            PlannedTask(
                id=ids[key],
                title=draft.title,
                description=draft.description,
                category=draft.category,  # type: ignore[arg-type]
                phase=draft.phase,
                requirements=tuple(
                    RequirementRef(p.code, p.version, p.text, tuple(p.criteria), p.own_title) for p in draft.profiles
                ),
                depends_on=dependency_ids,
                complexity=draft.complexity,
                complexity_reasons=tuple(draft.reasons),
                estimate=estimates[key],
                risks=task_risks[key],
                dod=_dod(draft, dependency_ids),
                files=tuple(draft.files),
                priority=min(p.priority for p in draft.profiles),
                parallel=key in parallel,
                on_critical_path=key in critical,
                kind=draft.kind,  # type: ignore[arg-type]
                key=key,
                quality=draft.quality,
            )
        )
    phases = []
    for phase in PHASE_ORDER:
        members = [t for t in tasks if t.phase == phase]
        if members:
            name, purpose = PHASE_NAMES[phase]
            codes = sorted({r.code for t in members for r in t.requirements})
            shown = ", ".join(codes[:8]) + (f" and {len(codes) - 8} more" if len(codes) > 8 else "")
            description = f"{purpose}: {len(members)} task(s) for {shown}."
            phases.append(Phase(phase, name, description, tuple(t.id for t in members)))
    critical_ids = tuple(ids[key] for key in critical)
    critical_hours = sum(estimates[key].p50_hours for key in critical)
    plan_wide = risks.plan_risks(critical_hours, sum(e.p50_hours for e in estimates.values()), len(critical))
    return Plan(
        requirements_hash=req_hash,
        validation_hash=val_hash,
        phases=tuple(phases),
        tasks=tuple(tasks),
        critical_path=critical_ids,
        total_p50_hours=total_p50,
        total_p85_hours=total_p85,
        summary=_summary(tasks, phases, critical_ids, total_p50, total_p85),
        warnings=tuple(warnings),
        risks=plan_wide,
        planner_version=PLANNER_VERSION,
    )


def _dod(draft: Draft, dependency_ids: tuple[str, ...]) -> tuple[Any, ...]:
    if draft.quality == "performance":
        bench = next((f.path for f in draft.files if f.action == "create"), None)
        return dod.measure_dod(draft.profiles[0], bench, dependency_ids)
    if draft.kind == "verify":
        return dod.verify_dod(draft.profiles[0], researched=bool(draft.depends_on))
    if draft.category == "implementation":
        return dod.build_dod(draft.profiles, dependency_ids)
    if draft.category == "testing":
        return dod.testing_dod(draft.profiles, dependency_ids)
    if draft.category == "review":
        return dod.review_dod(draft.profiles, dependency_ids)
    if draft.category == "research":
        return dod.research_dod(draft.profiles[0])
    if draft.category == "design":
        return dod.design_dod(draft.profiles[0])
    created = [f.path for f in draft.files if f.action == "create"]
    return dod.documentation_dod(draft.profiles, dependency_ids, created)


def _summary(
    tasks: Sequence[PlannedTask], phases: Sequence[Phase], critical: Sequence[str], p50: float, p85: float
) -> str:
    requirements = {r.code for t in tasks for r in t.requirements}
    builds = sum(t.category == "implementation" for t in tasks)
    verifies = sum(t.kind == "verify" for t in tasks)
    others = len(tasks) - builds - verifies
    chain = " -> ".join(critical[:8]) + (" -> …" if len(critical) > 8 else "")
    return (
        f"{len(tasks)} task(s) in {len(phases)} phase(s) for {len(requirements)} requirement(s): {builds} to build, "
        f"{verifies} to verify as already implemented, {others} research/design/test/review/documentation. "
        f"Effort P50 {p50:g} h, P85 {p85:g} h. Critical path: {chain}."
    )

"""Requirements of a project: validated bulk upsert with versions, history, analysis, import/export."""

from __future__ import annotations

import difflib
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from trellis.audit import service as audit_service
from trellis.core.errors import InvalidInput, NotFound
from trellis.requirements.analysis import (
    ProjectAnalysis,
    RequirementInput,
    RequirementScores,
    find_dependency_cycles,
)
from trellis.requirements.analysis import analyze_project as run_analysis
from trellis.requirements.models import Requirement, RequirementVersion
from trellis.requirements.schemas import MAX_ITEMS, MAX_LENGTHS

CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,49}$")
DATA_FIELDS = ("text", "title", "acceptance_criteria", "priority", "dependencies", "tags")


class RequirementNotFound(NotFound):
    code = "requirement_not_found"


class RequirementsInvalid(InvalidInput):
    """Seed 000's validation error body: `validation_errors: [{index, code, errors}]`."""

    code = "requirements_invalid"


@dataclass
class UpsertResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def normalize(item: dict[str, Any]) -> dict[str, Any]:
    """The stored shape of a requirement's data: stripped text, lists without blanks or repeats."""

    def clean_list(values: Any) -> list[str]:
        seen: list[str] = []
        for value in values or []:
            text = str(value).strip()
            if text and text not in seen:
                seen.append(text)
        return seen

    return {
        "text": str(item.get("text") or "").strip(),
        "title": (str(item["title"]).strip() or None) if item.get("title") else None,
        "acceptance_criteria": clean_list(item.get("acceptance_criteria")),
        "priority": (str(item["priority"]).strip() or None) if item.get("priority") else None,
        "dependencies": clean_list(item.get("dependencies")),
        "tags": clean_list(item.get("tags")),
    }


def upsert_requirements(
    db_session: Session,
    *,
    project_id: uuid.UUID,
    workspace_id: uuid.UUID,
    items: Sequence[dict[str, Any]],
    user_id: uuid.UUID | None,
    source: str = "bulk",
) -> UpsertResult:
    """Create or update by code. Identical data is left alone, so sending the same batch twice changes nothing."""
    existing = {r.code: r for r in db_session.scalars(select(Requirement).where(Requirement.project_id == project_id))}
    batch = [(index, str(item.get("code") or "").strip(), normalize(item)) for index, item in enumerate(items)]
    _validate(batch, existing)
    result = UpsertResult()
    for _, code, data in batch:
        current = existing.get(code)
        if current is None:
            requirement = Requirement(project_id=project_id, code=code, version=1, data=data)
            db_session.add(requirement)
            db_session.flush()
            _record_version(db_session, requirement, source=source, source_ref=None, user_id=user_id)
            existing[code] = requirement
            result.created.append(code)
        elif current.data == data:
            result.unchanged.append(code)
        else:
            set_requirement_data(db_session, requirement=current, data=data, source=source, user_id=user_id)
            result.updated.append(code)
    if result.created or result.updated:
        audit_service.record(
            db_session,
            action="requirements.upserted",
            user_id=user_id,
            workspace_id=workspace_id,
            resource_type="project",
            resource_id=project_id,
            metadata={"created": result.created, "updated": result.updated, "source": source},
        )
    return result


def _validate(batch: list[tuple[int, str, dict[str, Any]]], existing: dict[str, Requirement]) -> None:
    errors: dict[int, list[str]] = {}
    seen: dict[str, int] = {}
    for index, code, data in batch:
        problems = errors.setdefault(index, [])
        if not CODE_PATTERN.match(code):
            problems.append("Code must be 1-50 characters: letters, digits and dashes, starting with a letter or digit")
        if code in seen:
            problems.append(f"Duplicate code in this request (also at index {seen[code]})")
        seen.setdefault(code, index)
        if not data["text"]:
            problems.append("Text is required")
        # The bulk schema's limits, for imports too (a file's heading, column or field can be any length).
        for field_name, limit in MAX_LENGTHS.items():
            if len(data.get(field_name) or "") > limit:
                problems.append(f"{field_name.capitalize()} is longer than {limit} characters")
        for field_name, limit in MAX_ITEMS.items():
            if len(data.get(field_name) or []) > limit:
                problems.append(f"More than {limit} {field_name.replace('_', ' ')}")
        if code in data["dependencies"]:
            problems.append("A requirement cannot depend on itself")
    known = set(existing) | set(seen)
    for index, _code, data in batch:
        missing = [dep for dep in data["dependencies"] if dep not in known]
        if missing:
            errors[index].append(f"Dependencies not found: {', '.join(missing)}")
    graph = {code: list(r.data.get("dependencies", [])) for code, r in existing.items()}
    graph.update({code: data["dependencies"] for _, code, data in batch})
    for cycle in find_dependency_cycles(graph):
        for index, code, _ in batch:
            if code in cycle:
                errors[index].append(f"Circular dependency: {' -> '.join(cycle)}")
    listed = [{"index": i, "code": batch[i][1], "errors": e} for i, e in sorted(errors.items()) if e]
    if listed:
        raise RequirementsInvalid("Validation failed for one or more requirements", validation_errors=listed)


def set_requirement_data(
    db_session: Session,
    *,
    requirement: Requirement,
    data: dict[str, Any],
    source: str,
    user_id: uuid.UUID | None,
    source_ref: str | None = None,
) -> int:
    """A new version of one requirement; returns its number."""
    requirement.data = normalize(data)
    requirement.version += 1
    _record_version(db_session, requirement, source=source, source_ref=source_ref, user_id=user_id)
    return requirement.version


def _record_version(
    db_session: Session, requirement: Requirement, *, source: str, source_ref: str | None, user_id: uuid.UUID | None
) -> None:
    db_session.add(
        RequirementVersion(
            requirement_id=requirement.id,
            version=requirement.version,
            data=dict(requirement.data),
            source=source,
            source_ref=source_ref,
            created_by=user_id,
        )
    )


def list_requirements(db_session: Session, *, project_id: uuid.UUID) -> list[Requirement]:
    return list(
        db_session.scalars(
            select(Requirement)
            .where(Requirement.project_id == project_id)
            .order_by(Requirement.created_at, Requirement.code)
        )
    )


def get_requirement(db_session: Session, *, project_id: uuid.UUID, code: str) -> Requirement:
    requirement = db_session.scalar(
        select(Requirement).where(Requirement.project_id == project_id, Requirement.code == code)
    )
    if requirement is None:
        raise RequirementNotFound(f"Requirement {code} does not exist in this project.", requirement_code=code)
    return requirement


def list_versions(db_session: Session, *, project_id: uuid.UUID, code: str) -> list[RequirementVersion]:
    requirement = get_requirement(db_session, project_id=project_id, code=code)
    return list(
        db_session.scalars(
            select(RequirementVersion)
            .where(RequirementVersion.requirement_id == requirement.id)
            .order_by(RequirementVersion.version)
        )
    )


def version_history(
    db_session: Session, *, project_id: uuid.UUID, code: str
) -> list[tuple[RequirementVersion, list[str]]]:
    """Every version, oldest first, with a unified diff of its text against the version before."""
    history, previous = [], ""
    for row in list_versions(db_session, project_id=project_id, code=code):
        text = row.data.get("text", "")
        history.append((row, list(difflib.unified_diff(previous.splitlines(), text.splitlines(), lineterm="", n=0))))
        previous = text
    return history


def count_requirements(db_session: Session, *, project_id: uuid.UUID) -> int:
    return int(db_session.scalar(select(func.count()).where(Requirement.project_id == project_id)) or 0)


def as_inputs(requirements: Sequence[Requirement]) -> list[RequirementInput]:
    return [to_input(r.code, r.data) for r in requirements]


def to_input(code: str, data: dict[str, Any]) -> RequirementInput:
    return RequirementInput(
        code=code,
        text=data.get("text", ""),
        acceptance_criteria=tuple(data.get("acceptance_criteria") or ()),
        dependencies=tuple(data.get("dependencies") or ()),
        priority=data.get("priority"),
        tags=tuple(data.get("tags") or ()),
        title=data.get("title"),
    )


def scores_as_dict(scores: RequirementScores) -> dict[str, Any]:
    """Seed 000's four dimensions and whether each meets its threshold, as the API shows them."""
    return {
        "testability": scores.testability,
        "ambiguity": scores.ambiguity,
        "dependencies": scores.dependencies,
        "completeness": scores.completeness,
        "passed": scores.passed(),
    }


def analyze_requirements(requirements: Sequence[Requirement]) -> ProjectAnalysis:
    return run_analysis(as_inputs(requirements))


def analyze_project(db_session: Session, *, project_id: uuid.UUID) -> ProjectAnalysis:
    return analyze_requirements(list_requirements(db_session, project_id=project_id))

"""`analyze_requirement` and `analyze_project`: the analyzer's entry points."""

from __future__ import annotations

import gc
import re
from collections.abc import Sequence
from dataclasses import dataclass

from trellis.requirements.analysis.language import find_language_findings
from trellis.requirements.analysis.model import (
    SEVERITY,
    TEXT_CATEGORIES,
    ProjectAnalysis,
    ProjectFinding,
    RequirementAnalysis,
    RequirementInput,
)
from trellis.requirements.analysis.project import (
    Statement,
    cycles_of_components,
    extract_statements,
    find_conflicts,
    find_duplicate_groups,
    normalised_words,
    strongly_connected_components,
)
from trellis.requirements.analysis.scoring import score_project, score_requirement
from trellis.requirements.analysis.structure import find_structure_findings
from trellis.requirements.analysis.tokens import Tokens, tokenize

CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,49}$")  # seed 000: 1-50 chars, alphanumeric with dashes
_CATEGORY_ORDER = {category: position for position, category in enumerate(TEXT_CATEGORIES)}


@dataclass(frozen=True, slots=True)
class _Analyzed:
    analysis: RequirementAnalysis
    toks: Tokens


def analyze_requirement(
    requirement: RequirementInput, *, known_codes: frozenset[str] | None = None
) -> RequirementAnalysis:
    """Findings and scores of one requirement. With `known_codes`, dependencies outside it count as invalid."""
    return _analyze(requirement, known_codes, frozenset()).analysis


def _analyze(
    requirement: RequirementInput, known_codes: frozenset[str] | None, cyclic: frozenset[tuple[str, str]]
) -> _Analyzed:
    toks = tokenize(requirement.text)
    criteria = [tokenize(criterion) for criterion in requirement.acceptance_criteria]
    findings = find_language_findings(toks, "text")
    for position, criterion in enumerate(criteria):
        findings.extend(find_language_findings(criterion, f"acceptance_criteria[{position}]"))
    structure, facts = find_structure_findings(toks, criteria)
    findings.extend(structure)
    # text spans in reading order, then whole-requirement findings, then each criterion's spans
    findings.sort(
        key=lambda f: (
            f.field != "text",
            f.field,
            f.start == 0 and f.end == len(requirement.text) and f.field == "text",
            f.start,
            _CATEGORY_ORDER.get(f.category, 99),
        )
    )
    valid = sum(
        1
        for dependency in requirement.dependencies
        if dependency != requirement.code
        and CODE_PATTERN.match(dependency)
        and (known_codes is None or dependency in known_codes)
        and (requirement.code, dependency) not in cyclic
    )
    scores = score_requirement(toks, len(criteria), findings, facts, valid, len(requirement.dependencies))
    return _Analyzed(RequirementAnalysis(requirement.code, tuple(findings), scores), toks)


def analyze_project(requirements: Sequence[RequirementInput]) -> ProjectAnalysis:
    """Every requirement analysed against the others, plus project findings: unknown dependencies, dependency
    cycles, duplicates and conflicts."""
    # The analysis allocates many small objects and creates no reference cycles, so the cyclic garbage collector
    # would only re-scan live results (a quarter of the run time on 10k requirements). Paused, then restored.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _analyze_project(requirements)
    finally:
        if collecting:
            gc.enable()


def _analyze_project(requirements: Sequence[RequirementInput]) -> ProjectAnalysis:
    codes = [requirement.code for requirement in requirements]
    known = frozenset(codes)
    deps: dict[str, list[str]] = {}
    for requirement in requirements:
        deps.setdefault(requirement.code, []).extend(requirement.dependencies)
    cyclic: set[tuple[str, str]] = set()
    components = strongly_connected_components(deps)
    for component in components:
        members = set(component)
        for code in component:
            for dependency in deps[code]:
                if dependency in members and (len(component) > 1 or dependency == code):
                    cyclic.add((code, dependency))
    frozen_cyclic = frozenset(cyclic)
    analysed = [_analyze(requirement, known, frozen_cyclic) for requirement in requirements]
    findings: list[ProjectFinding] = []
    findings.extend(_same_codes(codes))
    findings.extend(_unknown_dependencies(requirements, known))
    for cycle in cycles_of_components(deps, components):
        path = " → ".join(cycle)
        findings.append(
            ProjectFinding(
                "dependency_cycle",
                tuple(dict.fromkeys(cycle)),
                SEVERITY["dependency_cycle"],
                f"Dependency cycle {path}: none of these requirements can be done first.",
                f"Remove one dependency of the cycle {path}, or merge the requirements if they are one piece of work.",
                {"cycle": cycle},
            )
        )
    findings.extend(_duplicates(requirements, analysed))
    findings.extend(_conflicts(requirements, analysed))
    total_edges = sum(len(requirement.dependencies) for requirement in requirements)
    valid_edges = sum(
        1
        for requirement in requirements
        for dependency in requirement.dependencies
        if dependency in known and dependency != requirement.code and (requirement.code, dependency) not in cyclic
    )
    scores = score_project([item.analysis.scores for item in analysed], valid_edges, total_edges)
    return ProjectAnalysis(tuple(item.analysis for item in analysed), tuple(findings), scores)


def _same_codes(codes: Sequence[str]) -> list[ProjectFinding]:
    seen: dict[str, int] = {}
    for code in codes:
        seen[code] = seen.get(code, 0) + 1
    return [
        ProjectFinding(
            "duplicate_requirement",
            (code,),
            SEVERITY["duplicate_requirement"],
            f"The code {code} is used by {count} requirements; codes must be unique within a project.",
            f"Give each requirement its own code, e.g. {code}-2 for the second one.",
            {"reason": "same_code", "count": count},
        )
        for code, count in seen.items()
        if count > 1
    ]


def _unknown_dependencies(requirements: Sequence[RequirementInput], known: frozenset[str]) -> list[ProjectFinding]:
    findings = []
    for requirement in requirements:
        missing = [d for d in dict.fromkeys(requirement.dependencies) if d not in known]
        if missing:
            listed = ", ".join(missing)
            findings.append(
                ProjectFinding(
                    "unknown_dependency",
                    (requirement.code,),
                    SEVERITY["unknown_dependency"],
                    f"{requirement.code} depends on {listed}, which "
                    f"{'is not a requirement' if len(missing) == 1 else 'are not requirements'} of this project.",
                    f"Correct the code, add the missing requirement, or remove {listed} from the dependencies "
                    f"of {requirement.code}.",
                    {"missing": missing},
                )
            )
    return findings


def _duplicates(requirements: Sequence[RequirementInput], analysed: Sequence[_Analyzed]) -> list[ProjectFinding]:
    word_sets = [normalised_words(item.toks.lower) for item in analysed]
    findings = []
    for members, similarity in find_duplicate_groups(word_sets):
        codes = tuple(requirements[index].code for index in members)
        exact = similarity >= 1.0
        findings.append(
            ProjectFinding(
                "duplicate_requirement",
                codes,
                SEVERITY["duplicate_requirement"],
                f"{', '.join(codes)} state {'the same' if exact else 'nearly the same'} requirement "
                f"({round(similarity * 100)}% of their words are shared).",
                f"Keep one of {', '.join(codes)} and make the others depend on it or delete them; if they differ on "
                "purpose, make the difference explicit in the text.",
                {"similarity": round(similarity, 3)},
            )
        )
    return findings


def _conflicts(requirements: Sequence[RequirementInput], analysed: Sequence[_Analyzed]) -> list[ProjectFinding]:
    statements: list[tuple[str, list[Statement]]] = []
    for requirement, item in zip(requirements, analysed, strict=True):
        toks = item.toks
        statements.append((requirement.code, extract_statements(toks.lower, toks.sentences, toks.quantities)))
    findings = []
    for codes, details in find_conflicts(statements):
        joined = ", ".join(codes)
        if details["kind"] == "modality":
            message = f'{joined} both require and forbid "{details["subject"]} … {details["action"]}".'
        else:
            message = f'{joined} give incompatible limits for "{details["metric"]}".'
        findings.append(
            ProjectFinding(
                "conflicting_requirements",
                tuple(codes),
                SEVERITY["conflicting_requirements"],
                message,
                f"Decide which of {joined} holds, change or remove the others, and record the decision.",
                details,
            )
        )
    return findings

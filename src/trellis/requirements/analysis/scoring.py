"""The four scores of seed 000 for one requirement and for a project (definitions in `model.py`)."""

from __future__ import annotations

from collections.abc import Sequence

from trellis.requirements.analysis.model import (
    AMBIGUITY_CATEGORIES,
    TESTABILITY_BLOCKERS,
    Finding,
    RequirementScores,
)
from trellis.requirements.analysis.structure import StructureFacts
from trellis.requirements.analysis.tokens import Tokens


def _percent(part: float, whole: float) -> float:
    return round(100.0 * part / whole, 1) if whole else 100.0


def testability(toks: Tokens, criteria_count: int, findings: Sequence[Finding]) -> float:
    blocked = [f for f in findings if f.category in TESTABILITY_BLOCKERS]
    if criteria_count:
        blocked_fields = {f.field for f in blocked}
        measurable = sum(1 for i in range(criteria_count) if f"acceptance_criteria[{i}]" not in blocked_fields)
        return _percent(measurable, criteria_count)
    statements = [s for s in toks.sentences if s[1] > s[0]] or [(0, 0)]
    if any(f.category == "missing_outcome" for f in blocked):
        return 0.0
    text_starts = [f.start for f in blocked if f.field == "text"]
    if not text_starts:
        return 100.0
    measurable = 0
    for first, last in statements:
        begin = toks.starts[first] if last > first else 0
        end = toks.ends[last - 1] if last > first else len(toks.text)
        if not any(begin <= start < end for start in text_starts):
            measurable += 1
    return _percent(measurable, len(statements))


def ambiguity(findings: Sequence[Finding]) -> int:
    return sum(1 for f in findings if f.category in AMBIGUITY_CATEGORIES)


def completeness(facts: StructureFacts, findings: Sequence[Finding]) -> float:
    checks = [
        facts.has_actor,
        facts.has_outcome,
        facts.has_criteria,
        facts.has_edge_case,
        not any(f.category == "placeholder" for f in findings),
    ]
    if facts.trigger_expected:
        checks.append(facts.has_trigger)
    return _percent(sum(checks), len(checks))


def score_requirement(
    toks: Tokens, criteria_count: int, findings: Sequence[Finding], facts: StructureFacts, valid: int, total: int
) -> RequirementScores:
    return RequirementScores(
        testability=testability(toks, criteria_count, findings),
        ambiguity=ambiguity(findings),
        dependencies=_percent(valid, total),
        completeness=completeness(facts, findings),
    )


def score_project(scores: Sequence[RequirementScores], valid_edges: int, total_edges: int) -> RequirementScores:
    if not scores:
        return RequirementScores(100.0, 0, 100.0, 100.0)
    count = len(scores)
    return RequirementScores(
        testability=round(sum(s.testability for s in scores) / count, 1),
        ambiguity=int(sum(s.ambiguity for s in scores) / count + 0.5),  # mean, rounded half up
        dependencies=_percent(valid_edges, total_edges),
        completeness=round(sum(s.completeness for s in scores) / count, 1),
    )

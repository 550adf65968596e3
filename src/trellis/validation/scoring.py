"""Seed 000's validation report from the traces: four dimensions, compliance score, statuses, gaps, advice. Pure.

Every number is a fraction in 0..1 (shown as a percentage); docs/validation.md gives each formula.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from trellis.requirements.analysis import RequirementInput
from trellis.validation import text
from trellis.validation.indexing import CodeIndex, SourceFile
from trellis.validation.tracing import QueryTerm, RequirementTrace, TraceModel, mentions

# Seed 000, "Validation Criteria Framework": weight and pass threshold (strictly above) per dimension.
DIMENSIONS = {
    "structural_alignment": (0.30, 0.70),
    "pattern_compliance": (0.25, 0.80),
    "functional_coverage": (0.35, 0.85),
    "quality_indicators": (0.10, 0.60),
}
COMPLIANCE_THRESHOLD = 0.70  # seed 000: approve_validation needs "Validation score >70%"
IMPLEMENTED_COVERAGE = 0.5  # share of the requirement's weighted words found in its linked code
CRITERION_COVERAGE = 0.5  # a criterion is met when half its weighted words are in the linked code or tests
CANDIDATES_JUDGED = 3  # a missing requirement's missing terms: the words its best candidates lack
PATTERN_TERMS = 5  # the requirement's heaviest words that should name a file or a symbol
LARGE_FILE_LINES = 1000


@dataclass(frozen=True)
class RequirementResult:
    code: str
    status: str  # implemented, partial, missing
    coverage: float
    pattern: float | None  # None when nothing is linked
    criteria_met: int
    criteria_total: int
    missing_terms: tuple[str, ...]
    trace: RequirementTrace


@dataclass(frozen=True)
class Dimension:
    name: str
    score: float
    weight: float
    threshold: float

    @property
    def passed(self) -> bool:
        return self.score > self.threshold


@dataclass(frozen=True)
class UnrequestedFile:
    path: str
    language: str
    symbols: int
    closest_requirement: str | None
    closest_score: float


@dataclass(frozen=True)
class Recommendation:
    kind: str
    priority: str  # high, medium, low
    message: str
    requirement: str | None = None


@dataclass(frozen=True)
class Scores:
    dimensions: tuple[Dimension, ...]
    compliance: float

    @property
    def passed(self) -> bool:
        return self.compliance > COMPLIANCE_THRESHOLD


def _unigrams(query: Sequence[QueryTerm], sources: tuple[str, ...]) -> list[QueryTerm]:
    return [item for item in query if item.source in sources and " " not in item.term]


def _coverage(terms: Sequence[QueryTerm], files: Sequence[SourceFile], rarest: float, idf: dict[str, float]) -> float:
    total = sum(item.weight * idf.get(item.term, rarest) for item in terms)
    if not total or not files:
        return 0.0
    found = sum(item.weight * idf.get(item.term, rarest) for item in terms if mentions(files, item.term))
    return found / total


def assess_requirement(requirement: RequirementInput, trace: RequirementTrace, model: TraceModel) -> RequirementResult:
    linked = trace.implementation.linked_sources
    tests = trace.test_ranking.linked_sources
    rarest = model.rarest_idf
    own = _unigrams(trace.query, ("text", "criteria"))
    coverage = _coverage(own, linked, rarest, model.idf)
    criteria_met = 0
    for criterion in requirement.acceptance_criteria:
        criterion_terms = set(text.terms(criterion))
        terms = [item for item in own if item.term in criterion_terms]
        if terms and _coverage(terms, linked + tests, rarest, model.idf) >= CRITERION_COVERAGE:
            criteria_met += 1
    pattern = None
    if linked:
        heaviest = sorted(
            _unigrams(trace.query, ("text",)), key=lambda q: (-q.weight * model.idf.get(q.term, 0), q.term)
        )
        heaviest = [item for item in heaviest if item.term in model.idf][:PATTERN_TERMS] or heaviest[:PATTERN_TERMS]
        named = sum(mentions(linked, item.term, ("name", "symbols")) for item in heaviest)
        pattern = named / len(heaviest) if heaviest else 0.0
    total_criteria = len(requirement.acceptance_criteria)
    if not linked:
        status = "missing"
    elif coverage >= IMPLEMENTED_COVERAGE and (not total_criteria or criteria_met / total_criteria >= 0.5):
        status = "implemented"
    else:
        status = "partial"
    # With nothing linked, what is lacking is what even the closest candidates do not have (not "file", "load").
    judged = linked or [model.files[p] for p in trace.implementation.positions[:CANDIDATES_JUDGED]]
    missing_terms = tuple(
        dict.fromkeys(item.surface for item in own if item.source == "text" and not mentions(judged, item.term))
    )
    return RequirementResult(
        requirement.code, status, coverage, pattern, criteria_met, total_criteria, missing_terms[:10], trace
    )


def score(results: Sequence[RequirementResult], model: TraceModel) -> Scores:
    total = len(results) or 1
    mapped = [result for result in results if result.status != "missing"]
    quality_parts = []
    for result in mapped:
        files = result.trace.implementation.linked_sources
        tested = 1.0 if result.trace.test_ranking.linked_count else 0.0
        documented = sum(1 for f in files if f.passages) / len(files)
        reasonable = sum(1 for f in files if f.lines <= LARGE_FILE_LINES) / len(files)
        quality_parts.append(0.5 * tested + 0.25 * documented + 0.25 * reasonable)
    values = {
        "structural_alignment": len(mapped) / total,
        "pattern_compliance": sum(r.pattern or 0.0 for r in mapped) / len(mapped) if mapped else 0.0,
        "functional_coverage": sum(1.0 if r.status == "implemented" else 0.5 for r in mapped) / total,
        "quality_indicators": sum(quality_parts) / len(quality_parts) if quality_parts else 0.0,
    }
    dimensions = tuple(
        Dimension(name, round(values[name], 4), weight, threshold) for name, (weight, threshold) in DIMENSIONS.items()
    )
    compliance = round(sum(d.weight * d.score for d in dimensions), 4)
    return Scores(dimensions, compliance)


def unrequested(index: CodeIndex, traces: Sequence[RequirementTrace]) -> list[UnrequestedFile]:
    """Implementation files no requirement links to, with the requirement they came closest to."""
    linked = {
        position for trace in traces for position in trace.implementation.positions[: trace.implementation.linked_count]
    }
    # Per index position, the best (rounded) score and its requirement; the first requirement wins a tie. A score
    # can only round above the best so far when it is more than half a unit of the 4th decimal above it, so the
    # (slow) rounding is done for those few only.
    best_scores = [-1.0] * len(index.files)
    best_codes: list[str | None] = [None] * len(index.files)
    for trace in traces:
        ranking = trace.implementation
        ceiling = ranking.ceiling
        for position, raw in zip(ranking.positions, ranking.raw, strict=True):
            ratio = min(1.0, raw / ceiling) if ceiling else 0.0
            if ratio > best_scores[position] + 0.00004:
                link_score = round(ratio, 4)
                if link_score > best_scores[position]:
                    best_scores[position] = link_score
                    best_codes[position] = trace.code
    result = []
    for position, source in enumerate(index.files):
        if source.is_test or position in linked:
            continue
        best_score = max(best_scores[position], 0.0)
        result.append(
            UnrequestedFile(source.path, source.language, len(source.symbols), best_codes[position], best_score)
        )
    return result


def recommend(
    results: Sequence[RequirementResult], scores: Scores, extra: Sequence[UnrequestedFile]
) -> list[Recommendation]:
    advice: list[Recommendation] = []
    for result in results:
        if result.status == "missing" and result.trace.unknown_terms:
            words = ", ".join(result.trace.unknown_terms[:6])
            advice.append(
                Recommendation(
                    "implement",
                    "high",
                    f"Implement {result.code}: no file of the repository uses {words}; the code that matches it "
                    "shares only other words with it.",
                    result.code,
                )
            )
        elif result.status == "missing" and result.trace.lacks_key_terms:
            words = ", ".join(dict.fromkeys(item.surface for item in result.trace.key_terms))
            advice.append(
                Recommendation(
                    "implement",
                    "high",
                    f"Implement {result.code}: the code that matches it shares only ordinary words with it; "
                    f"none of it mentions {words}.",
                    result.code,
                )
            )
        elif result.status == "missing":
            words = ", ".join(result.missing_terms[:6]) or "its key terms"
            advice.append(
                Recommendation(
                    "implement",
                    "high",
                    f"Implement {result.code}: no code file matches it well enough ({words}).",
                    result.code,
                )
            )
        elif result.status == "partial":
            gaps = []
            if result.missing_terms:
                gaps.append("nothing linked mentions " + ", ".join(result.missing_terms[:6]))
            if result.criteria_total and result.criteria_met < result.criteria_total:
                unmet = result.criteria_total - result.criteria_met
                gaps.append(f"{unmet} of {result.criteria_total} acceptance criteria are not reflected")
            advice.append(
                Recommendation(
                    "complete",
                    "medium",
                    f"Complete {result.code}: " + ("; ".join(gaps) or "coverage is low") + ".",
                    result.code,
                )
            )
        if result.status != "missing" and not result.trace.test_ranking.linked_count:
            advice.append(
                Recommendation(
                    "add_tests", "medium", f"Add tests for {result.code}: no test file was traced to it.", result.code
                )
            )
    if extra:
        examples = ", ".join(item.path for item in sorted(extra, key=lambda u: (-u.symbols, u.path))[:5])
        advice.append(
            Recommendation(
                "review_unrequested",
                "low",
                f"{len(extra)} implementation file(s) trace to no requirement (e.g. {examples}): "
                "write the requirement they serve, or remove them if nothing needs them.",
            )
        )
    for dimension in scores.dimensions:
        if not dimension.passed:
            advice.append(
                Recommendation(
                    "dimension",
                    "medium",
                    f"{dimension.name.replace('_', ' ').capitalize()} is {dimension.score:.0%}, "
                    f"at or below its pass threshold of {dimension.threshold:.0%}.",
                )
            )
    return advice

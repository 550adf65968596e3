"""The validation engine end to end: index a repository, trace requirements, score. Pure and deterministic.

report = validate_repository(Path("repo"), requirements)
report.as_dict()["scores"]["compliance_score"]
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trellis.requirements.analysis import RequirementInput
from trellis.validation.indexing import DEFAULT_MAX_FILE_BYTES, CodeIndex, index_repository, paused_gc
from trellis.validation.scoring import (
    COMPLIANCE_THRESHOLD,
    Recommendation,
    RequirementResult,
    Scores,
    UnrequestedFile,
    assess_requirement,
    recommend,
    score,
    unrequested,
)
from trellis.validation.tracing import FileLink, TraceModel, build_queries, query_vocabulary, trace

ENGINE_VERSION = "11"  # part of the stored results' key: bump when a change alters the numbers or the evidence


@dataclass(frozen=True)
class ValidationReport:
    requirements: tuple[RequirementResult, ...]
    scores: Scores
    unrequested: tuple[UnrequestedFile, ...]
    recommendations: tuple[Recommendation, ...]
    files_indexed: int
    languages: dict[str, int]
    skipped: dict[str, int]

    def as_dict(self, *, max_links: int | None = None) -> dict[str, Any]:
        """The CLI's and the API's JSON: requirements with ranked links, scores, unrequested files, advice."""
        with paused_gc():  # the evidence of the links is worked out here
            requirements = [_requirement_dict(result, max_links) for result in self.requirements]
        return {
            "requirements": requirements,
            "scores": scores_dict(self.scores),
            "unrequested": [
                {
                    "path": item.path,
                    "language": item.language,
                    "symbols": item.symbols,
                    "closest_requirement": item.closest_requirement,
                    "closest_score": item.closest_score,
                }
                for item in self.unrequested
            ],
            "gaps": {
                "missing": [r.code for r in self.requirements if r.status == "missing"],
                "partial": [r.code for r in self.requirements if r.status == "partial"],
                "unrequested": len(self.unrequested),
            },
            "recommendations": [
                {"kind": r.kind, "priority": r.priority, "requirement": r.requirement, "message": r.message}
                for r in self.recommendations
            ],
            "index": {"files": self.files_indexed, "languages": self.languages, "skipped": self.skipped},
            "engine_version": ENGINE_VERSION,
        }


def scores_dict(scores: Scores) -> dict[str, Any]:
    return {
        "compliance_score": scores.compliance,
        "passed": scores.passed,
        "threshold": COMPLIANCE_THRESHOLD,
        "dimensions": {
            d.name: {"score": d.score, "weight": d.weight, "threshold": d.threshold, "passed": d.passed}
            for d in scores.dimensions
        },
    }


def _link_dict(link: FileLink) -> dict[str, Any]:
    return {
        "path": link.path,
        "score": link.score,
        "relative": link.relative,
        "linked": link.linked,
        "role": link.role,
        "evidence": [item.as_dict() for item in link.evidence],
    }


def _requirement_dict(result: RequirementResult, max_links: int | None) -> dict[str, Any]:
    # Links are made (and explained) only as far as they are output.
    links = result.trace.links if max_links is None else result.trace.implementation.top(max_links)
    tests = result.trace.tests if max_links is None else result.trace.test_ranking.top(max_links)
    return {
        "code": result.code,
        "status": result.status,
        "coverage": round(result.coverage, 4),
        "pattern": None if result.pattern is None else round(result.pattern, 4),
        "criteria_met": result.criteria_met,
        "criteria_total": result.criteria_total,
        "missing_terms": list(result.missing_terms),
        "key_terms": list(dict.fromkeys(item.surface for item in result.trace.key_terms)),
        "links": [_link_dict(link) for link in links],
        "tests": [_link_dict(link) for link in tests],
    }


def validate_index(index: CodeIndex, requirements: Sequence[RequirementInput]) -> ValidationReport:
    with paused_gc():
        model = TraceModel(index, query_vocabulary(build_queries(requirements)))
        traces = trace(index, requirements, model)
        results = tuple(assess_requirement(req, tr, model) for req, tr in zip(requirements, traces, strict=True))
        scores = score(results, model)
        extra = tuple(unrequested(index, traces))
    return ValidationReport(
        requirements=results,
        scores=scores,
        unrequested=extra,
        recommendations=tuple(recommend(results, scores, extra)),
        files_indexed=len(index.files),
        languages=dict(sorted(index.languages.items())),
        skipped=dict(sorted(index.skipped.items())),
    )


def validate_repository(
    root: Path, requirements: Sequence[RequirementInput], *, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
) -> ValidationReport:
    return validate_index(index_repository(root, max_file_bytes=max_file_bytes), requirements)


def requirements_hash(requirements: Sequence[RequirementInput]) -> str:
    """sha256 of the requirements' content (order-independent), with the engine version: the re-use key."""
    canonical = sorted(
        (r.code, r.text, list(r.acceptance_criteria), list(r.dependencies), r.priority, list(r.tags))
        for r in requirements
    )
    payload = json.dumps({"engine": ENGINE_VERSION, "requirements": canonical}, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()

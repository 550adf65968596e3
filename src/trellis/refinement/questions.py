"""From findings to refinement questions, and from answers to requirement changes. Pure.

Questions are ranked by impact x uncertainty:
- impact: how much the finding hurts (severity) weighted by the requirement's priority;
- uncertainty: how little we know about the right fix. A finding with a derivable answer
  (a suggested replacement, an obvious missing criterion) is less uncertain than a TBD.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from trellis.requirements.analysis import ProjectAnalysis, RequirementInput

SEVERITY_WEIGHT = {"high": 1.0, "medium": 0.6, "low": 0.3}
PRIORITY_WEIGHT = {"must": 1.0, "critical": 1.0, "high": 1.0, "should": 0.8, "medium": 0.8, "could": 0.6, "low": 0.6}
CATEGORY_UNCERTAINTY = {
    "placeholder": 1.0,
    "missing_metric": 0.9,
    "missing_acceptance_criteria": 0.9,
    "non_verifiable": 0.85,
    "subjective_language": 0.8,
    "missing_actor": 0.8,
    "missing_trigger": 0.8,
    "missing_outcome": 0.85,
    "conflicting_requirements": 0.95,
    "unknown_dependency": 0.7,
    "dependency_cycle": 0.8,
    "duplicate_requirement": 0.6,
    "ambiguous_adverb_adjective": 0.7,
    "superlative": 0.7,
    "uncertain_verb": 0.6,
    "incomplete_reference": 0.75,
    "comparative": 0.6,
    "loophole": 0.5,
    "vague_pronoun": 0.5,
    "compound_requirement": 0.5,
    "negative_statement": 0.4,
}
# Words a requirement may simply drop: loopholes and hedges add nothing testable.
_REMOVABLE = {"loophole", "ambiguous_adverb_adjective", "uncertain_verb", "subjective_language", "superlative"}
_MODAL_START = re.compile(r"^\s*(shall|must|should|will|can|may)\b", re.IGNORECASE)
_MAX_INLINE_SUGGESTION = 80


@dataclass(frozen=True)
class Option:
    id: str
    label: str
    effect: str  # replace_span | remove_span | add_criterion | set_text_prefix | remove_dependency | keep
    value: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "effect": self.effect, "value": self.value}


@dataclass(frozen=True)
class DraftQuestion:
    requirement_code: str
    category: str
    question: str
    finding: dict[str, Any]
    options: tuple[Option, ...]
    recommended: str | None
    free_answer_effect: str | None  # how a typed answer applies; None: choose an option
    impact: float
    uncertainty: float
    extra_codes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def score(self) -> float:
        return self.impact * self.uncertainty

    @property
    def key(self) -> str:
        return finding_key(self.requirement_code, self.category, str(self.finding.get("text", "")))


def finding_key(code: str, category: str, text: str) -> str:
    return f"{code}|{category}|{text.strip().lower()}"


def draft_questions(
    analysis: ProjectAnalysis,
    requirements: Mapping[str, RequirementInput],
    *,
    kept: frozenset[str] = frozenset(),
    limit: int = 5,
) -> list[DraftQuestion]:
    """The `limit` most valuable questions, one per finding the user has not chosen to keep."""
    drafts: list[DraftQuestion] = []
    for result in analysis.requirements:
        requirement = requirements[result.code]
        for finding in result.findings:
            draft = _requirement_question(requirement, finding)
            if draft is not None and draft.key not in kept:
                drafts.append(draft)
    for project_finding in analysis.findings:
        draft = _project_question(project_finding, requirements)
        if draft is not None and draft.key not in kept:
            drafts.append(draft)
    drafts.sort(key=lambda d: (-d.score, d.requirement_code, d.finding.get("start", 0)))
    # One question per (requirement, category): answering it re-analyses the rest.
    chosen: list[DraftQuestion] = []
    seen: set[tuple[str, str]] = set()
    for draft in drafts:
        marker = (draft.requirement_code, draft.category)
        if marker not in seen:
            seen.add(marker)
            chosen.append(draft)
        if len(chosen) == limit:
            break
    return chosen


def _impact(severity: str, priority: str | None) -> float:
    return SEVERITY_WEIGHT.get(severity, 0.5) * PRIORITY_WEIGHT.get((priority or "").lower(), 0.8)


def _requirement_question(requirement: RequirementInput, finding: Any) -> DraftQuestion | None:
    category = finding.category
    quoted = f"\u201c{finding.text}\u201d"
    info = {
        "start": finding.start,
        "end": finding.end,
        "text": finding.text,
        "field": finding.field,
        "message": finding.message,
        "suggestion": finding.suggestion,
        "severity": finding.severity,
    }
    if finding.field != "text":
        return None  # criteria wording is refined with the criterion itself (a free rewrite below covers it)
    keep = Option("keep", "Keep it as it is", "keep")
    options: list[Option] = []
    free: str | None = "replace_span"
    if category == "missing_acceptance_criteria":
        question = f"How will {requirement.code} be tested? Give an acceptance criterion (Given/When/Then)."
        options.append(
            Option("derived", derive_criterion(requirement.text), "add_criterion", derive_criterion(requirement.text))
        )
        free = "add_criterion"
    elif category == "missing_actor" and _MODAL_START.match(requirement.text):
        question = f"Who does what {requirement.code} describes?"
        for index, actor in enumerate(("The system", "The user", "An administrator")):
            options.append(Option(f"actor{index + 1}", actor, "set_text_prefix", actor))
        free = "set_text_prefix"
    elif category in ("missing_actor", "missing_trigger", "missing_outcome", "compound_requirement"):
        question = f"{finding.message} Rewrite {requirement.code}: \u201c{requirement.text}\u201d"
        free = "replace_text"
    elif category == "placeholder":
        question = f"What should replace {quoted} in {requirement.code}?"
    else:
        question = f"{finding.message} What should {requirement.code} say instead of {quoted}?"
        suggestion = (finding.suggestion or "").strip()
        if suggestion and len(suggestion) <= _MAX_INLINE_SUGGESTION and not suggestion.endswith((".", "?")):
            options.append(Option("suggested", suggestion, "replace_span", suggestion))
        if category in _REMOVABLE:
            options.append(Option("remove", f"Remove {quoted}", "remove_span"))
    options.append(keep)
    recommended = options[0].id if options[0] is not keep else None
    uncertainty = CATEGORY_UNCERTAINTY.get(category, 0.7) * (0.8 if recommended else 1.0)
    return DraftQuestion(
        requirement.code,
        category,
        question,
        info,
        tuple(options),
        recommended,
        free,
        _impact(finding.severity, requirement.priority),
        uncertainty,
    )


def _project_question(finding: Any, requirements: Mapping[str, RequirementInput]) -> DraftQuestion | None:
    codes = [code for code in finding.codes if code in requirements]
    if not codes:
        return None
    code = codes[0]
    info = {
        "text": finding.message,
        "codes": list(finding.codes),
        "details": finding.details,
        "message": finding.message,
        "suggestion": finding.suggestion,
        "severity": finding.severity,
    }
    keep = Option("keep", "Keep it as it is", "keep")
    options: list[Option] = []
    if finding.category == "unknown_dependency":
        missing = [d for d in requirements[code].dependencies if d not in requirements]
        options = [
            Option(f"drop{i + 1}", f"Remove the dependency on {d}", "remove_dependency", d)
            for i, d in enumerate(missing)
        ]
    elif finding.category == "dependency_cycle":
        cycle = list(finding.details.get("cycle") or [*codes, codes[0]])
        edges = list(itertools.pairwise(cycle))
        options = [
            Option(f"cut{i + 1}", f"{a} should not depend on {b}", "remove_dependency", f"{a}>{b}")
            for i, (a, b) in enumerate(edges)
        ]
    options.append(keep)
    recommended = options[0].id if options[0] is not keep else None
    return DraftQuestion(
        code,
        finding.category,
        f"{finding.message} What should change?",
        info,
        tuple(options),
        recommended,
        "replace_text" if finding.category in ("conflicting_requirements", "duplicate_requirement") else None,
        _impact(finding.severity, requirements[code].priority),
        CATEGORY_UNCERTAINTY.get(finding.category, 0.8) * (0.8 if recommended else 1.0),
        tuple(codes[1:]),
    )


def derive_criterion(text: str) -> str:
    """A Given/When/Then skeleton from the requirement's own words, for the user to accept or edit."""
    sentence = text.strip().rstrip(".")
    match = re.match(r"^(?:when|if|while|after)\s+(?P<trigger>[^,]+),\s*(?P<rest>.+)$", sentence, re.IGNORECASE)
    trigger = match.group("trigger") if match else "the described situation occurs"
    rest = match.group("rest") if match else sentence
    outcome = re.sub(r"^(the\s+)?(\w+\s+){0,3}?(shall|must|will|should)\s+", "", rest, flags=re.IGNORECASE)
    return f"Given the system is running, when {trigger}, then it {outcome}."


def apply_answer(
    current: Mapping[str, dict[str, Any]],
    question: Mapping[str, Any],
    option: Mapping[str, Any] | None,
    free_text: str | None,
) -> dict[str, dict[str, Any]]:
    """The requirements an answer changes, code -> new data; empty when the answer keeps things as they are."""
    if option is not None:
        effect, value = option["effect"], option.get("value")
    else:
        effect, value = question["free_answer_effect"], (free_text or "").strip()
    code = question["requirement_code"]
    if effect in ("keep", None) or code not in current:
        return {}
    if effect == "remove_dependency":
        source, _, target = str(value).rpartition(">")
        source = source or code
        if source not in current:
            return {}
        data = current[source]
        return {source: {**data, "dependencies": [d for d in data.get("dependencies") or [] if d != target]}}
    data = current[code]
    updated = {**data, "acceptance_criteria": list(data.get("acceptance_criteria") or [])}
    text: str = data.get("text", "")
    if effect in ("replace_span", "remove_span"):
        finding = question["finding"]
        start, end = int(finding["start"]), int(finding["end"])
        if text[start:end] != finding["text"]:  # the text changed since the question was asked
            start = text.find(finding["text"])
            if start < 0:
                return {}
            end = start + len(finding["text"])
        replacement = "" if effect == "remove_span" else str(value)
        spliced = re.sub(r"\s{2,}", " ", text[:start] + replacement + text[end:]).strip()
        updated["text"] = re.sub(r"\s+([,.;:])", r"\1", spliced)
    elif effect == "add_criterion":
        updated["acceptance_criteria"].append(str(value))
    elif effect == "set_text_prefix":
        stripped = text.strip()
        updated["text"] = f"{value} {stripped[:1].lower()}{stripped[1:]}"
    elif effect == "replace_text":
        updated["text"] = str(value)
    return {code: updated} if updated != data else {}

"""From findings to refinement questions, and from answers to requirement changes. Pure.

Questions are ranked by impact x uncertainty:
- impact: how much the finding hurts (severity) weighted by the requirement's priority;
- uncertainty: how little we know about the right fix. A finding with a derivable answer
  (a suggested replacement, an obvious missing criterion) is less uncertain than a TBD.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from trellis.requirements.analysis import ProjectAnalysis, RequirementInput
from trellis.requirements.analysis.language import find_language_findings
from trellis.requirements.analysis.model import TESTABILITY_BLOCKERS
from trellis.requirements.analysis.phrases import (
    Statement,
    exercise_clause,
    parse_statement,
    provided_object,
    third_person,
)
from trellis.requirements.analysis.tokens import tokenize, words

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
# ... and where dropping them is the recommended answer: a superlative ("maximum wait", "best price") carries
# meaning that removal loses, so it is offered, not recommended.
_REMOVAL_RECOMMENDED = _REMOVABLE - {"superlative"}
# Wording findings that acceptance criteria can settle: "a maximum wait" is pinned down by a criterion saying
# "at most 10 seconds". A placeholder (TBD) or a missing part of the sentence is never settled that way.
_PINNABLE = TESTABILITY_BLOCKERS - {"placeholder", "missing_outcome"} | {
    "uncertain_verb",
    "vague_pronoun",
    "incomplete_reference",
}
# A word before the span that makes it a predicate or a degree ("be user-friendly", "more intuitive"): removing the
# span would leave "be" or "more" dangling.
_PREDICATE_BEFORE = words(
    "be is are was were been being become becomes more less very too so as most least quite rather fairly"
)
_ARTICLE = re.compile(r"\b(?P<article>[Aa]n?)\s+$")
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
            draft = _requirement_question(requirement, finding, result.findings)
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


def _requirement_question(
    requirement: RequirementInput, finding: Any, findings: Sequence[Any] = ()
) -> DraftQuestion | None:
    """The question one finding raises. Options are grounded in the requirement's own words: a criterion derived
    from its sentence, the acceptance criterion that already settles a vague word, a removal shown as the text it
    leaves. An option is recommended only when it is one of those, never a generic template."""
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
    recommended: str | None = None
    settled = False  # the acceptance criteria already answer it: worth asking last
    criteria = tuple(requirement.acceptance_criteria)
    if category == "missing_acceptance_criteria":
        question, derived = _criterion_question(requirement, findings)
        if derived is not None:
            options.append(Option("derived", derived, "add_criterion", derived))
            recommended = "derived"
        free = "add_criterion"
    elif category == "missing_actor" and _MODAL_START.match(requirement.text):
        question = f"Who does what {requirement.code} describes?"
        for index, actor in enumerate(("The system", "The user", "An administrator")):
            options.append(Option(f"actor{index + 1}", actor, "set_text_prefix", actor))
        free = "set_text_prefix"
    elif category == "compound_requirement":
        question = f"{finding.message} Rewrite {requirement.code}: \u201c{requirement.text}\u201d"
        free = "replace_text"
        if len(criteria) >= 2:
            keep = Option(
                "keep",
                f"Keep it as one requirement: its {len(criteria)} acceptance criteria test the parts separately",
                "keep",
            )
            recommended = "keep"
            settled = True
    elif category in ("missing_actor", "missing_trigger", "missing_outcome"):
        question = f"{finding.message} Rewrite {requirement.code}: \u201c{requirement.text}\u201d"
        free = "replace_text"
    elif category == "placeholder":
        question = f"What should replace {quoted} in {requirement.code}?"
    else:
        question = f"{finding.message} What should {requirement.code} say instead of {quoted}?"
        pinned = _pinning_criterion(requirement, finding, findings) if category in _PINNABLE else None
        if pinned is not None:
            keep = Option("keep", f"Keep it: the acceptance criteria pin it down (\u201c{pinned}\u201d)", "keep")
            recommended = "keep"
            settled = True
        suggestion = (finding.suggestion or "").strip()
        if suggestion and len(suggestion) <= _MAX_INLINE_SUGGESTION and not suggestion.endswith((".", "?")):
            options.append(Option("suggested", suggestion, "replace_span", suggestion))
            recommended = recommended or "suggested"
        remaining = removed_span(requirement.text, finding.start, finding.end) if category in _REMOVABLE else None
        if remaining is not None:
            preview = _around(remaining, finding.start)
            options.append(Option("remove", f"Remove {quoted}: \u201c{preview}\u201d", "remove_span"))
            if category in _REMOVAL_RECOMMENDED:
                recommended = recommended or "remove"
    options.append(keep)
    uncertainty = CATEGORY_UNCERTAINTY.get(category, 0.7) * (0.4 if settled else 0.8 if recommended else 1.0)
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


def _criterion_question(requirement: RequirementInput, findings: Sequence[Any]) -> tuple[str, str | None]:
    """The question for a requirement without acceptance criteria, and the criterion derived from its sentence when
    that criterion is itself testable (no vague word carried over)."""
    code = requirement.code
    derived = derive_criterion(requirement.text)
    if derived is not None and not blocking_words(derived):
        return f"How will {code} be tested? Accept the criterion derived from its text, or write one.", derived
    vague = [  # the words, not findings about the whole sentence (a missing outcome)
        f.text
        for f in findings
        if f.field == "text" and f.category in TESTABILITY_BLOCKERS and 0 < len(f.text.split()) <= 4
    ]
    vague = list(dict.fromkeys(vague))[:3]
    statement = parse_statement(requirement.text)
    about = f" about {statement.subject}" if statement and not statement.generic and not statement.person else ""
    if vague:
        listed = ", ".join(f"\u201c{word}\u201d" for word in vague)
        return (
            f"How will {code} be tested? As written it cannot be: {listed} "
            f"{'has' if len(vague) == 1 else 'have'} no measure. Write a criterion{about} with a number a test can "
            "check (When <action>, then <observable result>).",
            None,
        )
    return f"How will {code} be tested? Write a criterion{about} (When <action>, then <observable result>).", None


def blocking_words(criterion: str) -> list[str]:
    """The words that keep a criterion from being a pass/fail test ("more user-friendly", "quickly", "TBD")."""
    found = find_language_findings(tokenize(criterion), "acceptance_criteria[0]")
    return [f.text for f in found if f.category in TESTABILITY_BLOCKERS]


def _stems(text: str) -> set[str]:
    return {w.rstrip("s") for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) > 2} - _COMMON


_COMMON = words("the and that then when given with for are its has have not")
# Clauses of a criterion: at commas and semicolons outside brackets ("wait_exponential(multiplier=1, max=10)" is
# one clause), and before "when" / "then".
_CLAUSE_SPLIT = re.compile(r"[,;]\s*(?![^()]*\))|\s+(?=(?:when|then)\b)", re.IGNORECASE)
_MAX_EXCERPT = 90


def _pinning_criterion(requirement: RequirementInput, finding: Any, findings: Sequence[Any]) -> str | None:
    """The clause of an acceptance criterion that settles a vague word in the text ("then the wait ... is at most
    10 seconds" for "a maximum wait"), when the requirement has criteria and none of them is vague itself."""
    criteria = [c for c in requirement.acceptance_criteria if c.strip()]
    if not criteria or any(
        f.field.startswith("acceptance_criteria") and f.category in TESTABILITY_BLOCKERS for f in findings
    ):
        return None
    text = requirement.text
    window = " ".join(text[finding.end :].split()[:4] + text[: finding.start].split()[-2:])
    near = _stems(window) | _stems(finding.text)
    best, best_score = "", -1
    for criterion in criteria:
        for clause in _CLAUSE_SPLIT.split(criterion):
            clause = clause.strip()
            if not clause:
                continue
            # shared words first; then a number; then the outcome ("then ...") over the setting ("given ...")
            score = 4 * len(near & _stems(clause)) + 2 * bool(re.search(r"\d", clause))
            score += clause.lower().startswith("then")
            if score > best_score:
                best, best_score = clause, score
    if len(best) > _MAX_EXCERPT:
        best = best[: _MAX_EXCERPT - 1].rsplit(" ", 1)[0] + "\u2026"
    return best or None


def removed_span(text: str, start: int, end: int) -> str | None:
    """The text without text[start:end], kept grammatical: "a clear error" -> "an error", "sensible and intuitive
    way" -> "sensible way". None when removal would break the sentence ("be user-friendly", "easy to configure")."""
    before, after = text[:start], text[end:]
    previous = re.findall(r"[A-Za-z'-]+", before)[-1:] or [""]
    following = re.match(r"\s*([A-Za-z0-9'-]+|\S)?", after)
    next_word = (following.group(1) or "") if following else ""
    word = text[start:end].strip()
    if previous[0].lower() in _PREDICATE_BEFORE or next_word.lower() in ("to", "than"):
        return None
    if not word.lower().endswith("ly") and not next_word[:1].isalnum():
        return None  # an adjective at the end of a clause is its predicate
    joined_before = re.search(r"\s+(?:and|or)\s*$", before)
    joined_after = re.match(r"^\s*(?:and|or)\s+", after)
    if joined_before and re.search(r"[A-Za-z]\s+(?:and|or)\s*$", before):
        before = before[: joined_before.start()]
    elif joined_after:
        after = after[joined_after.end() :]
    article = _ARTICLE.search(before)
    if article:
        first = after.lstrip()[:1].lower()
        fitting = "an" if first in ("a", "e", "i", "o", "u") else "a"
        written = article.group("article")
        fitting = fitting.capitalize() if written[:1].isupper() else fitting
        before = before[: article.start()] + fitting + " "
    joined = re.sub(r"\s{2,}", " ", before.rstrip() + " " + after.lstrip()).strip()
    return re.sub(r"\s+([,.;:])", r"\1", joined)


def _around(text: str, position: int, words: int = 5) -> str:
    """A few words either side of `position`, with ellipses where the text goes on."""
    head, tail = text[:position].split(), text[position:].split()
    shown = " ".join(head[-words:] + tail[:words])
    return ("\u2026" if len(head) > words else "") + shown + ("\u2026" if len(tail) > words else "")


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


def derive_criterion(text: str) -> str | None:
    """An acceptance criterion phrased from the requirement's own sentence, or None when the sentence does not say
    what happens (no modal verb, or a person's action with no observable result):
    "Loading a .env file with 10000 keys shall take less than 200 ms." ->
    "When loading a .env file with 10000 keys, then it takes less than 200 ms."."""
    statement = parse_statement(text)
    if statement is None:
        return None
    provided = provided_object(statement) if statement.generic and not statement.trigger else None
    if provided is not None:  # "The library shall provide a circuit breaker that stops ..."
        thing, clause = provided
        subject = Statement(_lower_article(thing), clause, False, False, "")
        when = exercise_clause(subject)
        return f"When {when}, then {'they' if subject.plural else 'it'} {clause}." if when else None
    when = exercise_clause(statement)
    if when is None:
        return None
    who = statement.subject if statement.trigger else ("they" if statement.plural else "it")
    return f"When {when}, then {who} {third_person(statement)}."


def _lower_article(phrase: str) -> str:
    return phrase[:1].lower() + phrase[1:] if phrase.split(" ", 1)[0] in ("A", "An", "The") else phrase


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
        removed = removed_span(text, start, end) if effect == "remove_span" else None
        replacement = "" if effect == "remove_span" else str(value)
        spliced = removed or re.sub(r"\s{2,}", " ", text[:start] + replacement + text[end:]).strip()
        updated["text"] = re.sub(r"\s+([,.;:])", r"\1", spliced)
    elif effect == "add_criterion":
        updated["acceptance_criteria"].append(str(value))
    elif effect == "set_text_prefix":
        stripped = text.strip()
        updated["text"] = f"{value} {stripped[:1].lower()}{stripped[1:]}"
    elif effect == "replace_text":
        updated["text"] = str(value)
    return {code: updated} if updated != data else {}

"""The analyzer's plain data: what goes in (`RequirementInput`) and what comes out.

Scores follow the four quality heuristics of seed 000, each with the seed's threshold:

- testability (0-100, passes when > 80): the share of the requirement's *statements* that are
  measurable. The statements are its acceptance criteria when it has any (they are what gets
  tested), otherwise the sentences of its text. A statement is measurable when no finding of a
  testability-blocking category (`TESTABILITY_BLOCKERS`) lies in it; `missing_outcome` blocks
  every sentence of the text.
- ambiguity (count, passes when < 3): the number of findings of the ambiguity categories
  (`AMBIGUITY_CATEGORIES`) in the text and the criteria.
- dependencies (0-100, passes when == 100): the share of declared dependencies that are valid:
  well-formed codes, not the requirement itself, present in the project (when the project is
  known) and not part of a dependency cycle. No dependencies is 100.
- completeness (0-100, passes when > 90): scenario coverage as the share of these checks that
  hold: an actor, an outcome, a trigger (only counted when the behaviour needs one), acceptance
  criteria, at least one criterion covering a failure or edge case, and no placeholders.

Project scores: testability and completeness are the mean over requirements, ambiguity the mean
rounded half up, dependencies the share of valid dependency edges over the whole project.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

TESTABILITY_THRESHOLD = 80.0  # passes when strictly above
AMBIGUITY_THRESHOLD = 3  # passes when strictly below
DEPENDENCIES_THRESHOLD = 100.0  # passes when equal
COMPLETENESS_THRESHOLD = 90.0  # passes when strictly above

# Requirement-level categories, in the order reports list them.
TEXT_CATEGORIES = (
    "placeholder",
    "missing_metric",
    "non_verifiable",
    "loophole",
    "subjective_language",
    "ambiguous_adverb_adjective",
    "superlative",
    "comparative",
    "uncertain_verb",
    "vague_pronoun",
    "incomplete_reference",
    "negative_statement",
    "compound_requirement",
    "missing_actor",
    "missing_trigger",
    "missing_outcome",
    "missing_acceptance_criteria",
)
PROJECT_CATEGORIES = ("unknown_dependency", "dependency_cycle", "duplicate_requirement", "conflicting_requirements")

# Default severity per category. high: the requirement cannot be built or tested as written (an undecided value,
# an unmeasurable quality, an escape clause, a broken or contradictory project). medium: a tester or developer has to
# guess a meaning. low: style that makes requirements harder to verify but rarely changes what gets built.
SEVERITY = {
    "placeholder": "high",
    "missing_metric": "high",
    "non_verifiable": "high",
    "loophole": "high",
    "missing_outcome": "high",
    "subjective_language": "medium",
    "ambiguous_adverb_adjective": "medium",
    "superlative": "medium",
    "comparative": "medium",
    "uncertain_verb": "medium",
    "vague_pronoun": "medium",
    "incomplete_reference": "medium",
    "compound_requirement": "medium",
    "missing_acceptance_criteria": "medium",
    "missing_actor": "medium",  # low when only a passive verb hides the actor
    "missing_trigger": "low",
    "negative_statement": "low",
    "unknown_dependency": "high",
    "dependency_cycle": "high",
    "conflicting_requirements": "high",
    "duplicate_requirement": "medium",
}

# A statement with one of these cannot be turned into a pass/fail test as written.
TESTABILITY_BLOCKERS = frozenset(
    {
        "placeholder",
        "missing_metric",
        "non_verifiable",
        "loophole",
        "subjective_language",
        "ambiguous_adverb_adjective",
        "superlative",
        "comparative",
        "missing_outcome",
    }
)
# Terms a reader could take more than one way (seed 000: "vague language, multiple interpretations").
AMBIGUITY_CATEGORIES = frozenset(
    {
        "subjective_language",
        "ambiguous_adverb_adjective",
        "loophole",
        "non_verifiable",
        "superlative",
        "comparative",
        "uncertain_verb",
        "vague_pronoun",
        "incomplete_reference",
    }
)


@dataclass(frozen=True)
class RequirementInput:
    code: str
    text: str
    acceptance_criteria: tuple[str, ...] = ()  # Given/When/Then or EARS sentences
    dependencies: tuple[str, ...] = ()
    priority: str | None = None
    tags: tuple[str, ...] = ()
    title: str | None = None  # a short name ("Circuit breaker"); not analysed, the text is the requirement


@dataclass(frozen=True)
class Finding:
    """A problem at an exact span: `text == <field's text>[start:end]` (end exclusive)."""

    category: str
    start: int
    end: int
    text: str
    severity: str  # "high" | "medium" | "low"
    message: str
    suggestion: str
    field: str = "text"  # "text" or "acceptance_criteria[i]"


@dataclass(frozen=True)
class RequirementScores:
    testability: float
    ambiguity: int
    dependencies: float
    completeness: float

    def passed(self) -> dict[str, bool]:
        return {
            "testability": self.testability > TESTABILITY_THRESHOLD,
            "ambiguity": self.ambiguity < AMBIGUITY_THRESHOLD,
            "dependencies": self.dependencies >= DEPENDENCIES_THRESHOLD,
            "completeness": self.completeness > COMPLETENESS_THRESHOLD,
        }

    @property
    def meets_thresholds(self) -> bool:
        return all(self.passed().values())


@dataclass(frozen=True)
class RequirementAnalysis:
    code: str
    findings: tuple[Finding, ...]
    scores: RequirementScores


@dataclass(frozen=True)
class ProjectFinding:
    category: str
    codes: tuple[str, ...]
    severity: str
    message: str
    suggestion: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ProjectAnalysis:
    requirements: tuple[RequirementAnalysis, ...]
    findings: tuple[ProjectFinding, ...]
    scores: RequirementScores

    @property
    def meets_thresholds(self) -> bool:
        """The project scores pass and no high-severity project finding (cycle, unknown code, conflict) is left."""
        return self.scores.meets_thresholds and not any(f.severity == "high" for f in self.findings)

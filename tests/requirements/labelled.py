"""Scoring the analyzer against tests/requirements/data/labelled_requirements.yaml (our own labelled set)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from trellis.requirements.analysis import TEXT_CATEGORIES, RequirementInput, analyze_requirement

DATA = Path(__file__).parent / "data" / "labelled_requirements.yaml"
WHOLE = "*"
# Categories whose span is the whole requirement rather than words in it.
WHOLE_CATEGORIES = frozenset({"missing_actor", "missing_trigger", "missing_outcome", "missing_acceptance_criteria"})


def load_labelled() -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = yaml.safe_load(DATA.read_text(encoding="utf-8"))["requirements"]
    return entries


def expected_findings(entry: dict[str, Any]) -> Counter[tuple[str, str, str]]:
    """(field, category, span) for every expected finding; whole-requirement spans become the text itself."""
    expected: Counter[tuple[str, str, str]] = Counter()
    for category, spans in (entry.get("expect") or {}).items():
        for span in spans:
            expected["text", category, entry["text"] if span == WHOLE else span] += 1
    criteria = entry.get("criteria") or []
    for position, labels in enumerate(entry.get("expect_criteria") or []):
        for category, spans in (labels or {}).items():
            for span in spans:
                expected[
                    f"acceptance_criteria[{position}]", category, criteria[position] if span == WHOLE else span
                ] += 1
    return expected


def predicted_findings(entry: dict[str, Any]) -> Counter[tuple[str, str, str]]:
    requirement = RequirementInput(entry["id"], entry["text"], tuple(entry.get("criteria") or ()))
    predicted: Counter[tuple[str, str, str]] = Counter()
    for finding in analyze_requirement(requirement).findings:
        source = requirement.text if finding.field == "text" else requirement.acceptance_criteria[_index(finding.field)]
        assert finding.text == source[finding.start : finding.end], finding  # spans must be exact
        predicted[finding.field, finding.category, finding.text] += 1
    return predicted


def _index(field_name: str) -> int:
    return int(field_name.split("[", 1)[1].rstrip("]"))


@dataclass
class Tally:
    true_positives: Counter[str] = field(default_factory=Counter)
    false_positives: Counter[str] = field(default_factory=Counter)
    false_negatives: Counter[str] = field(default_factory=Counter)
    mistakes: list[str] = field(default_factory=list)

    def precision(self, category: str | None = None) -> float:
        tp = self._sum(self.true_positives, category)
        fp = self._sum(self.false_positives, category)
        return tp / (tp + fp) if tp + fp else 1.0

    def recall(self, category: str | None = None) -> float:
        tp = self._sum(self.true_positives, category)
        fn = self._sum(self.false_negatives, category)
        return tp / (tp + fn) if tp + fn else 1.0

    @staticmethod
    def _sum(counter: Counter[str], category: str | None) -> int:
        if category is None:
            return sum(counter.values())
        if category == "span categories":
            return sum(n for c, n in counter.items() if c not in WHOLE_CATEGORIES)
        return counter[category]

    def table(self) -> str:
        rows = [f"{'category':<30} {'TP':>4} {'FP':>4} {'FN':>4} {'precision':>9} {'recall':>7}"]
        for category in [*TEXT_CATEGORIES, "span categories", None]:
            tp = self._sum(self.true_positives, category)
            fp = self._sum(self.false_positives, category)
            fn = self._sum(self.false_negatives, category)
            if category in TEXT_CATEGORIES and not (tp or fp or fn):
                continue
            rows.append(
                f"{category or 'all':<30} {tp:>4} {fp:>4} {fn:>4} "
                f"{self.precision(category):>9.3f} {self.recall(category):>7.3f}"
            )
        return "\n".join(rows)


def evaluate(entries: list[dict[str, Any]]) -> Tally:
    tally = Tally()
    for entry in entries:
        expected, predicted = expected_findings(entry), predicted_findings(entry)
        for key in expected | predicted:
            category = key[1]
            hit = min(expected[key], predicted[key])
            tally.true_positives[category] += hit
            if predicted[key] > hit:
                tally.false_positives[category] += predicted[key] - hit
                tally.mistakes.append(f"FP {entry['id']}: {key[1]} {key[2]!r} ({key[0]})")
            if expected[key] > hit:
                tally.false_negatives[category] += expected[key] - hit
                tally.mistakes.append(f"FN {entry['id']}: {key[1]} {key[2]!r} ({key[0]})")
    return tally

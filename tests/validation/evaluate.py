"""Tracing quality on our own labelled repositories: precision, recall, F1 (linked decisions) and MAP (ranking).

    .venv/bin/python tests/validation/evaluate.py

The fixtures and their answer sets (tests/validation/fixtures/*/answers.json) were written by the same person who
tuned the tracing constants, so these figures are optimistic; they guard against regressions, they do not predict
results on unseen systems. envload and retrykit (laid out like python-dotenv and tenacity) also have statuses.json,
the status each requirement should get.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from trellis.requirements.formats import parse_requirements
from trellis.validation.engine import validate_repository

FIXTURES = Path(__file__).parent / "fixtures"


@dataclass
class Counts:
    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0
    average_precisions: list[float] = field(default_factory=list)
    statuses_right: int = 0  # against statuses.json, where a fixture has one
    statuses_total: int = 0

    def add(self, other: Counts) -> None:
        self.true_positives += other.true_positives
        self.false_positives += other.false_positives
        self.false_negatives += other.false_negatives
        self.average_precisions.extend(other.average_precisions)
        self.statuses_right += other.statuses_right
        self.statuses_total += other.statuses_total

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 0.0

    @property
    def recall(self) -> float:
        expected = self.true_positives + self.false_negatives
        return self.true_positives / expected if expected else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def mean_average_precision(self) -> float:
        values = self.average_precisions
        return sum(values) / len(values) if values else 0.0


def average_precision(ranked: list[str], relevant: set[str]) -> float:
    hits, total = 0, 0.0
    for rank, path in enumerate(ranked, start=1):
        if path in relevant:
            hits += 1
            total += hits / rank
    return total / len(relevant) if relevant else 0.0


def evaluate_fixture(directory: Path) -> Counts:
    requirements = parse_requirements((directory / "requirements.json").read_text(), format="json")
    answers: dict[str, list[str]] = json.loads((directory / "answers.json").read_text())
    status_file = directory / "statuses.json"
    statuses: dict[str, str] = json.loads(status_file.read_text()) if status_file.exists() else {}
    report = validate_repository(directory, requirements).as_dict()
    counts = Counts()
    for requirement in report["requirements"]:
        relevant = set(answers.get(requirement["code"], []))
        linked = {link["path"] for link in requirement["links"] if link["linked"]}
        counts.true_positives += len(linked & relevant)
        counts.false_positives += len(linked - relevant)
        counts.false_negatives += len(relevant - linked)
        if requirement["code"] in statuses:
            counts.statuses_total += 1
            counts.statuses_right += statuses[requirement["code"]] == requirement["status"]
        if relevant:
            counts.average_precisions.append(
                average_precision([link["path"] for link in requirement["links"]], relevant)
            )
    return counts


def evaluate_all() -> dict[str, Counts]:
    return {
        directory.name: evaluate_fixture(directory) for directory in sorted(FIXTURES.iterdir()) if directory.is_dir()
    }


def main() -> None:
    overall = Counts()
    print(f"{'repository':<12} {'precision':>9} {'recall':>7} {'F1':>6} {'MAP':>6} {'statuses':>9}")
    for name, counts in evaluate_all().items():
        overall.add(counts)
        print(
            f"{name:<12} {counts.precision:>9.3f} {counts.recall:>7.3f} {counts.f1:>6.3f} "
            f"{counts.mean_average_precision:>6.3f} {_statuses(counts):>9}"
        )
    print(
        f"{'all (micro)':<12} {overall.precision:>9.3f} {overall.recall:>7.3f} {overall.f1:>6.3f} "
        f"{overall.mean_average_precision:>6.3f} {_statuses(overall):>9}"
    )


def _statuses(counts: Counts) -> str:
    return f"{counts.statuses_right}/{counts.statuses_total}" if counts.statuses_total else "-"


if __name__ == "__main__":
    sys.exit(main())

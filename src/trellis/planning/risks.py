"""Risks per task and for the plan, as probability x impact with seed 000's named factors. Pure.

Seed 000's planning table names the factors: dependency complexity, team experience, technology unknowns,
integration points, testing complexity, review requirements, external dependencies, resource availability. A risk
is raised only when the requirement or the plan shows the evidence for it (the mitigation says what to do about
that evidence); Trellis has no data on the team, so `team_experience` is never guessed. `unclear_requirements`
comes from unresolved findings of the requirements analysis.
"""

from __future__ import annotations

from collections.abc import Sequence

from trellis.planning.profile import Profile
from trellis.planning.types import Risk

FACTORS = (
    "dependency_complexity",
    "team_experience",
    "technology_unknowns",
    "integration_points",
    "testing_complexity",
    "review_requirements",
    "external_dependencies",
    "resource_availability",
    "unclear_requirements",
)


def _words(found: Sequence[str]) -> str:
    return ", ".join(f"'{w}'" for w in found[:4])


def task_risks(profile: Profile, *, kind: str, depends_on: int) -> tuple[Risk, ...]:
    """The risks of building (or verifying) one requirement."""
    risks: list[Risk] = []
    if kind == "verify":
        if not profile.tests:
            risks.append(
                Risk(
                    "testing_complexity",
                    0.3,
                    0.4,
                    f"No test is linked to {profile.code}: write one per acceptance criterion before calling it done.",
                )
            )
        return tuple(risks)
    edges = max(len(profile.dependencies), depends_on)
    if edges >= 2:
        risks.append(
            Risk(
                "dependency_complexity",
                round(min(0.8, 0.2 + 0.1 * edges), 2),
                0.5,
                f"Builds on {', '.join(profile.dependencies) or f'{edges} tasks'}: agree their interfaces first and "
                "test against them, not against assumptions.",
            )
        )
    if profile.unclear:
        risks.append(
            Risk(
                "unclear_requirements",
                round(min(0.9, 0.3 + 0.15 * len(profile.unclear)), 2),
                0.6,
                f"Unresolved findings ({', '.join(profile.unclear)}): its research task answers them first; plan "
                "again after the answers so this task carries the new version.",
            )
        )
    if profile.performance:
        risks.append(
            Risk(
                "testing_complexity",
                0.4,
                0.5,
                "Timings vary between machines and runs: measure a baseline in the same run (e.g. the same call "
                "without the feature) and compare medians of repeated runs, not one timing.",
            )
        )
    elif profile.status == "missing" and not profile.related:
        risks.append(
            Risk(
                "technology_unknowns",
                0.4,
                0.5,
                "No existing code relates to it: spike the approach first and keep the first version small.",
            )
        )
    elif profile.status == "partial" and len(profile.missing_terms) >= 3:
        risks.append(
            Risk(
                "technology_unknowns",
                0.3,
                0.4,
                f"Parts are missing from the linked code ({_words(profile.missing_terms)}): confirm what exists first.",
            )
        )
    if profile.integration and profile.dependencies:
        risks.append(
            Risk(
                "integration_points",
                0.4,
                0.6,
                f"Connects to other parts ({_words(profile.integration)}): add an end-to-end test across them.",
            )
        )
    if profile.external:
        risks.append(
            Risk(
                "external_dependencies",
                0.35,
                0.7,
                f"Relies on an outside service ({_words(profile.external)}): stand it in with a local fake in tests "
                "and handle its timeouts and errors.",
            )
        )
    if profile.security:
        risks.append(
            Risk(
                "review_requirements",
                0.3,
                0.8,
                f"Security-sensitive ({_words(profile.security)}): needs a second reviewer before it ships.",
            )
        )
    if len(profile.criteria) >= 4:
        risks.append(
            Risk(
                "testing_complexity",
                round(min(0.7, 0.1 * len(profile.criteria)), 2),
                0.4,
                f"{len(profile.criteria)} acceptance criteria to cover: one test per criterion, edge cases included.",
            )
        )
    return tuple(risks)


def plan_risks(critical_hours: float, total_hours: float, critical_length: int) -> tuple[Risk, ...]:
    """Plan-wide: when most of the effort sits on one chain, people cannot be added to finish sooner."""
    if total_hours <= 0 or critical_length < 3:
        return ()
    share = critical_hours / total_hours
    if share < 0.5:
        return ()
    return (
        Risk(
            "resource_availability",
            round(min(0.8, share), 2),
            0.6,
            f"{share:.0%} of the effort is on one chain of {critical_length} dependent tasks: whoever owns it is the "
            "bottleneck; keep them free of other work and split the longest tasks.",
        ),
    )


def exposure(risks: Sequence[Risk]) -> float:
    return round(sum(r.score for r in risks), 4)

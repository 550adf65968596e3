"""Effort: story points from complexity, and a Monte Carlo simulation of hours with P50/P85. Pure and seeded.

Each task's hours are drawn from a triangular distribution around its likely value: the optimistic end is 70% of
it, the pessimistic end grows with complexity and with the task's risk exposure (sum of probability x impact), so
a complex, risky task has a long right tail. Every task draws from its own generator seeded with (seed, task key),
so a task's estimate does not change when an unrelated task is added, and the same inputs always give the same
figures. The plan's totals are percentiles of the summed effort over the same trials, not sums of percentiles.
"""

from __future__ import annotations

import math
import operator
import random
from collections.abc import Sequence
from dataclasses import dataclass

from trellis.planning.types import Estimate

# Complexity 1..10 to Fibonacci story points.
POINTS = {1: 1, 2: 1, 3: 2, 4: 3, 5: 5, 6: 5, 7: 8, 8: 8, 9: 13, 10: 13}
HOURS_PER_POINT = 4.0  # without a team's historical velocity (seed 000), a point is half a working day
SAMPLES = 1000
OPTIMISTIC = 0.7


@dataclass(frozen=True)
class EffortInput:
    key: str  # stable across plan versions: seeds the task's generator
    complexity: int
    risk_exposure: float  # sum of the task's risk scores


def story_points(complexity: int) -> int:
    return POINTS[max(1, min(10, complexity))]


def pessimistic_factor(complexity: int, risk_exposure: float) -> float:
    return 1.4 + 0.1 * complexity + min(risk_exposure, 1.5)


def _triangular(rng: random.Random, samples: int, low: float, mode: float, high: float) -> list[float]:
    """`samples` draws by the inverse CDF (what random.triangular does, without its per-call overhead)."""
    span = high - low
    cut = (mode - low) / span
    left, right = span * (mode - low), span * (high - mode)
    uniforms = [rng.random() for _ in range(samples)]
    return [low + math.sqrt(u * left) if u < cut else high - math.sqrt((1.0 - u) * right) for u in uniforms]


def _percentile(ordered: Sequence[float], share: float) -> float:
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def estimate(
    items: Sequence[EffortInput], *, seed: int = 0, samples: int = SAMPLES, hours_per_point: float = HOURS_PER_POINT
) -> tuple[dict[str, Estimate], float, float]:
    """Per-task estimates by key, and the total effort's P50 and P85 in hours."""
    totals = [0.0] * samples
    estimates: dict[str, Estimate] = {}
    for item in items:
        points = story_points(item.complexity)
        likely = points * hours_per_point
        low, high = likely * OPTIMISTIC, likely * pessimistic_factor(item.complexity, item.risk_exposure)
        rng = random.Random(f"{seed}:{item.key}")  # noqa: S311 - a simulation, not security: reproducible on purpose
        draws = _triangular(rng, samples, low, likely, high)
        totals = list(map(operator.add, totals, draws))
        draws.sort()
        estimates[item.key] = Estimate(
            story_points=points,
            hours_likely=round(likely, 1),
            p50_hours=round(_percentile(draws, 0.5), 1),
            p85_hours=round(_percentile(draws, 0.85), 1),
        )
    totals.sort()
    if not items:
        return estimates, 0.0, 0.0
    return estimates, round(_percentile(totals, 0.5), 1), round(_percentile(totals, 0.85), 1)

"""The plan a template preview renders against when no project is given: made by the real planner, so every
variable a template can use is there with realistic values."""

from __future__ import annotations

from functools import lru_cache

from trellis.planning.planner import PlanInput, plan_project
from trellis.planning.types import Plan

SAMPLE_REQUIREMENTS = (
    PlanInput(
        "REQ-1",
        "Users sign in with email and password; five failed attempts lock the account for 15 minutes.",
        ("Given five failed sign-ins, when the user tries again within 15 minutes, then sign-in is refused.",),
    ),
    PlanInput(
        "REQ-2",
        "Signed-in users export their orders as CSV with the columns id, date and total.",
        ("Given two orders, when the user exports them, then the CSV has a header row and two rows.",),
        ("REQ-1",),
    ),
    PlanInput(
        "REQ-3",
        "The export API endpoint returns 429 when a user requests more than 10 exports a minute.",
        ("Given 10 exports in the last minute, when the user asks for another, then the response is 429.",),
        ("REQ-2",),
    ),
)


@lru_cache(maxsize=1)
def sample_plan() -> Plan:
    return plan_project(list(SAMPLE_REQUIREMENTS), None, None, seed=0)

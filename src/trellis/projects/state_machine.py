"""The project pipeline's states and transitions (seed 000), as data. Pure: no database.

Guards that need data (a connected repository, a validation score) are named here and
evaluated by the service, which knows where that data lives.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import StrEnum


class ProjectStatus(StrEnum):
    DRAFT = "DRAFT"
    REQS_REFINING = "REQS_REFINING"
    REQS_READY = "REQS_READY"
    CODE_VALIDATION_REQUESTED = "CODE_VALIDATION_REQUESTED"
    CODE_VALIDATING = "CODE_VALIDATING"
    CODE_VALIDATED = "CODE_VALIDATED"
    PLAN_READY = "PLAN_READY"
    PLANNING = "PLANNING"
    PROMPTS_READY = "PROMPTS_READY"
    EXECUTING = "EXECUTING"
    DONE = "DONE"
    BLOCKED = "BLOCKED"


class Guard(StrEnum):
    HAS_REQUIREMENTS = "has_requirements"
    QUALITY_THRESHOLDS = "quality_thresholds"  # or the Q&A round cap forced completion, or force=true
    REPOSITORY_CONNECTED = "repository_connected"
    VALIDATION_SCORE = "validation_score_above_70"
    PLAN_COMPLETE = "plan_complete"
    PROMPTS_GENERATED = "prompts_generated"
    TASKS_DONE = "tasks_done"


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[ProjectStatus]
    target: ProjectStatus
    guards: tuple[Guard, ...] = ()
    description: str = ""


S = ProjectStatus
_ACTIVE = frozenset(S) - {S.DONE, S.BLOCKED}

TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        "initialize_requirements",
        frozenset({S.DRAFT}),
        S.REQS_REFINING,
        (Guard.HAS_REQUIREMENTS,),
        "Start refining the requirements (opens a Q&A session).",
    ),
    Transition(
        "finalize_requirements",
        frozenset({S.REQS_REFINING}),
        S.REQS_READY,
        (Guard.QUALITY_THRESHOLDS,),
        "Declare the requirements ready.",
    ),
    Transition("reopen_requirements", frozenset({S.REQS_READY}), S.REQS_REFINING, (), "Go back to refining."),
    Transition(
        "request_validation",
        frozenset({S.REQS_READY}),
        S.CODE_VALIDATION_REQUESTED,
        (Guard.REPOSITORY_CONNECTED,),
        "Check the connected repository against the requirements.",
    ),
    Transition(
        "start_validation",
        frozenset({S.CODE_VALIDATION_REQUESTED}),
        S.CODE_VALIDATING,
        (),
        "Code validation has started (set by the validation job).",
    ),
    Transition(
        "complete_validation",
        frozenset({S.CODE_VALIDATING}),
        S.CODE_VALIDATED,
        (),
        "Code validation has finished (set by the validation job).",
    ),
    Transition(
        "approve_validation",
        frozenset({S.CODE_VALIDATED}),
        S.PLAN_READY,
        (Guard.VALIDATION_SCORE,),
        "Accept the validation results and move on to planning.",
    ),
    Transition("start_planning", frozenset({S.PLAN_READY}), S.PLANNING, (), "Plan the work."),
    Transition(
        "generate_prompts",
        frozenset({S.PLAN_READY, S.PLANNING}),
        S.PROMPTS_READY,
        (Guard.PLAN_COMPLETE,),
        "Write the prompts for each planned task.",
    ),
    Transition(
        "begin_execution",
        frozenset({S.PROMPTS_READY}),
        S.EXECUTING,
        (Guard.PROMPTS_GENERATED,),
        "Start executing the tasks.",
    ),
    Transition(
        "complete_execution",
        frozenset({S.EXECUTING}),
        S.DONE,
        (Guard.TASKS_DONE,),
        "Every task is done and its Definition of Done verified.",
    ),
    Transition("block", _ACTIVE, S.BLOCKED, (), "Stop: something needs attention."),
    Transition("restart_refinement", frozenset({S.BLOCKED}), S.REQS_REFINING, (), "Unblock into refining."),
    Transition(
        "retry_validation",
        frozenset({S.BLOCKED}),
        S.CODE_VALIDATION_REQUESTED,
        (Guard.REPOSITORY_CONNECTED,),
        "Unblock into code validation.",
    ),
    Transition("revise_plan", frozenset({S.BLOCKED}), S.PLANNING, (), "Unblock into planning."),
)
_BY_ACTION = {transition.action: transition for transition in TRANSITIONS}

# Seed 000's own example uses Spanish ("finalizar"); these names work as well as the English ones.
ACTION_ALIASES: dict[str, str] = {
    "finalizar": "finalize_requirements",
    "finalize": "finalize_requirements",
    "iniciar": "initialize_requirements",
    "start_refinement": "initialize_requirements",
    "refinar": "initialize_requirements",
    "reabrir": "reopen_requirements",
    "solicitar_validacion": "request_validation",
    "validar": "request_validation",
    "aprobar_validacion": "approve_validation",
    "planificar": "start_planning",
    "generar_prompts": "generate_prompts",
    "ejecutar": "begin_execution",
    "completar": "complete_execution",
    "bloquear": "block",
    "desbloquear": "restart_refinement",
}


def canonical_action(name: str) -> str | None:
    """The English action for `name` (case, accents and dashes ignored), or None."""
    folded = "".join(c for c in unicodedata.normalize("NFKD", name.strip().lower()) if not unicodedata.combining(c))
    folded = folded.replace("-", "_").replace(" ", "_")
    if folded in _BY_ACTION:
        return folded
    return ACTION_ALIASES.get(folded)


def transition_for(action: str) -> Transition | None:
    canonical = canonical_action(action)
    return _BY_ACTION.get(canonical) if canonical else None


def allowed_actions(status: ProjectStatus) -> list[str]:
    return [t.action for t in TRANSITIONS if status in t.sources]

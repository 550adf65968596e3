"""Q&A refinement rounds: questions from findings, answers as new requirement versions, re-analysis."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from trellis.audit import service as audit_service
from trellis.core.db import utcnow
from trellis.core.errors import Conflict, InvalidInput, NotFound
from trellis.projects.state_machine import ProjectStatus
from trellis.refinement.models import QaAnswer, QaQuestion, QaSession
from trellis.refinement.questions import apply_answer, draft_questions, finding_key
from trellis.requirements import service as requirements_service
from trellis.requirements.analysis import ProjectAnalysis
from trellis.requirements.models import Requirement

if TYPE_CHECKING:
    from trellis.projects.service import ProjectAccess

DEFAULT_MAX_QUESTIONS = 5
DEFAULT_MAX_ROUNDS = 10  # seed 000: 1-10 rounds, the guard rail against endless refinement


class QuestionNotFound(NotFound):
    code = "question_not_found"


class RefinementNotOpen(Conflict):
    code = "refinement_not_open"


@dataclass(frozen=True)
class AnswerInput:
    question_id: uuid.UUID
    option_id: str | None = None
    answer: str | None = None


@dataclass
class RefineOutcome:
    session: QaSession
    questions: list[QaQuestion]
    analysis: ProjectAnalysis
    applied: list[dict[str, Any]] = field(default_factory=list)


def ensure_open_session(db_session: Session, *, project_id: uuid.UUID) -> QaSession:
    session = _open_session(db_session, project_id)
    if session is None:
        session = QaSession(project_id=project_id, status="open", round_number=0, context={"rounds": [], "kept": []})
        db_session.add(session)
        db_session.flush()
    return session


def _open_session(db_session: Session, project_id: uuid.UUID) -> QaSession | None:
    return db_session.scalar(select(QaSession).where(QaSession.project_id == project_id, QaSession.status == "open"))


def completion_was_forced(db_session: Session, *, project_id: uuid.UUID) -> bool:
    latest = db_session.scalar(
        select(QaSession.status).where(QaSession.project_id == project_id).order_by(QaSession.created_at.desc())
    )
    return latest == "forced"


def refine(
    db_session: Session,
    *,
    target: ProjectAccess,
    answers: list[AnswerInput],
    max_questions: int = DEFAULT_MAX_QUESTIONS,
    max_rounds: int = DEFAULT_MAX_ROUNDS,
) -> RefineOutcome:
    """Apply the answers, re-analyse, and open the next round (or end the session)."""
    from trellis.projects import service as projects_service  # projects calls into this module too

    project = target.project
    if project.status == ProjectStatus.DRAFT:
        projects_service.apply_transition(db_session, target=target, action="initialize_requirements")
    elif project.status != ProjectStatus.REQS_REFINING:
        raise RefinementNotOpen(
            f"Refinement runs while a project is DRAFT or REQS_REFINING; this one is {project.status}. "
            "Reopen it with the gateway action reopen_requirements.",
            status=project.status,
        )
    session = ensure_open_session(db_session, project_id=project.id)
    # Loaded once: each answer edits these rows in place, so later answers see earlier ones.
    requirements = {r.code: r for r in requirements_service.list_requirements(db_session, project_id=project.id)}
    applied = [
        _apply(db_session, target=target, session=session, answer=answer, requirements=requirements)
        for answer in answers
    ]
    analysis = requirements_service.analyze_project(db_session, project_id=project.id)
    current_round = _round_questions(db_session, session)
    for question in current_round:
        if question.status == "open" and not _still_found(question, analysis):
            question.status = "obsolete"  # another answer already fixed it
    open_questions = [q for q in current_round if q.status == "open"]
    if not open_questions:
        open_questions = _next_round(
            db_session,
            target=target,
            session=session,
            analysis=analysis,
            max_questions=max_questions,
            max_rounds=max_rounds,
        )
    return RefineOutcome(session, open_questions, analysis, applied)


def _apply(
    db_session: Session,
    *,
    target: ProjectAccess,
    session: QaSession,
    answer: AnswerInput,
    requirements: dict[str, Requirement],
) -> dict[str, Any]:
    question = db_session.get(QaQuestion, answer.question_id)
    if question is None or question.session_id != session.id:
        raise QuestionNotFound(f"Question {answer.question_id} is not part of this project's open session.")
    if question.status != "open":
        raise Conflict(f"Question {question.id} is already {question.status}.", code="question_closed")
    option = next((o for o in question.options if o["id"] == answer.option_id), None)
    if answer.option_id is not None and option is None:
        choices = ", ".join(o["id"] for o in question.options)
        raise InvalidInput(
            f"Question {question.id} has no option {answer.option_id!r} (choose {choices}).", code="invalid_option"
        )
    free_effect = question.finding.get("free_answer_effect")
    if option is None and not (answer.answer and answer.answer.strip() and free_effect):
        raise InvalidInput(
            f"Answer question {question.id} with option_id" + (" or a non-empty answer." if free_effect else "."),
            code="answer_required",
        )
    changes = apply_answer(
        {code: r.data for code, r in requirements.items()},
        {"requirement_code": question.requirement_code, "finding": question.finding, "free_answer_effect": free_effect},
        option,
        answer.answer,
    )
    record = QaAnswer(
        question_id=question.id, option_id=answer.option_id, answer=answer.answer, created_by=target.access.user_id
    )
    db_session.add(record)
    db_session.flush()
    versions = {}
    for code, data in changes.items():
        versions[code] = requirements_service.set_requirement_data(
            db_session,
            requirement=requirements[code],
            data=data,
            source="refinement",
            source_ref=str(record.id),
            user_id=target.access.user_id,
        )
    record.applied_version = versions.get(question.requirement_code)
    if not changes:  # kept as it is: never ask about this finding again in this session
        session.context = {**session.context, "kept": [*session.context.get("kept", []), _key(question)]}
    question.status = "answered"
    audit_service.record(
        db_session,
        action="refinement.answered",
        user_id=target.access.user_id,
        workspace_id=target.project.workspace_id,
        resource_type="project",
        resource_id=target.project.id,
        metadata={
            "question_id": str(question.id),
            "requirement": question.requirement_code,
            "category": question.category,
            "kept": not changes,
            "versions": versions,
        },
    )
    return {
        "question_id": str(question.id),
        "requirement_code": question.requirement_code,
        "versions": versions,
        "kept": not changes,
    }


def _key(question: QaQuestion) -> str:
    return finding_key(question.requirement_code, question.category, str(question.finding.get("text", "")))


def _still_found(question: QaQuestion, analysis: ProjectAnalysis) -> bool:
    for result in analysis.requirements:
        if result.code == question.requirement_code:
            return any(
                f.category == question.category and f.text == question.finding.get("text") for f in result.findings
            )
    return any(f.category == question.category and question.requirement_code in f.codes for f in analysis.findings)


def _round_questions(db_session: Session, session: QaSession) -> list[QaQuestion]:
    return list(
        db_session.scalars(
            select(QaQuestion)
            .where(QaQuestion.session_id == session.id, QaQuestion.round_number == session.round_number)
            .order_by(QaQuestion.rank)
        )
    )


def _next_round(
    db_session: Session,
    *,
    target: ProjectAccess,
    session: QaSession,
    analysis: ProjectAnalysis,
    max_questions: int,
    max_rounds: int,
) -> list[QaQuestion]:
    history = list(session.context.get("rounds", []))
    if session.round_number:
        history[-1] = {**history[-1], "scores_after": _scores(analysis), "findings_after": _count(analysis)}
    requirements = {
        r.code: requirements_service.to_input(r.code, r.data)
        for r in requirements_service.list_requirements(db_session, project_id=target.project.id)
    }
    drafts = (
        []
        if analysis.meets_thresholds
        else draft_questions(
            analysis, requirements, kept=frozenset(session.context.get("kept", [])), limit=max_questions
        )
    )
    if not drafts or session.round_number >= max_rounds:
        # "forced": the round cap ended it, or every open finding was kept, short of the thresholds.
        session.status = "completed" if analysis.meets_thresholds else "forced"
        session.completed_at = utcnow()
        session.context = {**session.context, "rounds": history, "remaining_findings": _remaining(analysis)}
        audit_service.record(
            db_session,
            action=f"refinement.{session.status}",
            user_id=target.access.user_id,
            workspace_id=target.project.workspace_id,
            resource_type="project",
            resource_id=target.project.id,
            metadata={"rounds": session.round_number, "findings_left": _count(analysis)},
        )
        return []
    session.round_number += 1
    history.append(
        {
            "round": session.round_number,
            "scores_before": _scores(analysis),
            "findings_before": _count(analysis),
            "questions": len(drafts),
        }
    )
    session.context = {**session.context, "rounds": history}
    questions = []
    for rank, draft in enumerate(drafts, start=1):
        question = QaQuestion(
            session_id=session.id,
            round_number=session.round_number,
            rank=rank,
            requirement_code=draft.requirement_code,
            category=draft.category,
            question=draft.question,
            finding={**draft.finding, "free_answer_effect": draft.free_answer_effect},
            options=[option.as_dict() for option in draft.options],
            recommended_option=draft.recommended,
            allows_free_answer=draft.free_answer_effect is not None,
            impact=round(draft.impact, 3),
            uncertainty=round(draft.uncertainty, 3),
        )
        db_session.add(question)
        questions.append(question)
    db_session.flush()
    return questions


def _scores(analysis: ProjectAnalysis) -> dict[str, Any]:
    return requirements_service.scores_as_dict(analysis.scores)


def _count(analysis: ProjectAnalysis) -> int:
    return sum(len(r.findings) for r in analysis.requirements) + len(analysis.findings)


def _remaining(analysis: ProjectAnalysis) -> list[dict[str, Any]]:
    left: list[dict[str, Any]] = [
        {"code": r.code, "category": f.category, "text": f.text} for r in analysis.requirements for f in r.findings
    ]
    left += [{"codes": list(f.codes), "category": f.category, "message": f.message} for f in analysis.findings]
    return left


def list_sessions(db_session: Session, *, project_id: uuid.UUID) -> list[tuple[QaSession, list[QaQuestion]]]:
    sessions = list(
        db_session.scalars(
            select(QaSession).where(QaSession.project_id == project_id).order_by(QaSession.created_at.desc())
        )
    )
    result = []
    for session in sessions:
        questions = list(
            db_session.scalars(
                select(QaQuestion)
                .where(QaQuestion.session_id == session.id)
                .order_by(QaQuestion.round_number, QaQuestion.rank)
            )
        )
        result.append((session, questions))
    return result


def answers_for(db_session: Session, *, question_ids: list[uuid.UUID]) -> dict[uuid.UUID, QaAnswer]:
    rows = db_session.scalars(select(QaAnswer).where(QaAnswer.question_id.in_(question_ids)))
    return {row.question_id: row for row in rows}

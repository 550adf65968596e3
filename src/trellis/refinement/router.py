"""`POST /projects/{id}/refine` (answer and get the next questions) and `GET /projects/{id}/qa-sessions`."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from sqlalchemy.orm import Session

from trellis.auth.dependencies import CurrentPrincipal
from trellis.core.db import Db, ReadDb
from trellis.projects import service as projects_service
from trellis.refinement import service
from trellis.refinement.models import QaAnswer, QaQuestion, QaSession
from trellis.refinement.schemas import (
    OptionRead,
    QuestionRead,
    RefineRequest,
    RefineResponse,
    SessionList,
    SessionRead,
)
from trellis.requirements import service as requirements_service
from trellis.workspaces.permissions import Permission

router = APIRouter(tags=["refinement"])


def question_read(question: QaQuestion, answer: QaAnswer | None = None) -> QuestionRead:
    return QuestionRead(
        id=question.id,
        round=question.round_number,
        rank=question.rank,
        requirement_code=question.requirement_code,
        category=question.category,
        question=question.question,
        finding={k: v for k, v in question.finding.items() if k != "free_answer_effect"},
        options=[OptionRead(**option) for option in question.options],
        recommended_option=question.recommended_option,
        allows_free_answer=question.allows_free_answer,
        impact=question.impact,
        uncertainty=question.uncertainty,
        status=question.status,
        answer={"option_id": answer.option_id, "answer": answer.answer, "applied_version": answer.applied_version}
        if answer
        else None,
    )


def session_read(session: QaSession, questions: list[QuestionRead] | None = None) -> SessionRead:
    return SessionRead(
        id=session.id,
        status=session.status,
        round=session.round_number,
        created_at=session.created_at,
        completed_at=session.completed_at,
        rounds=session.context.get("rounds", []),
        remaining_findings=session.context.get("remaining_findings"),
        questions=questions or [],
    )


@router.post("/projects/{project_id}/refine", response_model=RefineResponse)
async def refine(project_id: uuid.UUID, body: RefineRequest, principal: CurrentPrincipal, db: Db) -> RefineResponse:
    """Open or continue refinement: answers become new requirement versions, then the next round's questions
    (ranked by impact x uncertainty) come back; the session ends when the thresholds are met or the round cap
    forces completion. Then finalize with the gateway (`finalize_requirements`, or seed 000's `finalizar`)."""
    answers = [service.AnswerInput(a.question_id, a.option_id, a.answer) for a in body.answers]

    def run(s: Session) -> RefineResponse:
        target = projects_service.load_project(
            s, principal=principal, project_id=project_id, permission=Permission.WRITE
        )
        outcome = service.refine(
            s, target=target, answers=answers, max_questions=body.max_questions, max_rounds=body.max_rounds
        )
        findings = sum(len(r.findings) for r in outcome.analysis.requirements) + len(outcome.analysis.findings)
        if outcome.session.status == "open":
            next_step = "Answer the questions: POST this endpoint with answers [{question_id, option_id | answer}]."
        else:
            next_step = (
                "Refinement is " + outcome.session.status + ": move the project on with the gateway, "
                '{"action": "finalize_requirements"} (or "finalizar").'
            )
        return RefineResponse(
            session=session_read(outcome.session),
            questions=[question_read(q) for q in outcome.questions],
            applied=outcome.applied,
            scores=requirements_service.scores_as_dict(outcome.analysis.scores),
            meets_thresholds=outcome.analysis.meets_thresholds,
            findings=findings,
            project_status=target.project.status,
            next_step=next_step,
        )

    return await db.run(run)


@router.get("/projects/{project_id}/qa-sessions", response_model=SessionList)
async def qa_sessions(project_id: uuid.UUID, principal: CurrentPrincipal, db: ReadDb) -> SessionList:
    def load(s: Session) -> SessionList:
        projects_service.load_project(s, principal=principal, project_id=project_id, permission=Permission.READ)
        sessions = service.list_sessions(s, project_id=project_id)
        answers = service.answers_for(s, question_ids=[q.id for _, questions in sessions for q in questions])
        items = [
            session_read(session, [question_read(q, answers.get(q.id)) for q in questions])
            for session, questions in sessions
        ]
        return SessionList(items=items, total=len(items))

    return await db.run(load)

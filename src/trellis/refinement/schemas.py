from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, model_validator


class AnswerIn(BaseModel):
    question_id: uuid.UUID
    option_id: str | None = Field(None, max_length=20)
    answer: str | None = Field(None, max_length=10_000, description="A free answer, where the question allows one.")

    @model_validator(mode="after")
    def _one_of(self) -> AnswerIn:
        if self.option_id is None and not (self.answer and self.answer.strip()):
            raise ValueError("give option_id or answer")
        return self


class RefineRequest(BaseModel):
    answers: list[AnswerIn] = Field(default_factory=list, max_length=100)
    max_questions: int = Field(5, ge=1, le=20, description="Questions per round.")
    max_rounds: int = Field(10, ge=1, le=10, description="Round cap; reaching it forces completion (seed 000).")
    request_id: str | None = Field(None, max_length=128)


class OptionRead(BaseModel):
    id: str
    label: str
    effect: str
    value: str | None


class QuestionRead(BaseModel):
    id: uuid.UUID
    round: int
    rank: int
    requirement_code: str
    category: str
    question: str
    finding: dict[str, Any]
    options: list[OptionRead]
    recommended_option: str | None
    allows_free_answer: bool
    impact: float
    uncertainty: float
    status: str
    answer: dict[str, Any] | None = None


class SessionRead(BaseModel):
    id: uuid.UUID
    status: str
    round: int
    created_at: datetime
    completed_at: datetime | None
    rounds: list[dict[str, Any]]
    remaining_findings: list[dict[str, Any]] | None = None
    questions: list[QuestionRead] = Field(default_factory=list)


class RefineResponse(BaseModel):
    session: SessionRead
    questions: list[QuestionRead]
    applied: list[dict[str, Any]]
    scores: dict[str, Any]
    meets_thresholds: bool
    findings: int
    project_status: str
    next_step: str


class SessionList(BaseModel):
    items: list[SessionRead]
    total: int

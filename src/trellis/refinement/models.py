"""Q&A refinement (seed 000 QA_SESSION / QA_QUESTION / QA_ANSWER)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from trellis.core.db import Base, new_id, utcnow


class QaSession(Base):
    __tablename__ = "qa_sessions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | completed | forced
    round_number: Mapped[int] = mapped_column(default=0)
    # scores per round, findings left at the end, findings the user chose to keep
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]


class QaQuestion(Base):
    __tablename__ = "qa_questions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("qa_sessions.id", ondelete="CASCADE"), index=True)
    round_number: Mapped[int]
    rank: Mapped[int]
    requirement_code: Mapped[str] = mapped_column(String(50))
    category: Mapped[str] = mapped_column(String(50))
    question: Mapped[str] = mapped_column(Text)
    # the finding it came from ({"start", "end", "text", "field", ...}) and how an answer applies
    finding: Mapped[dict[str, Any]] = mapped_column(JSON)
    options: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    recommended_option: Mapped[str | None] = mapped_column(String(20))
    allows_free_answer: Mapped[bool] = mapped_column(default=True)
    impact: Mapped[float]
    uncertainty: Mapped[float]
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | answered | obsolete
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class QaAnswer(Base):
    __tablename__ = "qa_answers"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    question_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("qa_questions.id", ondelete="CASCADE"), index=True)
    option_id: Mapped[str | None] = mapped_column(String(20))
    answer: Mapped[str | None] = mapped_column(Text)
    applied_version: Mapped[int | None]  # the requirement version the answer produced
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

"""Plans (P6) and task tracking (P8): plan versions keyed by the inputs, task statuses and their history.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-22 08:02:57.623669
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import trellis.core.db

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "plan_versions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("requirements_hash", sa.String(length=64), nullable=False),
        sa.Column("validation_hash", sa.String(length=64), nullable=False),
        sa.Column("planner_version", sa.String(length=20), nullable=False),
        sa.Column("validation_run_id", sa.Uuid(), nullable=True),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("task_count", sa.Integer(), nullable=False),
        sa.Column("total_p50_hours", sa.Double(), nullable=False),
        sa.Column("total_p85_hours", sa.Double(), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", trellis.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("times_requested", sa.Integer(), nullable=False),
        sa.Column("last_requested_at", trellis.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_plan_versions_created_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_plan_versions_project_id_projects"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_versions")),
        sa.UniqueConstraint(
            "project_id", "requirements_hash", "validation_hash", "planner_version", name="uq_plan_versions_key"
        ),
        sa.UniqueConstraint("project_id", "version", name="uq_plan_versions_version"),
    )
    with op.batch_alter_table("plan_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_versions_project_id"), ["project_id"], unique=False)

    op.create_table(
        "task_states",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("task_id", sa.String(length=20), nullable=False),
        sa.Column("task_key", sa.String(length=120), nullable=False),
        sa.Column("plan_version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("verification", sa.JSON(), nullable=True),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.Column("updated_at", trellis.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_task_states_project_id_projects"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["users.id"], name=op.f("fk_task_states_updated_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_states")),
        sa.UniqueConstraint("project_id", "task_id", name="uq_task_states_task"),
    )
    with op.batch_alter_table("task_states", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_task_states_project_id"), ["project_id"], unique=False)

    op.create_table(
        "task_status_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("task_id", sa.String(length=20), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("verification", sa.JSON(), nullable=True),
        sa.Column("created_at", trellis.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_task_status_events_actor_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_task_status_events_project_id_projects"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_status_events")),
    )
    with op.batch_alter_table("task_status_events", schema=None) as batch_op:
        batch_op.create_index("ix_task_status_events_task", ["project_id", "task_id", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("task_status_events", schema=None) as batch_op:
        batch_op.drop_index("ix_task_status_events_task")

    op.drop_table("task_status_events")
    with op.batch_alter_table("task_states", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_states_project_id"))

    op.drop_table("task_states")
    with op.batch_alter_table("plan_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_versions_project_id"))

    op.drop_table("plan_versions")

"""Prompts (P7): workspace template overrides (a row per version) and the prompts generated per plan version.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-22 08:09:09.549914
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import trellis.core.db

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "prompt_templates",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", trellis.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_prompt_templates_created_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_prompt_templates_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prompt_templates")),
        sa.UniqueConstraint("workspace_id", "category", "version", name="uq_prompt_templates_version"),
    )
    with op.batch_alter_table("prompt_templates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_prompt_templates_workspace_id"), ["workspace_id"], unique=False)

    op.create_table(
        "generated_prompts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("plan_version", sa.Integer(), nullable=False),
        sa.Column("generation_key", sa.String(length=64), nullable=False),
        sa.Column("task_id", sa.String(length=20), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("template_version", sa.String(length=40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("token_count", sa.Integer(), nullable=False),
        sa.Column("token_budget", sa.Integer(), nullable=False),
        sa.Column("omitted", sa.JSON(), nullable=False),
        sa.Column("over_budget", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", trellis.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_generated_prompts_created_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_generated_prompts_project_id_projects"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_generated_prompts")),
        sa.UniqueConstraint("project_id", "generation_key", "task_id", "category", name="uq_generated_prompts_prompt"),
    )
    with op.batch_alter_table("generated_prompts", schema=None) as batch_op:
        batch_op.create_index("ix_generated_prompts_project_plan", ["project_id", "plan_version"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("generated_prompts", schema=None) as batch_op:
        batch_op.drop_index("ix_generated_prompts_project_plan")

    op.drop_table("generated_prompts")
    with op.batch_alter_table("prompt_templates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_prompt_templates_workspace_id"))

    op.drop_table("prompt_templates")

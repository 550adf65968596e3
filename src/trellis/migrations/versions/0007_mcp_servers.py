"""mcp servers (seed 004 mcp_servers), workspace-scoped, env and headers sealed

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 04:25:29.076244
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import trellis.core.db

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mcp_servers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("command", sa.Text(), nullable=True),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("sealed_env", sa.Text(), nullable=False),
        sa.Column("sealed_headers", sa.Text(), nullable=False),
        sa.Column("env_names", sa.JSON(), nullable=False),
        sa.Column("header_names", sa.JSON(), nullable=False),
        sa.Column("capabilities", sa.JSON(), nullable=False),
        sa.Column("server_info", sa.JSON(), nullable=True),
        sa.Column("protocol_version", sa.String(length=40), nullable=True),
        sa.Column("tools", sa.JSON(), nullable=False),
        sa.Column("tools_fetched_at", trellis.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("last_connected_at", trellis.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("config_version", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", trellis.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", trellis.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_mcp_servers_created_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_mcp_servers_workspace_id_workspaces"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mcp_servers")),
        sa.UniqueConstraint("workspace_id", "name", name=op.f("uq_mcp_servers_workspace_id")),
    )
    with op.batch_alter_table("mcp_servers", schema=None) as batch_op:
        batch_op.create_index("ix_mcp_servers_status", ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("mcp_servers", schema=None) as batch_op:
        batch_op.drop_index("ix_mcp_servers_status")
    op.drop_table("mcp_servers")

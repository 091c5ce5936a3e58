"""hari_h_switches and urgent_requests: hari H mode by hand, and calls for missing items

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kla_bot.models

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hari_h_switches",
        sa.Column("regency_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("until", kla_bot.models.UTCDateTime(), nullable=True),
        sa.Column("set_by_id", sa.Integer(), nullable=True),
        sa.Column("set_at", kla_bot.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["regency_id"], ["regencies.id"],
                                name=op.f("fk_hari_h_switches_regency_id_regencies")),
        sa.ForeignKeyConstraint(["set_by_id"], ["members.id"],
                                name=op.f("fk_hari_h_switches_set_by_id_members")),
        sa.PrimaryKeyConstraint("regency_id", name=op.f("pk_hari_h_switches")),
    )
    op.create_table(
        "urgent_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("regency_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("requested_at", kla_bot.models.UTCDateTime(), nullable=False),
        sa.Column("last_sent_at", kla_bot.models.UTCDateTime(), nullable=False),
        sa.Column("sends", sa.Integer(), nullable=False),
        sa.Column("answered_at", kla_bot.models.UTCDateTime(), nullable=True),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("evidence_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["answered_by_id"], ["members.id"],
                                name=op.f("fk_urgent_requests_answered_by_id_members")),
        sa.ForeignKeyConstraint(["evidence_id"], ["evidence.id"],
                                name=op.f("fk_urgent_requests_evidence_id_evidence")),
        sa.ForeignKeyConstraint(["owner_id"], ["members.id"],
                                name=op.f("fk_urgent_requests_owner_id_members")),
        sa.ForeignKeyConstraint(["regency_id"], ["regencies.id"],
                                name=op.f("fk_urgent_requests_regency_id_regencies")),
        sa.ForeignKeyConstraint(["requested_by_id"], ["members.id"],
                                name=op.f("fk_urgent_requests_requested_by_id_members")),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"],
                                name=op.f("fk_urgent_requests_task_id_tasks")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_urgent_requests")),
    )
    op.create_index(op.f("ix_urgent_requests_regency_id"), "urgent_requests", ["regency_id"],
                    unique=False)
    op.create_index(op.f("ix_urgent_requests_task_id"), "urgent_requests", ["task_id"],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_urgent_requests_task_id"), table_name="urgent_requests")
    op.drop_index(op.f("ix_urgent_requests_regency_id"), table_name="urgent_requests")
    op.drop_table("urgent_requests")
    op.drop_table("hari_h_switches")

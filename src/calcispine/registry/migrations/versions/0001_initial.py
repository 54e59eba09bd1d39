"""Initial registry schema: sources, merged cases, per-source records, normalised rows, conflicts, audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ID = sa.String(200)


def _case_fk() -> sa.ForeignKey:
    return sa.ForeignKey("cases.id", ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "sources",
        sa.Column("id", ID, primary_key=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("first_author", sa.String(200), nullable=True),
        sa.Column("year", sa.Integer, nullable=True),
        sa.Column("part_of", ID, sa.ForeignKey("sources.id"), nullable=True),
        sa.Column("payload", sa.JSON, nullable=False),
    )
    op.create_index("ix_sources_first_author", "sources", ["first_author"])
    op.create_table(
        "cases",
        sa.Column("id", ID, primary_key=True),
        sa.Column("review_status", sa.String(20), nullable=False),
        sa.Column("age", sa.Float, nullable=True),
        sa.Column("sex", sa.String(10), nullable=False),
        sa.Column("region", sa.String(10), nullable=True),
        sa.Column("diagnosis_key", sa.String(100), nullable=True),
        sa.Column("year", sa.Integer, nullable=True),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("overrides", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    for col in ("review_status", "age", "sex", "region", "diagnosis_key", "year"):
        op.create_index(f"ix_cases_{col}", "cases", [col])
    op.create_table(
        "records",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("record_id", ID, nullable=False),
        sa.Column("case_id", ID, _case_fk(), nullable=False),
        sa.Column("source_id", ID, sa.ForeignKey("sources.id"), nullable=False),
        sa.Column("locator", sa.String(300), nullable=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
    )
    op.create_index("ix_records_case_id", "records", ["case_id"])
    op.create_index("ix_records_source_id", "records", ["source_id"])
    op.create_index("ux_records_source_record", "records", ["source_id", "record_id"], unique=True)
    op.create_table(
        "case_levels",
        sa.Column("case_id", ID, _case_fk(), primary_key=True),
        sa.Column("level_index", sa.Integer, primary_key=True),
    )
    op.create_index("ix_case_levels_level", "case_levels", ["level_index", "case_id"])
    op.create_table(
        "case_findings",
        sa.Column("case_id", ID, _case_fk(), primary_key=True),
        sa.Column("hpo_id", sa.String(20), primary_key=True),
        sa.Column("excluded", sa.Boolean, primary_key=True),
    )
    op.create_index("ix_case_findings_term", "case_findings", ["hpo_id", "excluded", "case_id"])
    op.create_table(
        "case_etiology",
        sa.Column("case_id", ID, _case_fk(), primary_key=True),
        sa.Column("tag", sa.String(200), primary_key=True),
    )
    op.create_index("ix_case_etiology_tag", "case_etiology", ["tag", "case_id"])
    op.create_table(
        "case_treatments",
        sa.Column("case_id", ID, _case_fk(), primary_key=True),
        sa.Column("code", sa.String(200), primary_key=True),
    )
    op.create_index("ix_case_treatments_code", "case_treatments", ["code", "case_id"])
    op.create_table(
        "case_sources",
        sa.Column("case_id", ID, _case_fk(), primary_key=True),
        sa.Column("source_id", ID, sa.ForeignKey("sources.id"), primary_key=True),
    )
    op.create_index("ix_case_sources_source", "case_sources", ["source_id", "case_id"])
    op.create_table(
        "conflicts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("case_id", ID, _case_fk(), nullable=False),
        sa.Column("field", sa.String(100), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("resolved", sa.Boolean, nullable=False),
    )
    op.create_index("ix_conflicts_case_id", "conflicts", ["case_id"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(50), nullable=False),
        sa.Column("case_id", ID, nullable=True),
        sa.Column("before", sa.JSON, nullable=True),
        sa.Column("after", sa.JSON, nullable=True),
        sa.Column("note", sa.Text, nullable=True),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_case_id", "audit_log", ["case_id"])


def downgrade() -> None:
    for table in ("audit_log", "conflicts", "case_sources", "case_treatments", "case_etiology", "case_findings",
                  "case_levels", "records", "cases", "sources"):
        op.drop_table(table)

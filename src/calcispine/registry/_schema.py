"""The registry's tables (SQLAlchemy 2, typed declarative): one schema for SQLite and PostgreSQL.

The merged case is stored whole as JSON (the codec's form) for lossless reads;
the scalar columns and the normalised rows beside it exist so that filters run as
indexed SQL. Alembic migrations in ``migrations/`` create exactly these tables.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "AuditRow", "Base", "CaseEtiologyRow", "CaseFindingRow", "CaseLevelRow", "CaseRow", "CaseSourceRow",
    "CaseTreatmentRow", "ConflictRow", "RecordRow", "SourceRow", "SourceTextRow",
]

ID = String(200)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, datetime: DateTime(timezone=True)}


class SourceRow(Base):
    __tablename__ = "sources"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    first_author: Mapped[str | None] = mapped_column(String(200), index=True)
    year: Mapped[int | None] = mapped_column(Integer)
    part_of: Mapped[str | None] = mapped_column(ID, ForeignKey("sources.id"))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)


class SourceTextRow(Base):
    """The text a source's evidence offsets point into (kept for extracted reports, so a case page can
    show each value highlighted in place); never shipped for the embedded data."""

    __tablename__ = "source_texts"
    source_id: Mapped[str] = mapped_column(ID, ForeignKey("sources.id", ondelete="CASCADE"), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)


class CaseRow(Base):
    __tablename__ = "cases"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    review_status: Mapped[str] = mapped_column(String(20), index=True)
    age: Mapped[float | None] = mapped_column(Float, index=True)
    sex: Mapped[str] = mapped_column(String(10), index=True)
    region: Mapped[str | None] = mapped_column(String(10), index=True)
    diagnosis_key: Mapped[str | None] = mapped_column(String(100), index=True)
    year: Mapped[int | None] = mapped_column(Integer, index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    overrides: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RecordRow(Base):
    __tablename__ = "records"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    record_id: Mapped[str] = mapped_column(ID)
    case_id: Mapped[str] = mapped_column(ID, ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    source_id: Mapped[str] = mapped_column(ID, ForeignKey("sources.id"), index=True)
    locator: Mapped[str | None] = mapped_column(String(300))
    position: Mapped[int] = mapped_column(Integer)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    __table_args__ = (Index("ux_records_source_record", "source_id", "record_id", unique=True),)


class CaseLevelRow(Base):
    __tablename__ = "case_levels"
    case_id: Mapped[str] = mapped_column(ID, ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    level_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    __table_args__ = (Index("ix_case_levels_level", "level_index", "case_id"),)


class CaseFindingRow(Base):
    __tablename__ = "case_findings"
    case_id: Mapped[str] = mapped_column(ID, ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    hpo_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    excluded: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    __table_args__ = (Index("ix_case_findings_term", "hpo_id", "excluded", "case_id"),)


class CaseEtiologyRow(Base):
    __tablename__ = "case_etiology"
    case_id: Mapped[str] = mapped_column(ID, ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(200), primary_key=True)
    __table_args__ = (Index("ix_case_etiology_tag", "tag", "case_id"),)


class CaseTreatmentRow(Base):
    __tablename__ = "case_treatments"
    case_id: Mapped[str] = mapped_column(ID, ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    code: Mapped[str] = mapped_column(String(200), primary_key=True)
    __table_args__ = (Index("ix_case_treatments_code", "code", "case_id"),)


class CaseSourceRow(Base):
    __tablename__ = "case_sources"
    case_id: Mapped[str] = mapped_column(ID, ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    source_id: Mapped[str] = mapped_column(ID, ForeignKey("sources.id"), primary_key=True)
    __table_args__ = (Index("ix_case_sources_source", "source_id", "case_id"),)


class ConflictRow(Base):
    __tablename__ = "conflicts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ID, ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    field: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    resolved: Mapped[bool] = mapped_column(Boolean, default=False)


class AuditRow(Base):
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(50))
    case_id: Mapped[str | None] = mapped_column(ID, index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)

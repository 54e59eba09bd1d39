"""The case repository: SQL lives here and nowhere else.

A :class:`Registry` wraps one database (SQLite file by default, PostgreSQL by
URL). Opening it applies the packaged Alembic migrations; an empty registry is
seeded with the embedded dataset. Every write is one transaction and leaves an
audit entry; an import that fails anywhere leaves the registry as it was.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, delete, event, exists, func, or_, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool
from sqlalchemy.sql.elements import ColumnElement

from calcispine.config import Settings
from calcispine.knowledge import load_vocabulary
from calcispine.model import (
    Case,
    CaseFilter,
    Conflict,
    DataIssue,
    IssueLevel,
    Provenance,
    Region,
    ReviewStatus,
    Source,
    all_levels,
)

from ._codec import (
    CASE_KEYS,
    case_from_dict,
    case_to_dict,
    decode_field,
    encode_field,
    source_from_dict,
    source_to_dict,
)
from ._dataset import Dataset, embedded_dataset
from ._merge import RecordMatcher, _Group, assign_ids, combine_records, record_locator, record_source
from ._schema import (
    AuditRow,
    CaseEtiologyRow,
    CaseFindingRow,
    CaseLevelRow,
    CaseRow,
    CaseSourceRow,
    CaseTreatmentRow,
    ConflictRow,
    RecordRow,
    SourceRow,
    SourceTextRow,
)

__all__ = ["EDITABLE_FIELDS", "AuditEntry", "ImportReport", "Registry", "RegistryError", "open_registry"]

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SEED_ACTOR = "calcispine:embedded-data"
EDITABLE_FIELDS: frozenset[str] = frozenset(CASE_KEYS) - {
    "id", "source_ids", "provenance", "conflicts", "review_status", "versions",
}
_SORTS = {"id", "age", "year", "sex", "region", "review_status"}


class RegistryError(Exception):
    """A registry operation that could not be carried out; nothing was written."""

    def __init__(self, message: str, issues: Sequence[DataIssue] = ()) -> None:
        super().__init__(message)
        self.issues = tuple(issues)

    def __str__(self) -> str:
        base = super().__str__()
        if not self.issues:
            return base
        return base + "\n" + "\n".join(f"  - {i}" for i in self.issues)


@dataclass(frozen=True)
class ImportReport:
    """What an import did: new patients, records merged into patients, new conflicts, and the issues met."""

    added: int
    merged: int
    conflicts: int
    issues: tuple[DataIssue, ...] = ()
    case_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class AuditEntry:
    """Who did what to which case, when, with the values before and after."""

    id: int
    at: datetime
    actor: str
    action: str
    case_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    note: str | None = None


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def _region_bounds() -> dict[Region, tuple[int, int]]:
    bounds: dict[Region, tuple[int, int]] = {}
    for lv in all_levels():
        lo, hi = bounds.get(lv.region, (lv.index, lv.index))
        bounds[lv.region] = (min(lo, lv.index), max(hi, lv.index))
    return bounds


_REGION_BOUNDS = _region_bounds()


def _make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        in_memory = database in ("", ":memory:") or database.startswith("file::memory:")
        if in_memory:
            engine = create_engine(url, poolclass=StaticPool, connect_args={"check_same_thread": False})
        else:
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(url)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            if not in_memory:
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest packaged revision (``alembic upgrade head``)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def open_registry(settings: Settings | None = None, *, seed: bool = True) -> Registry:
    """Open (creating and migrating as needed) the registry at ``settings.database_url``.

    With ``seed`` an empty registry is filled with the embedded dataset.
    """
    settings = settings or Settings()
    try:
        engine = _make_engine(settings.database_url)
        migrate(engine)
    except Exception as exc:
        raise RegistryError(f"cannot open the registry at {_safe_url(settings.database_url)}: {exc}") from exc
    registry = Registry(engine)
    if seed and registry.is_empty():
        registry.import_dataset(embedded_dataset(), actor=SEED_ACTOR)
    return registry


def _safe_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url


def _year_of(case: Case, sources: Mapping[str, Source]) -> int | None:
    """The earliest year among the case's sources and its citation, as CaseFilter counts it."""
    years = [sources[s].year for s in case.source_ids if s in sources and sources[s].year]
    if case.cites is not None and case.cites.year:
        years.append(case.cites.year)
    return min((y for y in years if y is not None), default=None)


def _apply_overrides(case: Case, overrides: Mapping[str, Any]) -> Case:
    """A curator's edits on top of what the sources say; the conflicts they settle are marked resolved."""
    if not overrides:
        return case
    d = case_to_dict(case)
    prov = list(case.provenance)
    conflicts = list(case.conflicts)
    for name, edit in overrides.items():
        value = edit["value"]
        if value is None or value == [] or value == {}:
            d.pop(name, None)
        else:
            d[name] = value
        prov.append((name, Provenance(f"curator:{edit['actor']}", locator=f"edited {edit['at']}")))
        conflicts = [
            Conflict(c.field, c.values, True, f"set by {edit['actor']} on {edit['at'][:10]}") if c.field == name else c
            for c in conflicts
        ]
    d.pop("provenance", None)
    d.pop("conflicts", None)
    edited = case_from_dict(d)
    return edited.with_changes(provenance=tuple(prov), conflicts=tuple(conflicts))


class Registry:
    """A deduplicated store of published cases with provenance, review status and an audit trail."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- lifecycle ------------------------------------------------------------------

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    @property
    def url(self) -> str:
        """The database URL with any password hidden."""
        return self.engine.url.render_as_string(hide_password=True)

    @contextmanager
    def _read(self) -> Iterator[Session]:
        with Session(self.engine) as session:
            yield session

    @contextmanager
    def _write(self) -> Iterator[Session]:
        with Session(self.engine) as session, session.begin():
            yield session

    # -- reads ------------------------------------------------------------------------

    def is_empty(self) -> bool:
        with self._read() as s:
            return not s.scalar(select(exists().where(CaseRow.id.is_not(None)))) and not s.scalar(
                select(exists().where(SourceRow.id.is_not(None)))
            )

    def counts(self) -> dict[str, int]:
        """Numbers of cases, records, sources, conflicts (open and all) and audit entries."""
        with self._read() as s:
            def n(q: Any) -> int:
                return int(s.scalar(q) or 0)

            return {
                "cases": n(select(func.count()).select_from(CaseRow)),
                "records": n(select(func.count()).select_from(RecordRow)),
                "sources": n(select(func.count()).select_from(SourceRow)),
                "record_sources": n(select(func.count(func.distinct(RecordRow.source_id)))),
                "multi_source_cases": n(
                    select(func.count()).select_from(
                        select(RecordRow.case_id).group_by(RecordRow.case_id)
                        .having(func.count(func.distinct(RecordRow.source_id)) > 1).subquery()
                    )
                ),
                "conflicts": n(select(func.count()).select_from(ConflictRow)),
                "open_conflicts": n(select(func.count()).select_from(ConflictRow).where(ConflictRow.resolved.is_(False))),
                "audit_entries": n(select(func.count()).select_from(AuditRow)),
            }

    def _where(self, flt: CaseFilter | None) -> list[ColumnElement[bool]]:
        if flt is None:
            return []
        w: list[ColumnElement[bool]] = []
        if flt.regions:
            ranges = [CaseLevelRow.level_index.between(*_REGION_BOUNDS[Region(r)]) for r in flt.regions]
            w.append(exists().where(CaseLevelRow.case_id == CaseRow.id, or_(*ranges)))
        if flt.levels:
            w.append(exists().where(CaseLevelRow.case_id == CaseRow.id,
                                    CaseLevelRow.level_index.in_([lv.index for lv in flt.levels])))
        if flt.etiology:
            w.append(exists().where(CaseEtiologyRow.case_id == CaseRow.id, CaseEtiologyRow.tag.in_(flt.etiology)))
        if flt.diagnosis:
            w.append(CaseRow.diagnosis_key.in_(flt.diagnosis))
        if flt.sex is not None:
            w.append(CaseRow.sex == flt.sex.value)
        if flt.age_min is not None:
            w.append(CaseRow.age >= flt.age_min)
        if flt.age_max is not None:
            w.append(CaseRow.age <= flt.age_max)
        if flt.source_ids:
            w.append(exists().where(CaseSourceRow.case_id == CaseRow.id, CaseSourceRow.source_id.in_(flt.source_ids)))
        if flt.review_status:
            w.append(CaseRow.review_status.in_([ReviewStatus(x).value for x in flt.review_status]))
        if flt.year_min is not None:
            w.append(CaseRow.year >= flt.year_min)
        if flt.year_max is not None:
            w.append(CaseRow.year <= flt.year_max)
        return w

    def list_cases(
        self, flt: CaseFilter | None = None, *, limit: int | None = None, offset: int = 0, sort: str = "id"
    ) -> list[Case]:
        """Cases matching the filter (SQL on indexed rows; free text is matched after), sorted."""
        key = sort.lstrip("-")
        if key not in _SORTS:
            raise ValueError(f"cannot sort by {sort!r}; choose one of {', '.join(sorted(_SORTS))} (prefix - to reverse)")
        if offset < 0 or (limit is not None and limit < 0):
            raise ValueError("limit and offset must not be negative")
        col = getattr(CaseRow, key)
        order = col.desc().nulls_last() if sort.startswith("-") else col.asc().nulls_last()
        q = select(CaseRow.payload).where(*self._where(flt)).order_by(order, CaseRow.id)
        text_only = flt is not None and bool(flt.text)
        if not text_only:
            if offset:
                q = q.offset(offset)
            if limit is not None:
                q = q.limit(limit)
        with self._read() as s:
            cases = [case_from_dict(p) for p in s.scalars(q)]
        if text_only and flt is not None:
            text_filter = CaseFilter(text=flt.text)
            cases = [c for c in cases if text_filter.matches(c)]
            cases = cases[offset:] if limit is None else cases[offset:offset + limit]
        return cases

    def count_cases(self, flt: CaseFilter | None = None) -> int:
        if flt is not None and flt.text:
            return len(self.list_cases(flt))
        with self._read() as s:
            return int(s.scalar(select(func.count()).select_from(CaseRow).where(*self._where(flt))) or 0)

    def _missing_case(self, s: Session, case_id: str) -> KeyError:
        ids = list(s.scalars(select(CaseRow.id)))
        close = difflib.get_close_matches(case_id, ids, n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else "; `calcispine registry info` shows what is stored"
        return KeyError(f"no case {case_id!r} in the registry at {self.url}{hint}")

    def get_case(self, case_id: str) -> Case:
        with self._read() as s:
            payload = s.scalar(select(CaseRow.payload).where(CaseRow.id == case_id))
            if payload is None:
                raise self._missing_case(s, case_id)
            return case_from_dict(payload)

    def records(self, case_id: str) -> list[Case]:
        """The per-source versions this patient was merged from, in the order they arrived."""
        with self._read() as s:
            if s.get(CaseRow, case_id) is None:
                raise self._missing_case(s, case_id)
            rows = s.scalars(select(RecordRow.payload).where(RecordRow.case_id == case_id).order_by(RecordRow.position, RecordRow.id))
            return [case_from_dict(p) for p in rows]

    def records_for_source(self, source_id: str) -> list[Case]:
        """A source's cases exactly as that source states them (e.g. a review table's rows, in order)."""
        with self._read() as s:
            if s.get(SourceRow, source_id) is None:
                raise KeyError(f"no source {source_id!r} in the registry; `calcispine registry info` lists the counts")
            rows = s.scalars(select(RecordRow.payload).where(RecordRow.source_id == source_id).order_by(RecordRow.id))
            return [case_from_dict(p) for p in rows]

    def list_sources(self) -> list[Source]:
        with self._read() as s:
            return [source_from_dict(p) for p in s.scalars(select(SourceRow.payload).order_by(SourceRow.id))]

    def get_source(self, source_id: str) -> Source:
        with self._read() as s:
            row = s.get(SourceRow, source_id)
            if row is None:
                ids = list(s.scalars(select(SourceRow.id)))
                close = difflib.get_close_matches(source_id, ids, n=3, cutoff=0.5)
                hint = f"; did you mean {', '.join(close)}?" if close else ""
                raise KeyError(f"no source {source_id!r} in the registry{hint}")
            return source_from_dict(row.payload)

    def source_text(self, source_id: str) -> str | None:
        """The stored text of an extracted source (what its evidence offsets index), or None."""
        with self._read() as s:
            row = s.get(SourceTextRow, source_id)
            return row.text if row is not None else None

    def conflicts(self) -> list[tuple[str, Conflict]]:
        """Every recorded disagreement between sources, with the case it belongs to."""
        with self._read() as s:
            rows = s.execute(select(ConflictRow.case_id, ConflictRow.payload).order_by(ConflictRow.case_id, ConflictRow.id))
            return [(cid, decode_field("conflicts", [p])[0]) for cid, p in rows]

    def audit_log(self, case_id: str | None = None) -> list[AuditEntry]:
        q = select(AuditRow).order_by(AuditRow.id)
        if case_id is not None:
            q = q.where(AuditRow.case_id == case_id)
        with self._read() as s:
            return [
                AuditEntry(r.id, _aware(r.at), r.actor, r.action, r.case_id, r.before, r.after, r.note)
                for r in s.scalars(q)
            ]

    # -- writes -----------------------------------------------------------------------

    def import_dataset(self, ds: Dataset, *, actor: str) -> ImportReport:
        """Add sources and records, merging records into the patients they describe; all or nothing."""
        if not actor or not actor.strip():
            raise RegistryError("an import needs an actor (who is importing) for the audit log")
        try:
            with self._write() as s:
                return self._import(s, ds, actor)
        except RegistryError:
            raise
        except Exception as exc:
            raise RegistryError(f"import failed, registry unchanged: {type(exc).__name__}: {exc}") from exc

    def reset(self, *, actor: str, dataset: Dataset | None = None) -> ImportReport:
        """Empty the registry and rebuild it from the embedded data (or ``dataset``), in one transaction."""
        ds = dataset if dataset is not None else embedded_dataset()
        try:
            with self._write() as s:
                for table in (AuditRow, ConflictRow, CaseSourceRow, CaseTreatmentRow, CaseEtiologyRow, CaseFindingRow,
                              CaseLevelRow, RecordRow, CaseRow, SourceTextRow):
                    s.execute(delete(table))
                s.execute(delete(SourceRow).where(SourceRow.part_of.is_not(None)))
                s.execute(delete(SourceRow))
                report = self._import(s, ds, actor)
                s.add(AuditRow(at=_now(), actor=actor, action="reset", case_id=None, before=None,
                               after={"cases": report.added}, note="registry rebuilt"))
                return report
        except Exception as exc:
            raise RegistryError(f"reset failed, registry unchanged: {type(exc).__name__}: {exc}") from exc

    def _validate(self, ds: Dataset, stored_sources: Mapping[str, Source]) -> list[DataIssue]:
        errors: list[DataIssue] = []
        vocab = load_vocabulary()
        known = {**stored_sources, **ds.source_map()}
        seen: set[tuple[str, str]] = set()
        for sid, text in ds.texts.items():
            if sid not in known:
                errors.append(DataIssue(IssueLevel.ERROR, f"text of source {sid}", "not a source of the dataset or the registry"))
            elif not text.strip():
                errors.append(DataIssue(IssueLevel.ERROR, f"text of source {sid}", "is empty"))
        for s in ds.sources:
            if s.part_of is not None and s.part_of not in known:
                errors.append(DataIssue(IssueLevel.ERROR, f"source {s.id}", f"part_of {s.part_of!r} is not a known source"))
        for i, r in enumerate(ds.records, start=1):
            where = f"record {i} ({r.id})"
            try:
                src = record_source(r)
            except ValueError as exc:
                errors.append(DataIssue(IssueLevel.ERROR, where, str(exc)))
                continue
            if src not in known:
                errors.append(DataIssue(IssueLevel.ERROR, where, f"source {src!r} is not in the dataset or the registry",
                                        "add the source's citation to the dataset"))
            if (src, r.id) in seen:
                errors.append(DataIssue(IssueLevel.ERROR, where, f"record id {r.id!r} appears twice for source {src}"))
            seen.add((src, r.id))
            for tag in r.etiology:
                try:
                    vocab.check_etiology(tag)
                except ValueError as exc:
                    errors.append(DataIssue(IssueLevel.ERROR, where, str(exc)))
            for t in r.treatments:
                try:
                    vocab.check_treatment(t.code)
                except ValueError as exc:
                    errors.append(DataIssue(IssueLevel.ERROR, where, str(exc)))
            try:
                json.dumps(case_to_dict(r))
            except (TypeError, ValueError) as exc:
                errors.append(DataIssue(IssueLevel.ERROR, where, f"cannot be stored as JSON: {exc}"))
        return errors

    def _import(self, s: Session, ds: Dataset, actor: str) -> ImportReport:
        stored_sources = {row.id: source_from_dict(row.payload) for row in s.scalars(select(SourceRow))}
        errors = self._validate(ds, stored_sources)
        if errors:
            raise RegistryError(f"import rejected: {len(errors)} problem(s); nothing was written", errors)
        issues: list[DataIssue] = []

        # sources first (parents before parts), so records can refer to them
        pending = [src for src in ds.sources if stored_sources.get(src.id) != src]
        pending.sort(key=lambda x: x.part_of is not None)
        for src in pending:
            srow = s.get(SourceRow, src.id)
            payload = source_to_dict(src)
            if srow is None:
                s.add(SourceRow(id=src.id, kind=src.kind, first_author=src.first_author, year=src.year,
                                part_of=src.part_of, payload=payload))
            else:
                issues.append(DataIssue(IssueLevel.INFO, f"source {src.id}", "citation updated from the imported dataset"))
                srow.kind, srow.first_author, srow.year, srow.part_of, srow.payload = (
                    src.kind, src.first_author, src.year, src.part_of, payload)
            s.flush()
        smap = {**stored_sources, **ds.source_map()}
        for sid, text in ds.texts.items():
            digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
            trow = s.get(SourceTextRow, sid)
            if trow is None:
                s.add(SourceTextRow(source_id=sid, sha256=digest, text=text))
            elif trow.sha256 != digest:
                issues.append(DataIssue(IssueLevel.INFO, f"source {sid}", "stored text replaced by the imported one"))
                trow.sha256, trow.text = digest, text
        s.flush()

        stored_keys = {(a, b) for a, b in s.execute(select(RecordRow.source_id, RecordRow.record_id))}
        matcher = RecordMatcher(smap)
        by_case: dict[str, list[Case]] = {}
        for cid, payload in s.execute(select(RecordRow.case_id, RecordRow.payload).order_by(RecordRow.position, RecordRow.id)):
            by_case.setdefault(cid, []).append(case_from_dict(payload))
        for cid, recs in by_case.items():
            matcher.add_stored(cid, recs)
        touched: dict[int, _Group] = {}
        new_records: list[Case] = []
        for r in ds.records:
            if (record_source(r), r.id) in stored_keys:
                issues.append(DataIssue(IssueLevel.INFO, f"record {r.id}", "already in the registry; skipped"))
                continue
            group = matcher.add(r)
            touched[id(group)] = group
            new_records.append(r)
        issues.extend(matcher.issues)

        new_groups = [g for g in touched.values() if not g.stored]
        taken = set(s.scalars(select(CaseRow.id)))
        for g, cid in zip(new_groups, assign_ids([g.records for g in new_groups], smap, taken), strict=True):
            g.case_id = cid
        new_ids = {id(r) for r in new_records}
        added = len(new_groups)
        new_conflicts = 0
        now = _now()
        placed: dict[int, tuple[str, int]] = {}
        for g in touched.values():
            if g.case_id is None:  # pragma: no cover - every group has an id by now
                raise RegistryError("internal error: a patient without an id")
            row = s.get(CaseRow, g.case_id)
            overrides = row.overrides if row is not None else {}
            before = row.payload if row is not None else None
            case = _apply_overrides(combine_records(g.case_id, g.records, smap), overrides)
            case = case.with_changes(review_status=ReviewStatus.NEEDS_REVIEW)
            old_conflicts = len(before.get("conflicts", [])) if before else 0
            new_conflicts += max(0, len(case.conflicts) - old_conflicts)
            self._store_case(s, case, smap, overrides, now, row)
            placed.update({id(r): (g.case_id, pos) for pos, r in enumerate(g.records) if id(r) in new_ids})
            s.add(AuditRow(at=now, actor=actor, action="import" if before is None else "merge", case_id=g.case_id,
                           before=before, after=case_to_dict(case),
                           note=", ".join(r.id for r in g.records if id(r) in new_ids)))
            s.flush()
        for r in new_records:  # in the dataset's order, so a source's rows read back as it lists them
            cid, pos = placed[id(r)]
            s.add(RecordRow(record_id=r.id, case_id=cid, source_id=record_source(r), locator=record_locator(r),
                            position=pos, payload=case_to_dict(r)))
        s.flush()
        for cid in sorted(g.case_id for g in touched.values() if g.case_id):
            case_obj = case_from_dict(s.get(CaseRow, cid).payload)  # type: ignore[union-attr]
            issues.extend(
                DataIssue(IssueLevel.WARNING, f"case {cid}", f"sources disagree on {c.describe()}", "kept both; review it")
                for c in case_obj.conflicts if not c.resolved
            )
        return ImportReport(added=added, merged=len(new_records) - added, conflicts=new_conflicts,
                            issues=tuple(issues), case_ids=tuple(sorted(g.case_id for g in touched.values() if g.case_id)))

    def _store_case(self, s: Session, case: Case, smap: Mapping[str, Source], overrides: dict[str, Any],
                    now: datetime, row: CaseRow | None) -> None:
        payload = case_to_dict(case)
        values = {
            "review_status": case.review_status.value, "age": case.age_midpoint, "sex": case.sex.value,
            "region": case.region.value if case.region else None,
            "diagnosis_key": case.diagnosis.key if case.diagnosis else None,
            "year": _year_of(case, smap), "payload": payload, "overrides": dict(overrides), "updated_at": now,
        }
        if row is None:
            s.add(CaseRow(id=case.id, created_at=now, **values))
        else:
            for k, v in values.items():
                setattr(row, k, v)
            for table in (CaseLevelRow, CaseFindingRow, CaseEtiologyRow, CaseTreatmentRow, CaseSourceRow, ConflictRow):
                s.execute(delete(table).where(table.case_id == case.id))
        s.flush()
        s.add_all(CaseLevelRow(case_id=case.id, level_index=lv.index) for lv in case.levels)
        findings = {(f.hpo_id, f.excluded) for f in case.findings if f.counts_as_current}
        s.add_all(CaseFindingRow(case_id=case.id, hpo_id=h, excluded=x) for h, x in sorted(findings))
        s.add_all(CaseEtiologyRow(case_id=case.id, tag=t) for t in dict.fromkeys(case.etiology))
        s.add_all(CaseTreatmentRow(case_id=case.id, code=c) for c in dict.fromkeys(case.treatment_codes))
        s.add_all(CaseSourceRow(case_id=case.id, source_id=sid) for sid in dict.fromkeys(case.source_ids))
        s.add_all(ConflictRow(case_id=case.id, field=c.field, payload=encode_field("conflicts", [c])[0],
                              resolved=c.resolved) for c in case.conflicts)

    def _sources(self, s: Session) -> dict[str, Source]:
        return {row.id: source_from_dict(row.payload) for row in s.scalars(select(SourceRow))}

    def update_case(self, case_id: str, changes: Mapping[str, object], *, actor: str) -> Case:
        """Curate fields of a case (domain objects or their JSON form); audited, and kept across later imports."""
        if not actor or not actor.strip():
            raise RegistryError("an edit needs an actor (who is editing) for the audit log")
        unknown = sorted(set(changes) - EDITABLE_FIELDS)
        if unknown:
            raise RegistryError(f"cannot edit {unknown}; editable fields: {', '.join(sorted(EDITABLE_FIELDS))}")
        with self._write() as s:
            row = s.get(CaseRow, case_id)
            if row is None:
                raise self._missing_case(s, case_id)
            current = case_from_dict(row.payload)
            at = _now().isoformat()
            overrides = dict(row.overrides)
            before: dict[str, Any] = {}
            after: dict[str, Any] = {}
            for name, value in changes.items():
                try:
                    encoded = encode_field(name, value)
                    case_from_dict({**case_to_dict(current), name: encoded} if encoded is not None else
                                   {k: v for k, v in case_to_dict(current).items() if k != name})
                except (ValueError, TypeError, KeyError) as exc:
                    raise RegistryError(f"case {case_id}: field {name}: {exc}") from exc
                before[name] = encode_field(name, getattr(current, name))
                after[name] = encoded
                overrides[name] = {"value": encoded, "actor": actor, "at": at}
            updated = _apply_overrides(current, {k: overrides[k] for k in changes})
            self._store_case(s, updated, self._sources(s), overrides, _now(), row)
            s.add(AuditRow(at=_now(), actor=actor, action="update", case_id=case_id, before=before, after=after))
            return updated

    def set_review_status(self, case_id: str, status: ReviewStatus | str, *, actor: str) -> Case:
        """Move a case through needs_review -> reviewed -> published (or back); audited."""
        if not actor or not actor.strip():
            raise RegistryError("a status change needs an actor for the audit log")
        try:
            new_status = ReviewStatus(status)
        except ValueError as exc:
            raise RegistryError(f"review status {status!r} is not one of {', '.join(x.value for x in ReviewStatus)}") from exc
        with self._write() as s:
            row = s.get(CaseRow, case_id)
            if row is None:
                raise self._missing_case(s, case_id)
            current = case_from_dict(row.payload)
            updated = current.with_changes(review_status=new_status)
            row.review_status = new_status.value
            row.payload = case_to_dict(updated)
            row.updated_at = _now()
            s.add(AuditRow(at=_now(), actor=actor, action="review_status", case_id=case_id,
                           before={"review_status": current.review_status.value},
                           after={"review_status": new_status.value}))
            return updated

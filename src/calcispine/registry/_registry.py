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
import re
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
    OTHER_PREFIX,
    Case,
    CaseFilter,
    Conflict,
    DataIssue,
    IssueLevel,
    Region,
    ReviewStatus,
    Source,
    all_levels,
)

from ._checks import finding_problems
from ._codec import (
    CASE_KEYS,
    case_from_dict,
    case_to_dict,
    decode_field,
    encode_field,
    source_from_dict,
    source_to_dict,
)
from ._curation import CURATOR_PREFIX, apply_overrides, changed_fields, curation_of, flat_view
from ._dataset import Dataset, ExportedCase, embedded_dataset
from ._merge import (
    RecordMatcher,
    ValueSource,
    _Group,
    assign_ids,
    combine_records,
    record_locator,
    record_source,
    value_provenance,
)
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

__all__ = [
    "EDITABLE_FIELDS", "AuditEntry", "ImportReport", "Registry", "RegistryError", "SourceConflictError", "open_registry",
]

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


class SourceConflictError(RegistryError):
    """An import cites a stored source id with a different citation; refused, nothing written."""


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


_SQLITE_HEADER = b"SQLite format 3\x00"


def _short(exc: BaseException) -> str:
    """A database error in one line: the driver's first line, without SQLAlchemy's background link."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return re.sub(r"\s*\(Background on this error at: [^)]*\)", "", text).strip()


def _check_sqlite_path(url: str, data_dir: str) -> None:
    """A SQLite file path must name a folder that exists (only the default data folder is created)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return
    database = parsed.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return
    path = Path(database).expanduser()
    if path.is_dir():
        raise RegistryError(f"cannot open the registry at {path}: it is a folder; give the path of a .sqlite file")
    if path.exists():
        with path.open("rb") as fh:
            head = fh.read(len(_SQLITE_HEADER))
        if head and head != _SQLITE_HEADER:
            raise RegistryError(f"cannot open the registry at {path}: the file is not a SQLite database")
        return
    folder = path.parent
    if folder.is_dir():
        return
    if data_dir and folder.resolve() == Path(data_dir).expanduser().resolve():
        folder.mkdir(parents=True, exist_ok=True)
        return
    raise RegistryError(f"cannot open the registry at {path}: the folder {folder} does not exist "
                        "(check the --db path, or create the folder first)")


def open_registry(settings: Settings | None = None, *, seed: bool = True) -> Registry:
    """Open (creating and migrating as needed) the registry at ``settings.database_url``.

    With ``seed`` a brand-new registry is filled with the embedded dataset; one that was emptied or
    started empty on purpose (``reset(empty=True)``, ``start_empty``) stays empty. A SQLite file is
    created only in a folder that exists (the default data folder is made when missing).
    """
    settings = settings or Settings()
    _check_sqlite_path(settings.database_url, settings.data_dir)
    try:
        engine = _make_engine(settings.database_url)
        migrate(engine)
    except Exception as exc:
        raise RegistryError(f"cannot open the registry at {_safe_url(settings.database_url)}: {_short(exc)}") from exc
    registry = Registry(engine)
    if seed and registry.is_fresh():
        registry.import_dataset(embedded_dataset(), actor=SEED_ACTOR)
    return registry


def _safe_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url


def _stub_completed(old: Source, new: Source, key: str) -> bool:
    """A reference-list stub (``cited_report``: first author and year) replaced by the paper's own citation.

    The full citation may spell out the authors and change the kind, as long as it is the same paper:
    same first author, same year; nothing the stub states otherwise may change.
    """
    if old.kind != "cited_report" or key not in ("authors", "kind"):
        return False
    same_author = (old.first_author or "").lower() == (new.first_author or "").lower()
    return same_author and old.year == new.year


def _year_of(case: Case, sources: Mapping[str, Source]) -> int | None:
    """The earliest year among the case's sources and its citation, as CaseFilter counts it."""
    years = [sources[s].year for s in case.source_ids if s in sources and sources[s].year]
    if case.cites is not None and case.cites.year:
        years.append(case.cites.year)
    return min((y for y in years if y is not None), default=None)


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

    def is_fresh(self) -> bool:
        """Never written to: no case, no source, no audit entry (an emptied registry is not fresh)."""
        with self._read() as s:
            return not any(s.scalar(select(exists().where(col.is_not(None))))
                           for col in (CaseRow.id, SourceRow.id, AuditRow.id))

    def start_empty(self, *, actor: str) -> None:
        """Mark a fresh registry as deliberately empty, so that opening it never seeds it."""
        with self._write() as s:
            s.add(AuditRow(at=_now(), actor=actor, action="reset", case_id=None, before=None, after={"cases": 0},
                           note="started empty: not seeded with the embedded data"))

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
            tag: ColumnElement[bool] = CaseEtiologyRow.tag.in_(flt.etiology)
            if OTHER_PREFIX in flt.etiology:
                tag = or_(tag, CaseEtiologyRow.tag.startswith(OTHER_PREFIX, autoescape=True))
            w.append(exists().where(CaseEtiologyRow.case_id == CaseRow.id, tag))
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

    def likely_duplicates(self, records: Sequence[Case], source: Source | None = None) -> list[list[tuple[str, str]]]:
        """For each new record (of ``source``, stored or not), the stored patients it probably describes; reads only.

        Each as (case id, why): ``merges`` when an import would merge the record into that patient,
        ``same_paper`` for a compatible patient of the same paper that it would not merge with (a
        record of that very source, say), ``same_facts`` for one with the same age, sex and levels.
        For a warning before saving; the deduplication rules themselves are those of ``_merge``.
        The registry is read once for all the records.
        """
        from ._merge import _compatible, _paper_chain, _strictly_equal_facts

        with self._read() as s:
            smap = self._sources(s)
            stored = [(cid, case_from_dict(p)) for cid, p in s.execute(
                select(RecordRow.case_id, RecordRow.payload).order_by(RecordRow.position, RecordRow.id))]
        if source is not None:
            smap[source.id] = source
        by_case: dict[str, list[Case]] = {}
        for cid, r in stored:
            by_case.setdefault(cid, []).append(r)

        def papers(source_id: str) -> list[Source]:
            return _paper_chain(source_id, smap) or [Source(source_id)]

        def same_paper(a: str, b: str) -> bool:
            return papers(a)[-1].same_paper(papers(b)[-1])

        rank = {"merges": 0, "same_paper": 1, "same_facts": 2}
        out = []
        for record in records:
            matcher = RecordMatcher(smap)  # the import's own matching, run without writing
            for cid, recs in by_case.items():
                matcher.add_stored(cid, recs)
            target = matcher.add(record)
            found: dict[str, str] = {target.case_id: "merges"} if target.stored and target.case_id else {}
            src = record_source(record)
            for cid, r in stored:
                if _compatible(record, r) and same_paper(src, record_source(r)):
                    why = "same_paper"
                elif _strictly_equal_facts(record, r):
                    why = "same_facts"
                else:
                    continue
                if cid not in found or rank[why] < rank[found[cid]]:
                    found[cid] = why
            out.append(sorted(found.items(), key=lambda item: (rank[item[1]], item[0])))
        return out

    def conflicts(self) -> list[tuple[str, Conflict]]:
        """Every recorded disagreement between sources, with the case it belongs to."""
        with self._read() as s:
            rows = s.execute(select(ConflictRow.case_id, ConflictRow.payload).order_by(ConflictRow.case_id, ConflictRow.id))
            return [(cid, decode_field("conflicts", [p])[0]) for cid, p in rows]

    def value_sources(self, case_id: str) -> tuple[ValueSource, ...]:
        """Each value of each field of a case with exactly the sources (or curator) that state it."""
        return value_provenance(self.get_case(case_id), self.records(case_id))

    def diagnosis_keys(self) -> tuple[str, ...]:
        """Diagnosis keys stored on a patient or a per-source record."""
        with self._read() as s:
            keys = {k for k in s.scalars(select(CaseRow.diagnosis_key).distinct()) if k}
            for payload in s.scalars(select(RecordRow.payload)):
                if payload.get("diagnosis"):
                    keys.add(payload["diagnosis"]["key"])
        return tuple(sorted(keys))

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
        """Add sources and records, merging records into the patients they describe; all or nothing.

        A stored patient keeps its review status (only a curator moves it); when a new record changes
        a reviewed or published patient the report says so and the audit entry asks for re-review.
        A citation that differs from the stored one of the same source id is refused
        (:class:`SourceConflictError`); one that only adds missing fields completes it, audited.
        """
        if not actor or not actor.strip():
            raise RegistryError("an import needs an actor (who is importing) for the audit log")
        try:
            with self._write() as s:
                return self._import(s, ds, actor)
        except RegistryError:
            raise
        except Exception as exc:
            raise RegistryError(f"import failed, registry unchanged: {type(exc).__name__}: {_short(exc)}") from exc

    def reset(self, *, actor: str, dataset: Dataset | None = None, empty: bool = False) -> ImportReport:
        """Empty the registry and rebuild it from the embedded data (or ``dataset``), in one transaction.

        With ``empty`` nothing is imported: the registry stays empty, and opening it does not seed it.
        """
        ds = Dataset((), ()) if empty else dataset if dataset is not None else embedded_dataset()
        try:
            with self._write() as s:
                for table in (AuditRow, ConflictRow, CaseSourceRow, CaseTreatmentRow, CaseEtiologyRow, CaseFindingRow,
                              CaseLevelRow, RecordRow, CaseRow, SourceTextRow):
                    s.execute(delete(table))
                s.execute(delete(SourceRow).where(SourceRow.part_of.is_not(None)))
                s.execute(delete(SourceRow))
                report = self._import(s, ds, actor)
                s.add(AuditRow(at=_now(), actor=actor, action="reset", case_id=None, before=None,
                               after={"cases": report.added},
                               note="registry emptied" if empty else "registry rebuilt"))
                return report
        except Exception as exc:
            raise RegistryError(f"reset failed, registry unchanged: {type(exc).__name__}: {_short(exc)}") from exc

    def _validate(self, ds: Dataset, stored_sources: Mapping[str, Source]) -> list[DataIssue]:
        errors: list[DataIssue] = []
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
            errors.extend(self._case_problems(r, where))
            try:
                json.dumps(case_to_dict(r))
            except (TypeError, ValueError) as exc:
                errors.append(DataIssue(IssueLevel.ERROR, where, f"cannot be stored as JSON: {exc}"))
        for p in ds.patients:
            where = f"exported case {p.case.id}"
            missing = [f"{sid}/{rid}" for sid, rid in p.record_keys if (sid, rid) not in seen]
            if missing:
                errors.append(DataIssue(IssueLevel.ERROR, where, f"names records not in the dataset: {', '.join(missing)}"))
            errors.extend(self._case_problems(p.case, where))
        return errors

    @staticmethod
    def _case_problems(case: Case, where: str) -> list[DataIssue]:
        """Vocabulary and HPO problems of one case (tags, treatment codes, HPO terms)."""
        vocab = load_vocabulary()
        problems: list[str] = []
        for tag in case.etiology:
            try:
                vocab.check_etiology(tag)
            except ValueError as exc:
                problems.append(str(exc))
        for t in case.treatments:
            try:
                vocab.check_treatment(t.code)
            except ValueError as exc:
                problems.append(str(exc))
        problems += finding_problems(case.findings)
        return [DataIssue(IssueLevel.ERROR, where, p) for p in problems]

    def _merge_sources(self, s: Session, ds: Dataset, stored: Mapping[str, Source], actor: str, now: datetime,
                       issues: list[DataIssue]) -> None:
        """New sources are added; a stored one is only completed (fields it lacks), never rewritten."""
        clashes: list[DataIssue] = []
        pending: list[tuple[Source, Source | None]] = []
        for src in ds.sources:
            old = stored.get(src.id)
            if old is None:
                pending.append((src, None))
                continue
            if old == src:
                continue
            have, got = source_to_dict(old), source_to_dict(src)
            differ = [k for k in got if k in have and have[k] != got[k] and not _stub_completed(old, src, k)]
            if differ:
                said = "; ".join(f"{k} {have[k]!r} stored, {got[k]!r} imported" for k in differ)
                clashes.append(DataIssue(IssueLevel.ERROR, f"source {src.id}", f"is cited differently: {said}",
                                         "give the imported source its own id, or correct the stored citation first"))
            elif set(got) - set(have) or any(have[k] != got[k] for k in got if k in have):
                pending.append((source_from_dict({**have, **got}), old))
        if clashes:
            raise SourceConflictError(
                f"import refused: {len(clashes)} stored source(s) cited differently; nothing was written", clashes)
        pending.sort(key=lambda pair: pair[0].part_of is not None)  # parents before parts
        for src, old in pending:
            payload = source_to_dict(src)
            if old is None:
                s.add(SourceRow(id=src.id, kind=src.kind, first_author=src.first_author, year=src.year,
                                part_of=src.part_of, payload=payload))
            else:
                srow = s.get(SourceRow, src.id)
                if srow is None:  # pragma: no cover - stored means it has a row
                    raise RegistryError(f"internal error: source {src.id} has no row")
                added = sorted(k for k in payload if srow.payload.get(k) != payload[k])
                srow.kind, srow.first_author, srow.year, srow.part_of, srow.payload = (
                    src.kind, src.first_author, src.year, src.part_of, payload)
                issues.append(DataIssue(IssueLevel.INFO, f"source {src.id}", f"citation completed: {', '.join(added)}"))
                s.add(AuditRow(at=now, actor=actor, action="source", case_id=None, before=source_to_dict(old),
                               after=payload, note=f"source {src.id}: citation completed ({', '.join(added)})"))
            s.flush()

    def _import(self, s: Session, ds: Dataset, actor: str) -> ImportReport:
        stored_sources = self._sources(s)
        errors = self._validate(ds, stored_sources)
        if errors:
            raise RegistryError(f"import rejected: {len(errors)} problem(s); nothing was written", errors)
        issues: list[DataIssue] = []
        now = _now()
        self._merge_sources(s, ds, stored_sources, actor, now, issues)
        smap = self._sources(s)
        for sid, text in ds.texts.items():
            digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
            trow = s.get(SourceTextRow, sid)
            if trow is None:
                s.add(SourceTextRow(source_id=sid, sha256=digest, text=text))
            elif trow.sha256 != digest:
                issues.append(DataIssue(IssueLevel.INFO, f"source {sid}", "stored text replaced by the imported one"))
                trow.sha256, trow.text = digest, text
        s.flush()

        stored_rows: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {}
        by_case: dict[str, list[Case]] = {}
        for sid, rid, cid, payload in s.execute(select(
                RecordRow.source_id, RecordRow.record_id, RecordRow.case_id, RecordRow.payload,
        ).order_by(RecordRow.position, RecordRow.id)):
            stored_rows[(sid, rid)] = (cid, payload)
            by_case.setdefault(cid, []).append(case_from_dict(payload))
        skip = self._recognise_flat(s, ds.patients, issues)
        matcher = RecordMatcher(smap)
        for cid, recs in by_case.items():
            matcher.add_stored(cid, recs)
        touched: dict[int, _Group] = {}
        new_records: list[Case] = []
        already = 0
        for r in ds.records:
            key = (record_source(r), r.id)
            if key in skip:
                continue
            if key in stored_rows:
                if stored_rows[key][1] != case_to_dict(r):
                    issues.append(DataIssue(IssueLevel.WARNING, f"record {r.id} ({key[0]})",
                                            "differs from the stored record of that id; the stored one is kept",
                                            "import it under a new record id if it is a new reading of the source"))
                else:
                    already += 1
                continue
            joined = matcher.add(r)
            touched[id(joined)] = joined
            new_records.append(r)
        if already:
            issues.append(DataIssue(IssueLevel.INFO, f"{already} record(s)", "already in the registry; skipped"))
        issues.extend(matcher.issues)

        new_groups = [g for g in touched.values() if not g.stored]
        taken = set(s.scalars(select(CaseRow.id)))
        self._name_new_patients(new_groups, ds.patients, smap, taken)
        placed_at: dict[tuple[str, str], str] = {k: cid for k, (cid, _) in stored_rows.items()}
        for g in touched.values():
            placed_at.update({(record_source(r), r.id): g.case_id for r in g.records if g.case_id})
        curation = self._curation_targets(ds.patients, placed_at, issues)

        new_ids = {id(r) for r in new_records}
        groups = {g.case_id: g for g in touched.values() if g.case_id}
        new_conflicts = 0
        placed: dict[int, tuple[str, int]] = {}
        changed_ids: list[str] = []
        for cid in dict.fromkeys([*groups, *curation]):
            group = groups.get(cid)
            row = s.get(CaseRow, cid)
            records = group.records if group is not None else by_case.get(cid, [])
            arriving = [r for r in records if id(r) in new_ids]
            before = row.payload if row is not None else None
            overrides = dict(row.overrides) if row is not None else {}
            old_status = ReviewStatus(row.review_status) if row is not None else None
            status = old_status or ReviewStatus.NEEDS_REVIEW
            notes = [", ".join(r.id for r in arriving)] if arriving else []
            for exported in curation.get(cid, ()):
                status = self._restore(cid, exported, overrides, status, old_status is None, notes, issues)
            case = apply_overrides(combine_records(cid, records, smap), overrides, records)
            case = case.with_changes(review_status=status)
            after = case_to_dict(case)
            if before is not None and arriving and old_status is not ReviewStatus.NEEDS_REVIEW:
                changed = [f for f in changed_fields(before, after) if f != "source_ids"]
                if changed:
                    state = old_status.value if old_status else status.value
                    issues.append(DataIssue(
                        IssueLevel.WARNING, f"case {cid}",
                        f"is {state}; the new record(s) {', '.join(r.id for r in arriving)} change "
                        f"{', '.join(changed)}; it stays {state} (only a curator changes a review status)",
                        "review the case again and set its status"))
                    notes.append(f"re-review suggested: new source changes {', '.join(changed)}; status stays {state}")
            old_conflicts = len(before.get("conflicts", [])) if before else 0
            new_conflicts += max(0, len(case.conflicts) - old_conflicts)
            self._store_case(s, case, smap, overrides, now, row)
            placed.update({id(r): (cid, pos) for pos, r in enumerate(records) if id(r) in new_ids})
            if before != after or arriving:
                changed_ids.append(cid)
            if before != after:
                action = "import" if before is None else "merge" if arriving else "restore"
                s.add(AuditRow(at=now, actor=actor, action=action, case_id=cid, before=before, after=after,
                               note="; ".join(n for n in notes if n) or None))
            if old_status is not None and status is not old_status:
                s.add(AuditRow(at=now, actor=actor, action="review_status", case_id=cid,
                               before={"review_status": old_status.value}, after={"review_status": status.value},
                               note="restored from the imported export, where a curator had set it"))
            s.flush()
        for r in new_records:  # in the dataset's order, so a source's rows read back as it lists them
            cid, pos = placed[id(r)]
            s.add(RecordRow(record_id=r.id, case_id=cid, source_id=record_source(r), locator=record_locator(r),
                            position=pos, payload=case_to_dict(r)))
        s.flush()
        affected = sorted(changed_ids)
        for cid in affected:
            case_obj = case_from_dict(s.get(CaseRow, cid).payload)  # type: ignore[union-attr]
            issues.extend(
                DataIssue(IssueLevel.WARNING, f"case {cid}", f"sources disagree on {c.describe()}", "kept both; review it")
                for c in case_obj.conflicts if not c.resolved
            )
        added = len(new_groups)
        return ImportReport(added=added, merged=len(new_records) - added, conflicts=new_conflicts,
                            issues=tuple(issues), case_ids=tuple(affected))

    def _recognise_flat(self, s: Session, patients: Sequence[ExportedCase], issues: list[DataIssue]) -> set[tuple[str, str]]:
        """Flat exported cases (CSV rows) that are stored patients: their records are skipped, never re-merged.

        A flat row names its patient by id and sources; when both match a stored patient it is that
        patient, and so is a row under another id whose sources and facts are exactly a stored
        patient's (the same patient exported by another registry). What a row says differently is
        reported, not applied (a flat file carries no provenance to tell a correction from an older
        reading).
        """
        flat = [p for p in patients if p.flat]
        if not flat:
            return set()
        stored = [case_from_dict(payload) for payload in s.scalars(select(CaseRow.payload))]
        by_id = {c.id: c for c in stored}
        by_facts: dict[tuple[frozenset[str], str], str] = {}
        for c in stored:
            view = {k: v for k, v in flat_view(c).items() if k not in ("id", "label")}
            by_facts.setdefault((frozenset(c.source_ids), json.dumps(view, sort_keys=True, default=str)), c.id)
        skip: set[tuple[str, str]] = set()
        same = 0
        for p in flat:
            sources = frozenset(p.case.source_ids)
            match = by_id.get(p.case.id)
            if match is None or frozenset(match.source_ids) != sources:
                view = {k: v for k, v in flat_view(p.case).items() if k not in ("id", "label")}
                twin = by_facts.get((sources, json.dumps(view, sort_keys=True, default=str)))
                match = by_id[twin] if twin is not None else None
            if match is None:
                continue
            skip.update(p.record_keys)
            mine, theirs = flat_view(match), flat_view(p.case)
            differ = [k for k in dict.fromkeys([*mine, *theirs]) if k != "id" and mine.get(k) != theirs.get(k)]
            if differ:
                issues.append(DataIssue(
                    IssueLevel.WARNING, f"case {match.id}",
                    f"is already in the registry{'' if match.id == p.case.id else f' (as row {p.case.id})'}; the file "
                    f"differs on {', '.join(differ)}, which an import of flat rows does not apply",
                    "correct the case in the web app or with PATCH /api/cases/ID"))
            else:
                same += 1
        if same:
            issues.append(DataIssue(IssueLevel.INFO, f"{same} case(s)", "already in the registry as they are; skipped"))
        return skip

    @staticmethod
    def _name_new_patients(groups: Sequence[_Group], patients: Sequence[ExportedCase], smap: Mapping[str, Source],
                           taken: set[str]) -> None:
        """Ids for new patients: the exported patient's own id when its records make exactly this patient."""
        by_keys = {frozenset(p.record_keys): p.case.id for p in patients if p.record_keys}
        used = set(taken)
        rest: list[_Group] = []
        for g in groups:
            wanted = by_keys.get(frozenset((record_source(r), r.id) for r in g.records))
            if wanted and wanted not in used:
                g.case_id = wanted
                used.add(wanted)
            else:
                rest.append(g)
        for g, cid in zip(rest, assign_ids([g.records for g in rest], smap, used), strict=True):
            g.case_id = cid

    @staticmethod
    def _curation_targets(patients: Sequence[ExportedCase], placed_at: Mapping[tuple[str, str], str],
                          issues: list[DataIssue]) -> dict[str, list[ExportedCase]]:
        """Which registry patient each exported (curated) patient's records now belong to."""
        out: dict[str, list[ExportedCase]] = {}
        for p in patients:
            if p.flat or not p.record_keys:
                continue
            targets = {placed_at.get(k) for k in p.record_keys}
            if None in targets or len(targets) != 1:
                where = ", ".join(sorted(str(t) for t in targets if t)) or "none"
                issues.append(DataIssue(IssueLevel.WARNING, f"exported case {p.case.id}",
                                        f"its records belong to several patients here ({where}); its corrections "
                                        "and review status were not restored", "restore them by hand"))
                continue
            out.setdefault(next(iter(targets)) or "", []).append(p)
        return out

    @staticmethod
    def _restore(cid: str, exported: ExportedCase, overrides: dict[str, Any], status: ReviewStatus, is_new: bool,
                 notes: list[str], issues: list[DataIssue]) -> ReviewStatus:
        """Restore an exported patient's corrections and status without overwriting this registry's curation."""
        restored: list[str] = []
        for name, edit in curation_of(exported.case, EDITABLE_FIELDS).items():
            have = overrides.get(name)
            if have is None:
                overrides[name] = edit
                restored.append(name)
            elif have["value"] != edit["value"]:
                issues.append(DataIssue(
                    IssueLevel.WARNING, f"case {cid}",
                    f"the import corrects {name} (by {edit['actor']}) differently from this registry's correction "
                    f"(by {have['actor']}); this registry's is kept", "compare the two and correct the case"))
        if restored:
            notes.append(f"corrections restored: {', '.join(restored)}")
        wanted = exported.case.review_status
        if wanted is status:
            return status
        if is_new or status is ReviewStatus.NEEDS_REVIEW:
            notes.append(f"review status {wanted.value} restored")
            return wanted
        issues.append(DataIssue(IssueLevel.INFO, f"case {cid}",
                                f"is {status.value} here and {wanted.value} in the import; kept {status.value}"))
        return status

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
        """Curate fields of a case (domain objects or their JSON form); audited, and kept across later imports.

        HPO terms of edited findings are checked like those of an import; the patient is rebuilt from
        its records plus every correction, so it reads the same as after any later import.
        """
        if not actor or not actor.strip():
            raise RegistryError("an edit needs an actor (who is editing) for the audit log")
        if actor.startswith(CURATOR_PREFIX):
            raise RegistryError(f"an actor name must not start with {CURATOR_PREFIX!r}")
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
                    trial = case_from_dict({**case_to_dict(current), name: encoded} if encoded is not None else
                                           {k: v for k, v in case_to_dict(current).items() if k != name})
                except (ValueError, TypeError, KeyError) as exc:
                    raise RegistryError(f"case {case_id}: field {name}: {exc}") from exc
                if name in ("findings", "etiology", "treatments"):  # the checks an import makes, on this field
                    problems = self._case_problems(Case(id=case_id, **{name: getattr(trial, name)}), case_id)
                    if problems:
                        raise RegistryError(f"case {case_id}: field {name}: {'; '.join(p.message for p in problems)}")
                before[name] = encode_field(name, getattr(current, name))
                after[name] = encoded
                overrides[name] = {"value": encoded, "actor": actor, "at": at}
            records = [case_from_dict(p) for p in s.scalars(
                select(RecordRow.payload).where(RecordRow.case_id == case_id).order_by(RecordRow.position, RecordRow.id))]
            smap = self._sources(s)
            base = combine_records(case_id, records, smap) if records else current
            updated = apply_overrides(base, overrides, records).with_changes(review_status=current.review_status)
            self._store_case(s, updated, smap, overrides, _now(), row)
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

"""Deduplication: which per-source records describe the same patient, and the merged case.

Pure functions over domain objects; the registry calls them inside its import
transaction. Rules (issue 2, item 4):

* records from the same source never merge (one series reports many patients);
* a record merges with another when its citation names the other's paper (same
  first author and year, or the paper the other's table belongs to) and the facts
  are compatible (ages equal, inside the other's range or within a year; levels
  overlap), or when age, sex and levels all match and the two sources refer to
  each other;
* several equally good candidates are an ambiguity, reported, never guessed;
* merging keeps every record; list facts are united, a precise scalar refines a
  vague one, and a real disagreement becomes a :class:`Conflict`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from calcispine.model import (
    CASE_FIELDS,
    Case,
    Conflict,
    DataIssue,
    Finding,
    IssueLevel,
    Level,
    Measurement,
    Provenance,
    ReviewStatus,
    Sex,
    Source,
    SourceRef,
    Treatment,
    render_levels,
)

__all__ = [
    "MULTI_VALUE_FIELDS", "MergeResult", "RecordMatcher", "ValueSource", "agrees", "combine_records", "credit",
    "merge_records", "record_locator", "record_source", "value_key", "value_provenance",
]

AGE_TOLERANCE_YEARS = 1.0
PRIMARY_LAST_KINDS = frozenset({"summary_table"})
_STATUS_ORDER = (ReviewStatus.NEEDS_REVIEW, ReviewStatus.REVIEWED, ReviewStatus.PUBLISHED)
_PROVENANCE_FIELDS = (*CASE_FIELDS, "neuro_deficit", "label", "cites")
_LIST_FIELDS = ("compartments", "comorbidities", "imaging", "pathology", "differential")
#: Fields that hold several values; each value is credited to the sources that state it.
#: Provenance of a curator's edit names the curator after this prefix, where a source id would be.
CURATOR_PREFIX = "curator:"
MULTI_VALUE_FIELDS = ("findings", "measurements", "treatments", "etiology", *_LIST_FIELDS)


@dataclass(frozen=True)
class MergeResult:
    """Merged patients, the problems met, and which records each patient was built from."""

    cases: tuple[Case, ...]
    issues: tuple[DataIssue, ...] = ()
    records: Mapping[str, tuple[Case, ...]] = field(default_factory=dict, compare=False)


def record_source(record: Case) -> str:
    """The one source a per-source record comes from."""
    if len(record.source_ids) != 1:
        raise ValueError(
            f"record {record.id}: a per-source record names exactly one source, got {list(record.source_ids)}"
        )
    return record.source_ids[0]


def record_locator(record: Case) -> str | None:
    """Where in its source the record sits (table row, case section), from its provenance."""
    src = record.source_ids[0] if record.source_ids else None
    for _, p in record.provenance:
        if p.locator and (src is None or p.source_id == src):
            return p.locator
    return None


# -- matching ---------------------------------------------------------------

def _paper_chain(source_id: str, sources: Mapping[str, Source]) -> list[Source]:
    chain: list[Source] = []
    seen: set[str] = set()
    current: str | None = source_id
    while current and current in sources and current not in seen:
        seen.add(current)
        chain.append(sources[current])
        current = sources[current].part_of
    return chain


def _root(source_id: str, sources: Mapping[str, Source]) -> str:
    chain = _paper_chain(source_id, sources)
    return chain[-1].id if chain else source_id


def _cites_paper_of(a: Case, b: Case, sources: Mapping[str, Source]) -> bool:
    return a.cites is not None and any(a.cites.matches(s) for s in _paper_chain(record_source(b), sources))


def _linked(a: Case, b: Case, sources: Mapping[str, Source]) -> bool:
    """One record's citation names the other's paper (same first author and year)."""
    return _cites_paper_of(a, b, sources) or _cites_paper_of(b, a, sources)


def _cross_referenced(a: Case, b: Case, sources: Mapping[str, Source]) -> bool:
    """The two sources refer to each other: parts of one paper, or a citation naming the other's author."""
    if _root(record_source(a), sources) == _root(record_source(b), sources):
        return True
    for x, y in ((a, b), (b, a)):
        if x.cites is None:
            continue
        loose = SourceRef(x.cites.first_author)
        if any(loose.matches(s) for s in _paper_chain(record_source(y), sources)):
            return True
    return False


def _age_gap(a: Case, b: Case) -> float | None:
    """Years between the two ages (0 when one lies inside the other's range); None when unknown."""
    def span(c: Case) -> tuple[float, float] | None:
        if c.age_years is not None:
            return (c.age_years, c.age_years)
        return c.age_range_years

    sa, sb = span(a), span(b)
    if sa is None or sb is None:
        return None
    if sa[1] < sb[0]:
        return sb[0] - sa[1]
    if sb[1] < sa[0]:
        return sa[0] - sb[1]
    return 0.0


def _levels_overlap(a: Case, b: Case) -> bool | None:
    if not a.levels or not b.levels:
        return None
    return bool(set(a.levels) & set(b.levels))


def _compatible(a: Case, b: Case) -> bool:
    gap = _age_gap(a, b)
    return (gap is None or gap <= AGE_TOLERANCE_YEARS) and _levels_overlap(a, b) is not False


def _strictly_equal_facts(a: Case, b: Case) -> bool:
    return (
        _age_gap(a, b) == 0.0
        and a.sex is not Sex.UNKNOWN
        and a.sex is b.sex
        and bool(a.levels)
        and a.levels == b.levels
    )


def same_patient(a: Case, b: Case, sources: Mapping[str, Source]) -> bool:
    """Whether two records from different sources describe one patient."""
    if record_source(a) == record_source(b):
        return False
    if _linked(a, b, sources) and _compatible(a, b):
        return True
    return _strictly_equal_facts(a, b) and _cross_referenced(a, b, sources)


def _score(a: Case, b: Case) -> tuple[float, float, int]:
    """Lower is a better match: age gap, level dissimilarity, sex disagreement."""
    gap = _age_gap(a, b)
    la, lb = set(a.levels), set(b.levels)
    jaccard = len(la & lb) / len(la | lb) if la and lb else 0.0
    sex_clash = int(a.sex is not Sex.UNKNOWN and b.sex is not Sex.UNKNOWN and a.sex is not b.sex)
    return (gap if gap is not None else AGE_TOLERANCE_YEARS, 1.0 - jaccard, sex_clash)


@dataclass
class _Group:
    records: list[Case]
    case_id: str | None = None
    stored: bool = False

    def sources(self) -> set[str]:
        return {record_source(r) for r in self.records}


class RecordMatcher:
    """Groups records into patients, one record at a time (stored groups first)."""

    def __init__(self, sources: Mapping[str, Source]) -> None:
        self.sources = sources
        self.groups: list[_Group] = []
        self.issues: list[DataIssue] = []

    def add_stored(self, case_id: str, records: Sequence[Case]) -> None:
        self.groups.append(_Group(list(records), case_id, stored=True))

    def add(self, record: Case) -> _Group:
        src = record_source(record)
        scored: list[tuple[tuple[float, float, int], int]] = []
        for i, g in enumerate(self.groups):
            if src in g.sources():
                continue
            matches = [_score(record, r) for r in g.records if same_patient(record, r, self.sources)]
            if matches:
                scored.append((min(matches), i))
        scored.sort()
        if len(scored) > 1 and scored[0][0] == scored[1][0]:
            best = scored[0][0]
            names = ", ".join(self._describe(self.groups[i]) for score, i in scored if score == best)
            self.issues.append(DataIssue(
                IssueLevel.WARNING, f"record {record.id} ({src})",
                f"matches several patients equally well ({names}); kept as a separate patient",
                "merge it by hand once the sources say which patient it is",
            ))
            scored = []
        if scored:
            group = self.groups[scored[0][1]]
            group.records.append(record)
            return group
        group = _Group([record])
        self.groups.append(group)
        return group

    @staticmethod
    def _describe(g: _Group) -> str:
        return g.case_id or ", ".join(r.id for r in g.records)


# -- combining --------------------------------------------------------------

def _precedence(records: Sequence[Case], sources: Mapping[str, Source]) -> list[Case]:
    """Full reports before summary-table rows; otherwise the order they arrived in."""
    def kind(r: Case) -> int:
        s = sources.get(record_source(r))
        return 1 if s is not None and s.kind in PRIMARY_LAST_KINDS else 0

    return sorted(records, key=kind)


def _fmt_age(c: Case) -> str:
    if c.age_years is not None:
        return f"{c.age_years:g}"
    if c.age_range_years is not None:
        return f"{c.age_range_years[0]:g}-{c.age_range_years[1]:g}"
    return "unknown"


def _stated(record: Case, name: str) -> bool:
    value = getattr(record, name)
    if name == "sex":
        return value is not Sex.UNKNOWN
    return value is not None and value != () and value != {}


def _combine_age(ordered: Sequence[Case], conflicts: list[Conflict]) -> tuple[float | None, tuple[float, float] | None]:
    ages = [(record_source(r), r.age_years) for r in ordered if r.age_years is not None]
    ranges = [(record_source(r), r.age_range_years) for r in ordered if r.age_range_years is not None]
    age = ages[0][1] if ages else None
    rng = min((rg for _, rg in ranges), key=lambda x: x[1] - x[0]) if ranges else None
    clash = any(abs(a - ages[0][1]) > 1e-9 for _, a in ages) if ages else False
    if rng is not None:
        clash = clash or any(rg[1] < rng[0] or rg[0] > rng[1] for _, rg in ranges)
        if age is not None and not rng[0] <= age <= rng[1]:
            clash = True
    if clash:
        conflicts.append(Conflict("age_years", tuple((record_source(r), _fmt_age(r)) for r in ordered
                                                     if r.age_years is not None or r.age_range_years is not None)))
    return age, rng


def _first_and_clash(ordered: Sequence[Case], name: str, show: Callable[[Any], str], conflicts: list[Conflict]) -> Any:
    stated = [r for r in ordered if _stated(r, name)]
    if not stated:
        return getattr(ordered[0], name)
    chosen = getattr(stated[0], name)
    key = _clash_key(name, chosen)
    if any(_clash_key(name, getattr(r, name)) != key for r in stated[1:]):
        conflicts.append(Conflict(name, tuple((record_source(r), show(getattr(r, name))) for r in stated)))
    return chosen


def _clash_key(name: str, value: object) -> object:
    if name == "diagnosis" and value is not None:
        return getattr(value, "key", value)
    if name == "outcome" and value is not None:
        return (getattr(value, "status", None), getattr(value, "follow_up_months", None))
    return value


def _union(values: Iterable[tuple[object, object]]) -> list[object]:
    seen: dict[object, object] = {}
    for key, value in values:
        seen.setdefault(key, value)
    return list(seen.values())


def _combine_findings(ordered: Sequence[Case], conflicts: list[Conflict]) -> tuple[Finding, ...]:
    chosen: dict[tuple[str, bool, bool, bool], tuple[str, Finding]] = {}
    clashes: dict[str, list[tuple[str, str]]] = {}
    for r in ordered:
        src = record_source(r)
        for f in r.findings:
            key = (f.hpo_id, f.historical, f.family, f.hypothetical)
            if key not in chosen:
                chosen[key] = (src, f)
            elif chosen[key][1].excluded != f.excluded:
                first_src, first = chosen[key]
                entry = clashes.setdefault(f.hpo_id, [(first_src, f"{'excluded' if first.excluded else 'observed'} {first.label}")])
                entry.append((src, f"{'excluded' if f.excluded else 'observed'} {f.label}"))
    conflicts.extend(Conflict("findings", tuple(v)) for v in clashes.values())
    return tuple(f for _, f in chosen.values())


def _combine_etiology(ordered: Sequence[Case], conflicts: list[Conflict]) -> tuple[str, ...]:
    tags = [str(t) for t in _union((t, t) for r in ordered for t in r.etiology)]
    if "none_reported" in tags and len(tags) > 1:
        tags.remove("none_reported")
        conflicts.append(Conflict("etiology", tuple(
            (record_source(r), ", ".join(r.etiology)) for r in ordered if r.etiology
        ), note="one source names no cause, another names one; the named causes are kept"))
    return tuple(tags)


def value_key(name: str, value: Any) -> Any:
    """What makes two values of a field the same value (a finding's term and status, a treatment's code)."""
    if name == "findings":
        return (value.hpo_id, value.excluded, value.historical, value.family, value.hypothetical)
    if name == "measurements":
        return (value.analyte, value.value, value.unit, value.flag, value.result)
    if name == "treatments":
        return value.code
    return value


def agrees(name: str, stated: Any, merged: Any) -> bool:
    """Whether a source's value of a field supports the merged value (for lists: states one of its values).

    A source is credited for a value only when it says that value, never for a value it contradicts.
    """
    if name in MULTI_VALUE_FIELDS:
        return bool({value_key(name, v) for v in stated or ()} & {value_key(name, v) for v in merged or ()})
    if name == "age_range_years":
        return stated is not None and merged is not None and stated[0] <= merged[0] and merged[1] <= stated[1]
    if name == "sex" and (stated is Sex.UNKNOWN or merged is Sex.UNKNOWN):
        return False
    return bool(_clash_key(name, stated) == _clash_key(name, merged))


def _field_provenance(record: Case, name: str) -> list[Provenance]:
    own = [p for f, p in record.provenance if f == name]
    return own or [Provenance(record_source(record), locator=record_locator(record))]


def credit(records: Sequence[Case], case: Case) -> tuple[tuple[str, Provenance], ...]:
    """Field-level provenance of a merged case: each field credited only to the records that support its value."""
    out: list[tuple[str, Provenance]] = []
    for name in _PROVENANCE_FIELDS:
        merged = getattr(case, name)
        for r in records:
            if _stated(r, name) and agrees(name, getattr(r, name), merged):
                out.extend((name, p) for p in _field_provenance(r, name))
    out.extend((f, p) for r in records for f, p in r.provenance if f not in _PROVENANCE_FIELDS)
    return tuple(dict.fromkeys(out))


@dataclass(frozen=True)
class ValueSource:
    """One value of a case field and the provenance of exactly the sources (or curator) that state it."""

    field: str
    value: Any
    provenance: tuple[Provenance, ...]


def value_provenance(case: Case, records: Sequence[Case] = ()) -> tuple[ValueSource, ...]:
    """Per-value provenance: each value of each stated field with the sources that say that value.

    ``records`` are the per-source records the case was merged from; without them the case's own
    field-level provenance is used. A value no source states (a curator's correction) is credited
    to the curator who set it.
    """
    out: list[ValueSource] = []
    for name in _PROVENANCE_FIELDS:
        if not _stated(case, name):
            continue
        merged = getattr(case, name)
        curated = tuple(p for f, p in case.provenance if f == name and p.source_id.startswith(CURATOR_PREFIX))
        values = list(merged) if name in MULTI_VALUE_FIELDS else [merged]
        for value in values:
            provs: list[Provenance] = []
            for r in records:
                if not _stated(r, name):
                    continue
                if name in MULTI_VALUE_FIELDS:
                    key = value_key(name, value)
                    own = next((v for v in getattr(r, name) if value_key(name, v) == key), None)
                    if own is None:
                        continue
                elif agrees(name, getattr(r, name), value):
                    own = getattr(r, name)
                else:
                    continue
                field_provs = _field_provenance(r, name)
                evidence = getattr(own, "evidence", None)
                if evidence is not None:
                    provs.append(Provenance(record_source(r), evidence, field_provs[0].locator))
                else:
                    provs.extend(field_provs)
            if not records:
                provs = [p for f, p in case.provenance if f == name and not p.source_id.startswith(CURATOR_PREFIX)]
            if not provs:
                provs = list(curated)
            out.append(ValueSource(name, value, tuple(dict.fromkeys(provs))))
    return tuple(out)


def combine_records(case_id: str, records: Sequence[Case], sources: Mapping[str, Source]) -> Case:
    """The merged patient: every record kept as provenance, disagreements as conflicts."""
    if not records:
        raise ValueError(f"case {case_id}: nothing to combine")
    ordered = _precedence(records, sources)
    conflicts: list[Conflict] = [c for r in ordered for c in r.conflicts]
    age, rng = _combine_age(ordered, conflicts)
    sex = _first_and_clash(ordered, "sex", lambda s: s.value, conflicts)
    levels = _first_and_clash(ordered, "levels", render_levels, conflicts)
    scalars = {
        name: _first_and_clash(ordered, name, show, conflicts)
        for name, show in (
            ("side", lambda s: s.value), ("neuro_deficit", lambda b: "yes" if b else "no"),
            ("diagnosis", lambda d: f"{d.label} ({d.key})"),
            ("outcome", lambda o: o.description or o.status or "stated"),
        )
    }
    treatments: list[Treatment] = _union(
        (value_key("treatments", t), t) for r in ordered for t in r.treatments)  # type: ignore[assignment]
    measurements: list[Measurement] = _union(
        (value_key("measurements", m), m) for r in ordered for m in r.measurements)  # type: ignore[assignment]
    lists = {name: tuple(str(v) for v in _union((v, v) for r in ordered for v in getattr(r, name))) for name in _LIST_FIELDS}
    versions: dict[str, str] = {}
    for r in reversed(ordered):
        versions.update(r.versions)
    status = min((r.review_status for r in records), key=_STATUS_ORDER.index)
    source_ids = tuple(dict.fromkeys(record_source(r) for r in records))
    merged = Case(
        id=case_id,
        source_ids=source_ids,
        label=next((r.label for r in ordered if r.label), None),
        age_years=age,
        age_range_years=rng,
        sex=sex,
        levels=levels,
        findings=_combine_findings(ordered, conflicts),
        measurements=tuple(measurements),
        treatments=tuple(treatments),
        etiology=_combine_etiology(ordered, conflicts),
        cites=next((r.cites for r in records if r.cites is not None), None),
        conflicts=tuple(dict.fromkeys(conflicts)),
        review_status=status,
        versions=versions,
        **scalars,
        **lists,  # type: ignore[arg-type]
    )
    return merged.with_changes(provenance=credit(ordered, merged))


# -- ids --------------------------------------------------------------------

def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def base_case_id(records: Sequence[Case], sources: Mapping[str, Source]) -> str:
    """``firstauthor-year-levels`` of the paper that first reported the patient, e.g. ``tuy-2008-c2-c3``."""
    ordered = _precedence(records, sources)
    primary = ordered[0]
    if primary.cites is not None:
        author, year = primary.cites.first_author, primary.cites.year
    else:
        root = _paper_chain(record_source(primary), sources)
        paper = root[-1] if root else None
        author = (paper.first_author if paper else None) or record_source(primary)
        year = paper.year if paper else None
    levels: tuple[Level, ...] = next((r.levels for r in ordered if r.levels), ())
    parts = [author, str(year) if year else "", render_levels(levels).replace(", ", " and ")]
    return _slug(" ".join(p for p in parts if p)) or "case"


def _distinguishing_suffix(records: Sequence[Case], sources: Mapping[str, Source]) -> str:
    primary = _precedence(records, sources)[0]
    sex = {Sex.FEMALE: "f", Sex.MALE: "m"}.get(primary.sex, "")
    age = f"{primary.age_years:g}".replace(".", "p") if primary.age_years is not None else ""
    return f"{sex}{age}"


def assign_ids(groups: Sequence[Sequence[Case]], sources: Mapping[str, Source], taken: set[str]) -> list[str]:
    """Readable, deterministic ids; patients sharing a base id get sex+age, then a number."""
    bases = [base_case_id(g, sources) for g in groups]
    counts: dict[str, int] = {}
    for b in bases:
        counts[b] = counts.get(b, 0) + 1
    used = set(taken)
    ids: list[str] = []
    for base, g in zip(bases, groups, strict=True):
        candidate = base
        if counts[base] > 1 or candidate in used:
            suffix = _distinguishing_suffix(g, sources)
            candidate = f"{base}-{suffix}" if suffix else base
        n = 2
        unique = candidate
        while unique in used:
            unique = f"{candidate}-{n}"
            n += 1
        used.add(unique)
        ids.append(unique)
    return ids


def merge_records(records: Iterable[Case], sources: Iterable[Source] | Mapping[str, Source]) -> MergeResult:
    """Deduplicate per-source records into patients (pure; no registry needed)."""
    smap = dict(sources) if isinstance(sources, Mapping) else {s.id: s for s in sources}
    matcher = RecordMatcher(smap)
    issues: list[DataIssue] = []
    for r in records:
        try:
            src = record_source(r)
        except ValueError as exc:
            issues.append(DataIssue(IssueLevel.ERROR, f"record {r.id}", str(exc)))
            continue
        if src not in smap:
            issues.append(DataIssue(IssueLevel.ERROR, f"record {r.id}", f"source {src!r} is not among the sources given",
                                    "add the source's citation first"))
            continue
        matcher.add(r)
    issues.extend(matcher.issues)
    groups = [g.records for g in matcher.groups]
    ids = assign_ids(groups, smap, set())
    cases = tuple(combine_records(cid, g, smap) for cid, g in zip(ids, groups, strict=True))
    for c in cases:
        for conflict in c.conflicts:
            issues.append(DataIssue(IssueLevel.WARNING, f"case {c.id}", f"sources disagree on {conflict.describe()}",
                                    "kept both values; review the case"))
    return MergeResult(cases, tuple(issues), {cid: tuple(g) for cid, g in zip(ids, groups, strict=True)})

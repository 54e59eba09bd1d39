"""Literature summary tables (CSV, TSV, or flattened into text by PDF extraction) -> cases.

Pure: text in, cases and issues out. Every row is read to the end so that all problems
are reported together; if any is an error, nothing is returned and
:class:`TableImportError` carries them all.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Literal

from calcispine.knowledge import load_vocabulary
from calcispine.model import (
    Case,
    DataIssue,
    Evidence,
    Finding,
    IssueLevel,
    LevelError,
    Notepad,
    Provenance,
    ReviewStatus,
    Sex,
    Source,
    SourceRef,
    Treatment,
    parse_levels,
)

from ._table_spec import TableSpec, load_spec_document, normalise_phrase

TableFormat = Literal["csv", "tsv", "text"]
INCLUSION_RULE = "table-inclusion-criterion"

_YEAR_ROW = re.compile(r"^(?P<who>.+?)\s+(?:\[(?P<ref>[^\]]+)\]\s+)?(?P<year>\d{4})(?=\s|$)(?P<rest>.*)$")
_LEVEL_TOKEN = re.compile(r"^[CTLSDctlsd]\d{1,2}(?:[-–—/](?:[CTLSDctlsd])?\d{1,2})*,?$")
_LEVEL_JOINER = {"and", "to", "&"}


class TableImportError(ValueError):
    """A table that could not be imported; ``issues`` lists every problem found."""

    def __init__(self, issues: tuple[DataIssue, ...]) -> None:
        self.issues = issues
        errors = [i for i in issues if i.level is IssueLevel.ERROR]
        lines = "\n".join(f"  {i}" for i in errors)
        super().__init__(f"table not imported: {len(errors)} error(s)\n{lines}")


@dataclass
class _RawRow:
    """One row's cells as the table states them, before interpretation."""

    line: int
    author: str
    reference: str | None
    year: str | None
    sex: str
    age: str
    location: str
    causes: list[str]
    treatment: str
    cites_self: bool = False
    extra_lines: list[int] = field(default_factory=list)


def _where(origin: str, line: int, column: str | None = None) -> str:
    return f"{origin} line {line}" + (f", column {column}" if column else "")


# ---------------------------------------------------------------------------------------- text form


def _split_tokens(text: str) -> list[str]:
    """Whitespace tokens, with "HD,PD" split after its comma (the flattening lost the space)."""
    out: list[str] = []
    for tok in text.split():
        parts = re.split(r"(?<=,)(?=\S)", tok)
        out.extend(p for p in parts if p)
    return out


def _take_causes(tokens: list[str], spec: TableSpec) -> tuple[list[str], int]:
    """Greedy: legend entries (possibly several words) joined by commas; returns them and tokens used."""
    causes: list[str] = []
    i = 0
    max_words = max((len(k.split()) for k in spec.legend), default=1)
    while i < len(tokens):
        took = 0
        for k in range(min(max_words, len(tokens) - i), 0, -1):
            candidate = " ".join(tokens[i : i + k]).rstrip(",")
            if spec.lookup_cause(candidate) is not None:
                took = k
                break
        took = took or 1
        causes.append(" ".join(tokens[i : i + took]).rstrip(","))
        i += took
        if not tokens[i - 1].endswith(","):
            break
    return causes, i


def _take_location(tokens: list[str]) -> tuple[str, int]:
    i = 0
    while i < len(tokens) and (
        _LEVEL_TOKEN.match(tokens[i]) or (i > 0 and tokens[i].lower() in _LEVEL_JOINER and i + 1 < len(tokens))
    ):
        i += 1
    i = i or 1  # not a level: one token, which parse_levels will reject with its reason
    return " ".join(tokens[:i]).rstrip(","), i


def _read_text_rows(text: str, spec: TableSpec, origin: str, pad: Notepad) -> tuple[list[_RawRow], list[str]]:
    lines = text.splitlines()
    form = spec.text_form
    begin = 0
    if form.start:
        for n, line in enumerate(lines):
            if line.strip().startswith(form.start):
                begin = n + 1
                break
    rows: list[_RawRow] = []
    legend_lines: list[str] = []
    previous_was_row = False
    self_labels = {s.lower(): s for s in spec.self_labels}
    for idx in range(begin, len(lines)):
        lineno = idx + 1
        line = lines[idx].strip()
        if legend_lines:
            if not line:
                break
            legend_lines.append(line)
            continue
        if not line:
            previous_was_row = False
            continue
        if form.header and line.startswith(form.header):
            continue
        if form.legend and line.startswith(form.legend):
            legend_lines.append(line)
            continue
        starts_row = False
        who = ref = year = None
        rest = ""
        for low, label in self_labels.items():
            if line.lower().startswith(low + " "):
                starts_row, who, rest = True, label, line[len(low) :]
                break
        m = None if starts_row else _YEAR_ROW.match(line)
        if m:
            starts_row, who, ref, year, rest = True, m["who"], m["ref"], m["year"], m["rest"]
        if not starts_row:
            last = rows[-1] if rows else None
            if last is not None and (
                last.treatment.rstrip().endswith(",") or (previous_was_row and not re.search(r"\d", line))
            ):
                last.treatment = f"{last.treatment.rstrip()} {line}"
                last.extra_lines.append(lineno)
                continue
            pad.error(
                _where(origin, lineno, "author/year"),
                f"cannot read {line!r} as a table row: expected 'Author [ref] year sex age location cause treatment'",
                "or a continuation of the previous row's treatment",
            )
            previous_was_row = False
            continue
        tokens = _split_tokens(rest)
        row = _row_from_tokens(tokens, spec, origin, lineno, line, pad)
        if row is not None:
            row.author, row.reference, row.year = (who or "").strip(), ref, year
            row.cites_self = who in spec.self_labels
            rows.append(row)
        previous_was_row = row is not None
    return rows, legend_lines


def _row_from_tokens(
    tokens: list[str], spec: TableSpec, origin: str, lineno: int, line: str, pad: Notepad
) -> _RawRow | None:
    if len(tokens) < 5:
        missing = ["sex", "age", "location", "cause", "treatment"][len(tokens)]
        pad.error(_where(origin, lineno, missing), f"row {line!r} ends before its {missing} column")
        return None
    sex, age = tokens[0], tokens[1]
    location, used = _take_location(tokens[2:])
    rest = tokens[2 + used :]
    if not rest:
        pad.error(_where(origin, lineno, "cause"), f"row {line!r} ends before its cause column")
        return None
    causes, used = _take_causes(rest, spec)
    treatment = " ".join(rest[used:])
    return _RawRow(lineno, "", None, None, sex, age, location, causes, treatment)


def _parse_text_legend(legend_lines: list[str]) -> dict[str, str]:
    entries: dict[str, str] = {}
    for part in " ".join(legend_lines).split(","):
        words = part.split(maxsplit=1)
        if len(words) == 2:
            entries[words[0]] = words[1].strip()
    return entries


# ---------------------------------------------------------------------------------------- CSV / TSV


def _read_delimited_rows(
    text: str, delimiter: str, spec: TableSpec, origin: str, pad: Notepad
) -> list[_RawRow]:
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        pad.error(origin, "the table is empty: expected a header line naming its columns")
        return []
    cols = spec.columns
    wanted = {
        name: getattr(cols, name)
        for name in ("author", "author_year", "reference", "year", "sex", "age", "location", "cause", "treatment")
        if getattr(cols, name)
    }
    folded = {h.lower(): i for i, h in enumerate(header)}
    index: dict[str, int] = {}
    for fact, head in wanted.items():
        if head.lower() not in folded:
            pad.error(
                _where(origin, 1),
                f"column {head!r} (for {fact}) is not in the header",
                f"the header has: {', '.join(header)}",
            )
        else:
            index[fact] = folded[head.lower()]
    if pad.has_errors:
        return []
    rows: list[_RawRow] = []
    for cells in reader:
        lineno = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if len(cells) < len(header):
            cells = cells + [""] * (len(header) - len(cells))

        def cell(fact: str, cells: list[str] = cells) -> str:
            return cells[index[fact]].strip() if fact in index else ""

        author, ref, year = cell("author"), cell("reference") or None, cell("year") or None
        if "author_year" in index:
            combined = cell("author_year")
            m = _YEAR_ROW.match(combined)
            if m and not m["rest"].strip():
                author, ref, year = m["who"], m["ref"], m["year"]
            else:
                author = combined
        cites_self = author.lower() in {s.lower() for s in spec.self_labels}
        causes = [c.strip() for c in re.split(r",", cell("cause")) if c.strip()]
        rows.append(
            _RawRow(lineno, author, ref, year, cell("sex"), cell("age"), cell("location"), causes,
                    cell("treatment"), cites_self)
        )
    return rows


# ---------------------------------------------------------------------------------------- rows -> cases


def _build_case(raw: _RawRow, row_no: int, spec: TableSpec, source: Source, origin: str, pad: Notepad) -> Case | None:
    vocab = load_vocabulary()
    ok = True

    def err(column: str, message: str, hint: str | None = None) -> None:
        nonlocal ok
        ok = False
        pad.error(_where(origin, raw.line, column), message, hint)

    if raw.cites_self:
        if source.first_author is None:
            err("author", f"row {raw.author!r} names the paper itself, but the source {source.id} has no authors")
            cites = None
        else:
            cites = SourceRef(source.first_author, source.year)
    else:
        year: int | None = None
        if not raw.author:
            err("author", "the author is empty")
        if raw.year is None:
            err("year", f"row of {raw.author!r} has no year", f"rows naming the paper itself are: {', '.join(spec.self_labels) or 'none'}")
        else:
            try:
                year = int(raw.year)
                if not 1800 <= year <= 2100:
                    raise ValueError
            except ValueError:
                err("year", f"{raw.year!r} is not a publication year")
        cites = SourceRef(raw.author, year, raw.reference.strip() if raw.reference else None) if raw.author else None

    try:
        sex = Sex.parse(raw.sex)
    except ValueError as exc:
        err("sex", str(exc))
        sex = Sex.UNKNOWN

    age: float | None = None
    if raw.age:
        try:
            age = float(raw.age)
            if not 0 <= age <= 120:
                raise ValueError
        except ValueError:
            err("age", f"{raw.age!r} is not an age in years (0-120)")
            age = None

    try:
        levels = parse_levels(raw.location)
    except LevelError as exc:
        err("location", str(exc))
        levels = ()

    etiology: list[str] = []
    if not raw.causes:
        err("cause", "the cause is empty", f"legend: {spec.legend_text()}")
    for cause in raw.causes:
        tags = spec.lookup_cause(cause)
        if tags is None:
            err("cause", f"abbreviation {cause!r} is not in the legend", f"legend: {spec.legend_text()}")
            continue
        etiology.extend(t for t in tags if t not in etiology)

    treatments: list[Treatment] = []
    phrases = [p for p in (normalise_phrase(x) for x in raw.treatment.split(",")) if p]
    if not phrases:
        err("treatment", "the treatment is empty")
    for phrase in phrases:
        codes = spec.treatments.get(phrase)
        if codes is None:
            err("treatment", f"treatment {phrase!r} is not a known phrase", f"known: {', '.join(spec.treatments)}")
            continue
        for code in codes:
            if code not in (t.code for t in treatments):
                maxo = vocab.treatment[code].maxo if code in vocab.treatment else None
                treatments.append(Treatment(code=code, label=phrase, maxo_id=maxo))

    if not ok or cites is None:
        return None
    locator = f"{spec.table_label}, row {row_no}"
    prov = Provenance(source.id, locator=locator)
    label = f"{cites.first_author} {cites.year}" if cites.year else cites.first_author
    fields = ("age_years", "sex", "levels", "etiology", "treatments") + (("diagnosis",) if spec.diagnosis else ())
    provenance = [(f, prov) for f in fields]
    findings: tuple[Finding, ...] = ()
    imaging: tuple[str, ...] = ()
    inc = spec.inclusion_findings
    if inc is not None:
        # No span: the criterion is stated once for the whole table, not in this row.
        ev = Evidence(0, 0, inc.statement, section=f"inclusion criterion of the table ({inc.locator})",
                      rule=INCLUSION_RULE)
        inc_prov = Provenance(source.id, evidence=ev, locator=locator)
        findings = tuple(Finding(f.hpo, f.label, evidence=ev) for f in inc.findings)
        imaging = inc.imaging
        provenance += [(f, inc_prov) for f, v in (("findings", findings), ("imaging", imaging)) if v]
    try:
        return Case(
            id=f"{source.id}:r{row_no:02d}",
            source_ids=(source.id,),
            label=label,
            age_years=age,
            sex=sex,
            levels=levels,
            treatments=tuple(treatments),
            diagnosis=spec.diagnosis.to_model() if spec.diagnosis else None,
            etiology=tuple(etiology),
            cites=cites,
            findings=findings,
            imaging=imaging,
            provenance=tuple(provenance),
            review_status=ReviewStatus.NEEDS_REVIEW,
            versions={"vocabulary": vocab.version},
        )
    except ValueError as exc:
        err("row", str(exc))
        return None


def parse_summary_table(
    text: str, *, fmt: TableFormat, spec: TableSpec, source: Source, origin: str | None = None
) -> tuple[tuple[Case, ...], tuple[DataIssue, ...]]:
    """Cases of a summary table and the warnings met; raise :class:`TableImportError` on any error.

    ``origin`` names the input in messages (a file name); the source id otherwise.
    """
    where = origin or source.id
    pad = Notepad()
    legend_lines: list[str] = []
    if fmt == "text":
        raw_rows, legend_lines = _read_text_rows(text, spec, where, pad)
    elif fmt in ("csv", "tsv"):
        raw_rows = _read_delimited_rows(text, "," if fmt == "csv" else "\t", spec, where, pad)
    else:
        raise ValueError(f"table format {fmt!r} is not one of csv, tsv, text")
    if not raw_rows and not pad.has_errors:
        pad.error(where, "no table rows found", "check the spec's text_form markers or the column mapping")
    known = {k.lower() for k in spec.legend} | set(spec.treatments) | {"m", "f"}
    for abbr, meaning in _parse_text_legend(legend_lines).items():
        if abbr.lower() not in known:
            pad.warn(where, f"the table's legend defines {abbr} ({meaning}) but the spec does not map it")
    cases = [_build_case(raw, n, spec, source, where, pad) for n, raw in enumerate(raw_rows, start=1)]
    if pad.has_errors:
        raise TableImportError(pad.issues)
    return tuple(c for c in cases if c is not None), pad.issues


# ---------------------------------------------------------------------------------------- packaged tables


def packaged_tables() -> tuple[str, ...]:
    """Names of the tables shipped in calcispine/data/tables."""
    folder = resources.files("calcispine").joinpath("data/tables")
    return tuple(sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml")))


@lru_cache(maxsize=8)
def load_packaged_table(name: str) -> tuple[Source, tuple[Case, ...]]:
    """A shipped table: its Source citation and its rows as cases (facts only, no sentences)."""
    folder = resources.files("calcispine").joinpath("data/tables")
    spec_file, rows_file = folder.joinpath(f"{name}.yaml"), folder.joinpath(f"{name}.tsv")
    if not (spec_file.is_file() and rows_file.is_file()):
        raise ValueError(f"no packaged table {name!r}; available: {', '.join(packaged_tables()) or 'none'}")
    spec, source = load_spec_document(spec_file.read_text(encoding="utf-8"), name=f"data/tables/{name}.yaml")
    if source is None:
        raise ValueError(f"data/tables/{name}.yaml has no 'source:' citation")
    cases, _ = parse_summary_table(
        rows_file.read_text(encoding="utf-8"), fmt="tsv", spec=spec, source=source, origin=f"data/tables/{name}.tsv"
    )
    return source, cases


@lru_cache(maxsize=8)
def packaged_table_spec(name: str) -> TableSpec:
    """The spec of a shipped table, to read the same paper's table from another form (e.g. its text)."""
    folder = resources.files("calcispine").joinpath("data/tables")
    spec_file = folder.joinpath(f"{name}.yaml")
    if not spec_file.is_file():
        raise ValueError(f"no packaged table {name!r}; available: {', '.join(packaged_tables()) or 'none'}")
    return load_spec_document(spec_file.read_text(encoding="utf-8"), name=f"data/tables/{name}.yaml")[0]

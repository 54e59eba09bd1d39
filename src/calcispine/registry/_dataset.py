"""The embedded dataset: versioned package data (citations, corpus patients, the review's table).

Pure reads of package files, validated with pydantic at load; an error names the
file, the entry and the field so a curator can fix it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from calcispine.knowledge import load_labs, load_vocabulary
from calcispine.model import (
    DOI_PATTERN,
    Case,
    Diagnosis,
    Finding,
    LabFlag,
    Measurement,
    Outcome,
    Provenance,
    Sex,
    Side,
    Source,
    Treatment,
    parse_levels,
)

__all__ = [
    "DATA_PACKAGE", "Dataset", "DatasetError", "ExportedCase", "embedded_dataset", "load_corpus_cases", "load_sources",
]

DATA_PACKAGE = "calcispine.data"
TABLE_SOURCE_ID = "guo-2017-table1"
SourceKind = Literal[
    "case_report", "case_report_with_review", "summary_table", "educational_exhibit", "letter", "review",
    "cited_report",
]


class DatasetError(ValueError):
    """A packaged or user data file that does not validate; the message names file, entry and field."""


@dataclass(frozen=True)
class ExportedCase:
    """A merged patient as an export holds it, with the keys of the records it was built from.

    An import uses it to restore what a curator did in the registry that exported it (corrected
    values, review status) and to recognise a patient it already stores. ``flat`` marks a patient
    whose export carried no per-source records (CSV, bare JSONL): its records were made from the
    case itself, so they say nothing about which source stated which fact.
    """

    case: Case
    record_keys: tuple[tuple[str, str], ...] = ()
    """(source id, record id) of the dataset records this patient was merged from."""
    flat: bool = False


@dataclass(frozen=True)
class Dataset:
    """Sources and per-source records (one Case per source per patient), ready to import."""

    sources: tuple[Source, ...]
    records: tuple[Case, ...]
    texts: Mapping[str, str] = field(default_factory=dict)
    """Source id -> the text its records' evidence offsets point into (extracted reports only)."""
    patients: tuple[ExportedCase, ...] = ()
    """The merged patients an export carried (empty for tables, extractions and the embedded data)."""

    def source_map(self) -> dict[str, Source]:
        return {s.id: s for s in self.sources}


# -- sources.yaml ---------------------------------------------------------------

class _SourceEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9-]*$")
    kind: SourceKind
    authors: tuple[str, ...] = ()
    year: int | None = Field(default=None, ge=1800, le=2100)
    title: str | None = None
    journal: str | None = None
    volume: str | None = None
    issue: str | None = None
    pages: str | None = None
    pmid: str | None = Field(default=None, pattern=r"^\d+$")
    doi: str | None = Field(default=None, pattern=DOI_PATTERN)
    part_of: str | None = None
    verified: tuple[str, ...] = ()
    note: str | None = None

    def to_source(self) -> Source:
        note = self.note
        if self.verified:
            note = f"{note + ' ' if note else ''}Verified: {', '.join(self.verified)}."
        return Source(
            id=self.id, authors=self.authors, year=self.year, title=self.title, journal=self.journal,
            volume=self.volume, issue=self.issue, pages=self.pages, pmid=self.pmid, doi=self.doi, kind=self.kind,
            part_of=self.part_of, note=note,
        )


class _SourcesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: str
    sources: list[_SourceEntry]

    @model_validator(mode="after")
    def _consistent(self) -> _SourcesFile:
        ids = [s.id for s in self.sources]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate source ids {dupes}")
        for s in self.sources:
            if s.part_of is not None and s.part_of not in ids:
                raise ValueError(f"source {s.id}: part_of {s.part_of!r} is not a source in this file")
        return self


# -- corpus_cases.yaml ----------------------------------------------------------

class _FindingEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    hpo: str = Field(pattern=r"^HP:\d{7}$")
    label: str = Field(min_length=1)
    excluded: bool = False


class _MeasurementEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    analyte: str = Field(min_length=1)
    value: float | None = Field(default=None, ge=0)
    unit: str | None = None
    flag: LabFlag | None = None
    loinc: str | None = None

    @model_validator(mode="after")
    def _value_or_flag(self) -> _MeasurementEntry:
        if self.value is None and self.flag is None:
            raise ValueError("give a value (with unit) or a flag such as 'increased'")
        return self


class _OutcomeEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    status: str | None = None
    description: str | None = None
    follow_up_months: float | None = Field(default=None, ge=0)


class _DiagnosisEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    label: str
    mondo: str | None = Field(default=None, pattern=r"^MONDO:\d{7}$")
    orpha: str | None = Field(default=None, pattern=r"^ORPHA:\d+$")
    omim: str | None = Field(default=None, pattern=r"^OMIM:\d{6}$")
    note: str | None = None


class _CaseEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(min_length=1)
    source: str
    locator: str
    diagnosis: str
    age_years: float | None = Field(default=None, ge=0, le=120)
    age_range: tuple[float, float] | None = None
    sex: Literal["female", "male", "unknown"]
    levels: str
    side: Side | None = None
    compartments: tuple[str, ...] = ()
    etiology: tuple[str, ...] = ()
    neuro_deficit: bool | None = None
    findings: tuple[_FindingEntry, ...] = ()
    measurements: tuple[_MeasurementEntry, ...] = ()
    treatments: tuple[str, ...] = ()
    outcome: _OutcomeEntry | None = None
    imaging: tuple[str, ...] = ()
    pathology: tuple[str, ...] = ()
    differential: tuple[str, ...] = ()

    @field_validator("levels")
    @classmethod
    def _levels_parse(cls, v: str) -> str:
        parse_levels(v)
        return v

    @field_validator("etiology")
    @classmethod
    def _etiology_known(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        vocab = load_vocabulary()
        return tuple(vocab.check_etiology(t) for t in v)

    @field_validator("treatments")
    @classmethod
    def _treatments_known(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        vocab = load_vocabulary()
        return tuple(vocab.check_treatment(t) for t in v)

    @model_validator(mode="after")
    def _one_age(self) -> _CaseEntry:
        if self.age_years is not None and self.age_range is not None:
            raise ValueError("give age_years or age_range, not both")
        if self.age_range is not None and not 0 <= self.age_range[0] <= self.age_range[1] <= 120:
            raise ValueError(f"age_range {list(self.age_range)} is not an ordered range within 0-120")
        return self


class _CorpusFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: str
    diagnoses: dict[str, _DiagnosisEntry]
    cases: list[_CaseEntry]

    @model_validator(mode="after")
    def _consistent(self) -> _CorpusFile:
        ids = [c.id for c in self.cases]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate case ids {dupes}")
        for c in self.cases:
            if c.diagnosis not in self.diagnoses:
                raise ValueError(f"case {c.id}: diagnosis {c.diagnosis!r} is not one of {sorted(self.diagnoses)}")
        return self


def _describe_errors(filename: str, data: Any, exc: ValidationError, section: str) -> str:
    lines = []
    for err in exc.errors():
        loc = list(err["loc"])
        where = filename
        if len(loc) >= 2 and loc[0] == section and isinstance(loc[1], int):
            idx = loc[1]
            try:
                entry_id = data[section][idx].get("id", "?")
            except (KeyError, IndexError, TypeError, AttributeError):
                entry_id = "?"
            where += f": {section}[{idx}] (id {entry_id})"
            loc = loc[2:]
        field = ".".join(str(x) for x in loc) or "(entry)"
        lines.append(f"{where}: field {field}: {err['msg']}")
    return "; ".join(lines)


def _read_yaml(filename: str, text: str | None) -> Any:
    if text is None:
        text = resources.files(DATA_PACKAGE).joinpath(filename).read_text(encoding="utf-8")
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise DatasetError(f"{filename}: not valid YAML: {exc}") from exc


def load_sources(text: str | None = None, *, filename: str = "sources.yaml") -> tuple[Source, ...]:
    """The packaged citations (or ``text`` in the same format)."""
    data = _read_yaml(filename, text)
    try:
        parsed = _SourcesFile.model_validate(data)
    except ValidationError as exc:
        raise DatasetError(_describe_errors(filename, data, exc, "sources")) from exc
    return tuple(e.to_source() for e in parsed.sources)


def _entry_to_case(e: _CaseEntry, diagnoses: dict[str, _DiagnosisEntry], version: str) -> Case:
    d = diagnoses[e.diagnosis]
    fields_stated = ["sex", "levels", "diagnosis", "etiology"]
    optional = {
        "age_years": e.age_years, "age_range_years": e.age_range, "side": e.side, "compartments": e.compartments,
        "findings": e.findings, "measurements": e.measurements, "treatments": e.treatments, "outcome": e.outcome,
        "imaging": e.imaging, "pathology": e.pathology, "differential": e.differential,
        "neuro_deficit": e.neuro_deficit,
    }
    fields_stated += [k for k, v in optional.items() if v not in (None, ())]
    prov = tuple((f, Provenance(e.source, locator=e.locator)) for f in fields_stated)
    return Case(
        id=e.id,
        source_ids=(e.source,),
        age_years=e.age_years,
        age_range_years=e.age_range,
        sex=Sex(e.sex),
        levels=parse_levels(e.levels),
        side=e.side,
        compartments=e.compartments,
        findings=tuple(Finding(f.hpo, f.label, excluded=f.excluded) for f in e.findings),
        measurements=tuple(_measurement(m) for m in e.measurements),
        treatments=tuple(_treatment(code) for code in e.treatments),
        outcome=Outcome(e.outcome.status, e.outcome.description, e.outcome.follow_up_months) if e.outcome else None,
        diagnosis=Diagnosis(e.diagnosis, d.label, d.mondo, d.orpha, d.omim),
        etiology=e.etiology,
        imaging=e.imaging,
        pathology=e.pathology,
        differential=e.differential,
        neuro_deficit=e.neuro_deficit,
        provenance=prov,
        versions={"corpus_cases": version, "vocabulary": load_vocabulary().version},
    )


def _measurement(m: _MeasurementEntry) -> Measurement:
    """A fact-sheet lab value under the analyte's knowledge-base key, with its LOINC code and normalised value.

    The flag stays the one the paper states: a flag computed from our reference interval is not a fact
    of the source.
    """
    labs = load_labs()
    if not labs.knows(m.analyte):
        return Measurement(m.analyte, m.value, m.unit, flag=m.flag, loinc=m.loinc)
    known = labs.measurement(m.analyte, m.value, m.unit) if m.value is not None else None
    analyte = labs.analyte(m.analyte)
    if known is None:
        return Measurement(analyte.key, flag=m.flag, loinc=m.loinc or analyte.loinc)
    return replace(known, flag=m.flag, loinc=m.loinc or analyte.loinc)


def _treatment(code: str) -> Treatment:
    entry = load_vocabulary().treatment.get(code)
    if entry is None:
        return Treatment(code)
    return Treatment(code, entry.label, entry.maxo)


def load_corpus_cases(
    text: str | None = None, *, filename: str = "corpus_cases.yaml", sources: Iterable[Source] | None = None
) -> tuple[Case, ...]:
    """The five corpus patients as per-source records (or ``text`` in the same format)."""
    data = _read_yaml(filename, text)
    try:
        parsed = _CorpusFile.model_validate(data)
    except ValidationError as exc:
        raise DatasetError(_describe_errors(filename, data, exc, "cases")) from exc
    if sources is not None:
        known = {s.id for s in sources}
        for i, c in enumerate(parsed.cases):
            if c.source not in known:
                raise DatasetError(f"{filename}: cases[{i}] (id {c.id}): field source: {c.source!r} is not in sources.yaml")
    return tuple(_entry_to_case(c, parsed.diagnoses, parsed.version) for c in parsed.cases)


def embedded_dataset() -> Dataset:
    """Every packaged source and record: the corpus patients and the review's Table 1 rows."""
    from calcispine.extract import load_packaged_table  # lazy: extraction may pull in heavier modules

    sources = load_sources()
    records = load_corpus_cases(sources=sources)
    table_source, rows = load_packaged_table(TABLE_SOURCE_ID)
    merged_sources = {s.id: s for s in sources}
    if table_source.id not in merged_sources:
        merged_sources[table_source.id] = table_source
    return Dataset(tuple(merged_sources.values()), (*records, *rows))

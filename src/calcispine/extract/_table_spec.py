"""How to read one paper's summary table: column mapping, abbreviation legend, treatment phrases.

A spec is data (YAML), validated once against the tag vocabularies, so that a new
paper's table is imported by writing a file rather than code.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from calcispine.knowledge import load_vocabulary
from calcispine.model import Diagnosis, Source


def normalise_phrase(text: str) -> str:
    """Lower case, single spaces, no surrounding punctuation: how phrases are compared."""
    return re.sub(r"\s+", " ", text).strip().strip(".;:,").strip().lower()


class TableColumns(BaseModel):
    """Header name (CSV/TSV) of each fact; ``author_year`` for a column like "Durant [2] 2001"."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    author: str | None = None
    author_year: str | None = None
    reference: str | None = None
    year: str | None = None
    sex: str = "sex"
    age: str = "age"
    location: str = "location"
    cause: str = "cause"
    treatment: str = "treatment"

    @model_validator(mode="after")
    def _author_given(self) -> TableColumns:
        if not self.author and not self.author_year:
            raise ValueError("columns: name the author column ('author') or a combined 'author_year' column")
        return self


class TextForm(BaseModel):
    """Markers of a table flattened into running text (PDF extraction)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    start: str | None = None
    header: str | None = None
    legend: str | None = None


class DiagnosisSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    key: str
    label: str
    mondo: str | None = None
    orpha: str | None = None
    omim: str | None = None

    def to_model(self) -> Diagnosis:
        return Diagnosis(key=self.key, label=self.label, mondo=self.mondo, orpha=self.orpha, omim=self.omim)


_HPO_ID = re.compile(r"^HP:\d{7}$")


class InclusionFinding(BaseModel):
    """An HPO term every row of the table has, because the table's inclusion criterion requires it."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    hpo: str
    label: str

    @field_validator("hpo")
    @classmethod
    def _hpo_form(cls, v: str) -> str:
        if not _HPO_ID.match(v):
            raise ValueError(f"inclusion finding {v!r} is not an HPO id of the form HP:0001234")
        return v


class InclusionCriterion(BaseModel):
    """A source-wide fact: what the authors required of every case they listed (not a per-patient observation).

    ``statement`` is our paraphrase of the criterion, ``locator`` where the paper states it; ``findings``
    (HPO terms) and ``imaging`` (phrases, read by the assessment's feature phrases) are what each
    imported row then carries, with provenance rule ``table-inclusion-criterion``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")
    statement: str = Field(min_length=1)
    locator: str = Field(min_length=1)
    findings: tuple[InclusionFinding, ...] = ()
    imaging: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _something(self) -> InclusionCriterion:
        if not self.findings and not self.imaging:
            raise ValueError("inclusion_findings: give at least one HPO finding or imaging phrase")
        return self


class TableSpec(BaseModel):
    """Everything needed to turn one paper's table rows into cases."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    table_label: str = "Table"
    diagnosis: DiagnosisSpec | None = None
    columns: TableColumns = Field(default_factory=lambda: TableColumns(author="author", year="year"))
    self_labels: tuple[str, ...] = ()
    text_form: TextForm = Field(default_factory=TextForm)
    legend: dict[str, tuple[str, ...]]
    treatments: dict[str, tuple[str, ...]]
    inclusion_findings: InclusionCriterion | None = None

    @field_validator("legend")
    @classmethod
    def _legend_tags_known(cls, legend: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        vocab = load_vocabulary()
        for abbr, tags in legend.items():
            if not tags:
                raise ValueError(f"legend entry {abbr!r} maps to no etiology tag")
            for tag in tags:
                vocab.check_etiology(tag)
        return legend

    @field_validator("treatments")
    @classmethod
    def _treatment_codes_known(cls, treatments: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        vocab = load_vocabulary()
        out: dict[str, tuple[str, ...]] = {}
        for phrase, codes in treatments.items():
            if not codes:
                raise ValueError(f"treatment phrase {phrase!r} maps to no treatment code")
            for code in codes:
                vocab.check_treatment(code)
            out[normalise_phrase(phrase)] = tuple(codes)
        return out

    def lookup_cause(self, text: str) -> tuple[str, ...] | None:
        """Tags of a legend abbreviation; exact spelling first, then ignoring case."""
        if text in self.legend:
            return self.legend[text]
        folded = {k.lower(): v for k, v in self.legend.items()}
        return folded.get(text.lower())

    def legend_text(self) -> str:
        return ", ".join(f"{abbr} = {'+'.join(tags)}" for abbr, tags in self.legend.items())

    @classmethod
    def from_yaml(cls, text: str, *, name: str = "table spec") -> TableSpec:
        """A spec from YAML text: either the spec itself or a file with a ``spec:`` section."""
        return load_spec_document(text, name=name)[0]


class SourceModel(BaseModel):
    """The citation block of a spec file (pydantic at the boundary, :class:`Source` inside)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    id: str
    kind: str = "summary_table"
    part_of: str | None = None
    title: str | None = None
    authors: tuple[str, ...] = ()
    year: int | None = None
    journal: str | None = None
    volume: str | None = None
    issue: str | None = None
    pages: str | None = None
    pmid: str | None = None
    doi: str | None = None
    note: str | None = None

    def to_model(self) -> Source:
        return Source(**self.model_dump())


def load_spec_document(text: str, *, name: str = "table spec") -> tuple[TableSpec, Source | None]:
    """Parse a spec YAML document; raise ``ValueError`` naming the file and the problem."""
    try:
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"{name}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ValueError(f"{name}: expected a mapping with 'legend' and 'treatments' (or a 'spec:' section)")
    body = data.get("spec", data)
    if isinstance(body, dict):
        body = {k: v for k, v in body.items() if k not in {"version", "source"}}
    try:
        spec = TableSpec.model_validate(body)
        source = SourceModel.model_validate(data["source"]).to_model() if "source" in data else None
    except (ValidationError, ValueError) as exc:
        raise ValueError(f"{name}: {exc}") from exc
    return spec, source


def read_spec_file(path: Path) -> tuple[TableSpec, Source | None]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"cannot read table spec {path}: {exc.strerror}") from exc
    return load_spec_document(text, name=str(path))

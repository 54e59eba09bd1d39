"""The patient record every part of calcispine shares.

Plain frozen dataclasses: cheap to build, hashable where it matters, no I/O.
Pydantic lives at the boundaries (files, CLI, web); here each object checks
itself once in ``__post_init__`` and raises ``ValueError`` a user can act on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Literal, get_args

from ._levels import Level, Region, regions_of


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"
    UNKNOWN = "unknown"

    @classmethod
    def parse(cls, text: str | None) -> Sex:
        """Lenient: F, f, female, woman, girl -> FEMALE."""
        if text is None:
            return cls.UNKNOWN
        t = text.strip().lower()
        if t in {"f", "female", "woman", "girl", "w", "lady"}:
            return cls.FEMALE
        if t in {"m", "male", "man", "boy"}:
            return cls.MALE
        if t in {"", "unknown", "u", "?", "na", "n/a", "nr"}:
            return cls.UNKNOWN
        raise ValueError(f"sex {text!r} is not one of F, M, female, male or unknown")


class Side(StrEnum):
    LEFT = "left"
    RIGHT = "right"
    BILATERAL = "bilateral"
    MIDLINE = "midline"


class ReviewStatus(StrEnum):
    NEEDS_REVIEW = "needs_review"
    REVIEWED = "reviewed"
    PUBLISHED = "published"


class LabFlag(StrEnum):
    NORMAL = "normal"
    INCREASED = "increased"
    SLIGHTLY_INCREASED = "slightly increased"
    DECREASED = "decreased"
    SLIGHTLY_DECREASED = "slightly decreased"
    # The result of a test read as present or absent (an antibody, a culture).
    POSITIVE = "positive"
    NEGATIVE = "negative"


@dataclass(frozen=True)
class Evidence:
    """Where in a text a value came from: span, sentence, section and the rule that read it."""

    start: int
    end: int
    text: str
    sentence: str | None = None
    section: str | None = None
    rule: str | None = None

    def __post_init__(self) -> None:
        if self.start < 0 or self.end < self.start:
            raise ValueError(f"evidence span {self.start}..{self.end} is not a valid character range")


@dataclass(frozen=True)
class Provenance:
    """Which source stated a fact (and, when it came from text, the evidence)."""

    source_id: str
    evidence: Evidence | None = None
    locator: str | None = None


# What a DOI looks like where one is typed in (a form, the API, a dataset file): "10." prefix/suffix.
DOI_PATTERN = r"^10\.\S+/\S+$"


@dataclass(frozen=True)
class Source:
    """A citable document (or a part of one, such as a summary table)."""

    id: str
    authors: tuple[str, ...] = ()
    year: int | None = None
    title: str | None = None
    journal: str | None = None
    volume: str | None = None
    issue: str | None = None
    pages: str | None = None
    pmid: str | None = None
    doi: str | None = None
    kind: str = "case_report"
    part_of: str | None = None
    note: str | None = None

    def __post_init__(self) -> None:
        if not self.id or not self.id.strip():
            raise ValueError("a source needs a non-empty id")
        if self.year is not None and not 1800 <= self.year <= 2100:
            raise ValueError(f"source {self.id}: year {self.year} is not plausible")
        if self.pmid is not None and not str(self.pmid).isdigit():
            raise ValueError(f"source {self.id}: PMID {self.pmid!r} must be digits only")

    @property
    def first_author(self) -> str | None:
        """Family name of the first author, as dedup compares it."""
        if not self.authors:
            return None
        return self.authors[0].replace(",", " ").split()[0]

    def same_paper(self, other: Source) -> bool:
        """Whether two citations name one paper: same id, PMID or DOI, or same first author and year."""
        return (self.id == other.id or bool(self.pmid and self.pmid == other.pmid)
                or bool(self.doi and other.doi and self.doi.lower() == other.doi.lower())
                or (self.year is not None and self.year == other.year and self.first_author is not None
                    and self.first_author.lower() == (other.first_author or "").lower()))

    def citation(self) -> str:
        who = self.authors[0] if self.authors else "Anonymous"
        if len(self.authors) > 2:
            who += " et al."
        elif len(self.authors) == 2:
            who += f" and {self.authors[1]}"
        parts = [f"{who} ({self.year})" if self.year else who]
        if self.title:
            parts.append(self.title.rstrip(".") + ".")
        if self.journal:
            j = self.journal
            if self.volume:
                j += f" {self.volume}"
                if self.issue:
                    j += f"({self.issue})"
            if self.pages:
                j += f":{self.pages}"
            parts.append(j + ".")
        if self.pmid:
            parts.append(f"PMID {self.pmid}.")
        if self.doi:
            parts.append(f"doi:{self.doi}")
        return " ".join(parts)


@dataclass(frozen=True)
class SourceRef:
    """A citation as a table row gives it: first author and year, maybe a reference number."""

    first_author: str
    year: int | None = None
    reference: str | None = None

    def matches(self, source: Source) -> bool:
        fa = source.first_author
        return (
            fa is not None
            and fa.lower() == self.first_author.lower()
            and (self.year is None or source.year == self.year)
        )


@dataclass(frozen=True)
class Finding:
    """An HPO term, observed or excluded, with the context flags ConText gives."""

    hpo_id: str
    label: str
    excluded: bool = False
    historical: bool = False
    family: bool = False
    hypothetical: bool = False
    evidence: Evidence | None = None

    def __post_init__(self) -> None:
        if not (self.hpo_id.startswith("HP:") and self.hpo_id[3:].isdigit() and len(self.hpo_id) == 10):
            raise ValueError(f"{self.hpo_id!r} is not an HPO id of the form HP:0001234")

    @property
    def counts_as_current(self) -> bool:
        return not (self.historical or self.family or self.hypothetical)


@dataclass(frozen=True)
class Measurement:
    """A lab value: reported value and unit, the value in the canonical unit, and a flag."""

    analyte: str
    value: float | None = None
    unit: str | None = None
    normalised_value: float | None = None
    normalised_unit: str | None = None
    flag: LabFlag | None = None
    loinc: str | None = None
    evidence: Evidence | None = None
    # A result written in words rather than a number: a titre ('1/640'), an organism grown.
    result: str | None = None

    def __post_init__(self) -> None:
        if not self.analyte:
            raise ValueError("a measurement needs an analyte")
        if self.value is None and self.flag is None and not self.result:
            raise ValueError(f"measurement of {self.analyte}: give a value or a flag such as 'increased'")
        if self.value is not None and (math.isnan(self.value) or self.value < 0):
            raise ValueError(f"measurement of {self.analyte}: {self.value} is not a possible concentration")

    def display(self) -> str:
        if self.value is None:
            return self.result or str(self.flag)
        v = f"{self.value:g}"
        return f"{v} {self.unit}" if self.unit else v


@dataclass(frozen=True)
class Treatment:
    """A coded action (the gold tag vocabulary), with MAxO id where one exists."""

    code: str
    label: str | None = None
    maxo_id: str | None = None
    evidence: Evidence | None = None

    def __post_init__(self) -> None:
        if not self.code:
            raise ValueError("a treatment needs a code such as 'resection'")


#: The outcome statuses a curator chooses from (extraction and imports may carry others).
OutcomeStatus = Literal["recovered", "resolved", "improved", "stable", "worsened", "recurred", "died"]
OUTCOME_STATUSES: tuple[str, ...] = get_args(OutcomeStatus)


@dataclass(frozen=True)
class Outcome:
    status: str | None = None
    description: str | None = None
    follow_up_months: float | None = None
    evidence: Evidence | None = None

    def __post_init__(self) -> None:
        if self.follow_up_months is not None and self.follow_up_months < 0:
            raise ValueError(f"follow-up of {self.follow_up_months} months is negative")


@dataclass(frozen=True)
class Diagnosis:
    """A disease label with the identifiers the knowledge base knows for it."""

    key: str
    label: str
    mondo: str | None = None
    orpha: str | None = None
    omim: str | None = None


@dataclass(frozen=True)
class Conflict:
    """Two sources disagreeing on a fact; kept, shown, never silently resolved."""

    field: str
    values: tuple[tuple[str, str], ...]  # (source_id, value as text)
    resolved: bool = False
    note: str | None = None

    def describe(self) -> str:
        vals = "; ".join(f"{src} says {v}" for src, v in self.values)
        return f"{self.field}: {vals}"


CASE_FIELDS: tuple[str, ...] = (
    "age_years", "age_range_years", "sex", "levels", "side", "compartments",
    "findings", "measurements", "treatments", "outcome", "diagnosis", "etiology",
    "comorbidities", "imaging", "pathology", "differential",
)


@dataclass(frozen=True)
class Case:
    """One patient as one or several sources describe them.

    ``records`` are the per-source versions a merged case was built from (empty
    for a single-source record); ``provenance`` maps a field name to who stated it.
    """

    id: str
    source_ids: tuple[str, ...] = ()
    label: str | None = None
    age_years: float | None = None
    age_range_years: tuple[float, float] | None = None
    sex: Sex = Sex.UNKNOWN
    levels: tuple[Level, ...] = ()
    side: Side | None = None
    compartments: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()
    measurements: tuple[Measurement, ...] = ()
    treatments: tuple[Treatment, ...] = ()
    outcome: Outcome | None = None
    diagnosis: Diagnosis | None = None
    etiology: tuple[str, ...] = ()
    comorbidities: tuple[str, ...] = ()
    imaging: tuple[str, ...] = ()
    pathology: tuple[str, ...] = ()
    differential: tuple[str, ...] = ()
    neuro_deficit: bool | None = None
    cites: SourceRef | None = None
    provenance: tuple[tuple[str, Provenance], ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    review_status: ReviewStatus = ReviewStatus.NEEDS_REVIEW
    versions: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("a case needs an id")
        if self.age_years is not None and not 0 <= self.age_years <= 120:
            raise ValueError(f"case {self.id}: age {self.age_years} years is not possible (0-120)")
        if self.age_range_years is not None:
            lo, hi = self.age_range_years
            if not 0 <= lo <= hi <= 120:
                raise ValueError(f"case {self.id}: age range {lo}-{hi} is not an ordered range within 0-120")
        seen: dict[str, bool] = {}
        for f in self.findings:
            if f.counts_as_current and f.hpo_id in seen and seen[f.hpo_id] != f.excluded:
                raise ValueError(f"case {self.id}: {f.hpo_id} ({f.label}) is both observed and excluded")
            if f.counts_as_current:
                seen[f.hpo_id] = f.excluded
        if tuple(sorted(set(self.levels))) != self.levels:
            object.__setattr__(self, "levels", tuple(sorted(set(self.levels))))

    @property
    def regions(self) -> tuple[Region, ...]:
        return regions_of(self.levels)

    @property
    def region(self) -> Region | None:
        """The region of the first (most cranial) level, as the review counts."""
        return self.levels[0].region if self.levels else None

    @property
    def stated_regions(self) -> tuple[str, ...]:
        """The regions the levels give, or else those a report names in words ('a thoracic lesion'), cranial first."""
        if self.levels:
            return tuple(r.value for r in self.regions)
        text = self.versions.get("region_text")
        return tuple(text.split(",")) if text else ()

    @property
    def observed(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if not f.excluded and f.counts_as_current)

    @property
    def excluded(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.excluded and f.counts_as_current)

    @property
    def treatment_codes(self) -> tuple[str, ...]:
        return tuple(t.code for t in self.treatments)

    @property
    def age_midpoint(self) -> float | None:
        if self.age_years is not None:
            return self.age_years
        if self.age_range_years is not None:
            return (self.age_range_years[0] + self.age_range_years[1]) / 2
        return None

    def with_changes(self, **changes: Any) -> Case:
        return replace(self, **changes)

    def provenance_of(self, field_name: str) -> tuple[Provenance, ...]:
        return tuple(p for f, p in self.provenance if f == field_name)

"""REST API schemas: the public JSON contract, kept apart from the domain model (converted at the edge)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from calcispine.model import DOI_PATTERN, OutcomeStatus

Status = Literal["needs_review", "reviewed", "published"]
SortKey = Literal["id", "-id", "age", "-age", "year", "-year", "sex", "region", "review_status"]


class _Out(BaseModel):
    model_config = ConfigDict(extra="ignore")


class EvidenceOut(_Out):
    start: int
    end: int
    text: str
    sentence: str | None = None
    section: str | None = None
    rule: str | None = None


class FindingOut(_Out):
    hpo_id: str
    label: str
    excluded: bool = False
    historical: bool = False
    family: bool = False
    hypothetical: bool = False
    evidence: EvidenceOut | None = None


class MeasurementOut(_Out):
    analyte: str
    value: float | None = None
    unit: str | None = None
    normalised_value: float | None = None
    normalised_unit: str | None = None
    flag: str | None = None
    loinc: str | None = None
    evidence: EvidenceOut | None = None


class TreatmentOut(_Out):
    code: str
    label: str | None = None
    maxo_id: str | None = None
    evidence: EvidenceOut | None = None


class OutcomeOut(_Out):
    status: str | None = None
    description: str | None = None
    follow_up_months: float | None = None
    evidence: EvidenceOut | None = None


class DiagnosisOut(_Out):
    key: str
    label: str
    mondo: str | None = None
    orpha: str | None = None
    omim: str | None = None


class CitesOut(_Out):
    first_author: str
    year: int | None = None
    reference: str | None = None


class ProvenanceOut(_Out):
    field: str
    source_id: str
    locator: str | None = None
    evidence: EvidenceOut | None = None


class ConflictOut(_Out):
    field: str
    values: list[tuple[str, str]]
    resolved: bool = False
    note: str | None = None


class CaseOut(_Out):
    """One patient, every field with its provenance; empty fields are left out."""

    id: str
    source_ids: list[str] = []
    label: str | None = None
    age_years: float | None = None
    age_range_years: tuple[float, float] | None = None
    sex: str = "unknown"
    levels: list[str] = []
    side: str | None = None
    compartments: list[str] = []
    findings: list[FindingOut] = []
    measurements: list[MeasurementOut] = []
    treatments: list[TreatmentOut] = []
    outcome: OutcomeOut | None = None
    diagnosis: DiagnosisOut | None = None
    etiology: list[str] = []
    comorbidities: list[str] = []
    imaging: list[str] = []
    pathology: list[str] = []
    differential: list[str] = []
    neuro_deficit: bool | None = None
    cites: CitesOut | None = None
    provenance: list[ProvenanceOut] = []
    conflicts: list[ConflictOut] = []
    review_status: Status = "needs_review"
    versions: dict[str, str] = {}


class CaseSummaryOut(_Out):
    """One row of the list; the age as a number (or the range a source gives), never as text."""

    id: str
    citation: str
    age_years: float | None = None
    age_range_years: tuple[float, float] | None = None
    sex: str
    levels: str
    etiology: str
    diagnosis: str
    status: str
    sources: int
    conflicts: int


class CaseListOut(_Out):
    total: int
    limit: int
    offset: int
    items: list[CaseSummaryOut]


# -- writes --------------------------------------------------------------------------------------


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SourceIn(_In):
    id: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9][A-Za-z0-9:._-]*$")
    authors: list[str] = Field(default=[], max_length=100)
    year: int | None = Field(default=None, ge=1800, le=2100)
    title: str | None = Field(default=None, max_length=1000)
    journal: str | None = Field(default=None, max_length=300)
    pmid: str | None = Field(default=None, pattern=r"^\d{1,10}$")
    doi: str | None = Field(default=None, max_length=200, pattern=DOI_PATTERN)
    kind: str = Field(default="case_report", max_length=40)


class TreatmentIn(_In):
    code: str = Field(min_length=1, max_length=200)
    label: str | None = Field(default=None, max_length=300)


class FindingIn(_In):
    hpo_id: str = Field(pattern=r"^HP:\d{7}$")
    label: str = Field(min_length=1, max_length=300)
    excluded: bool = False


class OutcomeIn(_In):
    status: OutcomeStatus | None = None
    description: str | None = Field(default=None, max_length=1000)
    follow_up_months: float | None = Field(default=None, ge=0, le=1200)


class MeasurementIn(_In):
    """A lab: analyte (name or synonym, e.g. phosphorus, BUN), value and unit, or a flag or a result in words."""

    analyte: str = Field(min_length=1, max_length=100)
    value: float | None = Field(default=None, ge=0, le=1e6)
    unit: str | None = Field(default=None, max_length=30)
    flag: str | None = Field(default=None, max_length=30, description="increased, decreased, normal, positive, ...")
    result: str | None = Field(default=None, max_length=200)


class CaseFields(_In):
    """The fields a curator may set (create) or change (update); levels as text such as "C2-C3"."""

    label: str | None = Field(default=None, max_length=300)
    diagnosis: str | None = Field(default=None, max_length=100,
                                  description="diagnosis key, e.g. tumoral_calcinosis or capnon")
    age_years: float | None = Field(default=None, ge=0, le=120)
    age_range_years: tuple[float, float] | None = Field(default=None, description="[low, high] when a range is stated")
    sex: Literal["female", "male", "unknown"] | None = None
    levels: list[str] | None = Field(default=None, max_length=30)
    side: Literal["left", "right", "bilateral", "midline"] | None = None
    compartments: list[str] | None = Field(default=None, max_length=50)
    findings: list[FindingIn] | None = Field(default=None, max_length=200)
    treatments: list[TreatmentIn] | None = Field(default=None, max_length=50)
    measurements: list[MeasurementIn] | None = Field(default=None, max_length=100)
    outcome: OutcomeIn | None = None
    etiology: list[str] | None = Field(default=None, max_length=30)
    comorbidities: list[str] | None = Field(default=None, max_length=50)
    imaging: list[str] | None = Field(default=None, max_length=50)
    pathology: list[str] | None = Field(default=None, max_length=50)
    neuro_deficit: bool | None = None


class CaseCreate(_In):
    """A new record: its citation (a new source, or the id of a stored one) and its facts."""

    source: SourceIn | None = None
    source_id: str | None = Field(default=None, max_length=200)
    record_id: str = Field(default="patient", min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    case: CaseFields


class CreateOut(_Out):
    case_ids: list[str]
    added: int
    merged: int
    conflicts: int
    issues: list[str]


class StatusIn(_In):
    status: Status


class AuditOut(_Out):
    id: int
    at: datetime
    actor: str
    action: str
    case_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    note: str | None = None


class IssueOut(_Out):
    level: str
    where: str
    message: str
    hint: str | None = None


class ExtractIn(_In):
    text: str = Field(min_length=1, max_length=2_000_000)
    name: str = Field(default="pasted text", max_length=200)


class ExtractOut(_Out):
    cases: list[CaseOut]
    issues: list[IssueOut]
    differential: list[str]
    source: dict[str, Any]


class LabIn(_In):
    analyte: str = Field(min_length=1, max_length=100)
    value: float | None = Field(default=None, ge=0, le=1e6)
    unit: str | None = Field(default=None, max_length=30)
    flag: str | None = Field(default=None, max_length=30)


# How many imaging, pathology or clinical lines one patient may carry (the web form and the API alike).
FREE_TEXT_LINES = 50


class AssessIn(_In):
    """A new patient: HPO terms observed and excluded, age, sex, levels, labs with units, history tags,
    and imaging, pathology and the clinical course in words (one finding a line)."""

    age_years: float | None = Field(default=None, ge=0, le=120)
    sex: Literal["female", "male", "unknown"] | None = None
    levels: list[str] = Field(default=[], max_length=30)
    observed: list[str] = Field(default=[], max_length=100)
    excluded: list[str] = Field(default=[], max_length=100)
    labs: list[LabIn] = Field(default=[], max_length=50)
    history: list[str] = Field(default=[], max_length=30)
    comorbidities: list[str] = Field(default=[], max_length=30)
    imaging: list[str] = Field(default=[], max_length=FREE_TEXT_LINES)
    pathology: list[str] = Field(default=[], max_length=FREE_TEXT_LINES)
    clinical: list[str] = Field(default=[], max_length=FREE_TEXT_LINES)
    neuro_deficit: bool | None = None
    progressive_deficit: bool | None = None


class DifferentialOut(_Out):
    diagnosis: str
    key: str
    id: str | None = None
    probability: float
    explanation: list[dict[str, Any]]


class AssessOut(_Out):
    differential: list[DifferentialOut]
    etiology: dict[str, Any]
    labs: dict[str, Any]
    next_checks: list[dict[str, Any]]
    management: list[dict[str, Any]]
    similar_cases: list[dict[str, Any]]
    findings: dict[str, Any]
    caution: str | None = None
    versions: dict[str, str]


class ErrorOut(_Out):
    """Every refusal: what was wrong, in one sentence a user can act on."""

    detail: str


class HpoTermOut(_Out):
    id: str
    label: str

"""A new patient at the boundary: structured YAML, a Phenopacket, or a report's text.

Everything here is lenient about spelling and strict about meaning: an unknown HPO id,
a term both observed and excluded, an impossible lab value or an unknown unit each raise
:class:`AssessInputError` naming the input and the problem.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from calcispine.knowledge import load_labs
from calcispine.model import Case, LevelError, Sex, parse_levels, render_levels

from ._ontology import OntologyView

_HPO = re.compile(r"^HP:\d{7}$")


class AssessInputError(ValueError):
    """The patient description cannot be assessed as given; the message says why and what to do."""


class LabInput(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    analyte: str
    value: float | None = None
    unit: str | None = None
    flag: str | None = None

    @model_validator(mode="after")
    def _something(self) -> LabInput:
        if self.value is None and self.flag is None:
            raise ValueError(f"lab {self.analyte!r}: give a value with its unit, or a flag such as 'increased'")
        if self.value is not None and self.value < 0:
            raise ValueError(f"lab {self.analyte!r}: {self.value:g} is negative, which no concentration can be")
        return self


class PatientInput(BaseModel):
    """What is known about the patient; nothing here names the diagnosis."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    id: str | None = None
    age_years: float | None = Field(default=None, ge=0, le=120)
    sex: str | None = None
    levels: tuple[str, ...] = ()
    observed: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    features: dict[str, bool] = Field(default_factory=dict)
    labs: tuple[LabInput, ...] = ()
    history: tuple[str, ...] = ()
    # other conditions, in words ('hypertension', 'renal transplant'): read as history, never a cause of the lesion
    comorbidities: tuple[str, ...] = ()
    compartments: tuple[str, ...] = ()
    imaging: tuple[str, ...] = ()
    pathology: tuple[str, ...] = ()
    # free text of the history and examination ("woken at night by the pain, eased by aspirin"):
    # read for the course of the pain, its onset and the causes a report gives beside a symptom
    clinical: tuple[str, ...] = ()
    lesion_size_cm: float | None = Field(default=None, gt=0, le=60)
    neuro_deficit: bool | None = None
    progressive_deficit: bool | None = None
    instability: bool | None = None

    @field_validator("levels", mode="before")
    @classmethod
    def _levels(cls, v: Any) -> Any:
        if isinstance(v, str):
            return (v,)
        return v

    @field_validator("sex")
    @classmethod
    def _sex(cls, v: str | None) -> str | None:
        return None if v is None else Sex.parse(v).value

    @field_validator("history")
    @classmethod
    def _history_tags(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        """Vocabulary tags (hemodialysis, scleroderma, ...), other:<text>, or words read as text; a
        near miss of a tag ('hemodyalisis') is a typo, and an error that names the tag meant."""
        from difflib import get_close_matches

        from calcispine.knowledge import load_vocabulary

        vocab = load_vocabulary()
        for tag in v:
            try:
                vocab.check_etiology(tag)
                continue
            except ValueError:
                near = get_close_matches(tag.lower(), list(vocab.etiology), n=1, cutoff=0.8)
            if near:
                raise ValueError(f"unknown history tag {tag!r}: did you mean {near[0]!r}? (or write other:{tag})")
        return v

    @field_validator("observed", "excluded")
    @classmethod
    def _hpo_form(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        bad = [t for t in v if not _HPO.match(t.strip())]
        if bad:
            raise ValueError(f"{', '.join(bad)}: not HPO ids of the form HP:0001234")
        return tuple(t.strip() for t in v)

    @model_validator(mode="after")
    def _no_contradiction(self) -> PatientInput:
        both = sorted(set(self.observed) & set(self.excluded))
        if both:
            raise ValueError(f"{', '.join(both)} is listed both as observed and as excluded; keep one")
        try:
            parse_levels(" ".join(self.levels), typed=True) if self.levels else None
        except LevelError as exc:
            raise ValueError(f"levels: {exc}") from exc
        return self

    @property
    def parsed_levels(self) -> tuple[Any, ...]:
        out: set[Any] = set()
        for text in self.levels:
            out.update(parse_levels(text, typed=True))
        return tuple(sorted(out))

    def check_terms(self, ontology: OntologyView) -> PatientInput:
        """Resolve alt ids; an unknown id fails with the nearest labels as suggestions."""
        def fix(ids: tuple[str, ...], what: str) -> tuple[str, ...]:
            out = []
            for t in ids:
                r = ontology.resolve(t)
                if r is None:
                    raise AssessInputError(
                        f"{what} term {t} is not in HPO release {ontology.release}; {_suggest(t, ontology)}"
                    )
                out.append(r)
            return tuple(out)

        obs, exc = fix(self.observed, "observed"), fix(self.excluded, "excluded")
        both = sorted(set(obs) & set(exc))
        if both:
            raise AssessInputError(f"{', '.join(both)} is both observed and excluded (after resolving alternative ids)")
        return self.model_copy(update={"observed": obs, "excluded": exc})


def _suggest(term: str, ontology: OntologyView) -> str:
    """Nearby ids that exist (a typo in one digit is the common case), with labels."""
    digits = term[3:]
    found: list[str] = []
    for i in range(len(digits)):
        for d in "0123456789":
            cand = f"HP:{digits[:i]}{d}{digits[i + 1:]}"
            if cand != term and ontology.resolve(cand) is not None:
                found.append(f"{cand} {ontology.label(cand)}")
            if len(found) >= 5:
                break
        if len(found) >= 5:
            break
    if not found:
        return "search the labels with `calcispine` or give the term by its label"
    return "did you mean: " + "; ".join(found)


def suggest_labels(text: str, ontology: OntologyView, limit: int = 5) -> tuple[tuple[str, str], ...]:
    """Terms whose label starts like ``text`` (falls back to the first word)."""
    hits = ontology.search(text, limit)
    if not hits and text.split():
        hits = ontology.search(text.split()[0], limit)
    return hits


# Field names people write for a field that has another name here.
_FIELD_HINTS = {"age": "age_years", "symptoms": "clinical (in words) or observed (HPO ids)", "size_cm": "lesion_size_cm",
                "level": "levels", "gender": "sex", "findings": "observed / excluded"}


def _validate(data: Mapping[str, Any], name: str) -> PatientInput:
    try:
        return PatientInput.model_validate(dict(data))
    except ValidationError as exc:
        from difflib import get_close_matches

        fields = list(PatientInput.model_fields)
        parts = []
        unknown = False
        for err in exc.errors():
            loc = ".".join(str(x) for x in err["loc"]) or "patient"
            if err["type"] == "extra_forbidden":
                unknown = True
                near = _FIELD_HINTS.get(loc) or next(iter(get_close_matches(loc, fields, n=1, cutoff=0.7)), None)
                parts.append(f"unknown field {loc!r}" + (f" (did you mean {near}?)" if near else ""))
                continue
            msg = err["msg"].removeprefix("Value error, ")
            parts.append(f"{loc}: {msg}")
        accepted = f"; the fields are {', '.join(f for f in fields if f != 'id')}" if unknown else ""
        raise AssessInputError(f"{name}: " + "; ".join(parts) + accepted) from exc


def _unify_terms(data: dict[str, Any]) -> dict[str, Any]:
    """YAML may write terms as ids or as {id, label} maps, and 'findings' with an excluded flag."""
    def ids(items: Sequence[Any]) -> list[str]:
        out = []
        for it in items:
            out.append(str(it["id"]) if isinstance(it, Mapping) else str(it).split()[0])
        return out

    for key in ("observed", "excluded"):
        if key in data and data[key] is not None:
            data[key] = ids(data[key])
    findings = data.pop("findings", None)
    if findings:
        obs = list(data.get("observed") or [])
        exc = list(data.get("excluded") or [])
        for f in findings:
            tid = str(f["id"] if isinstance(f, Mapping) else f).split()[0]
            (exc if isinstance(f, Mapping) and f.get("excluded") else obs).append(tid)
        data["observed"], data["excluded"] = obs, exc
    labs = data.get("labs")
    if isinstance(labs, Mapping):
        data["labs"] = [_lab_from_pair(k, v) for k, v in labs.items()]
    return data


def _lab_from_pair(name: str, value: Any) -> dict[str, Any]:
    """``phosphate: "6.7 mg/dL"`` or ``pth: increased`` -> a lab entry."""
    if isinstance(value, Mapping):
        return {"analyte": name, **value}
    if isinstance(value, int | float):
        return {"analyte": name, "value": float(value)}
    m = re.fullmatch(r"\s*([-+]?\d+(?:\.\d+)?)\s*(.*?)\s*", str(value))
    if m:
        return {"analyte": name, "value": float(m.group(1)), "unit": m.group(2) or None}
    return {"analyte": name, "flag": str(value)}


def patient_from_mapping(data: Mapping[str, Any], name: str = "patient") -> PatientInput:
    if not isinstance(data, Mapping):
        raise AssessInputError(f"{name}: expected a mapping of fields (age_years, sex, levels, observed, ...)")
    return _validate(_unify_terms(dict(data)), name)


def patient_from_yaml(text: str, name: str = "patient.yaml") -> PatientInput:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise AssessInputError(f"{name}: not valid YAML ({exc})") from exc
    return patient_from_mapping(data or {}, name)


_ISO_AGE = re.compile(r"^P(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+)W)?(?:(\d+)D)?$")


def patient_from_phenopacket(data: Mapping[str, Any], name: str = "phenopacket") -> PatientInput:
    """A GA4GH Phenopacket v2 (JSON form); its diseases and interpretations are ignored on purpose."""
    subject = data.get("subject") or {}
    out: dict[str, Any] = {"id": data.get("id") or subject.get("id")}
    sex = str(subject.get("sex") or "").lower()
    if sex in ("female", "male"):
        out["sex"] = sex
    age = ((subject.get("timeAtLastEncounter") or {}).get("age") or {}).get("iso8601duration")
    if age:
        m = _ISO_AGE.match(age)
        if not m:
            raise AssessInputError(f"{name}: age {age!r} is not an ISO 8601 duration such as P55Y")
        y, mo, w, d = (float(g) if g else 0.0 for g in m.groups())
        out["age_years"] = round(y + mo / 12 + w / 52.18 + d / 365.25, 2)
    observed: list[str] = []
    excluded: list[str] = []
    for pf in data.get("phenotypicFeatures") or []:
        tid = (pf.get("type") or {}).get("id")
        if tid:
            (excluded if pf.get("excluded") else observed).append(tid)
    out["observed"], out["excluded"] = observed, excluded
    labs = []
    for m in data.get("measurements") or []:
        assay = (m.get("assay") or {}).get("label")
        qty = (m.get("value") or {}).get("quantity") or {}
        if assay and "value" in qty:
            labs.append({"analyte": assay, "value": qty["value"], "unit": (qty.get("unit") or {}).get("label")})
    out["labs"] = labs
    ext = data.get("calcispine") or {}
    for key in ("levels", "history", "comorbidities", "features", "compartments", "imaging", "pathology", "clinical"):
        if key in ext:
            out[key] = ext[key]
    return patient_from_mapping(out, name)


BLANK = "[diagnosis]"
# Entity names that are also plain words for a finding (a fracture line, chondrocalcinosis of the
# knees, a pars defect read as spondylolysis): blanking them would delete findings, not the answer.
FINDING_WORDS = frozenset({"fracture", "chondrocalcinosis", "spondylolysis", "pedicle fracture", "callus"})


@lru_cache(maxsize=1)
def diagnosis_names() -> re.Pattern[str]:
    """Every name a report may give its diagnosis under: the extractor's diagnosis vocabulary
    (patterns and abbreviations) and the differential's entity labels and aliases."""
    from calcispine.knowledge import load_diagnoses
    from calcispine.knowledge._differential import load_differential

    parts: set[str] = set()
    for d in load_diagnoses().diagnoses.values():
        parts.update(d.patterns)
        parts.update(re.escape(x) for x in d.abbreviations)
    for ent in load_differential().entities.values():
        parts.update(re.escape(n) for n in (ent.label, *ent.aliases) if n.lower() not in FINDING_WORDS)
    # Longest first, so that "tumoral calcinosis of the spine" goes before "tumoral calcinosis".
    return re.compile(r"\b(?:" + "|".join(sorted(parts, key=len, reverse=True)) + r")\b", re.IGNORECASE)


def blank_diagnosis_names(text: str) -> str:
    """``text`` with every diagnosis name replaced by '[diagnosis]'."""
    return diagnosis_names().sub(BLANK, text)


def patient_from_case(case: Case) -> PatientInput:
    """What a case record says about the patient, leaving out the diagnosis and the treatment.

    Imaging and pathology phrases, and the sentences of the current symptom findings (``clinical``:
    the course of the pain, its onset, a cause named beside it), are read with the diagnosis names
    blanked ('CT showed crowned dens syndrome', 'histology confirmed tumoral calcinosis'): the
    assessment reads findings, never the authors' answer."""
    data: dict[str, Any] = {
        "id": case.id,
        "age_years": case.age_midpoint,
        "sex": case.sex.value if case.sex is not Sex.UNKNOWN else None,
        "levels": (render_levels(case.levels),) if case.levels else (),
        "observed": tuple(dict.fromkeys(f.hpo_id for f in case.observed)),
        "excluded": tuple(dict.fromkeys(f.hpo_id for f in case.excluded if f.hpo_id not in
                                        {o.hpo_id for o in case.observed})),
        "history": tuple(t for t in case.etiology if t != "none_reported"),
        "comorbidities": tuple(case.comorbidities),
        # a report that names only the region ('a thoracic lesion') gives it as where the lesion is
        "compartments": case.compartments + ((f"{case.stated_regions[0]} spine",)
                                             if not case.levels and case.stated_regions else ()),
        "imaging": tuple(blank_diagnosis_names(p) for p in case.imaging),
        "pathology": tuple(blank_diagnosis_names(p) for p in case.pathology),
        "clinical": tuple(dict.fromkeys(blank_diagnosis_names(f.evidence.sentence) for f in case.observed
                                        if f.evidence and f.evidence.sentence and f.counts_as_current)),
        "neuro_deficit": case.neuro_deficit,
        # only what the lab knowledge can read back: a known analyte with a value or a flag
        "labs": tuple(
            {"analyte": m.analyte, "value": m.value, "unit": m.unit, "flag": m.flag.value if m.flag else None}
            for m in case.measurements if (m.value is not None or m.flag is not None) and load_labs().knows(m.analyte)
        ),
    }
    return patient_from_mapping(data, f"case {case.id}")


def read_patient(path: str | Path) -> PatientInput:
    """Load a patient from a file: .yaml/.yml, .json (Phenopacket or plain fields), else a report's text."""
    p = Path(path)
    if not p.is_file():
        raise AssessInputError(f"{p}: no such file")
    suffix = p.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return patient_from_yaml(p.read_text(encoding="utf-8"), str(p))
    if suffix == ".json":
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise AssessInputError(f"{p}: not valid JSON ({exc})") from exc
        if isinstance(data, Mapping) and ("phenotypicFeatures" in data or "subject" in data):
            return patient_from_phenopacket(data, str(p))
        return patient_from_mapping(data, str(p))
    return patient_from_report(p)


def patient_from_report(path: Path) -> PatientInput:
    """A case report through calcispine's extraction: its findings, never the authors' diagnosis."""
    from calcispine.extract import ReadError, extract_case, read_document

    try:
        result = extract_case(read_document(path))
    except ReadError as exc:
        raise AssessInputError(str(exc)) from exc
    if not result.cases:
        raise AssessInputError(f"{path}: no patient described: this does not read as a case report")
    return patient_from_case(result.cases[0])

"""Patient input -> the knowledge base's features, present or absent, each with what it came from."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from calcispine.knowledge import ImpossibleValueError, LabKnowledge, UnknownAnalyteError, UnknownUnitError
from calcispine.knowledge._differential import KnowledgeBase
from calcispine.model import LabFlag, Level, Measurement, Region

from ._input import AssessInputError, PatientInput
from ._ontology import OntologyView

_RAISED = {LabFlag.INCREASED, LabFlag.SLIGHTLY_INCREASED}
_NEGATION = re.compile(r"\b(no|not|without|absence of|absent|negative for|free of|denied|denies)\b[^.;]*$")

# Which lab analyte (labs.yaml key) tells about which feature.
_LAB_FEATURES: dict[str, str] = {
    "phosphate": "elevated_phosphate",
    "uric_acid": "elevated_uric_acid",
    "crp": "elevated_crp",
    "esr": "elevated_crp",
    "alkaline_phosphatase": "elevated_alp",
    "pth": "secondary_hyperparathyroidism",
    "wbc": "leukocytosis",
}
# Which history (etiology) tag tells about which feature.
_HISTORY_FEATURES: dict[str, str] = {
    "hemodialysis": "dialysis",
    "peritoneal_dialysis": "dialysis",
    "chronic_kidney_disease": "chronic_kidney_disease",
    "scleroderma": "connective_tissue_disease",
    "crest": "connective_tissue_disease",
    "lupus": "connective_tissue_disease",
    "dermatomyositis": "connective_tissue_disease",
    "rheumatoid_arthritis": "connective_tissue_disease",
    "trauma": "local_trauma",
    "prior_surgery": "prior_local_surgery",
    "hyperparathyroidism": "secondary_hyperparathyroidism",
    "hyperphosphatemia": "elevated_phosphate",
}
# History features a record with any stated cause speaks to (absent when not among the causes).
HISTORY_KEYS: tuple[str, ...] = ("dialysis", "chronic_kidney_disease", "connective_tissue_disease",
                                 "local_trauma", "prior_local_surgery")
CA_P_THRESHOLD = 55.0  # mg2/dL2: K/DOQI target (labs.yaml kdoqi_target)


@dataclass(frozen=True)
class LabReading:
    """One lab value as given and as interpreted (both unit systems where they exist)."""

    analyte: str
    label: str
    value: float | None
    unit: str | None
    flag: LabFlag | None
    canonical_value: float | None
    canonical_unit: str | None
    other_units: tuple[tuple[str, float], ...] = ()
    reference: tuple[float, float] | None = None


@dataclass(frozen=True)
class Evidence:
    """Features present and absent, each mapped to the inputs that showed it."""

    present: dict[str, tuple[str, ...]] = field(default_factory=dict)
    absent: dict[str, tuple[str, ...]] = field(default_factory=dict)
    labs: tuple[LabReading, ...] = ()
    ca_p_product: float | None = None
    notes: tuple[str, ...] = ()
    levels: tuple[Level, ...] = ()
    hpo_terms: tuple[str, ...] = ()

    def status(self, feature: str) -> bool | None:
        if feature in self.present:
            return True
        if feature in self.absent:
            return False
        return None


class _Builder:
    def __init__(self) -> None:
        self.present: dict[str, list[str]] = {}
        self.absent: dict[str, list[str]] = {}
        self.notes: list[str] = []

    def add(self, feature: str, present: bool, why: str) -> None:
        (self.present if present else self.absent).setdefault(feature, []).append(why)

    def build(self, **kw: object) -> Evidence:
        present = {k: tuple(v) for k, v in sorted(self.present.items())}
        absent = {k: tuple(v) for k, v in sorted(self.absent.items()) if k not in present}
        for k in sorted(set(self.present) & set(self.absent)):
            self.notes.append(f"{k}: shown present ({'; '.join(self.present[k])}) and absent "
                              f"({'; '.join(self.absent[k])}); counted as present")
        return Evidence(present=present, absent=absent, notes=tuple(self.notes), **kw)  # type: ignore[arg-type]


def _add_implied(kb: KnowledgeBase, b: _Builder) -> None:
    """Findings implied by present ones (dialysis: chronic kidney disease) are present too."""
    for key in sorted(b.present):
        for implied in kb.features[key].implies:
            if implied not in b.present:
                b.add(implied, True, f"implied by {kb.features[key].label}")


def _age_band(age: float) -> str:
    if age < 20:
        return "age_0_19"
    if age < 40:
        return "age_20_39"
    if age < 60:
        return "age_40_59"
    return "age_60_plus"


def _phrase_features(kb: KnowledgeBase, text: str, source: str, b: _Builder) -> None:
    """Features a phrase names; a feature is read only from the kinds of input it can come from.

    (An imaging phrase never shows a histological feature, nor a pathology phrase a CT sign.)
    """
    low = text.lower()
    for key, feat in kb.features.items():
        if source not in feat.sources:
            continue
        for pat in feat.patterns:
            m = pat.search(low)
            if m:
                before = low[: m.start()]
                clause = re.split(r"[.;,]|\bbut\b", before)[-1]
                negated = bool(_NEGATION.search(clause))
                b.add(key, not negated, f"{source}: '{text}'")
                break


def _read_lab(labs: LabKnowledge, lab_in: object) -> LabReading:
    from ._input import LabInput

    if not isinstance(lab_in, LabInput):
        raise TypeError("expected a LabInput")
    try:
        a = labs.analyte(lab_in.analyte)
        m: Measurement = labs.measurement(lab_in.analyte, lab_in.value, lab_in.unit, lab_in.flag)
    except (UnknownUnitError, ImpossibleValueError, UnknownAnalyteError) as exc:
        raise AssessInputError(f"lab {lab_in.analyte!r}: {exc}") from exc
    except ValueError as exc:
        raise AssessInputError(f"lab {lab_in.analyte!r}: {exc}") from exc
    others: list[tuple[str, float]] = []
    if m.value is not None and m.unit is not None:
        for u in ("mg/dL", "mmol/L", "umol/L"):
            if u in a.units and u != m.unit:
                others.append((u, a.convert(m.value, m.unit, u)))
    return LabReading(
        analyte=a.key, label=a.label, value=m.value, unit=m.unit, flag=m.flag,
        canonical_value=m.normalised_value, canonical_unit=m.normalised_unit,
        other_units=tuple(others), reference=a.reference_canonical(),
    )


def derive_evidence(patient: PatientInput, kb: KnowledgeBase, ontology: OntologyView,
                    labs: LabKnowledge) -> Evidence:
    """Map every input to the features it shows; unknown feature keys are an error."""
    b = _Builder()
    if patient.age_years is not None:
        b.add(_age_band(patient.age_years), True, f"age {patient.age_years:g} years")
    if patient.sex in ("female", "male"):
        b.add(f"sex_{patient.sex}", True, f"sex {patient.sex}")
    levels = patient.parsed_levels
    if levels:
        text = ", ".join(patient.levels)
        region: Region = levels[0].region
        key = "region_craniocervical" if str(levels[0]) == "C1" else f"region_{region.value}"
        b.add(key, True, f"most cranial level {levels[0]} ({text})")
        b.add("multilevel", len(levels) >= 3, f"{len(levels)} level(s): {text}")
    # HPO terms, ontology-aware: an observed term matches a feature term it equals or descends from.
    for tid in patient.observed:
        anc = ontology.ancestors(tid, include_self=True)
        for key, feat in kb.features.items():
            if any(h in anc for h in feat.hpo):
                b.add(key, True, f"{tid} {ontology.label(tid)}")
    for tid in patient.excluded:
        for key, feat in kb.features.items():
            if any(tid in ontology.ancestors(h, include_self=True) for h in feat.hpo if ontology.resolve(h)):
                b.add(key, False, f"excluded {tid} {ontology.label(tid)}")
    for key, value in patient.features.items():
        if key not in kb.features:
            near = [k for k in kb.features if k.split("_")[0] in key or key.split("_")[0] in k][:6]
            raise AssessInputError(
                f"unknown feature {key!r}; known features include {', '.join(near or list(kb.features)[:12])}"
            )
        b.add(key, bool(value), "stated" if value else "stated absent")
    for tag in patient.history:
        feat_key = _HISTORY_FEATURES.get(tag)
        if feat_key:
            b.add(feat_key, True, f"history: {tag}")
        else:
            _phrase_features(kb, tag.removeprefix("other:"), "history", b)
    _add_implied(kb, b)
    if patient.history:
        for key in HISTORY_KEYS:
            if key not in b.present:
                b.add(key, False, "not among the stated history")
    for comp in patient.compartments:
        _phrase_features(kb, comp, "site", b)
    for phrase in patient.imaging:
        _phrase_features(kb, phrase, "imaging", b)
    for phrase in patient.pathology:
        _phrase_features(kb, phrase, "pathology", b)
    if patient.lesion_size_cm is not None:
        b.add("size_over_2cm", patient.lesion_size_cm > 2.0, f"size {patient.lesion_size_cm:g} cm")
    if patient.neuro_deficit is not None:
        b.add("neurological_deficit", patient.neuro_deficit, "neurological deficit stated" if patient.neuro_deficit
              else "no neurological deficit stated")
    readings = tuple(_read_lab(labs, lab) for lab in patient.labs)
    by_key = {r.analyte: r for r in readings}
    for r in readings:
        feat_key = _LAB_FEATURES.get(r.analyte)
        if feat_key and r.flag is not None:
            shown = f"{r.label} {r.value:g} {r.unit or ''}".strip() if r.value is not None else r.label
            if r.flag in _RAISED:
                b.add(feat_key, True, f"{shown} ({r.flag.value})")
            elif r.flag is LabFlag.NORMAL:
                b.add(feat_key, False, f"{shown} (normal)")
    product = None
    ca, p = by_key.get("calcium"), by_key.get("phosphate")
    if ca and p and ca.value is not None and p.value is not None and ca.unit and p.unit:
        product = labs.calcium_phosphate_product_of(ca.value, ca.unit, p.value, p.unit)
        b.add("elevated_ca_p_product", product > CA_P_THRESHOLD,
              f"Ca x P = {product:.1f} mg2/dL2 ({'above' if product > CA_P_THRESHOLD else 'below'} {CA_P_THRESHOLD:g})")
    _add_implied(kb, b)
    return b.build(labs=readings, ca_p_product=product, levels=levels, hpo_terms=patient.observed)

"""Tumoral calcinosis etiology (Smack's three classes, Boulman's five categories) and lab interpretation."""

from __future__ import annotations

from dataclasses import dataclass

from calcispine.knowledge import LabKnowledge, Vocabulary
from calcispine.model import LabFlag

from ._evidence import CA_P_THRESHOLD, Evidence, LabReading
from ._input import PatientInput

_RAISED = {LabFlag.INCREASED, LabFlag.SLIGHTLY_INCREASED}


@dataclass(frozen=True)
class LabInterpretation:
    readings: tuple[LabReading, ...]
    ca_p_product: float | None
    ca_p_thresholds_exceeded: tuple[str, ...]
    hyperphosphatemia: bool | None
    secondary_hyperparathyroidism: bool | None
    alkaline_phosphatase_raised: bool | None
    statements: tuple[str, ...]


@dataclass(frozen=True)
class EtiologyAssessment:
    etiology_class: str | None
    boulman: tuple[str, ...]
    tags: tuple[str, ...]
    reasons: tuple[str, ...]
    uremic: bool
    cites: tuple[str, ...]


def _flag(readings: dict[str, LabReading], key: str) -> bool | None:
    r = readings.get(key)
    if r is None or r.flag is None:
        return None
    return r.flag in _RAISED


def interpret_labs(evidence: Evidence, labs: LabKnowledge, renal: bool) -> LabInterpretation:
    by = {r.analyte: r for r in evidence.labs}
    statements: list[str] = []
    for r in evidence.labs:
        if r.value is None:
            statements.append(f"{r.label}: {r.flag.value if r.flag else 'no value'} (as stated)")
            continue
        conv = "; ".join(f"{v:.3g} {u}" for u, v in r.other_units)
        ref = f", reference {r.reference[0]:.3g}-{r.reference[1]:.3g} {r.canonical_unit}" if r.reference else ""
        flag = f" -> {r.flag.value}" if r.flag else ""
        statements.append(f"{r.label}: {r.value:g} {r.unit or ''}{' = ' + conv if conv else ''}{ref}{flag}")
    exceeded: tuple[str, ...] = ()
    if evidence.ca_p_product is not None:
        hits = labs.caxp_exceeded(evidence.ca_p_product)
        exceeded = tuple(t.key for t in hits)
        msg = f"calcium x phosphate product {evidence.ca_p_product:.1f} mg2/dL2"
        msg += ("; above " + "; ".join(f"{t.value:g} ({t.meaning})" for t in hits)) if hits else \
            f"; below the K/DOQI target {CA_P_THRESHOLD:g}"
        statements.append(msg)
    hyperp = _flag(by, "phosphate")
    if hyperp is None and "elevated_phosphate" in evidence.present:
        hyperp = True
    pth = _flag(by, "pth")
    shpt: bool | None = None
    if pth is not None:
        shpt = pth and renal
        if pth and renal:
            statements.append("raised PTH with kidney failure: secondary hyperparathyroidism")
        elif pth:
            statements.append("raised PTH without known kidney disease: consider primary hyperparathyroidism")
    elif "secondary_hyperparathyroidism" in evidence.present:
        shpt = True
    alp = _flag(by, "alkaline_phosphatase")
    if hyperp:
        statements.append("hyperphosphatemia")
    return LabInterpretation(evidence.labs, evidence.ca_p_product, exceeded, hyperp, shpt, alp, tuple(statements))


def assess_etiology(patient: PatientInput, evidence: Evidence, vocabulary: Vocabulary,
                    labs: LabInterpretation) -> EtiologyAssessment:
    """Smack's class from history tags and labs; every tag that decided it is named."""
    tags = [t for t in patient.history if t in vocabulary.etiology or t.startswith("other:")]
    reasons: list[str] = []
    uremic = any(t in ("hemodialysis", "peritoneal_dialysis", "chronic_kidney_disease") for t in tags) or \
        "dialysis" in evidence.present or "chronic_kidney_disease" in evidence.present
    if uremic and not any(t in ("hemodialysis", "peritoneal_dialysis", "chronic_kidney_disease") for t in tags):
        tags.append("chronic_kidney_disease")
    if labs.hyperphosphatemia and "hyperphosphatemia" not in tags and not uremic:
        tags.append("hyperphosphatemia")
        reasons.append("raised serum phosphate without kidney failure: primary hyperphosphatemic form possible "
                       "(familial, GALNT3/FGF23/KL)")
    if labs.secondary_hyperparathyroidism and "hyperparathyroidism" not in tags:
        tags.append("hyperparathyroidism")
    cls = vocabulary.etiology_class(tuple(tags)) if tags else None
    if cls is None:
        if labs.hyperphosphatemia is False or (labs.readings and not uremic):
            cls = "primary_normophosphatemic"
            reasons.append("no predisposing condition stated" + (" and phosphate normal" if labs.hyperphosphatemia
                                                                   is False else ""))
        else:
            reasons.append("no history and no phosphate: class cannot be decided; check serum phosphate and history")
    boulman: list[str] = []
    for t in tags:
        entry = vocabulary.etiology.get(t)
        if entry is not None:
            reasons.append(f"{t}: {entry.label} -> {entry.cls.replace('_', ' ')}, Boulman {entry.boulman}")
            if entry.boulman not in boulman:
                boulman.append(entry.boulman)
        else:
            reasons.append(f"{t}: a free-text cause, counted as secondary")
    if cls == "primary_normophosphatemic" and not boulman:
        boulman.append("idiopathic")
    if uremic:
        reasons.append("uremic tumoral calcinosis: renal failure/dialysis"
                       + (f"; Ca x P {labs.ca_p_product:.1f}" if labs.ca_p_product is not None else
                          "; measure calcium and phosphate (an elevated Ca x P product is its prerequisite)"))
    cites = tuple(sorted({c for t in tags if t in vocabulary.etiology for c in vocabulary.etiology[t].cite}))
    return EtiologyAssessment(cls, tuple(boulman), tuple(tags), tuple(reasons), uremic, cites)

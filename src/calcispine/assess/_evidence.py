"""Patient input -> the knowledge base's features, present or absent, each with what it came from."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from calcispine.knowledge import ImpossibleValueError, LabKnowledge, UnknownAnalyteError, UnknownUnitError
from calcispine.knowledge._differential import KnowledgeBase
from calcispine.model import LabFlag, Level, LevelError, Measurement, Region, parse_levels, render_levels

from ._input import AssessInputError, PatientInput
from ._ontology import OntologyView

_RAISED = {LabFlag.INCREASED, LabFlag.SLIGHTLY_INCREASED}
_NEGATION = re.compile(r"\b(no|not|without|absence of|absent|negative for|free of|denied|denies|neither|nor)\b[^.;]*$")
# "non-calcified", "uncalcified": the word itself says the feature is not there.
_PREFIX_NEGATION = re.compile(r"(\bnon-?|\bun)$")
# "mass with no calcification", "was not calcified": a negation inside the matched words.
_INNER_NEGATION = re.compile(r"\b(no|not|without|absence)\b")
# "bone scan normal", "culture was negative": a verdict right after the finding's name.
_VERDICT = r"(normal|negative|unremarkable|absent|not (seen|detected|shown|present|identified|found|demonstrated))\b"
_POST_NEGATION = re.compile(rf"^\W*{_VERDICT}|^[^.;,]{{0,40}}?\b(was|were|is|are|appeared|came back)\s+{_VERDICT}")

# Why a history feature is absent when the history given does not name it (not an explicit "no").
NOT_IN_HISTORY = "not among the stated history"

# Which lab analyte (labs.yaml key) tells about which feature.
_LAB_FEATURES: dict[str, str] = {
    "phosphate": "elevated_phosphate",
    "uric_acid": "elevated_uric_acid",
    "crp": "elevated_crp",
    "esr": "elevated_crp",
    "inflammatory_markers": "elevated_crp",
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

    def discard(self, feature: str) -> None:
        self.present.pop(feature, None)
        self.absent.pop(feature, None)

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


def _negated_before(low: str, m: re.Match[str]) -> bool:
    """A negation cue earlier in the mention's clause ('no', 'without', 'absence of')."""
    clause = re.split(r"[.;,]|\bbut\b|\bwhereas\b|\bwhile\b", low[: m.start()])[-1]
    return bool(_NEGATION.search(clause))


def _negated(low: str, m: re.Match[str]) -> bool:
    """A mention is negated by a cue earlier in its clause, a non-/un- prefix, or a verdict right after it."""
    after = re.split(r"[.;,]|\bbut\b", low[m.end():])[0]
    return bool(_negated_before(low, m) or _PREFIX_NEGATION.search(low[: m.start()]) or _POST_NEGATION.search(after)
                or _INNER_NEGATION.search(m.group(0)))


def phrase_findings(kb: KnowledgeBase, text: str, source: str) -> dict[str, bool]:
    """Features one phrase shows, each present (True) or negated (False).

    A feature is read only from the kinds of input it can come from (an imaging phrase never shows
    a histological feature, nor a pathology phrase a CT sign), not from a phrase one of its veto
    patterns matches, and not when a feature it yields to (``unless``) is read present from the
    same phrase. A feature mentioned both plainly and negated ("no erosion of the dens but erosion
    of the lamina") counts as present; a mention inside one of its absent phrases ("preserved
    intervertebral discs") is part of that phrase, not a plain mention.
    """
    from calcispine.extract import lookalike_context

    low = text.lower()
    # what the lesion was taken for ('a mass mimicking a malignant tumour') is no finding: ConText's
    # look-alike triggers, read once for the phrase, govern the mentions within their clause
    lookalike = lookalike_context().analyse(low)
    found: dict[str, bool] = {}
    for key, feat in kb.features.items():
        if source not in feat.sources or not feat.patterns:
            continue
        if any(v.search(low) for v in feat.veto_patterns):
            continue
        # an absent phrase may carry its own negation ('discs not involved'): only a cue before it undoes it
        absent = [m.span() for pat in feat.absent_patterns for m in pat.finditer(low) if not _negated_before(low, m)]
        states = [not _negated(low, m) for pat in feat.patterns for m in pat.finditer(low)
                  if "POSSIBLE" not in lookalike.categories(m.start(), m.end())
                  and not any(a <= m.start() and m.end() <= b for a, b in absent)]
        if states:
            found[key] = any(states)
        if not found.get(key) and absent:
            found[key] = False
    for key in list(found):
        if any(found.get(u) for u in kb.features[key].unless):
            del found[key]
    return found


# Level names in free text: C3, L4-5, C3/4, T11-T12, C6 to T2 (upper case, as reports write them).
_LEVEL_SPAN = re.compile(r"\b([CTLS])(\d{1,2})(?:\s*(?:-|\u2013|/|to)\s*([CTLS])?(\d{1,2}))?\b")
# Words that make T1/T2 an MRI sequence, not a vertebra.
_MRI_WORDS = re.compile(r"weight|signal|intens|sequence|\bmri?\b|\bstir\b|flair|gadolin|contrast|enhanc|"
                        r"\bhyper|\bhypo|bright|\bdark|\bwi\b|image", re.IGNORECASE)


def levels_in_text(text: str) -> tuple[Level, ...]:
    """Vertebral levels a free-text phrase names, leaving out T1/T2 where they name MRI sequences."""
    out: set[Level] = set()
    for m in _LEVEL_SPAN.finditer(text):
        nums = [int(g) for g in (m.group(2), m.group(4)) if g]
        if m.group(1) == "T" and (m.group(3) in (None, "T")) and max(nums) <= 2:
            near = text[max(0, m.start() - 30): m.end() + 30]
            if _MRI_WORDS.search(near) or re.search(r"T[12]\W{1,6}(and|or|,)\W*T[12]", near):
                continue
        try:
            out.update(parse_levels(m.group(0).replace("to", "-")))
        except LevelError:
            continue
    return tuple(sorted(out))


# A lesion's size in an imaging phrase: "1.6 cm pedunculated lesion", "13 x 6 mm focus", "a mass about
# 3 cm across", "measuring 5x7x4 cm". A number counts only when the words around it make it the
# lesion's size (a lesion noun right after it, or a word of measuring before it), not a distance or
# the width of the canal.
_SIZE = re.compile(r"(\d+(?:\.\d+)?)((?:\s*(?:x|\u00d7|by)\s*\d+(?:\.\d+)?){0,2})\s*-?\s*(cm|mm)\b")
_SIZE_NOUN = re.compile(r"^[\s)\]-]*(?:in (?:diameter|size|greatest|maximum|length)|across|(?:[a-z,-]+\s+){0,3}"
                        r"(?:mass|lesion|nodule|nidus|tumou?r|deposit|collection|focus|calcification|cyst|exostosis)(?:e?s)?\b)")
_SIZE_AWAY = re.compile(r"^\s*(below|above|from|away|beyond|distal|proximal|cranial|caudal|lateral|medial|"
                        r"anterior|posterior|deep|superficial|inferior|superior)\b")
_SIZE_CUE = re.compile(r"(measur\w*|sized?|diameter|across|about|approximately|maximum|largest|up to|"
                       r"mass|lesion|nodule|nidus|tumou?r|focus|deposit|cyst)(\W+of)?\W*$")
_NOT_LESION = re.compile(r"\b(canal|cord|foramen|stenosis|distance|below|above|from the|margin|disc height|"
                         r"space|slip|listhesis|displacement)\b[^.;]{0,25}$")


def sizes_in_text(text: str) -> tuple[float, ...]:
    """Largest dimension (cm) of every lesion size a free-text imaging phrase gives."""
    low = text.lower()
    out: list[float] = []
    for m in _SIZE.finditer(low):
        nums = [float(m.group(1))] + [float(x) for x in re.findall(r"\d+(?:\.\d+)?", m.group(2))]
        before, after = low[max(0, m.start() - 40): m.start()], low[m.end():]
        if _NOT_LESION.search(before) or _SIZE_AWAY.match(after):
            continue
        if not (_SIZE_NOUN.match(after) or _SIZE_CUE.search(before.rstrip())):
            continue
        cm = max(nums) / (10.0 if m.group(3) == "mm" else 1.0)
        if 0 < cm <= 60:
            out.append(cm)
    return tuple(out)


def _levels_from_phrases(patient: PatientInput, kb: KnowledgeBase, b: _Builder) -> tuple[Level, ...]:
    """No levels given: read them, or at least the region, from the imaging and site phrases."""
    phrases = (*patient.imaging, *patient.compartments)
    found: set[Level] = set()
    for ph in phrases:
        found.update(levels_in_text(ph))
    if found:
        levels = tuple(sorted(found))
        text = render_levels(levels)
        region: Region = levels[0].region
        key = "region_craniocervical" if str(levels[0]) == "C1" else f"region_{region.value}"
        b.add(key, True, f"most cranial level {levels[0]} ({text}, read from the imaging)")
        b.add("multilevel", len(levels) >= 3, f"{len(levels)} level(s) named in the imaging: {text}")
        return levels
    for key, pattern in kb.region_patterns:  # cranial first: the region is that of the most cranial level
        hit = next((ph for ph in phrases if pattern.search(ph)), None)
        if hit is not None:
            b.add(key, True, f"region named in '{hit}'")
            break
    return ()


def _phrase_features(kb: KnowledgeBase, text: str, source: str, b: _Builder, from_input: str | None = None) -> None:
    """Read one phrase as the kind of input ``source`` names; ``from_input`` names the input it came from, if not that."""
    for key, present in phrase_findings(kb, text, source).items():
        b.add(key, present, f"{from_input or source}: '{text}'")


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
    else:
        levels = _levels_from_phrases(patient, kb, b)
    # HPO terms, ontology-aware: an observed term matches a feature term it equals or descends from.
    for tid in patient.observed:
        anc = ontology.ancestors(tid, include_self=True)
        for key, feat in kb.features.items():
            if feat.matches_hpo(anc, tid):
                b.add(key, True, f"{tid} {ontology.label(tid)}")
    # An excluded term rules a feature out only when it covers every term of the feature: "no muscle
    # weakness" does not exclude a neurological deficit shown by sensory loss or myelopathy.
    for tid in patient.excluded:
        for key, feat in kb.features.items():
            terms = [h for h in feat.hpo if ontology.resolve(h)]
            if terms and all(tid in ontology.ancestors(h, include_self=True) for h in terms):
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
            _phrase_features(kb, tag.removeprefix("other:").replace("_", " "), "history", b)
    for condition in patient.comorbidities:
        _phrase_features(kb, condition.removeprefix("other:"), "history", b, from_input="comorbidity")
    _add_implied(kb, b)
    if patient.history or patient.comorbidities:
        for key in HISTORY_KEYS:
            if key not in b.present:
                b.add(key, False, NOT_IN_HISTORY)
    for comp in patient.compartments:
        _phrase_features(kb, comp, "site", b)
    for phrase in patient.imaging:
        _phrase_features(kb, phrase, "imaging", b)
    for phrase in patient.pathology:
        _phrase_features(kb, phrase, "pathology", b)
    for phrase in patient.clinical:
        _phrase_features(kb, phrase, "history", b, from_input="clinical")
    if patient.lesion_size_cm is not None:
        b.discard("size_over_2cm")
        b.add("size_over_2cm", patient.lesion_size_cm > 2.0, f"size {patient.lesion_size_cm:g} cm")
    else:
        sized = [(cm, ph) for ph in patient.imaging for cm in sizes_in_text(ph)]
        if sized:
            cm, ph = max(sized)
            b.discard("size_over_2cm")
            b.add("size_over_2cm", cm > 2.0, f"size {cm:g} cm read from the imaging: '{ph}'")
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

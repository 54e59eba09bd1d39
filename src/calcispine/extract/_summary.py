"""The flat summary of a case (the keys of the corpus gold file) and a documented phrase matcher."""

from __future__ import annotations

import re
from typing import Any

from calcispine.model import Case, Finding, Measurement
from calcispine.ontology import get_hpo

from ._rules import load_extract_rules

SUMMARY_KEYS: tuple[str, ...] = (
    "file", "diagnosis", "age_years", "age_range_years", "sex", "levels", "region", "side", "etiology",
    "symptoms", "neuro_deficit", "treatment", "outcome", "follow_up_months", "labs", "imaging", "pathology",
)

_DISPLAY = {
    "urea_nitrogen": "blood urea nitrogen",
    "pth": "parathyroid hormone",
    "alkaline_phosphatase": "alkaline phosphatase",
    "crp": "C-reactive protein",
    "esr": "erythrocyte sedimentation rate",
    "wbc": "white cell count",
    "uric_acid": "uric acid",
    "vitamin_d_25oh": "25-hydroxyvitamin D",
    "vitamin_d_1_25": "1,25-dihydroxyvitamin D",
    "ionised_calcium": "ionised calcium",
}
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


def _num(x: float | None) -> float | int | None:
    if x is None:
        return None
    return int(x) if float(x).is_integer() else x


def lab_name(m: Measurement) -> str:
    """The analyte as the gold file writes it: 'phosphorus' when the text says phosphorus, etc."""
    written = (m.evidence.text if m.evidence else "").lower()
    if m.analyte == "phosphate":
        return "phosphorus" if "phosphorus" in written else "phosphate"
    if m.analyte == "urea_nitrogen" and "nitrogen" not in written and "bun" not in written:
        return "urea"
    return _DISPLAY.get(m.analyte, m.analyte.replace("_", " "))


def lab_value(m: Measurement) -> str:
    """'8.1 mg/dL' with the digits as written, or the flag ('slightly increased')."""
    if m.value is None:
        return str(m.flag.value if m.flag is not None else "")
    text = m.display()
    if m.evidence is not None:
        nums = [n for n in _NUMBER.findall(m.evidence.text) if float(n.replace(",", ".")) == m.value]
        if nums:
            text = f"{nums[0]} {m.unit}" if m.unit else nums[0]
    return text


def _tidy(text: str) -> str:
    t = re.sub(r"(?<=[a-z])-\s*\n\s*(?=[a-z])", "", text)
    return re.sub(r"\s+", " ", t).strip()


def symptom_findings(case: Case) -> tuple[Finding, ...]:
    """Observed, current findings that are symptoms or signs (not imaging or disease terms)."""
    hpo = get_hpo()
    roots = load_extract_rules().symptom_roots.terms
    return tuple(
        f for f in case.observed
        if f.hpo_id in hpo and any(hpo.is_a(f.hpo_id, r) for r in roots)
    )


def symptom_phrase(f: Finding) -> str:
    text = _tidy(f.evidence.text) if f.evidence else f.label
    head = f.label.split()[-1]
    if not (_stems(text) & _stems(head)):
        return f"{f.label.lower()} ({text})"
    return text


def to_summary(case: Case, file: str) -> dict[str, Any]:
    """The flat record gold.jsonl holds for one file, plus ``file``."""
    symptoms: list[str] = []
    for f in symptom_findings(case):
        p = symptom_phrase(f)
        if p.lower() not in (s.lower() for s in symptoms):
            symptoms.append(p)
    regions = [r.value for r in case.regions]
    if not regions and case.versions.get("region_text"):
        regions = [case.versions["region_text"]]
    out: dict[str, Any] = {
        "file": file,
        "diagnosis": case.diagnosis.label if case.diagnosis else None,
        "age_years": _num(case.age_years),
        "sex": None if case.sex.value == "unknown" else case.sex.value,
        "levels": [str(lv) for lv in case.levels],
        "region": regions,
        "side": case.side.value if case.side else None,
        "etiology": list(case.etiology) or ["none_reported"],
        "symptoms": symptoms,
        "neuro_deficit": case.neuro_deficit,
        "treatment": list(case.treatment_codes),
        "outcome": case.outcome.description if case.outcome else None,
        "follow_up_months": _num(case.outcome.follow_up_months) if case.outcome else None,
        "labs": {lab_name(m): lab_value(m) for m in case.measurements},
        "imaging": list(case.imaging),
        "pathology": list(case.pathology),
    }
    if case.age_range_years is not None:
        lo, hi = case.age_range_years
        out["age_range_years"] = [_num(lo), _num(hi)]
    return {k: out[k] for k in SUMMARY_KEYS if k in out}


# --- phrase agreement -----------------------------------------------------------------
# Two phrases agree "by meaning" when enough of the reference phrase's content words
# appear in the candidate: words are lower-cased, split on non-letters, stop words and
# laterality dropped, British spellings and ROM expanded, and compared by their first
# five letters (calcified ~ calcification). A reference phrase is matched when at least
# half of its content stems occur in one candidate phrase.

_STOP = frozenset(
    ["a", "an", "the", "of", "and", "or", "in", "on", "at", "to", "with", "from", "for", "by", "into", "was", "were", "is", "are", "be", "been", "that", "this", "these", "those", "her", "his", "their", "its", "it", "as", "than", "then", "no", "not", "any", "also", "within", "without", "which", "who", "after", "before"]
)
_SPELL = {"oedema": "edema", "tumour": "tumor", "centred": "centered", "centre": "center", "haem": "hem", "rom": "range motion"}


def _stems(text: str) -> set[str]:
    words = re.findall(r"[a-z0-9]+", text.lower().replace("-", " "))
    out: set[str] = set()
    for w in words:
        w = _SPELL.get(w, w)
        for part in w.split():
            if part in _STOP:
                continue
            out.add(part[:5])
    return out


def phrase_coverage(reference: str, candidate: str) -> float:
    """Share of the reference phrase's content stems found in the candidate."""
    ref = _stems(reference)
    if not ref:
        return 1.0
    return len(ref & _stems(candidate)) / len(ref)


def phrases_agree(reference: list[str], candidates: list[str], threshold: float = 0.5) -> tuple[list[str], list[str]]:
    """(reference phrases no candidate matches, candidates that share no content word with any reference)."""
    missing = [r for r in reference if not any(phrase_coverage(r, c) >= threshold for c in candidates)]
    lateral = {"right", "left", "bilat", "side"}
    extra = [c for c in candidates if not any((_stems(c) - lateral) & (_stems(r) - lateral) for r in reference)]
    return missing, extra

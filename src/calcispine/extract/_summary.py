"""The flat summary of a case (the keys of the corpus gold file) and a documented phrase matcher."""

from __future__ import annotations

import re
from typing import Any

from calcispine.knowledge import load_diagnoses, load_extract_rules
from calcispine.model import Case, Finding, Measurement
from calcispine.ontology import get_hpo

from ._parsers import lab_number

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
    "wbc": "white blood cell count",
    "uric_acid": "uric acid",
    "vitamin_d_25oh": "25-hydroxyvitamin D",
    "vitamin_d_1_25": "1,25-dihydroxyvitamin D",
    "ionised_calcium": "ionised calcium",
    "platelets": "platelet count",
    "ldh": "lactate dehydrogenase",
    "psa": "prostate-specific antigen",
    "csf_cell_count": "cerebrospinal fluid cell count",
    "full_blood_count": "full blood count",
    "protein_electrophoresis": "serum protein electrophoresis",
    "blood_culture": "blood cultures",
    "anti_ccp": "anti-CCP antibodies",
    "anti_centromere": "anti-centromere antibody",
    "anti_scl70": "anti-Scl-70 antibody",
}
_NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+(?![\d.])|\d+(?:[.,]\d+)?")


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
    if m.analyte == "ionised_calcium" and "ioniz" in written:
        return "ionized calcium"
    if m.analyte in _DISPLAY:
        return _DISPLAY[m.analyte]
    from calcispine.knowledge import load_labs

    labs = load_labs()
    return labs.analyte(m.analyte).synonyms[0] if labs.knows(m.analyte) else m.analyte.replace("_", " ")


_COMPARATOR = re.compile(r"(?:(>|\b(?:greater|more|higher) than|\babove|\bover)|(<|\b(?:less|lower) than|\bbelow|\bunder))\s*$", re.IGNORECASE)


def _with_unit(number: str, written: str, unit: str | None) -> str:
    """The unit as written, with its own spacing ('11,100/µL'); the unit alone when page furniture
    stood between value and unit in the original."""
    if not unit:
        return number
    if len(written) <= 16 and written.strip():
        return number + re.sub(r"\s+", " ", written)
    return f"{number} {unit}"


def lab_value(m: Measurement) -> str:
    """The value and unit as the report writes them ('845 µmol/L', '11,100/µL'), or the flag."""
    if m.value is None:
        if m.result:
            return m.result
        return str(m.flag.value if m.flag is not None else "")
    text = m.display()
    if m.evidence is not None:
        ev = m.evidence.text
        for n in _NUMBER.finditer(ev):
            if lab_number(n.group(0)) == m.value:
                text = _with_unit(n.group(0), ev[n.end():].rstrip(")"), m.unit)
                cmp = _COMPARATOR.search(ev, 0, n.start())
                if cmp:  # 'greater than 100 ng/mL': the figure is a bound, shown as '>100 ng/mL'
                    text = (">" if cmp.group(1) else "<") + text
                break
    return text


def _tidy(text: str) -> str:
    t = re.sub(r"(?<=[a-z])-\s*\n\s*(?=[a-z])", "", text)
    return re.sub(r"\s+", " ", t).strip()


def symptom_findings(case: Case) -> tuple[Finding, ...]:
    """Observed, current findings that are symptoms or signs (not imaging or disease terms)."""
    hpo = get_hpo()
    rs = load_extract_rules().symptom_roots
    return tuple(
        f for f in case.observed
        if f.hpo_id in hpo and any(hpo.is_a(f.hpo_id, r) for r in rs.terms)
        and not any(hpo.is_a(f.hpo_id, x) for x in rs.exclude)
    )


# A finding's phrase as a reader writes it: the matched words plus the modifiers before them
# ('bilateral', 'severe') and the complement after them up to the clause end ('pain in both
# legs', 'weakness of the right biceps'), so that site and side travel with the finding.
_LEFT_STOP = frozenset((
    "with", "had", "has", "have", "was", "were", "is", "are", "and", "or", "of", "a", "an", "the", "her", "his",
    "their", "its", "there", "no", "not", "she", "he", "they", "it", "which", "that", "who", "to", "in", "on",
    "at", "by", "from", "for", "since", "after", "before", "presented", "complained", "developed", "reported",
    "noticed", "described", "showed", "revealed", "demonstrated", "examination",
    "whose", "when", "where", "while", "whom", "because", "as", "but", "if", "so", "then", "also", "obvious",
))
_DURATION = r"(?:\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|twelve|several|a few|few)\s+(?:days?|weeks?|months?|years?)\b"
_RIGHT_END = re.compile(
    r"[,;:.()\[\]]|\s(?:but|which|that|while|whereas|although|when|for|since|because|who|whose|was|were|is|are|had|has)\b"
    r"|\sover\s+(?:the\s+)?(?:last|past|next|following|preceding|\d|a\s|an\s|one|two|three|four|five|six|several|many|some)"
    r"|\sand\s+(?:the|a|an|her|his|their|she|he|it|they)\b"
    r"|\s(?:in|of|on) (?:a|an|this|our|the) (?:\w+ ){0,2}(?:woman|man|patient|child|girl|boy|lady|gentleman)\b"
    rf"|\s(?:and\s+|of\s+|after\s+)?{_DURATION}",
    re.IGNORECASE,
)
_PREDICATE = re.compile(
    r"\s+(?:was|were|is|are|had been|became)\s+(?:\w+ly\s+)?(?:constant|intermittent|severe|mild|sharp|dull|burning|"
    r"throbbing|progressive|worse|worst|aggravated|relieved|exacerbated|persistent|nocturnal|mechanical|disabling)\b[^.;]*",
    re.IGNORECASE,
)
_QUALIFIER = re.compile(r",\s*((?:worse|more|especially|particularly|predominantly|mainly|mostly)\b[^,;.]*)", re.IGNORECASE)
_TRAILING = re.compile(r"(?:\s+(?:and|or|with|the|a|an|of|to|in|on|at|by|her|his))+\s*$", re.IGNORECASE)


_HISTORY_OF = re.compile(r"(?:\b(?:a|an)\s+)?(?P<d>(?:\d+|[a-z]+(?:-[a-z]+)?)[- ](?:hours?|days?|weeks?|months?|years?)[- ](?:long\s+)?history of)\s+(?:\w+\s+)?$", re.IGNORECASE)
_FOR_DURATION = re.compile(
    rf"\s+(?:for|over|of|since)\s+(?:(?:about|nearly|almost|approximately|more than|over|the (?:last|past|previous)|past|last)\s+)*{_DURATION}(?:\s+(?:duration|long))?",
    re.IGNORECASE,
)


_LIST_NEXT = re.compile(_RIGHT_END.pattern + r"|\s(?:and|with)\s", re.IGNORECASE)


def _expand(sentence: str, start: int, end: int) -> str:
    """The finding's words with their modifiers, complement and duration ('an 8-month history of back
    pain', 'neck pain for four months radiating to the shoulder')."""
    words = list(re.finditer(r"\S+", sentence[:start]))
    left = start
    for w in reversed(words[-3:]):
        token = w.group(0)
        if token[-1] in ",;:.)" or token.lower().strip("(") in _LEFT_STOP:
            break
        left = w.start()
    h = _HISTORY_OF.search(sentence, max(0, left - 60), left)
    if h is not None:
        left = h.start("d")
    pos = end
    while True:
        m = _RIGHT_END.search(sentence, pos)
        right = m.start() if m else len(sentence)
        d = _FOR_DURATION.match(sentence, right)
        if d is None or d.end() <= pos:
            break
        pos = d.end()
        if m is None or m.start() > d.end():
            break
    if pos > end:  # after a duration a new item of the list begins at 'and' / 'with'
        m = _LIST_NEXT.search(sentence, pos)
    right = m.start() if m else len(sentence)
    right = max(right, pos)
    tail = sentence[end:right].split(" ")
    if len(tail) > 12:
        right = end + len(" ".join(tail[:12]))
    q = _QUALIFIER.match(sentence, right)
    if q:
        right = q.end()
    p = _PREDICATE.match(sentence, right)
    if p:  # 'the pain was constant, worse at night and on deep breathing'
        right = p.end()
    return _TRAILING.sub("", sentence[left:right])


def symptom_phrase(f: Finding) -> str:
    """The finding's phrase, prefixed by its HPO label when the words do not name it."""
    ev = f.evidence
    text = _tidy(ev.text) if ev else f.label
    if ev is not None and ev.sentence:
        sent = _tidy(ev.sentence)
        at = sent.find(text)
        if at >= 0:
            text = _tidy(_expand(sent, at, at + len(text)))
    head = f.label.split()[-1]
    if not (_stems(text) & _stems(head)):
        return f"{f.label.lower()} ({text})"
    return text


def _reported_label(case: Case) -> str | None:
    """The diagnosis as a summary names it: a subtype by its entity (HFTC is tumoral calcinosis)."""
    if case.diagnosis is None:
        return None
    entry = load_diagnoses().diagnoses.get(case.diagnosis.key)
    if entry is not None and entry.reported_as:
        return load_diagnoses().diagnoses[entry.reported_as].label
    return case.diagnosis.label


def to_summary(case: Case, file: str) -> dict[str, Any]:
    """The flat record gold.jsonl holds for one file, plus ``file``."""
    symptoms: list[str] = []
    for f in symptom_findings(case):
        p = symptom_phrase(f)
        if p.lower() not in (s.lower() for s in symptoms):
            symptoms.append(p)
    regions = list(case.stated_regions)
    out: dict[str, Any] = {
        "file": file,
        "diagnosis": _reported_label(case),
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
# British digraphs (paraesthesia, anaemia, faecal, oesophagus) and plurals (legs, reflexes) are
# the same word for this comparison.
_BRITISH = re.compile(r"(?<=[a-z])ae|^ae|^oe")


def _stems(text: str) -> set[str]:
    words = re.findall(r"[a-z0-9]+", text.lower().replace("-", " "))
    out: set[str] = set()
    for w in words:
        w = _SPELL.get(w, w)
        for part in w.split():
            if part in _STOP:
                continue
            part = _BRITISH.sub("e", part)
            if len(part) > 3 and part.endswith("s") and not part.endswith(("ss", "us", "is")):
                part = part[:-1]
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


# --- agreement of a summary with a gold record ------------------------------------------
# The measure bench/extract_accuracy.py reports and tests/extract use: exact fields equal
# (the diagnosis as the same diagnoses.yaml entry), tag fields equal as sets, phrase fields by
# meaning (phrases_agree), outcome by coverage.

EXACT_FIELDS: tuple[str, ...] = (
    "diagnosis", "age_years", "age_range_years", "sex", "levels", "region", "side", "neuro_deficit",
    "follow_up_months", "labs",
)
SET_FIELDS: tuple[str, ...] = ("etiology", "treatment")
PHRASE_FIELDS: tuple[str, ...] = ("symptoms", "imaging", "pathology")
SCORED_FIELDS: tuple[str, ...] = (*EXACT_FIELDS, *SET_FIELDS, *PHRASE_FIELDS, "outcome")
# Share of a gold symptom list the extracted list must cover (each phrase by meaning, phrases_agree).
SYMPTOM_COVERAGE = 0.75


def diagnosis_key(label: str | None) -> str | None:
    """The diagnoses.yaml entry a diagnosis label names ('bone metastasis' -> metastasis), else None.

    Gold files and the extractor may name one entity differently ('calcium pyrophosphate
    deposition' and '... deposition disease'); they agree when both name the same entry.
    """
    if not label:
        return None
    diags = load_diagnoses()
    for key, d in diags.diagnoses.items():
        if label.lower() == d.label.lower():
            return key
    hits = [(m.end() - m.start(), -m.start(), m.lastgroup) for m in diags.regex.finditer(label)]
    return max(hits)[2] if hits else None


def _same_diagnosis(gold: str | None, got: str | None) -> bool:
    if gold == got:
        return True
    g, s = diagnosis_key(gold), diagnosis_key(got)
    return g is not None and g == s


def _lab_key(name: str) -> str:
    from calcispine.knowledge import load_labs
    from calcispine.knowledge._labs import normalise_name

    labs = load_labs()
    return labs.analyte(name).key if labs.knows(name) else normalise_name(name)


_LAB_VALUE = re.compile(r"\s*([<>≤≥]=?)?\s*(\d{1,3}(?:,\d{3})+(?![\d.])|\d+(?:\.\d+)?)\s*(.*?)\s*")


def _lab_reading(value: object) -> tuple[object, ...]:
    """A lab value by meaning: (comparator, number, unit) or the flag it states ('absent' is negative)."""
    from calcispine.knowledge import load_labs
    from calcispine.knowledge._labs import normalise_unit

    text = str(value)
    m = _LAB_VALUE.fullmatch(text)
    if m:
        return ("value", m.group(1) or "", lab_number(m.group(2)), normalise_unit(m.group(3)))
    try:
        return ("flag", load_labs().parse_flag(text).value)
    except ValueError:
        return ("text", " ".join(text.lower().split()))


def labs_agree(gold: dict[str, Any], got: dict[str, Any]) -> bool:
    """Two lab records agree when they name the same analytes (labs.yaml synonyms: 'platelets' is
    the platelet count) with the same readings ('9,800/µL' = '9800/uL'; 'absent' = 'negative')."""
    def norm(d: dict[str, Any]) -> dict[str, tuple[object, ...]]:
        return {_lab_key(k): _lab_reading(v) for k, v in d.items()}

    return len(gold) == len(got) and norm(gold) == norm(got)


def field_agreement(gold: dict[str, Any], summary: dict[str, Any] | None) -> dict[str, tuple[bool, str]]:
    """Per scored field: (agrees, what differs). ``summary`` None means no case was extracted.

    Symptoms must cover at least SYMPTOM_COVERAGE of the gold phrases and have no extra phrase (a
    symptom the patient does not have is an error); imaging and pathology need every gold phrase found.

    >>> field_agreement({"sex": "female", "etiology": ["none_reported"]}, {"sex": "female", "etiology": ["none_reported"]})["sex"]
    (True, '')
    """
    s = summary or {}
    out: dict[str, tuple[bool, str]] = {}
    for k in EXACT_FIELDS:
        if k == "diagnosis":
            ok = summary is not None and _same_diagnosis(gold.get(k), s.get(k))
        elif k == "labs":
            ok = summary is not None and labs_agree(gold.get(k) or {}, s.get(k) or {})
        else:
            ok = summary is not None and s.get(k) == gold.get(k)
        out[k] = (ok, "" if ok else f"gold {gold.get(k)!r} got {s.get(k)!r}")
    for k in SET_FIELDS:
        ok = summary is not None and sorted(s.get(k) or []) == sorted(gold.get(k) or [])
        out[k] = (ok, "" if ok else f"gold {gold.get(k)!r} got {s.get(k)!r}")
    for k in PHRASE_FIELDS:
        ref = list(gold.get(k) or [])
        missing, extra = phrases_agree(ref, list(s.get(k) or []))
        if k != "symptoms":
            extra = []
            ok = summary is not None and not missing
        else:
            # A reader's symptom list enumerates every complaint and sign at a granularity of its own
            # ('pallor and mild wasting', 'bulge of the posterior pharyngeal wall'): the extraction agrees
            # when it names at least three in four of them and nothing the patient does not have.
            covered = len(ref) - len(missing)
            ok = summary is not None and not extra and covered >= SYMPTOM_COVERAGE * len(ref)
        out[k] = (ok, "" if ok else f"missing {missing}" + (f" extra {extra}" if extra else "")
                  + (f" ({len(ref) - len(missing)}/{len(ref)} covered)" if k == "symptoms" else ""))
    go, so = gold.get("outcome"), s.get("outcome")
    ok = summary is not None and (
        (go is None and so is None) or (go is not None and so is not None and phrase_coverage(go, so) >= 0.5)
    )
    out["outcome"] = (ok, "" if ok else f"gold {go!r} got {so!r}")
    return out

"""The extraction pipeline: a Document in, one Case per described patient out, each value with evidence."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from calcispine.config import Settings
from calcispine.model import (
    Case,
    DataIssue,
    Diagnosis,
    Evidence,
    Finding,
    LabFlag,
    Level,
    Measurement,
    Notepad,
    Outcome,
    Provenance,
    Sex,
    Side,
    Source,
    Treatment,
)
from calcispine.ontology import get_hpo

from ._context import HISTORICAL, HYPOTHETICAL, NEGATED, POSSIBLE, SentenceContext, default_context
from ._document import Document
from ._hpo_match import TermHit, fenominal_hits, merge_hits, phrase_hits
from ._parsers import LabMention, find_labs, find_levels, parse_ages, parse_follow_up
from ._rules import load_diagnoses, load_extract_rules, rule_versions
from ._text import CleanText, Sentence, clean, find_sections, sentences


@dataclass(frozen=True)
class SectionInfo:
    """A section of the report, in offsets of ``Document.text``."""

    kind: str
    title: str
    start: int
    end: int


@dataclass(frozen=True)
class ExtractionResult:
    cases: tuple[Case, ...]
    issues: tuple[DataIssue, ...]
    differential: tuple[str, ...]
    sections: tuple[SectionInfo, ...]
    source: Source
    document: Document = field(compare=False, repr=False)


class NotACaseReportError(ValueError):
    """The text describes no patient (no age, sex, level or clinical finding of one)."""


@lru_cache(maxsize=1)
def _regexes() -> dict[str, re.Pattern[str]]:
    r = load_extract_rules()
    ic = re.IGNORECASE
    return {
        "anchor": re.compile("|".join(f"(?:{a.pattern})" for a in r.patient_anchors), ic),
        "other_work": re.compile(r.other_work, ic),
        "generic": re.compile(r.generic, ic),
        "narrative": re.compile(r.narrative + r"|\bdid (?:not )?\w+", ic),
        "imaging": re.compile(r.imaging_cues, ic),
        "pathology": re.compile(r.pathology_cues, ic),
        "outcome": re.compile(r.outcome_cues, ic),
        "neuro_pos": re.compile(r.neuro_positive, ic),
        "neuro_neg": re.compile(r.neuro_negative, ic),
        "side": re.compile(r"\b(left|right|bilateral)(?:[- ]sided?)?\b", ic),
        "side_anatomy": re.compile(r.side_anatomy, ic),
        "side_limb": re.compile(r.side_limb, ic),
        "female": re.compile(r"\b(?:woman|female|girl|lady|she|her|hers|herself|mrs|ms)\b", ic),
        "male": re.compile(r"\b(?:man|male|boy|gentleman|he|his|him|himself|mr)\b", ic),
        "female_noun": re.compile(r"\b(?:woman|female|girl|lady)\b", ic),
        "male_noun": re.compile(r"\b(?:man|male|boy|gentleman)\b", ic),
        "series": re.compile(r"^(?:(?:case|patient)\s*(\d+|[ivx]+)\b|(?:the|a)\s+(second|third|fourth|fifth|other|next)\s+(?:patient|case)\b)", ic),
        "region": re.compile(r"\b(cervical|thoracic|lumbar|sacral)\b", ic),
        "figref": re.compile(r"\s*[\[(](?:Fig(?:ure)?s?\.?|Table)\s*[^\])]{0,30}[\])]", ic),
        "diag_cue": re.compile(r"diagnos|consistent with|compatible with|confirmed|was made|seen in|characteristic of|revealed|demonstrated|suggesting|typical of", ic),
        "differential": re.compile(r"differential diagnos\w*", ic),
        "abbrev_def": re.compile(r"\(([A-Z]{2,8})\)"),
    }


_CASE_KINDS = {"case"}
_NEVER = {"references", "table", "acknowledgements", "legend"}
_OPEN_KINDS = {"other", "abstract", "conclusion", "background"}


def _patient_sentences(sents: list[Sentence]) -> list[bool]:
    rx = _regexes()
    flags: list[bool] = []
    prev = False
    for s in sents:
        kind = s.section.kind
        t = s.text
        if kind in _CASE_KINDS:
            ok = True
        elif kind in _NEVER:
            ok = False
        elif kind == "discussion":
            m = rx["anchor"].search(t)
            ok = bool(m) and not rx["other_work"].search(t) and not rx["generic"].search(t) and bool(
                re.search(r"\b(?:our|this|the present|the index) (?:patient|case)|\bin this case\b|\bthe patient\b", t, re.I)
            )
        else:
            anchored = bool(rx["anchor"].search(t)) and not rx["other_work"].search(t)
            cont = prev and bool(rx["narrative"].search(t)) and not rx["generic"].search(t) and not rx["other_work"].search(t)
            ok = anchored or cont
        flags.append(ok)
        prev = ok if kind not in _CASE_KINDS else False
    return flags


def _patient_groups(sents: list[Sentence], patient: list[bool]) -> list[list[int]]:
    """Indices of patient sentences per patient; a case series splits at 'Case 2' / 'The second patient'."""
    rx = _regexes()
    markers: list[int] = []
    seen_titles: set[str] = set()
    for i, s in enumerate(sents):
        if s.section.kind != "case":
            continue
        title = s.section.title.lower()
        first_of_section = i == 0 or sents[i - 1].section is not s.section
        if first_of_section and rx["series"].match(title) and title not in seen_titles:
            seen_titles.add(title)
            markers.append(i)
        elif rx["series"].match(s.text):
            markers.append(i)
    if len(markers) < 2:
        return [[i for i, ok in enumerate(patient) if ok]]
    groups: list[list[int]] = []
    for j, m in enumerate(markers):
        end = markers[j + 1] if j + 1 < len(markers) else len(sents)
        groups.append([i for i in range(m, end) if patient[i] and sents[i].section.kind == "case"])
    return [g for g in groups if g]


class _Ctx:
    """Per-document working state shared by the field readers."""

    def __init__(self, doc: Document, ct: CleanText, sents: list[Sentence], settings: Settings | None) -> None:
        self.doc = doc
        self.ct = ct
        self.sents = sents
        self.settings = settings
        self._ctx: dict[int, SentenceContext] = {}
        self.starts = [s.start for s in sents]
        self._labs: dict[int, list[LabMention]] = {}

    def labs(self, i: int) -> list[LabMention]:
        if i not in self._labs:
            self._labs[i] = find_labs(self.sents[i].text)
        return self._labs[i]

    def context(self, i: int) -> SentenceContext:
        if i not in self._ctx:
            self._ctx[i] = default_context().analyse(self.sents[i].text)
        return self._ctx[i]

    def cats(self, i: int, s: int, e: int) -> frozenset[str]:
        """Modifier categories of a clean span inside sentence i."""
        base = self.sents[i].start
        return self.context(i).categories(s - base, e - base)

    def evidence(self, i: int, s: int, e: int, rule: str) -> Evidence:
        sent = self.sents[i]
        os_, oe = self.ct.span(s, e)
        return Evidence(os_, oe, self.doc.text[os_:oe], sent.text, sent.section.kind, rule)

    def sentence_of(self, pos: int) -> int | None:
        i = bisect.bisect_right(self.starts, pos) - 1
        if i >= 0 and pos < self.sents[i].end:
            return i
        return None


def _source_of(doc: Document) -> Source:
    stem = re.sub(r"[^A-Za-z0-9]+", "-", doc.name.rsplit(".", 1)[0]).strip("-").lower() or "text"
    sid = f"pmid:{doc.pmid}" if doc.pmid else f"doc:{stem}"
    return Source(
        id=sid, authors=doc.authors, year=doc.year, title=doc.title, journal=doc.journal,
        pmid=doc.pmid, doi=doc.doi, kind="case_report", note=f"extracted from {doc.name}",
    )


def extract_case(document: Document | str, settings: Settings | None = None) -> ExtractionResult:
    """Read a report's text into one Case per described patient, each value with its evidence.

    Pure: no files, no database. Problems travel in ``issues``; a text that describes no patient
    gives no case and an error issue.
    """
    doc = Document(text=document) if isinstance(document, str) else document
    notepad = Notepad()
    ct, legends = clean(doc.text)
    secs = find_sections(ct, legends)
    sents = sentences(ct, secs)
    ctx = _Ctx(doc, ct, sents, settings)
    patient = _patient_sentences(sents)
    source = _source_of(doc)
    groups = _patient_groups(sents, patient)
    legend_idx = [i for i, s in enumerate(sents) if s.section.kind == "legend"]
    mined = fenominal_hits(ct.text, settings)
    differential = _differential(ctx)
    cases: list[Case] = []
    for n, group in enumerate(groups, start=1):
        case = _build_case(ctx, group, legend_idx if len(groups) == 1 else [], mined, source, n, notepad)
        if case is not None:
            cases.append(case.with_changes(differential=differential))
    if not cases:
        notepad.error(doc.name, "no patient described: this does not read as a case report", "check the file is a case report")
    sections = tuple(
        SectionInfo(s.kind, s.title, *ct.span(s.start, s.end)) for s in secs
    )
    return ExtractionResult(tuple(cases), notepad.issues, differential, sections, source, doc)


def _build_case(
    ctx: _Ctx, group: list[int], legend_idx: list[int], mined: list[TermHit], source: Source, n: int, notepad: Notepad
) -> Case | None:
    rx = _regexes()
    sents = ctx.sents
    prov: list[tuple[str, Provenance]] = []

    def note(field_name: str, ev: Evidence) -> None:
        prov.append((field_name, Provenance(source.id, ev)))

    outcome_sent = {i for i in group if rx["outcome"].search(sents[i].text)}
    outcome_read = sorted(i for i in outcome_sent if not re.search(r"\b(?:may|might|should|can|could)\b", sents[i].text))

    # age
    age_years: float | None = None
    age_range: tuple[float, float] | None = None
    ordered = sorted(group, key=lambda i: (sents[i].section.kind != "case", i))
    for i in ordered:
        found = [a for a in parse_ages(sents[i].text) if not re.match(r"\s*(?:history|ago|earlier|later)", sents[i].text[a.end:])]
        if found:
            a = found[0]
            age_years, age_range = a.years, a.range_years
            note("age", ctx.evidence(i, sents[i].start + a.start, sents[i].start + a.end, "age"))
            break

    # sex
    fem = mal = 0
    sex_ev: Evidence | None = None
    for i in ordered:
        t = sents[i].text
        for pat, w, is_f in ((rx["female_noun"], 3, True), (rx["male_noun"], 3, False), (rx["female"], 1, True), (rx["male"], 1, False)):
            for m in pat.finditer(t):
                if is_f:
                    fem += w
                else:
                    mal += w
                if sex_ev is None and w == 3:
                    sex_ev = ctx.evidence(i, sents[i].start + m.start(), sents[i].start + m.end(), "sex")
    sex = Sex.UNKNOWN
    if fem > mal:
        sex = Sex.FEMALE
    elif mal > fem:
        sex = Sex.MALE
    if sex is not Sex.UNKNOWN and sex_ev is not None:
        note("sex", sex_ev)

    # levels (patient sentences only; fusion constructs are not the lesion)
    levels: set[Level] = set()
    for i in group:
        for lm in find_levels(sents[i].text):
            if lm.in_fusion:
                continue
            s0 = sents[i].start
            if HISTORICAL in ctx.cats(i, s0 + lm.start, s0 + lm.end) and levels:
                continue
            levels.update(lm.levels)
            note("levels", ctx.evidence(i, s0 + lm.start, s0 + lm.end, "levels"))
    region_word: str | None = None
    if not levels:
        for i in ordered:
            rm = rx["region"].search(sents[i].text)
            if rm:
                region_word = rm.group(1).lower()
                break

    # side, compartments
    side = _side(ctx, group + legend_idx, note)
    compartments = _labelled(ctx, group + legend_idx, load_extract_rules().compartments, "compartments", note)

    # findings
    findings = _findings(ctx, [i for i in group if i not in outcome_sent], mined, notepad)

    # etiology and comorbidities
    etiology: list[str] = []
    for rule in load_extract_rules().etiology:
        pat = re.compile(rule.pattern, re.IGNORECASE)
        for i in group:
            for m in pat.finditer(sents[i].text):
                s0 = sents[i].start
                cats = ctx.cats(i, s0 + m.start(), s0 + m.end())
                if cats & {NEGATED, HYPOTHETICAL, POSSIBLE, "FAMILY"}:
                    continue
                if rule.tag not in etiology:
                    etiology.append(rule.tag)
                    note("etiology", ctx.evidence(i, s0 + m.start(), s0 + m.end(), f"etiology:{rule.tag}"))
                break
    etiology.sort(key=lambda t: min((p.evidence.start for f, p in prov if f == "etiology" and p.evidence and p.evidence.rule == f"etiology:{t}"), default=0))
    comorbidities = _labelled(ctx, group, load_extract_rules().comorbidities, "comorbidities", note, skip_negated=True)

    # treatments
    treatments: list[Treatment] = []
    from calcispine.knowledge import load_vocabulary

    vocab = load_vocabulary()
    for trule in load_extract_rules().treatments:
        pat = re.compile(trule.pattern, re.IGNORECASE)
        done = False
        for i in group:
            if done:
                break
            for m in pat.finditer(sents[i].text):
                s0 = sents[i].start
                if ctx.cats(i, s0 + m.start(), s0 + m.end()) & {NEGATED, HYPOTHETICAL, POSSIBLE, "FAMILY", HISTORICAL}:
                    continue
                code = vocab.treatment[trule.code]
                ev = ctx.evidence(i, s0 + m.start(), s0 + m.end(), f"treatment:{trule.code}")
                treatments.append(Treatment(trule.code, code.label, code.maxo, ev))
                note("treatments", ev)
                done = True
                break
    treatments.sort(key=lambda t: t.evidence.start if t.evidence else 0)

    # labs
    measurements = _labs(ctx, group, notepad)

    # imaging, pathology
    imaging = _phrases(ctx, group + legend_idx, "imaging", note, exclude=("pathology",))
    pathology = _phrases(ctx, group + legend_idx, "pathology", note, exclude=())

    # outcome
    outcome = _outcome(ctx, outcome_read, note)

    # neurological deficit
    neuro = _neuro(ctx, group, findings, note)

    # diagnosis
    diagnosis = _diagnosis(ctx, group, note)

    if age_years is None and age_range is None and sex is Sex.UNKNOWN and not levels and not findings and not treatments:
        return None
    versions = {"hpo": get_hpo().release, **rule_versions()}
    try:
        from calcispine.knowledge import load_labs

        versions["labs"] = load_labs().version
        versions["vocabulary"] = vocab.version
    except (ImportError, ValueError):
        pass
    regions = tuple(sorted({lv.region for lv in levels}))
    label = f"{source.id} patient {n}"
    case = Case(
        id=f"{source.id}#{n}",
        source_ids=(source.id,),
        label=label,
        age_years=age_years,
        age_range_years=age_range,
        sex=sex,
        levels=tuple(sorted(levels)),
        side=side,
        compartments=compartments,
        findings=tuple(findings),
        measurements=tuple(measurements),
        treatments=tuple(treatments),
        outcome=outcome,
        diagnosis=diagnosis,
        etiology=tuple(etiology),
        comorbidities=comorbidities,
        imaging=imaging,
        pathology=pathology,
        neuro_deficit=neuro,
        provenance=tuple(prov),
        versions=versions,
    )
    if region_word and not regions:
        object.__setattr__(case, "versions", {**case.versions, "region_text": region_word})
    return case


def _side(ctx: _Ctx, idx: Iterable[int], note: object) -> Side | None:
    rx = _regexes()
    votes: dict[str, int] = {}
    first: dict[str, tuple[int, int, int]] = {}
    for i in idx:
        t = ctx.sents[i].text
        for m in rx["side"].finditer(t):
            window = " ".join(t[m.end():m.end() + 60].split()[:6])
            if re.search(r"side", m.group(0), re.IGNORECASE):
                window = "side " + window
            a = rx["side_anatomy"].search(window)
            lmb = rx["side_limb"].search(window)
            if a is None or (lmb is not None and lmb.start() < a.start()):
                continue
            w = m.group(1).lower()
            votes[w] = votes.get(w, 0) + 1
            first.setdefault(w, (i, ctx.sents[i].start + m.start(), ctx.sents[i].start + m.end()))
    if not votes:
        return None
    left, right, both = votes.get("left", 0), votes.get("right", 0), votes.get("bilateral", 0)
    if both > left + right or (left and right and min(left, right) * 3 > max(left, right)):
        choice = "bilateral"
    else:
        choice = "left" if left > right else "right"
    if choice in first:
        i, s, e = first[choice]
        note("side", ctx.evidence(i, s, e, "side"))  # type: ignore[operator]
    return Side(choice)


def _labelled(ctx: _Ctx, idx: Iterable[int], rules: Iterable[object], field_name: str, note: object, skip_negated: bool = False) -> tuple[str, ...]:
    out: list[str] = []
    for rule in rules:
        pat = re.compile(rule.pattern, re.IGNORECASE)  # type: ignore[attr-defined]
        for i in idx:
            m = pat.search(ctx.sents[i].text)
            if m is None:
                continue
            s0 = ctx.sents[i].start
            if skip_negated and ctx.cats(i, s0 + m.start(), s0 + m.end()) & {NEGATED, HYPOTHETICAL, "FAMILY"}:
                continue
            out.append(rule.label)  # type: ignore[attr-defined]
            note(field_name, ctx.evidence(i, s0 + m.start(), s0 + m.end(), f"{field_name}:{rule.label}"))  # type: ignore[attr-defined, operator]
            break
    return tuple(out)


def _findings(ctx: _Ctx, idx: list[int], mined: list[TermHit], notepad: Notepad) -> list[Finding]:
    hpo = get_hpo()
    out: list[Finding] = []
    state: dict[str, bool] = {}
    for i in sorted(idx):
        sent = ctx.sents[i]
        if sent.section.kind == "legend":
            continue
        own = phrase_hits(ctx.ct.text, sent.start, sent.end)
        lo = bisect.bisect_left([h.start for h in mined], sent.start)
        fen = []
        for h in mined[lo:]:
            if h.start >= sent.end:
                break
            if h.end <= sent.end and h.hpo_id in hpo and not hpo.is_obsolete(h.hpo_id):
                fen.append(h)
        diag_spans = [(sent.start + m.start(), sent.start + m.end()) for m in load_diagnoses().regex.finditer(sent.text)]
        fen = [h for h in fen if not any(a < h.end and h.start < b for a, b in diag_spans)]
        for h in merge_hits(own, fen):
            cats = ctx.cats(i, h.start, h.end)
            excluded = NEGATED in cats
            if POSSIBLE in cats:
                continue
            f = Finding(
                hpo_id=h.hpo_id,
                label=h.label,
                excluded=excluded,
                historical=HISTORICAL in cats,
                family="FAMILY" in cats,
                hypothetical=HYPOTHETICAL in cats,
                evidence=ctx.evidence(i, h.start, h.end, h.rule),
            )
            if f.counts_as_current:
                if f.hpo_id in state and state[f.hpo_id] != excluded:
                    notepad.warn(f"{ctx.doc.name}: {f.label}", "stated both present and absent; the first statement is kept")
                    continue
                state[f.hpo_id] = excluded
            out.append(f)
    return out


def _labs(ctx: _Ctx, idx: list[int], notepad: Notepad) -> list[Measurement]:
    try:
        from calcispine.knowledge import load_labs

        labs = load_labs()
    except ImportError:  # pragma: no cover - lab knowledge is part of the package
        labs = None
    out: dict[str, Measurement] = {}
    for i in sorted(idx):
        sent = ctx.sents[i]
        if sent.section.kind == "legend":
            continue
        for lm in ctx.labs(i):
            s0 = sent.start
            ev = ctx.evidence(i, s0 + lm.start, s0 + lm.end, "lab")
            try:
                if labs is not None:
                    m = labs.measurement(lm.analyte, value=lm.value, unit=lm.unit, flag=lm.flag, evidence=ev)
                else:
                    raise ValueError("no lab knowledge")
            except (LookupError, ValueError) as exc:
                notepad.warn(f"{ctx.doc.name}: {lm.analyte}", f"lab value not normalised: {exc}")
                try:
                    m = Measurement(analyte=lm.analyte.lower(), value=lm.value, unit=lm.unit, evidence=ev,
                                    flag=None if lm.flag is None else _flag(lm.flag))
                except ValueError:
                    continue
            prev = out.get(m.analyte)
            if prev is None or (prev.value is None and m.value is not None):
                out[m.analyte] = m
    return sorted(out.values(), key=lambda m: m.evidence.start if m.evidence else 0)


def _flag(text: str) -> LabFlag:
    t = text.lower()
    if "slight" in t or "mild" in t:
        return LabFlag.SLIGHTLY_INCREASED if any(w in t for w in ("incr", "elev", "rais", "high")) else LabFlag.SLIGHTLY_DECREASED
    if any(w in t for w in ("incr", "elev", "rais", "high")):
        return LabFlag.INCREASED
    if any(w in t for w in ("decr", "low", "redu")):
        return LabFlag.DECREASED
    return LabFlag.NORMAL


def _tidy(text: str) -> str:
    t = _regexes()["figref"].sub("", text)
    t = re.sub(r"\s+", " ", t).strip()
    return t.rstrip(".")


def _phrases(ctx: _Ctx, idx: list[int], kind: str, note: object, exclude: tuple[str, ...]) -> tuple[str, ...]:
    rx = _regexes()
    out: list[str] = []
    for i in sorted(set(idx)):
        sent = ctx.sents[i]
        if not rx[kind].search(sent.text) or any(rx[x].search(sent.text) and not rx[kind].search(sent.text) for x in exclude):
            continue
        if kind == "imaging" and rx["pathology"].search(sent.text) and not re.search(r"\b(?:CT|MRI?|radiograph|scan|imaging|x-?ray)", sent.text, re.I):
            continue
        if ctx.labs(i) or rx["differential"].search(sent.text):
            continue
        pos = 0
        for clause in re.split(r";\s*", sent.text):
            phrase = _tidy(clause)
            if len(phrase) > 3 and rx[kind].search(clause) and phrase not in out:
                out.append(phrase)
                s = sent.start + sent.text.find(clause, pos)
                note(kind, ctx.evidence(i, s, s + len(clause), kind))  # type: ignore[operator]
            pos += len(clause)
    return tuple(out)


def _outcome(ctx: _Ctx, idx: list[int], note: object) -> Outcome | None:
    if not idx:
        return None
    rules = load_extract_rules()
    texts: list[str] = []
    months: float | None = None
    for i in idx:
        sent = ctx.sents[i]
        texts.append(_tidy(sent.text))
        note("outcome", ctx.evidence(i, sent.start, sent.end, "outcome"))  # type: ignore[operator]
        for f in parse_follow_up(sent.text):
            if months is None or f.months > months:
                months = f.months
    description = "; ".join(texts)
    status = None
    for r in rules.outcome_status:
        if re.search(r.pattern, description, re.IGNORECASE):
            status = r.status
            break
    first = ctx.sents[idx[0]]
    return Outcome(status=status, description=description, follow_up_months=months,
                   evidence=ctx.evidence(idx[0], first.start, first.end, "outcome"))


def _neuro(ctx: _Ctx, group: list[int], findings: list[Finding], note: object) -> bool | None:
    rx = _regexes()
    rules = load_extract_rules()
    hpo = get_hpo()
    roots = rules.neuro_roots
    for f in findings:
        if f.excluded or not f.counts_as_current or f.hpo_id in roots.exclude:
            continue
        if any(hpo.is_a(f.hpo_id, r) for r in roots.terms):
            if f.evidence:
                note("neuro_deficit", f.evidence)  # type: ignore[operator]
            return True
    for i in group:
        m = rx["neuro_pos"].search(ctx.sents[i].text)
        if m and not (ctx.cats(i, ctx.sents[i].start + m.start(), ctx.sents[i].start + m.end()) & {NEGATED, HYPOTHETICAL, POSSIBLE}):
            note("neuro_deficit", ctx.evidence(i, ctx.sents[i].start + m.start(), ctx.sents[i].start + m.end(), "neuro_positive"))  # type: ignore[operator]
            return True
    candidates = list(group) + [
        i for i, s in enumerate(ctx.sents)
        if s.section.kind in _OPEN_KINDS and not rx["other_work"].search(s.text)
    ]
    for i in candidates:
        m = rx["neuro_neg"].search(ctx.sents[i].text)
        if m:
            note("neuro_deficit", ctx.evidence(i, ctx.sents[i].start + m.start(), ctx.sents[i].start + m.end(), "neuro_negative"))  # type: ignore[operator]
            return False
    return None


def _abbreviations(text: str) -> dict[str, str]:
    """Abbreviations the text defines for a known diagnosis: 'tumoral calcinosis (TC)' -> TC."""
    out: dict[str, str] = {}
    diags = load_diagnoses()
    for key, d in diags.diagnoses.items():
        for ab in d.abbreviations:
            for p in d.patterns:
                if re.search(rf"\b(?:{p})\s*\(\s*{re.escape(ab)}\s*\)", text, re.IGNORECASE):
                    out[ab] = key
    return out


def _diagnosis(ctx: _Ctx, group: list[int], note: object) -> Diagnosis | None:
    rx = _regexes()
    diags = load_diagnoses()
    abbrevs = _abbreviations(ctx.ct.text)
    ab_re = re.compile(r"\b(" + "|".join(map(re.escape, abbrevs)) + r")\b") if abbrevs else None
    scores: dict[str, float] = {}
    evid: dict[str, tuple[int, int, int]] = {}
    title_idx = [0] if ctx.sents and ctx.sents[0].section.kind == "other" else []
    for i in list(dict.fromkeys(title_idx + sorted(group))):
        t = ctx.sents[i].text
        if rx["differential"].search(t):
            continue
        hits: list[tuple[str, int, int]] = [(m.lastgroup or "", m.start(), m.end()) for m in diags.regex.finditer(t)]
        if ab_re is not None:
            hits += [(abbrevs[m.group(1)], m.start(), m.end()) for m in ab_re.finditer(t)]
        for key, s, e in hits:
            cats = ctx.cats(i, ctx.sents[i].start + s, ctx.sents[i].start + e)
            if cats & {NEGATED, HYPOTHETICAL}:
                continue
            w = 3.0 if rx["diag_cue"].search(t) else 1.0
            if i in title_idx:
                w = 2.0
            if POSSIBLE in cats:
                w *= 0.3
            scores[key] = scores.get(key, 0.0) + w
            evid.setdefault(key, (i, ctx.sents[i].start + s, ctx.sents[i].start + e))
    if not scores:
        return None
    best = max(scores, key=lambda k: (scores[k], -evid[k][1]))
    d = diags.diagnoses[best]
    i, s, e = evid[best]
    note("diagnosis", ctx.evidence(i, s, e, f"diagnosis:{best}"))  # type: ignore[operator]
    return Diagnosis(key=best, label=d.label, mondo=d.mondo, orpha=d.orpha, omim=d.omim)


def _differential(ctx: _Ctx) -> tuple[str, ...]:
    rx = _regexes()
    diags = load_diagnoses()
    out: list[str] = []
    for s in ctx.sents:
        if s.section.kind in _NEVER:
            continue
        m = rx["differential"].search(s.text)
        if not m:
            continue
        for d in diags.regex.finditer(s.text, m.end()):
            label = diags.diagnoses[d.lastgroup or ""].label
            if label not in out:
                out.append(label)
    return tuple(out)

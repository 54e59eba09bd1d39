"""The extraction pipeline: a Document in, one Case per described patient out, each value with evidence."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from calcispine.config import Settings
from calcispine.knowledge import load_diagnoses, load_extract_rules, rule_versions
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
from ._parsers import (
    AgeMention,
    LabMention,
    find_labs,
    find_levels,
    mask_mri_sequences,
    parse_ages,
    parse_dates,
    parse_follow_up,
)
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
        "side": re.compile(r"(?:\bon (?:the )?)?\b(left|right|bilateral(?:ly)?|both)(?:[- ]sided?|(?<=both) sides)?\b", ic),
        "side_anatomy": re.compile(r.side_anatomy, ic),
        "side_limb": re.compile(r.side_limb, ic),
        "female": re.compile(r"\b(?:woman|female|girl|lady|she|her|hers|herself|mrs|ms)\b", ic),
        "male": re.compile(r"\b(?:man|male|boy|gentleman|he|his|him|himself|mr)\b", ic),
        "female_noun": re.compile(r"\b(?:woman|female|girl|lady)\b|(?<=\ban )(?:\w+ ){0,2}women\b|(?<=\ba )(?:\w+ ){0,2}women\b", ic),
        "male_noun": re.compile(r"\b(?:man|male|boy|gentleman)\b|(?<=\ban )(?:\w+ ){0,2}men\b|(?<=\ba )(?:\w+ ){0,2}men\b", ic),
        "series": re.compile(r"^(?:\d+(?:\.\d+)*\.?\s+)?(?:(?:in|for|of)\s+)?(?:(?:case|patient)\s*(\d+|[ivx]+)\b|(?:the|a|our)\s+(first|second|third|fourth|fifth|other|next)\s+(?:patient|case)\b)", ic),
        "region": re.compile(r"\b(cervical|thoracic|lumbar|sacral|sacrum)\b(?! puncture| collar| orthosis| brace)", ic),
        "figref": re.compile(r"\s*[\[(](?:Fig(?:ure)?s?\.?|Table)\s*[^\])]{0,30}[\])]", ic),
        "diag_cue": re.compile(r"diagnos|consistent with|compatible with|confirmed|was made|seen in|characteristic of|revealed|demonstrated|suggesting|typical of", ic),
        "differential": re.compile(r"differential diagnos\w*", ic),
        "abbrev_def": re.compile(r"\(([A-Z]{2,8})\)"),
        "discussion_anchor": re.compile(r.discussion_anchor, ic),
    }


_CASE_KINDS = {"case"}
# A statement of what may happen in general is not this patient's outcome; 'he could walk' is.
_GENERAL_MODAL = re.compile(r"\b(?:may|might|should|can)\b|\bcould (?:be|have|also|recur|occur|cause|develop)\b")
_REGION_ORDER = ["cervical", "thoracic", "lumbar", "sacral"]
_NEVER = {"references", "table", "acknowledgements", "legend"}
_OPEN_KINDS = {"other", "abstract", "conclusion", "background"}


def _patient_sentences(sents: list[Sentence]) -> list[bool]:
    """Which sentences describe the patient.

    Case sections always do; a Discussion only where it names this patient; elsewhere a sentence
    anchored on the patient and the narrative that follows it. A report with no case section at
    all (a letter, an exhibit without headings, unusual headings) is read as the patient's
    description from its first anchored sentence on, less other authors' work and general
    statements.
    """
    rx = _regexes()
    if not any(s.section.kind in _CASE_KINDS for s in sents):
        return _patient_sentences_headless(sents)
    flags: list[bool] = []
    prev = False
    for s in sents:
        kind = s.section.kind
        t = s.text
        if kind in _CASE_KINDS or (kind == "abstract" and _CASE_PART.search(s.section.title)):
            ok = True  # the case part of a structured abstract tells the patient, if less precisely
        elif kind in _NEVER:
            ok = False
        elif kind == "discussion":
            m = rx["anchor"].search(t)
            ok = bool(m) and not rx["other_work"].search(t) and not rx["generic"].search(t) and bool(rx["discussion_anchor"].search(t))
        else:
            anchored = bool(rx["anchor"].search(t)) and not rx["other_work"].search(t)
            cont = prev and bool(rx["narrative"].search(t)) and not rx["generic"].search(t) and not rx["other_work"].search(t)
            ok = anchored or cont
        flags.append(ok)
        prev = ok if kind not in _CASE_KINDS else False
    return flags


def _patient_sentences_headless(sents: list[Sentence]) -> list[bool]:
    rx = _regexes()
    flags: list[bool] = []
    started = False
    prev = False
    for n, s in enumerate(sents):
        kind = s.section.kind
        t = s.text
        anchored = bool(rx["anchor"].search(t)) and not rx["other_work"].search(t)
        if kind in _NEVER:
            ok = False
        elif kind == "discussion":
            ok = anchored and not rx["generic"].search(t) and bool(rx["discussion_anchor"].search(t))
        elif kind in ("background", "conclusion"):
            # an unnamed case heading ('Purpose', then the case): the narrative after an anchored sentence
            cont = (prev and bool(rx["narrative"].search(t)) and not rx["generic"].search(t)
                    and not rx["other_work"].search(t))
            ok = (anchored and not rx["generic"].search(t)) or cont
        else:
            # a title naming the patient opens nothing; a first sentence that ends as a sentence does
            started = started or (anchored and (n > 0 or kind != "other" or t.rstrip().endswith(".")))
            ok = anchored or (
                started and not rx["other_work"].search(t)
                and (bool(rx["narrative"].search(t)) or not rx["generic"].search(t))
            )
        flags.append(ok)
        prev = ok and (n + 1 < len(sents) and sents[n + 1].section is s.section)
    return flags


_CASE_PART = re.compile(r"\bcase\b|\bpatients?\b|\bclinical (?:presentation|description|history|findings)\b|\bmethods?\b|\bresults\b", re.IGNORECASE)
_ORDINAL = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6}
_PATIENT_REF = re.compile(
    r"\b(?:patient|case)\s*(\d+)\b|\bthe (first|second|third|fourth|fifth|sixth) (?:patient|case)\b", re.IGNORECASE
)
_SERIES_KINDS_HEADLESS = frozenset({"other", "front"})


def _patient_groups(sents: list[Sentence], patient: list[bool]) -> list[list[int]]:
    """Indices of patient sentences per patient; a case series splits at 'Case 2' / 'The second patient'.

    A report without case headings splits at sentences that open with 'The first patient ...',
    'The second patient ...'. A main case heading after the last patient's part ('Results',
    'Outcome' written for the whole series) is shared: each of its sentences goes to the patients
    it names ('patient 1', 'the second patient'), or to every patient when it names none.
    """
    rx = _regexes()
    headless = not any(s.section.kind in _CASE_KINDS for s in sents)
    kinds = _SERIES_KINDS_HEADLESS if headless else _CASE_KINDS
    markers: list[int] = []
    seen_titles: set[str] = set()
    for i, s in enumerate(sents):
        if s.section.kind not in kinds:
            continue
        title = s.section.title.lower()
        first_of_section = i == 0 or sents[i - 1].section is not s.section
        if not headless and first_of_section and rx["series"].match(title) and title not in seen_titles:
            seen_titles.add(title)
            markers.append(i)
        elif rx["series"].match(s.text) and (not headless or patient[i]):
            markers.append(i)
    if len(markers) < 2:
        return [[i for i, ok in enumerate(patient) if ok]]
    last = sents[markers[-1]].section

    def shared(i: int) -> bool:
        sec = sents[i].section
        return (not headless and sec.start > last.start and not sec.part
                and not rx["series"].match(sec.title.lower()))

    groups: list[list[int]] = []
    for j, m in enumerate(markers):
        end = markers[j + 1] if j + 1 < len(markers) else len(sents)
        groups.append([i for i in range(m, end) if patient[i] and sents[i].section.kind in kinds and not shared(i)])
    for i in range(markers[-1], len(sents)):
        if not (patient[i] and sents[i].section.kind in kinds and shared(i)):
            continue
        named = {int(m.group(1)) if m.group(1) else _ORDINAL[m.group(2).lower()] for m in _PATIENT_REF.finditer(sents[i].text)}
        for n, g in enumerate(groups, start=1):
            if not named or n in named:
                g.append(i)
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
        self._labs: dict[tuple[int, int], list[LabMention]] = {}
        self.patients = 1  # patients the report describes
        self.patient = 1  # the one being read

    def labs(self, i: int) -> list[LabMention]:
        """Lab mentions of sentence i; of a table with a column per patient, the current patient's column."""
        key = (i, self.patient)
        if key not in self._labs:
            text = self.sents[i].text
            cols = patient_columns(text, self.patients) if self.patients > 1 else None
            self._labs[key] = find_labs(text) if cols is None else _column_labs(text, cols[self.patient - 1])
        return self._labs[key]

    def context(self, i: int) -> SentenceContext:
        if i not in self._ctx:
            self._ctx[i] = default_context().analyse(self.sents[i].text)
        return self._ctx[i]

    def cats(self, i: int, s: int, e: int) -> frozenset[str]:
        """Modifier categories of a clean span inside sentence i."""
        base = self.sents[i].start
        return self.context(i).categories(s - base, e - base)

    def evidence(self, i: int, s: int, e: int, rule: str) -> Evidence:
        """Evidence in offsets of the original text; when cleaning removed text inside the span
        (an author address between '37.0' and 'mg/dL'), the span ends where that text begins, so a
        highlight never covers page furniture."""
        sent = self.sents[i]
        pieces = self.ct.pieces(s, e)
        os_, first_end = pieces[0]
        gap = len(pieces) > 1 and pieces[-1][1] - os_ > 3 * (e - s) + 20
        oe = first_end if gap else pieces[-1][1]
        return Evidence(os_, oe, self.doc.text[os_:oe], sent.text, sent.section.kind, rule)

    def sentence_of(self, pos: int) -> int | None:
        i = bisect.bisect_right(self.starts, pos) - 1
        if i >= 0 and pos < self.sents[i].end:
            return i
        return None


_REFERENCE_COLUMN = re.compile(r"\b(?:reference|normal|range|units?|ref|norm)\b", re.IGNORECASE)


def patient_columns(text: str, patients: int) -> list[int] | None:
    """The value columns of a table written as lines of cells, when there is one per patient
    ('Analyte | II-1 (sister) | II-3 (brother) | Reference'); None for any other text."""
    if patients < 2 or text.count("|") < 2 * patients:
        return None
    rows = [ln for ln in text.split("\n") if ln.count("|") >= patients]
    if len(rows) < 2:
        return None
    header = [c.strip() for c in rows[0].split("|")]
    cols = [j for j, c in enumerate(header) if j > 0 and c and not _REFERENCE_COLUMN.search(c)]
    return cols if len(cols) == patients else None


def _column_labs(text: str, col: int) -> list[LabMention]:
    """Lab mentions of one column of a table of cells, in offsets of ``text``."""
    out: list[LabMention] = []
    pos = 0
    for line in text.split("\n"):
        cells = line.split("|")
        if len(cells) > col:
            starts = [pos]
            for c in cells[:-1]:
                starts.append(starts[-1] + len(c) + 1)
            row = f"{cells[0]}|{cells[col]}"
            shift = starts[col] - (len(cells[0]) + 1)
            for m in find_labs(row):
                s = pos + m.start if m.start < len(cells[0]) else m.start + shift
                out.append(LabMention(s, m.end + shift, m.analyte, m.value, m.value_text, m.unit, m.flag, m.result))
        pos += len(line) + 1
    return out


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
    if len(groups) > 1:
        # a laboratory table with a column per patient belongs to each of them (its own column)
        shared = [i for i, s in enumerate(sents) if s.section.kind in _CASE_KINDS and patient_columns(s.text, len(groups))]
        groups = [sorted(set(g) | set(shared)) for g in groups]
    ctx.patients = len(groups)
    cases: list[Case] = []
    for n, group in enumerate(groups, start=1):
        ctx.patient = n
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

    # age
    age_years: float | None = None
    age_range: tuple[float, float] | None = None
    ordered = sorted(group, key=lambda i: (sents[i].section.kind != "case", i))
    picked = _presentation_age(ctx, ordered)
    if picked is not None:
        i, a = picked
        age_years, age_range = a.years, a.range_years
        note("age", ctx.evidence(i, sents[i].start + a.start, sents[i].start + a.end, "age"))

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
    mesh = mesh_terms(ctx.doc) if ctx.patients == 1 else ()
    if sex is Sex.UNKNOWN:  # a PubMed record indexes the patient's sex among its MeSH terms
        sexes = {t for t in mesh if t in ("Male", "Female")}
        if len(sexes) == 1:
            sex = Sex.MALE if sexes == {"Male"} else Sex.FEMALE
    if age_years is None and age_range is None:
        age_range = _mesh_age(mesh)

    # levels (patient sentences only): fusion constructs are never the lesion; levels written
    # beside an operation or a secondary finding count only when nothing else names one
    levels: set[Level] = set()
    fallback: list[tuple[int, int, int, tuple[Level, ...]]] = []
    for i in group:
        if sents[i].section.kind == "legend":
            continue
        for lm in find_levels(sents[i].text):
            if lm.in_fusion:
                continue
            s0 = sents[i].start
            cats = ctx.cats(i, s0 + lm.start, s0 + lm.end)
            if cats & {NEGATED, HYPOTHETICAL, "FAMILY"} or (HISTORICAL in cats and levels):
                continue
            if lm.not_lesion:
                fallback.append((i, s0 + lm.start, s0 + lm.end, lm.levels))
                continue
            levels.update(lm.levels)
            note("levels", ctx.evidence(i, s0 + lm.start, s0 + lm.end, "levels"))
    if not levels:
        for fi, fa, fb, lvs in fallback:
            levels.update(lvs)
            note("levels", ctx.evidence(fi, fa, fb, "levels:operation"))
    region_words: list[str] = []
    if not levels:
        for i in ordered:
            for rm in rx["region"].finditer(sents[i].text):
                word = rm.group(1).lower().replace("sacrum", "sacral")
                if word not in region_words:
                    region_words.append(word)
    region_word = ",".join(sorted(region_words, key=_REGION_ORDER.index)) or None

    # side, compartments
    side = _side(ctx, group + legend_idx, note)
    compartments = _labelled(ctx, group + legend_idx, load_extract_rules().compartments, "compartments", note)

    # etiology and comorbidities
    etiology: list[str] = []
    for rule in load_extract_rules().etiology:
        pat = re.compile(rule.pattern, re.IGNORECASE)
        not_after = re.compile(rule.not_after, re.IGNORECASE) if rule.not_after else None
        for i in group:
            hit = False
            for m in pat.finditer(sents[i].text):
                s0 = sents[i].start
                cats = ctx.cats(i, s0 + m.start(), s0 + m.end())
                if cats & {NEGATED, HYPOTHETICAL, POSSIBLE, "FAMILY"}:
                    continue
                if not_after is not None and not_after.search(sents[i].text[:m.start()]):
                    continue
                for tag in (rule.tag, *rule.implies):
                    if tag not in etiology:
                        etiology.append(tag)
                        note("etiology", ctx.evidence(i, s0 + m.start(), s0 + m.end(), f"etiology:{tag}"))
                hit = True
                break
            if hit:
                break
    etiology.sort(key=lambda t: min((p.evidence.start for f, p in prov if f == "etiology" and p.evidence and p.evidence.rule == f"etiology:{t}"), default=0))
    comorbidities = _labelled(ctx, group, load_extract_rules().comorbidities, "comorbidities", note, skip_negated=True)

    # treatments
    treatments: list[Treatment] = []
    from calcispine.knowledge import load_vocabulary

    vocab = load_vocabulary()
    seen_codes: set[str] = set()
    treated_at: list[int] = []
    for trule in load_extract_rules().treatments:
        pat = re.compile(trule.pattern, re.IGNORECASE)
        requires = re.compile(trule.requires, re.IGNORECASE) if trule.requires else None
        unless = re.compile(trule.unless, re.IGNORECASE) if trule.unless else None
        done = False
        for i in ordered:  # the case sections' own statement first, then a title or abstract
            if done:
                break
            if requires is not None and not requires.search(sents[i].text):
                continue
            if unless is not None and unless.search(sents[i].text):
                continue
            for m in pat.finditer(sents[i].text):
                s0 = sents[i].start
                if ctx.cats(i, s0 + m.start(), s0 + m.end()) & {NEGATED, HYPOTHETICAL, POSSIBLE, "FAMILY", HISTORICAL}:
                    continue
                if trule.code == "other":
                    name = trule.name or " ".join(m.group(0).lower().split())
                    code, label, maxo = f"other:{name}", name, None
                else:
                    entry = vocab.treatment[trule.code]
                    code, label, maxo = trule.code, entry.label, entry.maxo
                done = True
                treated_at.append(i)
                if code in seen_codes:
                    break
                seen_codes.add(code)
                ev = ctx.evidence(i, s0 + m.start(), s0 + m.end(), f"treatment:{code}")
                treatments.append(Treatment(code, label, maxo, ev))
                note("treatments", ev)
                break
    if seen_codes & _DECOMPRESSIONS:  # the decompression the report also names more exactly
        treatments = [t for t in treatments if t.code != "other:decompression"]
    treatments.sort(key=lambda t: t.evidence.start if t.evidence else 0)

    # outcome sentences: the follow-up comes after the treatment, so once a treatment is read,
    # cue words before it (a history that 'improved', a pain that 'resolved') are not the outcome
    in_case = [i for i in treated_at if sents[i].section.kind in _CASE_KINDS]
    after = min(in_case or treated_at) if treated_at else -1
    outcome_read = sorted(
        i for i in group
        if i >= after and rx["outcome"].search(sents[i].text)
        and not _GENERAL_MODAL.search(sents[i].text)
        # without a treatment to follow, a sentence that presents the patient is not the outcome
        and not (after < 0 and _PRESENTING.search(sents[i].text))
        and not (after < 0 and _ONSET.search(sents[i].text))
    )

    # findings (outcome sentences tell what went away, not what the patient presented with)
    findings = _findings(ctx, [i for i in group if i not in outcome_read], mined, notepad)

    # labs
    measurements = _labs(ctx, group, notepad)

    # imaging, pathology
    imaging = _phrases(ctx, group + legend_idx, "imaging", note, exclude=("pathology",))
    pathology = _phrases(ctx, group + legend_idx, "pathology", note, exclude=())

    # outcome
    outcome = _outcome(ctx, outcome_read, note, group, _last_treatment(ctx, group))

    # neurological deficit
    neuro = _neuro(ctx, group, findings, note)

    # diagnosis
    diagnosis = _diagnosis(ctx, group, note)
    etiology = _phosphate_etiology(etiology, measurements, diagnosis, age_years, note)

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


_PRESENTING = re.compile(
    r"\b(?:presented|presenting|presentation|referred|admitted|was seen|were seen|came to|attended|consulted|visited|"
    r"complain\w*|brought to|hospitali[sz]ed|evaluated|examined|noticed|sought)\b",
    re.IGNORECASE,
)
# Onset and worsening: the presentation's own course, not an outcome ('at the same time her pain worsened').
_ONSET = re.compile(r"\b(?:before (?:admission|presentation|referral)|worsen\w*|deteriorat\w*|developed|began|started|progressive\w*)\b", re.IGNORECASE)
_INTRO_AGE = re.compile(r"[- ]old\b|^aged?\b|^(?:wom[ae]n|m[ae]n|lady|gentleman|girl|boy|patient|female|male)\b", re.IGNORECASE)
_EARLIER_AGE = re.compile(r"\b(?:since|from|until|till|before|by|after|under)\s+(?:the\s+)?(?:age\s+of\s+)?$|\bwhen\s+(?:s?he|they)\s+was\s+$", re.IGNORECASE)


def _presentation_age(ctx: _Ctx, ordered: list[int]) -> tuple[int, AgeMention] | None:
    """The age at presentation among the ages a case states: in a sentence that presents the patient
    ('a 61-year-old man presented', 'at the age of 50 she was referred') rather than an earlier
    event ('a lump removed when she was three weeks old', 'since the age of 9'); among equals, the
    case sections first, then the oldest (the history runs up to the presentation)."""
    best: tuple[tuple[int, int, float], int, AgeMention] | None = None
    for i in ordered:
        t = ctx.sents[i].text
        in_case = ctx.sents[i].section.kind == "case"
        for a in parse_ages(t):
            if re.match(r"\s*(?:history|ago|earlier|later|before|previously)", t[a.end:]):
                continue
            score = 1
            if _PRESENTING.search(t):
                score += 2
            written = t[a.start:a.end]
            if _INTRO_AGE.search(written) or re.search(r"\b(?:an?|the)\s+$", t[max(0, a.start - 6):a.start]):
                score += 1
            if _EARLIER_AGE.search(t[max(0, a.start - 30):a.start]):
                score -= 2
            years = a.years if a.years is not None else (a.range_years[0] if a.range_years else 0.0)
            key = (int(in_case), score, years)
            if best is None or key > best[0]:
                best = (key, i, a)
    return None if best is None else (best[1], best[2])


_DECOMPRESSIONS = frozenset({"laminectomy", "hemilaminectomy", "laminoplasty", "foraminotomy", "corpectomy", "facetectomy", "resection"})
_MESH_BLOCK = re.compile(r"^\s*MeSH terms\s*$((?:\s*\n\s*[•·*-]?\s*[A-Z][^\n]{0,80})+)", re.MULTILINE)
# MeSH age groups (years), most specific last wins: 'Aged' and 'Aged, 80 and over' -> 80 and over.
_MESH_AGES: tuple[tuple[str, tuple[float, float]], ...] = (
    ("Adult", (19.0, 44.0)), ("Young Adult", (19.0, 24.0)), ("Middle Aged", (45.0, 64.0)), ("Aged", (65.0, 79.0)),
    ("Aged, 80 and over", (80.0, 120.0)), ("Adolescent", (13.0, 18.0)), ("Child", (6.0, 12.0)),
    ("Child, Preschool", (2.0, 5.0)), ("Infant", (0.08, 1.92)), ("Infant, Newborn", (0.0, 0.08)),
)


def mesh_terms(doc: Document) -> tuple[str, ...]:
    """The MeSH descriptors a PubMed record lists (from the XML, or a page's 'MeSH terms' block)."""
    if doc.meta.get("mesh"):
        return tuple(t.strip() for t in doc.meta["mesh"].split(";") if t.strip())
    m = _MESH_BLOCK.search(doc.text)
    if m is None:
        return ()
    return tuple(re.sub(r"^[\s•·*-]+", "", ln).split(" / ")[0].rstrip("*").strip() for ln in m.group(1).splitlines() if ln.strip())


def _mesh_age(mesh: tuple[str, ...]) -> tuple[float, float] | None:
    found = [rng for name, rng in _MESH_AGES if name in mesh]
    if not found:
        return None
    lo, hi = max(r[0] for r in found), min(r[1] for r in found)
    return (lo, hi) if lo <= hi else None


_RENAL_TAGS = frozenset({"chronic_kidney_disease", "hemodialysis", "peritoneal_dialysis"})


def _phosphate_etiology(
    etiology: list[str], measurements: list[Measurement], diagnosis: Diagnosis | None, age: float | None, note: object
) -> list[str]:
    """Hyperphosphatemia the report does not name: a diagnosis of hyperphosphatemic familial
    tumoral calcinosis, or an adult's raised phosphate without renal failure (in renal failure the
    raised phosphate is the kidney's doing; a child's normal phosphate is above the adult range)."""
    if "hyperphosphatemia" in etiology:
        return etiology
    adult = age is not None and age >= 18
    high = next((m for m in measurements if adult and not _RENAL_TAGS & set(etiology) and m.analyte == "phosphate"
                 and m.flag in (LabFlag.INCREASED, LabFlag.SLIGHTLY_INCREASED)), None)
    if high is not None or (diagnosis is not None and diagnosis.key == "familial_hyperphosphatemic_tumoral_calcinosis"):
        if high is not None and high.evidence is not None:
            note("etiology", high.evidence)  # type: ignore[operator]
        return [*etiology, "hyperphosphatemia"]
    return etiology


def _side(ctx: _Ctx, idx: Iterable[int], note: object) -> Side | None:
    """Left, right or bilateral from side words that qualify the lesion's anatomy (not a limb).

    'both facet joints' and 'on both sides' vote bilateral; 'on the left' reads the anatomy
    written before it ('a mass inside the canal on the left'). A lesion on one side at one level
    and on both at another is left undecided.
    """
    rx = _regexes()
    votes: dict[str, int] = {}
    first: dict[str, tuple[int, int, int]] = {}
    for i in idx:
        t = mask_mri_sequences(ctx.sents[i].text)  # 'low on both T1- and T2-weighted images' is no side
        for m in rx["side"].finditer(t):
            word = m.group(1).lower()
            s0 = ctx.sents[i].start
            if ctx.cats(i, s0 + m.start(1), s0 + m.end(1)) & {NEGATED, HISTORICAL, HYPOTHETICAL, "FAMILY"}:
                continue
            trailing = bool(re.match(r"on (?:the|both)", m.group(0), re.IGNORECASE))
            if trailing and word == "both" and not m.group(0).lower().endswith("sides"):
                continue  # 'on both T1- and T2-weighted images', 'on both occasions
            window = " ".join(t[m.end():m.end() + 60].split()[:6])
            if re.search(r"sided?\b", m.group(0), re.IGNORECASE) and not trailing:
                if rx["side_limb"].match(window):  # 'a left-sided approach': the side of the limb or the approach
                    continue
                window = "side " + window
            a = rx["side_anatomy"].search(window)
            lmb = rx["side_limb"].search(window)
            near = " ".join(re.split(r"[;,.:()]", window)[0].split()[:3])  # 'right C6 radiculopathy': the root's side
            ok = a is not None and not (lmb is not None and (lmb.start() < a.start() or lmb.start() < len(near)))
            if trailing and not ok:
                back = " ".join(t[max(0, m.start() - 60):m.start()].split()[-6:])
                ok = bool(rx["side_anatomy"].search(back)) and not rx["side_limb"].search(back)
            if not ok:
                continue
            w = "bilateral" if word in ("both", "bilateral", "bilaterally") else word
            votes[w] = votes.get(w, 0) + 1
            first.setdefault(w, (i, ctx.sents[i].start + m.start(), ctx.sents[i].start + m.end()))
    if not votes:
        return None
    left, right, both = votes.get("left", 0), votes.get("right", 0), votes.get("bilateral", 0)
    if both and both == left + right:
        return None
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
    state: dict[tuple[str, str], bool] = {}
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
                key = (f.hpo_id, f.label)  # 'Tenderness' and 'Night pain' are kinds of Pain, not Pain itself
                if key in state and state[key] != excluded:
                    notepad.warn(f"{ctx.doc.name}: {f.label}", "stated both present and absent; the first statement is kept")
                    continue
                state[key] = excluded
            out.append(f)
    # A term stated present under a narrower label ('Tenderness', 'Night pain') and absent as
    # itself ('no pain radiated'): a case holds one state per term, the positive one.
    present = {f.hpo_id for f in out if f.counts_as_current and not f.excluded}
    clash = {f.hpo_id for f in out if f.counts_as_current and f.excluded and f.hpo_id in present}
    if clash:
        for hid in sorted(clash):
            notepad.warn(f"{ctx.doc.name}: {hpo.label(hid) if hid in hpo else hid}", "stated present under one name and absent under another; the present statement is kept")
        out = [f for f in out if not (f.excluded and f.hpo_id in clash)]
    return out


def _labs(ctx: _Ctx, idx: list[int], notepad: Notepad) -> list[Measurement]:
    try:
        from calcispine.knowledge import load_labs

        labs = load_labs()
    except ImportError:  # pragma: no cover - lab knowledge is part of the package
        labs = None
    out: dict[str, Measurement] = {}
    rank: dict[str, tuple[int, int]] = {}
    for i in sorted(idx):
        sent = ctx.sents[i]
        if sent.section.kind == "legend":
            continue
        mentions = ctx.labs(i)
        panel = len({lm.analyte.lower() for lm in mentions})
        for lm in mentions:
            s0 = sent.start
            ev = ctx.evidence(i, s0 + lm.start, s0 + lm.end, "lab")
            try:
                if labs is not None:
                    m = labs.measurement(lm.analyte, value=lm.value, unit=lm.unit, flag=lm.flag, evidence=ev, result=lm.result)
                else:
                    raise ValueError("no lab knowledge")
            except (LookupError, ValueError) as exc:
                # A value in a unit the analyte is not measured in ('CSF glucose 3.1 mmol/L' read as a
                # cell count) is left out: a case holds only values the lab knowledge can read back.
                notepad.warn(f"{ctx.doc.name}: {lm.analyte}", f"lab value left out: {exc}")
                continue
            # A value beats a flag; then the laboratory panel beats a value told in passing
            # ('weakness with a creatine kinase of 2,900 U/L' years before); then the first.
            key = (int(m.value is not None or bool(m.result)), panel)
            if m.analyte not in out or key > rank[m.analyte]:
                out[m.analyte] = m
                rank[m.analyte] = key
    return sorted(out.values(), key=lambda m: m.evidence.start if m.evidence else 0)


def _tidy(text: str) -> str:
    t = _regexes()["figref"].sub("", text)
    t = re.sub(r"\s+", " ", t).strip()
    return t.rstrip(".")


_PHRASE_TITLES = {
    "imaging": re.compile(r"imaging|radiolog|\bCT\b|\bMRI\b", re.IGNORECASE),
    "pathology": re.compile(r"patholog|histolog|biopsy", re.IGNORECASE),
}


_IMAGING_FINDING = re.compile(
    r"\b(?:CT|MRI?|radiographs?|scans?|imaging|x[- ]?rays?|films?|tomograph\w*|scintigra\w*|ultraso\w+)\b[^.;]{0,80}?"
    r"\b(?:showed|shows|revealed|reveals|demonstrated|demonstrates|disclosed|found|detected|confirmed|identified)\b",
    re.IGNORECASE,
)
_IMAGING_SIGN = re.compile(
    r"(?<!de)compress\w*|\bstenosis\b|\berosions?\b|enhanc\w*|\bsignal\b|hypointens\w*|hyperintens\w*|\blobulated\b|"
    r"scleros\w*|sclerotic|\bnormal\b|narrow\w*|destruct\w*|expansile|encroach\w*",
    re.IGNORECASE,
)
_LESION_WORDS = re.compile(
    r"\b(?:mass|lesion|lobules?|canal|facet|foram\w+|cortex|cortices|cortical|laminae?|pedicles?|spinous|disc|vertebra\w*|"
    r"lamina|deposit|calcific\w*|ossifi\w*|nidus|cord|dura\w*|fusion|levels?|segments?|margins?|septa|rim)\b",
    re.IGNORECASE,
)
# A sentence of treatment, examination, referral or reasoning is not imaging, even when it names a modality.
_NOT_IMAGING = re.compile(
    r"\b(?:underwent|performed|operated|surgeon|biops\w+|resect\w*|excis\w*|removed|decompression|laminectom\w*|"
    r"hemilaminectom\w*|treated|prescribed|complain\w*|noticed|presented|referred|examination|examined|reflex\w*|"
    r"power|sensation|denied|considered|ordered|(?:was|were) obtained|recovered)\b",
    re.IGNORECASE,
)


def _phrases(ctx: _Ctx, idx: list[int], kind: str, note: object, exclude: tuple[str, ...]) -> tuple[str, ...]:
    """Imaging or pathology phrases: sentences with a cue of the field, or any sentence of a section
    titled for it ('Imaging', 'Pathology'); clauses split at ';'."""
    rx = _regexes()
    out: list[str] = []
    prev_cued = -2
    for i in sorted(set(idx)):
        sent = ctx.sents[i]
        titled = sent.section.kind == "case" and bool(_PHRASE_TITLES[kind].search(sent.section.title))
        cued = bool(rx[kind].search(sent.text))
        # a sentence right after an imaging one that goes on describing the lesion ('Some lobules
        # showed layering of denser material.', 'The canal was not narrowed.') is imaging too
        follows = (kind == "imaging" and not cued and prev_cued == i - 1 and sent.section is ctx.sents[i - 1].section
                   and bool(_LESION_WORDS.search(sent.text)) and not _NOT_IMAGING.search(sent.text)
                   and not rx["pathology"].search(sent.text) and not rx["outcome"].search(sent.text))
        if cued:
            prev_cued = i
        if follows:
            titled = True
        if not (titled or cued) or any(rx[x].search(sent.text) and not cued for x in exclude):
            continue
        if kind == "imaging" and rx["pathology"].search(sent.text) and not re.search(r"\b(?:CT|MRI?|radiograph|scan|imaging|x-?ray)", sent.text, re.I):
            continue
        if kind == "imaging" and _NOT_IMAGING.search(sent.text) and not _IMAGING_FINDING.search(sent.text) \
                and not _IMAGING_SIGN.search(sent.text):
            continue  # a referral, an operation or a reasoning that names a modality is not an imaging finding
        if ctx.labs(i) or rx["differential"].search(sent.text):
            continue
        pos = 0
        last: int | None = None  # a clause without a cue of its own continues the one before it
        pending: list[str] = []  # ... or opens the one after it
        for clause in re.split(r";\s*", sent.text):
            phrase = _tidy(clause)
            if len(phrase) > 3 and (titled or rx[kind].search(clause)):
                if pending:
                    phrase = "; ".join([*pending, phrase])
                    pending = []
                if phrase not in out:
                    out.append(phrase)
                    last = len(out) - 1
                    s = sent.start + sent.text.find(clause, pos)
                    note(kind, ctx.evidence(i, s, s + len(clause), kind))  # type: ignore[operator]
            elif len(phrase) > 3 and last is not None:
                out[last] = f"{out[last]}; {phrase}"
            elif len(phrase) > 3:
                pending.append(phrase)
            pos += len(clause)
    return tuple(out)


def _last_treatment(ctx: _Ctx, group: list[int]) -> int:
    """The last sentence of the case that tells of a treatment given (-1 for none)."""
    last = -1
    for trule in load_extract_rules().treatments:
        pat = re.compile(trule.pattern, re.IGNORECASE)
        for i in group:
            if i <= last or ctx.sents[i].section.kind not in _CASE_KINDS:
                continue
            for m in pat.finditer(ctx.sents[i].text):
                s0 = ctx.sents[i].start
                if not ctx.cats(i, s0 + m.start(), s0 + m.end()) & {NEGATED, HYPOTHETICAL, POSSIBLE, "FAMILY", HISTORICAL}:
                    last = i
                    break
    return last


def _outcome(ctx: _Ctx, idx: list[int], note: object, group: list[int], last_treated: int = -1) -> Outcome | None:
    """The outcome sentences and the follow-up: the longest duration told after the last treatment
    (earlier durations time a relapse or a history), else after any."""
    idx = [i for i in idx if not _RELATIVE_SUBJECT.match(ctx.sents[i].text)]
    if not idx:
        return None
    rules = load_extract_rules()
    texts: list[str] = []
    months: float | None = None
    late: float | None = None
    for i in idx:
        sent = ctx.sents[i]
        texts.append(_tidy(sent.text))
        note("outcome", ctx.evidence(i, sent.start, sent.end, "outcome"))  # type: ignore[operator]
        for f in parse_follow_up(sent.text):
            if months is None or f.months > months:
                months = f.months
            if i >= last_treated and (late is None or f.months > late):
                late = f.months
    if late is not None:
        months = late
    if months is None:
        months = _months_from_dates(ctx, group, idx)
    description = "; ".join(texts)
    status = None
    for r in rules.outcome_status:
        if re.search(r.pattern, description, re.IGNORECASE):
            status = r.status
            break
    first = ctx.sents[idx[0]]
    return Outcome(status=status, description=description, follow_up_months=months,
                   evidence=ctx.evidence(idx[0], first.start, first.end, "outcome"))


# A sentence about a relative ('Her older brother had had a growth removed at 14') is not the patient's outcome.
_RELATIVE_SUBJECT = re.compile(
    r"^(?:\w+\s+){0,3}(?:her|his|the patient's)\s+(?:\w+\s+)?(?:brother|sister|mother|father|son|daughter|husband|wife|parents?|siblings?|twin|cousin|aunt|uncle)\b",
    re.IGNORECASE,
)


def _months_from_dates(ctx: _Ctx, group: list[int], outcome_idx: list[int]) -> float | None:
    """Follow-up from calendar dates when no duration is written: the last date of the outcome
    sentences less the last date written before them ('presented in December 2013 ... in June 2014
    he was pain free' -> 6)."""
    first = min(outcome_idx)
    before = [d.index for i in group if i < first for d in parse_dates(ctx.sents[i].text)]
    after = [d.index for i in outcome_idx for d in parse_dates(ctx.sents[i].text)]
    if not before or not after:
        return None
    gap = max(after) - max(before)
    return float(gap) if 0 < gap <= 12 * 30 else None


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
            if not re.search(rf"\(\s*{re.escape(ab)}\s*\)", text):
                continue
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
    title_idx = _title_like(ctx)
    for i in list(dict.fromkeys(title_idx + sorted(group))):
        t = ctx.sents[i].text
        if rx["differential"].search(t):
            continue
        hits: list[tuple[str, int, int]] = [(m.lastgroup or "", m.start(), m.end()) for m in diags.regex.finditer(t)]
        if ab_re is not None:
            hits += [(abbrevs[m.group(1)], m.start(), m.end()) for m in ab_re.finditer(t)]
        for key, s, e in hits:
            cats = ctx.cats(i, ctx.sents[i].start + s, ctx.sents[i].start + e)
            if cats & {NEGATED, HYPOTHETICAL, "FAMILY"}:  # a relative's or a contact's disease is not this one
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


_INTRO = re.compile(r"\bwe (?:\w+ )?(?:report|present|describe)\b|\b(?:cases?|patients?) of\b", re.IGNORECASE)


def _title_like(ctx: _Ctx) -> list[int]:
    """Sentences that name the report's subject: title lines before the first heading (no full
    stop), and 'we describe a case of ...' outside the Discussion and the references."""
    out: list[int] = []
    for i, s in enumerate(ctx.sents):
        if s.section.kind == "other" and (i == 0 or (i < 6 and not s.text.rstrip().endswith(".") and len(s.text) < 250)) or s.section.kind not in _NEVER and s.section.kind != "discussion" and _INTRO.search(s.text) \
                and not _regexes()["other_work"].search(s.text):
            out.append(i)
    return out


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

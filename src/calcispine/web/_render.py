"""Turn domain objects into what a page shows: rows of values beside their evidence, highlighted text.

Everything returned as :class:`Markup` is built from escaped pieces, so text from papers
and users can never inject HTML.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from calcispine.model import Case, Evidence, Finding, Source, render_levels

__all__ = ["EvidenceView", "FieldRow", "Span", "case_rows", "highlight", "highlight_sentence", "short_citation"]


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    label: str


def highlight(text: str, spans: Iterable[Span]) -> Markup:
    """``text`` with each span wrapped in ``<mark>`` (title = what was read there); overlaps are merged."""
    out: list[str] = []
    pos = 0
    ordered = sorted((s for s in spans if 0 <= s.start < s.end <= len(text)), key=lambda s: (s.start, -s.end))
    merged: list[Span] = []
    for s in ordered:
        if merged and s.start < merged[-1].end:
            last = merged[-1]
            label = last.label if s.label in last.label.split("; ") else f"{last.label}; {s.label}"
            merged[-1] = Span(last.start, max(last.end, s.end), label)
        else:
            merged.append(s)
    for s in merged:
        out.append(str(escape(text[pos:s.start])))
        fields = " ".join(dict.fromkeys(part.split(":")[0].strip() for part in s.label.split("; ")))
        out.append(f'<mark title="{escape(s.label)}" data-fields="{escape(fields)}">'
                   f"{escape(text[s.start:s.end])}</mark>")
        pos = s.end
    out.append(str(escape(text[pos:])))
    return Markup("".join(out))


def highlight_sentence(ev: Evidence, label: str) -> Markup:
    """The evidence sentence with the evidence text marked where it occurs (the sentence alone if absent)."""
    sentence = ev.sentence or ev.text
    i = sentence.find(ev.text) if ev.text else -1
    if i < 0:
        i = sentence.lower().find(ev.text.lower()) if ev.text else -1
    if i < 0:
        return Markup(escape(sentence))
    return highlight(sentence, [Span(i, i + len(ev.text), label)])


@dataclass(frozen=True)
class EvidenceView:
    source: str
    sentence: Markup | None
    section: str | None
    locator: str | None

    @property
    def where(self) -> str:
        """Source, section and place in one line, leaving out what is not known."""
        return " · ".join(part for part in (self.source, self.section, self.locator) if part)


@dataclass(frozen=True)
class FieldRow:
    name: str
    label: str
    value: str
    evidence: tuple[EvidenceView, ...]
    conflict: str | None = None


def short_citation(source: Source | None, fallback: str) -> str:
    if source is None:
        return fallback
    who = source.first_author or source.id
    if len(source.authors) > 1:
        who += " et al."
    return f"{who} {source.year}" if source.year else who


def age_text(case: Case) -> str:
    """A case's age as the pages and the edit form write it: ``52`` or a range ``50-53``; empty if unknown."""
    if case.age_years is not None:
        return f"{case.age_years:g}"
    if case.age_range_years is not None:
        lo, hi = case.age_range_years
        return f"{lo:g}-{hi:g}"
    return ""


def _value_of(case: Case, name: str) -> str:
    match name:
        case "age_years":
            return f"{age_text(case)} years" if age_text(case) else ""
        case "sex":
            return case.sex.value
        case "levels":
            return render_levels(case.levels) if case.levels else ""
        case "side":
            return case.side.value if case.side else ""
        case "diagnosis":
            return case.diagnosis.label if case.diagnosis else ""
        case "findings":
            return "; ".join(_finding_text(f) for f in _distinct_findings(case))
        case "measurements":
            return "; ".join(f"{m.analyte} {m.display()}" + (f" ({m.flag})" if m.flag and m.value is not None else "")
                             for m in case.measurements)
        case "treatments":
            return "; ".join(t.label or t.code for t in case.treatments)
        case "outcome":
            if case.outcome is None:
                return ""
            o = case.outcome
            bits = [o.status or "", o.description or ""]
            if o.follow_up_months is not None:
                bits.append(f"follow-up {o.follow_up_months:g} months")
            return "; ".join(b for b in bits if b)
        case "neuro_deficit":
            return "" if case.neuro_deficit is None else ("yes" if case.neuro_deficit else "no")
        case _:
            value = getattr(case, name)
            if isinstance(value, tuple):
                return ", ".join(str(v) for v in value)
            return "" if value is None else str(value)


def _distinct_findings(case: Case) -> list[Finding]:
    """Each finding once: a report names a symptom in several sentences, each kept as evidence, shown once."""
    seen: dict[tuple[str, bool, bool, bool, bool], Finding] = {}
    for f in case.findings:
        seen.setdefault((f.hpo_id, f.excluded, f.historical, f.family, f.hypothetical), f)
    return list(seen.values())


def _finding_text(f: Finding) -> str:
    flags = [word for flag, word in ((f.historical, "in the history"), (f.family, "in the family"),
                                     (f.hypothetical, "considered")) if flag]
    text = ("not " if f.excluded else "") + f"{f.label} ({f.hpo_id})"
    return f"{text}, {', '.join(flags)}" if flags else text


FIELD_LABELS: tuple[tuple[str, str], ...] = (
    ("diagnosis", "Diagnosis"), ("age_years", "Age"), ("sex", "Sex"), ("levels", "Levels"), ("side", "Side"),
    ("compartments", "Compartments"), ("etiology", "Etiology"), ("comorbidities", "Comorbidities"),
    ("findings", "Findings (HPO)"), ("neuro_deficit", "Neurological deficit"), ("measurements", "Labs"),
    ("imaging", "Imaging"), ("pathology", "Pathology"), ("treatments", "Treatment"), ("outcome", "Outcome"),
    ("differential", "Differential considered"),
)


def _value_evidence(case: Case, name: str) -> list[tuple[Evidence, str]]:
    """Evidence carried by the values themselves (findings, labs, treatments, outcome)."""
    items: list[tuple[Evidence, str]] = []
    if name == "findings":
        items = [(f.evidence, f"{name}: {f.label}") for f in case.findings if f.evidence]
    elif name == "measurements":
        items = [(m.evidence, f"{name}: {m.analyte}") for m in case.measurements if m.evidence]
    elif name == "treatments":
        items = [(t.evidence, f"{name}: {t.code}") for t in case.treatments if t.evidence]
    elif name == "outcome" and case.outcome is not None and case.outcome.evidence is not None:
        items = [(case.outcome.evidence, name)]
    return items


def case_rows(case: Case, sources: Mapping[str, Source]) -> list[FieldRow]:
    """One row per field that has a value: the value, then each source's sentence for it, each sentence once."""
    conflicts = {c.field: c for c in case.conflicts}
    field_alias = {"age_years": ("age_years", "age_range_years", "age")}
    rows: list[FieldRow] = []
    for name, label in FIELD_LABELS:
        value = _value_of(case, name)
        if not value and name not in conflicts:
            continue
        views: list[EvidenceView] = []
        seen: set[tuple[str, str | None]] = set()
        said: set[str] = set()  # each sentence is shown once
        stating: list[str] = []
        for pname in field_alias.get(name, (name,)):
            for p in case.provenance_of(pname):
                src = short_citation(sources.get(p.source_id), p.source_id)
                stating.append(src)
                key = (src, p.evidence.sentence if p.evidence else p.locator)
                if key in seen:
                    continue
                seen.add(key)
                if p.evidence is not None:
                    said.add(p.evidence.sentence or p.evidence.text)
                views.append(EvidenceView(src, highlight_sentence(p.evidence, name) if p.evidence else None,
                                          p.evidence.section if p.evidence else None, p.locator))
        # a value's own evidence is credited to the source when only one source states the field
        only = dict.fromkeys(stating)
        credit = next(iter(only)) if len(only) == 1 else ""
        for ev, lab in _value_evidence(case, name):
            sentence = ev.sentence or ev.text
            if sentence in said:
                continue
            said.add(sentence)
            views.append(EvidenceView(credit, highlight_sentence(ev, lab), ev.section, None))
        c = conflicts.get(name) or (conflicts.get("age") if name == "age_years" else None)
        conflict = None
        if c is not None:
            conflict = "; ".join(f"{short_citation(sources.get(s), s)} says {v}" for s, v in c.values)
            conflict += f" — resolved: {c.note}" if c.resolved and c.note else (" — resolved" if c.resolved else "")
        rows.append(FieldRow(name, label, value, tuple(views), conflict))
    return rows


def evidence_spans(case: Case) -> list[Span]:
    """Every evidence span of a case extracted from one text, for highlighting that text in place."""
    spans: list[Span] = []
    for name, p in case.provenance:
        if p.evidence is not None:
            spans.append(Span(p.evidence.start, p.evidence.end, name))
    for name in ("findings", "measurements", "treatments", "outcome"):
        spans.extend(Span(ev.start, ev.end, lab) for ev, lab in _value_evidence(case, name))
    return spans


def join(values: Sequence[object]) -> str:
    return ", ".join(str(v) for v in values)

"""From raw report text to a clean reading flow, sections and sentences, with offsets kept.

Cleaning only ever *drops* characters of the original (hyphenated line breaks, page
furniture, legends moved out of the flow) or inserts paragraph separators, so every
character of the clean text maps back to one position of the text the user gave.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import cast

from calcispine.knowledge import SectionKind, load_extract_rules


@dataclass(frozen=True)
class CleanText:
    """Clean reading text plus the map back to the original."""

    text: str
    original: str
    _clean_starts: tuple[int, ...]
    _orig_starts: tuple[int, ...]
    _lengths: tuple[int, ...]

    def to_original(self, pos: int) -> int:
        """Original offset of clean position ``pos`` (a start); separators map to the next piece."""
        i = bisect.bisect_right(self._clean_starts, pos) - 1
        if i < 0:
            return self._orig_starts[0] if self._orig_starts else 0
        off = pos - self._clean_starts[i]
        if off < self._lengths[i]:
            return self._orig_starts[i] + off
        if i + 1 < len(self._orig_starts):
            return self._orig_starts[i + 1]
        return self._orig_starts[i] + self._lengths[i]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original (start, end) of the clean span [start, end)."""
        if end <= start:
            s = self.to_original(start)
            return s, s
        s = self.to_original(start)
        e = self.to_original(end - 1) + 1
        return s, max(e, s)

    def pieces(self, start: int, end: int) -> list[tuple[int, int]]:
        """The original spans the clean span [start, end) was taken from, in order: one, unless
        cleaning removed something inside it (page furniture between a value and its unit)."""
        if end <= start:
            return [self.span(start, end)]
        out: list[tuple[int, int]] = []
        i = max(bisect.bisect_right(self._clean_starts, start) - 1, 0)
        while i < len(self._clean_starts) and self._clean_starts[i] < end:
            cs, os_, n = self._clean_starts[i], self._orig_starts[i], self._lengths[i]
            a, b = max(start, cs), min(end, cs + n)
            if b > a:
                piece = (os_ + a - cs, os_ + b - cs)
                if out and out[-1][1] == piece[0]:
                    out[-1] = (out[-1][0], piece[1])
                else:
                    out.append(piece)
            i += 1
        return out or [self.span(start, end)]


class _Builder:
    def __init__(self, original: str) -> None:
        self.original = original
        self.parts: list[str] = []
        self.clean_starts: list[int] = []
        self.orig_starts: list[int] = []
        self.lengths: list[int] = []
        self.pos = 0

    def keep(self, start: int, end: int) -> None:
        if end <= start:
            return
        self.parts.append(self.original[start:end])
        self.clean_starts.append(self.pos)
        self.orig_starts.append(start)
        self.lengths.append(end - start)
        self.pos += end - start

    def insert(self, text: str) -> None:
        self.parts.append(text)
        self.pos += len(text)

    def build(self) -> CleanText:
        return CleanText(
            "".join(self.parts), self.original, tuple(self.clean_starts), tuple(self.orig_starts), tuple(self.lengths)
        )


@dataclass(frozen=True)
class Section:
    kind: SectionKind
    title: str
    start: int  # clean offsets
    end: int
    part: bool = False  # a part of the case narrative (History, Outcome), not a main heading


@dataclass(frozen=True)
class Sentence:
    start: int  # clean offsets
    end: int
    text: str
    section: Section


# A blank line, or a line of table rules only ('|', '---|') that web pages leave between paragraphs.
_PARA = re.compile(r"\n[ \t\r\f\v]*\n\s*|\n[ \t]*[|\-–—][ \t|\-–—]*(?=\n)\s*")
_HYPHEN = re.compile(r"(?<=[a-z])-[ \t]*\r?\n[ \t]*(?=[a-z])")
_LEGEND_TAIL = re.compile(r"\n[ \t]+(?=[a-z])")
_TERMINAL = re.compile(r"[.!?:”\"')\]]\s*$")


@lru_cache(maxsize=1)
def _compiled() -> dict[str, re.Pattern[str]]:
    r = load_extract_rules()
    heads = "|".join(f"(?P<h{i}>{h.pattern})" for i, h in enumerate(r.headings))
    # Part headings (History, Surgery, Follow-up ...) open sentences too often to be read as
    # headings when a capitalised word follows ("Follow-up MRI showed ..."): line or ':' / '.' only.
    main = "|".join(f"(?P<h{i}>{h.pattern})" for i, h in enumerate(r.headings) if not h.part and not h.line_only)
    start_furn = "|".join(f.pattern for f in r.furniture if f.where == "start")
    search_furn = "|".join(f.pattern for f in r.furniture if f.where == "search")
    return {
        # a bulleted line ('• Case Reports' under 'Publication types') is a list item, never a heading
        "line_heading": re.compile(rf"^[ \t]*(?:\d+(?:\.\d+)*\.?\s*)?(?:{heads})[ \t]*[:.]?[ \t]*$", re.IGNORECASE),
        "inline_heading_colon": re.compile(
            rf"(?:(?<=[.!?])|(?<=[.!?][\s\]])|(?<=\n)|^)[ \t]*(?:{heads})[ \t]*:[ \t]*", re.IGNORECASE | re.MULTILINE
        ),
        "inline_heading_period": re.compile(
            rf"(?:(?<=\n)|^)[ \t]*(?:\d+(?:\.\d+)*\.?[ \t]+)?(?-i:(?=[A-Z]))(?:{heads})\.[ \t]+(?-i:(?=[A-Z]))", re.IGNORECASE | re.MULTILINE
        ),
        "inline_heading_caps": re.compile(
            rf"(?:(?<=[.!?]\s)|(?<=\n)|^)(?-i:(?=[A-Z]))(?:{main})[ \t]+(?-i:(?=[A-Z0-9]))", re.IGNORECASE
        ),
        "furniture_start": re.compile(rf"^\s*(?:{start_furn})"),
        "furniture_search": re.compile(search_furn, re.IGNORECASE),
        "legend": re.compile(rf"^\s*(?:{r.legend})"),
    }


def _heading_kind(match: re.Match[str]) -> tuple[SectionKind, bool]:
    """(kind, is a part of the case narrative) of a heading match."""
    r = load_extract_rules()
    for name, value in match.groupdict().items():
        if value is not None and name.startswith("h"):
            h = r.headings[int(name[1:])]
            return h.kind, h.part
    return "other", False


def clean(original: str) -> tuple[CleanText, list[tuple[int, int]]]:
    """Clean text and the clean spans of figure legends (appended after the flow)."""
    pats = _compiled()
    paras: list[tuple[int, int]] = []
    last = 0
    for m in _PARA.finditer(original):
        paras.append((last, m.start()))
        last = m.end()
    paras.append((last, len(original)))
    body: list[tuple[int, int]] = []
    legends: list[tuple[int, int]] = []
    for s, e in paras:
        while s < e and original[s].isspace():
            s += 1
        while e > s and original[e - 1].isspace():
            e -= 1
        if s >= e:
            continue
        chunk = original[s:e]
        first_line, _, rest = chunk.partition("\n")
        if (pats["line_heading"].match(first_line) and len(first_line) < 90) or generic_heading(first_line, rest.lstrip()):
            body.append((s, e))
        elif pats["legend"].match(chunk):
            cont = _LEGEND_TAIL.search(chunk)
            if cont:
                legends.append((s, s + cont.start()))
                body.append((s + cont.end(), e))
            else:
                legends.append((s, e))
        elif len(chunk) < 400 and (pats["furniture_start"].match(chunk) or pats["furniture_search"].search(chunk)) or _is_word_list(chunk):
            continue
        else:
            body.append((s, e))
    b = _Builder(original)
    prev_end: int | None = None
    prev_len = 0
    prev_table = False
    for s, e in body:
        if prev_end is not None:
            prev_text = original[max(prev_end - 3, 0):prev_end]
            nxt = original[s]
            first, _, rest = original[s:e].partition("\n")
            is_heading = bool(pats["line_heading"].match(first)) or generic_heading(first, rest.lstrip())
            prev_heading = bool(pats["line_heading"].match(original[:prev_end].rsplit("\n", 1)[-1]))
            if not is_heading and not prev_heading and prev_text.endswith("-") and nxt.islower():
                b.parts[-1] = b.parts[-1][:-1]
                b.lengths[-1] -= 1
                b.pos -= 1
            elif not is_heading and not prev_heading and not prev_table and (
                nxt.islower() or (not _TERMINAL.search(prev_text) and prev_len >= 150)
            ):
                b.insert(" ")
            else:
                b.insert("\n\n")
        _keep_dehyphenated(b, s, e)
        prev_end = e
        prev_len = e - s
        # a table written as lines of cells ('Calcium | 2.38 mmol/L | (2.20-2.60)') ends without a full
        # stop but is never a sentence broken across a page
        prev_table = "|" in original[s:e].rsplit("\n", 1)[-1]
    legend_spans: list[tuple[int, int]] = []
    for s, e in legends:
        b.insert("\n\n")
        start = b.pos
        _keep_dehyphenated(b, s, e)
        legend_spans.append((start, b.pos))
    return b.build(), legend_spans


_GENERIC_HEADING = re.compile(r"^[ \t•]*(?:\d+(?:\.\d+)*\.?[ \t]+)?(?P<body>[A-Z][^.!?;|]{1,58}?)[ \t]*:?[ \t]*$")
_HEADING_LAST_WORD = re.compile(
    r"\b(?:the|of|and|a|an|to|in|with|for|on|at|by|or|was|were|is|are|had|has|her|his|their|from|as|that|which)$",
    re.IGNORECASE,
)
_SERIES_HEADING = re.compile(r"^(?:case|patient)\s*(?:\d+|[IVX]+(?:[-.]\d+)?)\b", re.IGNORECASE)


def generic_heading(line: str, following: str) -> bool:
    """A short line of its own, capitalised, with no sentence end, over a paragraph that opens with a
    capital ('Genetic analysis', 'Patient II-1 (the sister)'): a heading the rules do not name.

    >>> generic_heading("Genetic analysis", "Sanger sequencing showed ...")
    True
    >>> generic_heading("The patient was a 54-year-old", "Woman ...")
    False
    """
    m = _GENERIC_HEADING.match(line)
    if m is None or not following[:1].isupper():
        return False
    body = m.group("body").strip()
    words = body.split()
    if not 1 <= len(words) <= 7 or _HEADING_LAST_WORD.search(body):
        return False
    if any(c.isdigit() for c in body) and not _SERIES_HEADING.match(body):
        return False
    return not re.search(r"\b(?:was|were|is|are|had|has|showed|presented)\b", body)


def _is_word_list(chunk: str) -> bool:
    """Keyword lists, menus and stray running heads: only short lines, no sentence end."""
    lines = [ln.strip() for ln in chunk.splitlines() if ln.strip()]
    return all(len(ln) < 45 for ln in lines) and not re.search(r"[.!?]\s*$", chunk)


def _keep_dehyphenated(b: _Builder, s: int, e: int) -> None:
    pos = s
    for m in _HYPHEN.finditer(b.original, s, e):
        b.keep(pos, m.start())
        pos = m.end()
    b.keep(pos, e)


_REFERENCE_MARK = re.compile(r"\bet al\b|\b(?:19|20)\d\d\s*[;.,)]|\d+\s*[:(]\s*\d+|\bdoi\b|\bPMID\b|^\s*\[?\d{1,3}[.\]]\s", re.IGNORECASE | re.MULTILINE)


def _looks_like_references(body: str) -> bool:
    """A 'References' or 'Bibliography' heading over a list of citations, not a web page's menu
    item over the article text: at least one citation mark (year, volume:page, et al, doi) per
    400 characters of what follows."""
    head = body[:2000]
    return len(_REFERENCE_MARK.findall(head)) * 400 >= len(head.strip())


# The kind of a heading the rules do not name: that of the section it falls in.
_INHERIT = cast(SectionKind, "inherit")
_CLOSED = frozenset({"discussion", "conclusion", "references", "acknowledgements"})


def _kind_title(m: re.Match[str], title: str) -> tuple[SectionKind, str, bool]:
    kind, part = _heading_kind(m)
    return kind, title, part


def find_sections(ct: CleanText, legend_spans: list[tuple[int, int]]) -> list[Section]:
    """Sections of the clean text, in order; legends last. Text before any heading is 'other'.

    The labelled parts of a structured abstract ("Case presentation: ...") are read as case
    sections only when the report has no case section of its own outside the abstract; the
    abstract restates the case, often less precisely ("in his mid-sixties" for 65).
    """
    pats = _compiled()
    text = ct.text
    flow_end = legend_spans[0][0] - 2 if legend_spans else len(text)
    # (heading start, body start, kind, title, part, written on a line of its own)
    marks: list[tuple[int, int, SectionKind, str, bool, bool]] = []  # kind may be _INHERIT
    pos = 0
    lines = text[:flow_end].split("\n")
    for n, line in enumerate(lines):
        m = pats["line_heading"].match(line)
        if m and len(line) < 90 and line.strip():
            marks.append((pos, pos + len(line), *_kind_title(m, line.strip().rstrip(":.")), True))
        elif (
            marks and (n == 0 or not lines[n - 1].strip()) and n + 1 < len(lines)
            and generic_heading(line, lines[n + 1].lstrip())
        ):
            # a heading the rules do not name continues the section it falls in
            marks.append((pos, pos + len(line), _INHERIT, line.strip().rstrip(":."), True, False))
        pos += len(line) + 1
    for key in ("inline_heading_colon", "inline_heading_period", "inline_heading_caps"):
        for m in pats[key].finditer(text, 0, flow_end):
            if any(a <= m.start() < bdy for a, bdy, *_ in marks):
                continue
            marks.append((m.start(), m.end(), *_kind_title(m, m.group(0).strip().rstrip(":.").strip()), False))
    marks.sort()
    marks = [m for n, m in enumerate(marks) if m[2] != "references" or _looks_like_references(
        text[m[1]:marks[n + 1][0] if n + 1 < len(marks) else flow_end])]
    refs = next((m[0] for m in marks if m[2] == "references"), None)
    if refs is not None:
        marks = [m for m in marks if m[0] <= refs or (m[2] in ("table", "acknowledgements") and text[m[0]:m[1]].strip() == m[3])]
    marks = _abstract_parts(marks)
    marks = _end_tables(text, marks, flow_end)
    sections: list[Section] = []
    first = marks[0][0] if marks else flow_end
    if first > 0:
        sections.append(Section("other", "", 0, first))
    major: SectionKind = "other"
    opened = False  # a case or discussion heading has come: back matter from here on closes the text
    for i, (_, body, kind, title, part, _line) in enumerate(marks):
        end = marks[i + 1][0] if i + 1 < len(marks) else flow_end
        if kind == _INHERIT:
            kind = major
        elif kind == "table":
            # a table inside the case (the patient's laboratory values) is part of the case
            kind = "case" if major == "case" else "table"
        elif part and major in _CLOSED:
            kind = major
        elif not part:
            major = kind
            opened = opened or kind in ("case", "discussion")
        if kind == "acknowledgements" and not part and not opened:
            # disclosures printed before the report (a photo-quiz page): their own paragraph only;
            # the report that follows is read as text without a heading, and its parts as the case's
            major = "other"
            brk = _PARA.search(text, body, end)
            if brk is not None and end - brk.end() > 40:
                sections.append(Section(kind, title, body, brk.start(), part))
                body, kind, title = brk.end(), cast(SectionKind, "other"), ""
        if end > body:
            sections.append(Section(kind, title, body, end, part))
    for s, e in legend_spans:
        sections.append(Section("legend", "figure legend", s, e))
    return sections


_PROSE_VERB = re.compile(
    r"\b(?:was|were|is|are|had|has|have|showed|revealed|demonstrated|underwent|presented|found|did|performed)\b"
)


def _end_tables(
    text: str, marks: list[tuple[int, int, SectionKind, str, bool, bool]], flow_end: int
) -> list[tuple[int, int, SectionKind, str, bool, bool]]:
    """A table ends where prose resumes: the first paragraph after its rows that reads as a sentence
    ('A barium swallow showed ...') continues the section the table was placed in."""
    out: list[tuple[int, int, SectionKind, str, bool, bool]] = []
    for n, m in enumerate(marks):
        out.append(m)
        if m[2] != "table":
            continue
        end = marks[n + 1][0] if n + 1 < len(marks) else flow_end
        for p in _PARA.finditer(text, m[1], end):
            start = p.end()
            para = text[start:end].split("\n\n", 1)[0].strip()
            if len(para) >= 60 and "|" not in para and para.rstrip()[-1:] in ".!?" and _PROSE_VERB.search(para):
                out.append((start, start, _INHERIT, "", True, False))
                break
    return out


def _abstract_parts(
    marks: list[tuple[int, int, SectionKind, str, bool, bool]],
) -> list[tuple[int, int, SectionKind, str, bool, bool]]:
    """Inline headings between an abstract heading and the next line heading are parts of the
    abstract: kind 'abstract' when the report also has a case section outside the abstract."""
    inside: list[bool] = []
    in_abstract = False
    for m in marks:
        if m[5] or m[2] == "abstract":
            in_abstract = m[2] == "abstract"
            inside.append(False)
        else:
            inside.append(in_abstract)
    if not any(m[2] == "case" and not ins for m, ins in zip(marks, inside, strict=True)):
        return marks
    return [(m[0], m[1], "abstract", m[3], False, m[5]) if ins else m for m, ins in zip(marks, inside, strict=True)]


_ABBREV = frozenset(
    ["dr", "mr", "mrs", "ms", "prof", "fig", "figs", "al", "eg", "ie", "e.g", "i.e", "vs", "approx", "no", "nos", "st", "jr", "sr", "ca", "cf", "inc", "ltd", "dept", "univ", "ref", "refs", "vol", "pp", "ed", "eds", "resp", "etc"]
)
# A full stop, then space and a capital; a blank line; or, in text scraped from pages, a full stop
# glued to the next sentence ("decompression.We present"): a lower-case word, '.', a capitalised word.
_BOUNDARY = re.compile(r"[.!?][\"”’')\]]*\s+(?=[\[(“\"]?[A-Z0-9])|\n[ \t]*\n\s*|(?<=[a-z]{2}\.)(?=[A-Z][a-z])")
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)\.?$")


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentence spans of text[start:end], stripped; knows Dr., et al., Fig., e.g., decimals, initials."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    cur = start
    for m in _BOUNDARY.finditer(text, start, end):
        if text[m.start()] in ".!?":
            wb = _WORD_BEFORE.search(text, max(cur, m.start() - 12), m.start() + 1)
            if wb:
                word = wb.group(1).lower().rstrip(".")
                initial = len(word) == 1 and text[m.start() - 1].isupper() and (m.start() < 2 or text[m.start() - 2].isspace())
                if word in _ABBREV or initial:
                    continue
            cut = m.start() + 1
            while cut < m.end() and not text[cut].isspace():
                cut += 1
        elif m.start() == m.end():
            # a full stop glued to a capital: not after an abbreviation, nor inside a web address
            token = text[max(cur, text.rfind(" ", 0, m.start()) + 1, text.rfind("\n", 0, m.start()) + 1):m.start()]
            wb = _WORD_BEFORE.search(token)
            word = wb.group(1).lower().rstrip(".").rsplit(".", 1)[-1] if wb else ""
            if word in _ABBREV or "/" in token or token.lower().startswith(("www", "http")) or token.count(".") > 1:
                continue
            cut = m.start()
        else:
            cut = m.start()
        _add(text, cur, cut, spans)
        cur = m.end()
    _add(text, cur, end, spans)
    return spans


def _add(text: str, s: int, e: int, spans: list[tuple[int, int]]) -> None:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    if e > s:
        spans.append((s, e))


_TITLE_LINE = re.compile(r"[^\n]{10,150}(?<![.!?:;,])\n(?=[A-Z])")


def sentences(ct: CleanText, sections: list[Section]) -> list[Sentence]:
    out: list[Sentence] = []
    for sec in sections:
        start = sec.start
        if start == 0 and sec.kind == "other":
            # a title on the first line, the text straight below it: the title is a sentence of its own
            t = _TITLE_LINE.match(ct.text, 0, sec.end)
            if t is not None:
                out.append(Sentence(0, t.end() - 1, ct.text[:t.end() - 1], sec))
                start = t.end()
        for s, e in split_sentences(ct.text, start, sec.end):
            out.append(Sentence(s, e, ct.text[s:e], sec))
    return out

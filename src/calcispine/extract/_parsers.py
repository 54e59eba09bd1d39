"""Small pure parsers for the values case reports state: ages, follow-up, levels, lab values.

Each returns mentions with offsets into the string it was given, so callers can build evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from calcispine.model import Level, LevelError, parse_levels

_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "a": 1, "an": 1,
}
_DECADE_WORDS = {
    "teens": 1, "twenties": 2, "thirties": 3, "forties": 4, "fifties": 5,
    "sixties": 6, "seventies": 7, "eighties": 8, "nineties": 9,
}
_TENS = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_UNITS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_NUMBER_WORDS.update({f"{t}{sep}{u}": _NUMBER_WORDS[t] + _NUMBER_WORDS[u] for t in _TENS for u in _UNITS for sep in ("-", " ")})
_SIMPLE_WORDS = sorted((k for k in _NUMBER_WORDS if len(k) > 2 and " " not in k and "-" not in k), key=len, reverse=True)
_WORD_NUM = (
    "(?:" + "|".join(_TENS) + ")(?:[- ](?:" + "|".join(_UNITS) + "))?|" + "|".join(w for w in _SIMPLE_WORDS if w not in _TENS)
)
_NUM = rf"(\d+(?:\.\d+)?|{_WORD_NUM})"
_UNIT_YEARS = {"year": 1.0, "yr": 1.0, "month": 1 / 12, "mo": 1 / 12, "week": 1 / 52.1775, "day": 1 / 365.25}


def _num(text: str) -> float:
    t = " ".join(text.lower().split())
    return float(_NUMBER_WORDS[t]) if t in _NUMBER_WORDS else float(t)


@dataclass(frozen=True)
class AgeMention:
    start: int
    end: int
    years: float | None
    range_years: tuple[float, float] | None


_AGE_PATTERNS = (
    # teaching-case pages: 'Patient: 76 years, female'
    re.compile(r"\b(\d{1,3}) (year|month)s?,\s*(?=(?:female|male|woman|man|girl|boy)\b)", re.IGNORECASE),
    re.compile(rf"\b{_NUM}[- ](year|yr|month|mo|week|day)s?[- ]old\b", re.IGNORECASE),
    re.compile(rf"(?<!mean )(?<!median )(?<!average )\baged? (?:of )?{_NUM}(?: (year|month|week|day)s?)?\b(?!\s*(?:±|\+/-|years? \(range))", re.IGNORECASE),
    re.compile(rf"\b{_NUM} (year|month|week|day)s? of age\b", re.IGNORECASE),
    re.compile(r"\b(\d+)[- ]?(?:yo|y/o|y\.o\.)(?=\W|$)", re.IGNORECASE),
    # 'a woman of 58', 'a man, 45,', 'she was 37 and ...': a bare number beside the person, not a measure
    re.compile(
        r"\b(?:wom[ae]n|m[ae]n|lady|gentleman|girl|boy|patient|female|male)(?: of|,) (\d{1,3})\b(?!\.\d)"
        r"(?!\s*(?:kg|cm|mm|m\b|%|mg|g\b|lb|years? (?:ago|earlier|later|before|after)|weeks|days|hours))",
        re.IGNORECASE,
    ),
    re.compile(
        r"\b(?:he|she) was (\d{1,3})\b(?!\.\d)(?=\s*(?:,|;|\.(?!\d)|and\b|when\b|at the time\b|years? old\b))",
        re.IGNORECASE,
    ),
    # 'he presented at 70', 'was referred at 64'
    re.compile(
        r"\b(?:presented|referred|admitted|seen|operated)\s+at\s+(\d{1,3})\b(?!\.\d)(?!\s*(?:kg|cm|mm|%|°|years? (?:ago|earlier|later)|weeks?|months?|days?|hours?|[ap]\.?m\b))"
        r"(?![- ]*(?:years?|yrs?)[- ]+(?:of\s+)?(?:follow|after|post|later))",
        re.IGNORECASE,
    ),
)
_WITH_UNIT = 4  # the first patterns name their unit (years, months, ...) in group 2
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
             "eighth": 8, "ninth": 9, "tenth": 10}
# 'in his seventh decade (of life)': the nth decade runs from (n-1)*10 to (n-1)*10 + 9.
_DECADE_OF_LIFE = re.compile(
    r"\bin (?:her|his|their|the) (?:(early|mid|middle|late)[- ]?)?(" + "|".join(_ORDINALS) + r") decade\b",
    re.IGNORECASE,
)
# 'aged 10 years and 3 months', '2 years 5 months old': the months are part of the age.
_COMPOUND_AGE = re.compile(
    rf"\b(aged?\s+(?:of\s+)?)?{_NUM}[- ]years?,?\s+(?:and\s+)?{_NUM}[- ]months?(?P<old>[- ]old\b|\s+of\s+age\b)?",
    re.IGNORECASE,
)
# 'an octogenarian': a decade of life named by a word (Latin ordinal of the decade).
_GENARIAN = {"quadragenarian": 4, "quinquagenarian": 5, "sexagenarian": 6, "septuagenarian": 7,
             "octogenarian": 8, "nonagenarian": 9, "centenarian": 10}
_GENARIAN_RE = re.compile(r"\b(" + "|".join(_GENARIAN) + r")s?\b", re.IGNORECASE)
_DECADE = re.compile(
    r"\bin (?:her|his|their|the) (?:(early|mid|middle|late)[- ]?)?(?:(\d)0'?s|("
    + "|".join(_DECADE_WORDS)
    + r"))\b",
    re.IGNORECASE,
)


def _decade_part(base: int, part: str) -> tuple[float, float]:
    """The years of a decade, or of its early (0-3), mid (4-6) or late (7-9) part."""
    lo, hi = base, base + 9
    if part == "early":
        lo, hi = base, base + 3
    elif part in ("mid", "middle"):
        lo, hi = base + 4, base + 6
    elif part == "late":
        lo, hi = base + 7, base + 9
    return float(lo), float(hi)


def parse_ages(text: str) -> list[AgeMention]:
    """Every age statement in ``text``: '22-month-old' -> 1.83, 'in her early 50s' -> (50, 53),
    'aged 10 years and 3 months' -> 10.25, 'an octogenarian' -> (80, 89).

    >>> [a.years for a in parse_ages("a 22-month-old girl")]
    [1.83]
    >>> [a.range_years for a in parse_ages("a man in his late fifties")]
    [(57.0, 59.0)]
    """
    out: list[AgeMention] = []
    for m in _COMPOUND_AGE.finditer(text):
        if m.group(1) or m.group("old"):
            years = round(_num(m.group(2)) + _num(m.group(3)) / 12, 2)
            if 0 <= years <= 120:
                out.append(AgeMention(m.start(), m.end(), years, None))
    for i, pat in enumerate(_AGE_PATTERNS):
        for m in pat.finditer(text):
            if any(o.start <= m.start(1) < o.end or o.start <= m.start() < o.end for o in out):
                continue
            value = _num(m.group(1))
            unit = (m.group(2) or "year").lower() if i < _WITH_UNIT and m.lastindex and m.lastindex >= 2 else "year"
            years = round(value * _UNIT_YEARS[unit], 2)
            if 0 <= years <= 120:
                out.append(AgeMention(m.start(), m.end(), years, None))
    for m in _DECADE.finditer(text):
        decade = int(m.group(2)) if m.group(2) else _DECADE_WORDS[m.group(3).lower()]
        base = decade * 10 if decade > 1 else 13
        part = (m.group(1) or "").lower()
        if decade > 1:
            rng = _decade_part(base, part)
        else:  # the teens run from 13 to 19
            rng = {"early": (13.0, 15.0), "mid": (14.0, 16.0), "middle": (14.0, 16.0), "late": (17.0, 19.0)}.get(part, (13.0, 19.0))
        out.append(AgeMention(m.start(), m.end(), None, rng))
    for m in _DECADE_OF_LIFE.finditer(text):
        base = (_ORDINALS[m.group(2).lower()] - 1) * 10
        out.append(AgeMention(m.start(), m.end(), None, _decade_part(base, (m.group(1) or "").lower())))
    for m in _GENARIAN_RE.finditer(text):
        base = _GENARIAN[m.group(1).lower()] * 10
        out.append(AgeMention(m.start(), m.end(), None, (float(base), float(base + 9))))
    out.sort(key=lambda a: a.start)
    return out


@dataclass(frozen=True)
class FollowUpMention:
    start: int
    end: int
    months: float


_FU_UNIT = r"(year|yr|month|mo|week|day)s?"
_FOLLOW_UP = (
    re.compile(rf"\b{_NUM}[- ]{_FU_UNIT}\s+(?:after|following|post)\b", re.IGNORECASE),
    re.compile(rf"\b{_NUM}[- ]{_FU_UNIT}[- ]+(?:of\s+)?follow-?\s?up\b", re.IGNORECASE),
    re.compile(rf"\bfollow-?\s?up\s*(?:of|period of|at|for|after|was|lasted)?\s*\(?\s*{_NUM}\s+{_FU_UNIT}", re.IGNORECASE),
    re.compile(rf"\bat\s+(?:the\s+)?{_NUM}[- ]{_FU_UNIT}\b(?![- ](?:of\s+age|old))", re.IGNORECASE),
    re.compile(rf"\b(?:review|reviewed|seen|examined|follow-?up|revisited)\s+(?:again\s+)?after\s+(?:a\s+further\s+|another\s+)?{_NUM}[- ]{_FU_UNIT}\b", re.IGNORECASE),
    re.compile(rf"^\W*after\s+(?:a\s+further\s+|another\s+)?{_NUM}[- ]{_FU_UNIT}\b(?!\s+of\b)", re.IGNORECASE),
    re.compile(rf"\b{_NUM}[- ]{_FU_UNIT}\s+(?:later|postoperatively|post-?operatively|after surgery|on(?=\s*,))", re.IGNORECASE),
)
# Follow-up in weeks is counted as clinicians count it: four weeks to the month (6 weeks = 1.5).
_MONTHS = {"year": 12.0, "yr": 12.0, "month": 1.0, "mo": 1.0, "week": 0.25, "day": 12 / 365.25}


def parse_follow_up(text: str) -> list[FollowUpMention]:
    """Follow-up durations in months: '1-year follow-up' -> 12, '7 months after' -> 7.

    >>> [f.months for f in parse_follow_up("asymptomatic at the 1-year follow-up")]
    [12.0]
    """
    out: list[FollowUpMention] = []
    for pat in _FOLLOW_UP:
        for m in pat.finditer(text):
            if any(o.start <= m.start() < o.end or m.start() <= o.start < m.end() for o in out):
                continue
            months = round(_num(m.group(1)) * _MONTHS[m.group(2).lower()], 2)
            if 0 < months <= 12 * 80:
                out.append(FollowUpMention(m.start(), m.end(), months))
    out.sort(key=lambda f: f.start)
    return out


@dataclass(frozen=True)
class DateMention:
    start: int
    end: int
    year: int
    month: int  # 1-12

    @property
    def index(self) -> int:
        """Months since year 0, for differences."""
        return self.year * 12 + self.month - 1


_MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
                "october", "november", "december")
_MONTH_RE = "|".join(rf"{m[:3]}(?:{m[3:]})?\.?" if len(m) > 3 else m for m in _MONTH_NAMES)
# '12 March 2015', 'March 2015', 'March 12, 2015', 'Sept. 2014'; a bare year is too coarse for a follow-up.
_DATE = re.compile(
    rf"\b(?:\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?)?(?P<month>{_MONTH_RE})\s+(?:\d{{1,2}}(?:st|nd|rd|th)?,?\s+)?(?P<year>(?:19|20)\d\d)\b",
    re.IGNORECASE,
)


def parse_dates(text: str) -> list[DateMention]:
    """Calendar dates written with a month: '12 March 2015', 'in November 2015', 'June 12, 2014'.

    >>> [(d.year, d.month) for d in parse_dates("operated on 12 March 2015, reviewed in Nov. 2015")]
    [(2015, 3), (2015, 11)]
    """
    out: list[DateMention] = []
    for m in _DATE.finditer(text):
        word = m.group("month").lower().rstrip(".")
        month = next(n for n, name in enumerate(_MONTH_NAMES, start=1) if name.startswith(word[:3]))
        if word == "may" and not m.group(0)[0].isupper() and m.group(0)[0].isalpha():
            continue  # 'may 2015' in lower case is the verb more often than the month
        out.append(DateMention(m.start(), m.end(), int(m.group("year")), month))
    return out


@dataclass(frozen=True)
class LevelMention:
    start: int
    end: int
    levels: tuple[Level, ...]
    in_fusion: bool
    # Written next to an operation or a secondary finding (cord oedema): not the lesion's level.
    not_lesion: bool = False


_ORD = "first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth"
_LEVEL_RE = re.compile(
    rf"(?i:\b(?:{_ORD})(?:\s*(?:-|–|—|to|and|through)\s*(?:{_ORD}))?\s+(?:cervical|thoracic|dorsal|lumbar|sacral)\b)"
    r"|(?i:\batlanto-?axial\b|\blumbosacral\b)"
    r"|\b[CTLS](?:\s?|-(?=\d))\d{1,2}(?:\s*(?:-|–|—|/|to|through)\s*(?:[CTLS](?:\s?|-(?=\d)))?\d{1,2})*\b(?![-–]weighted)"
    # dorsal notation (D5 = T5), read only as a span or beside a vertebral word, never as 'vitamin D3'
    r"|(?<!vitamin )\bD\s?\d{1,2}(?:\s*(?:,|and|&)\s*D\s?\d{1,2})+\b"
    r"|(?<!vitamin )\bD\d{1,2}\s*(?:-|–|/|to)\s*D?\d{1,2}\b|(?<!vitamin )\bD\s?\d{1,2}\b(?=\s+(?i:vertebra\w*|level|body|bodies|spine|segment|pedicles?|laminae?|spinous))"
)
_LETTER_HYPHEN = re.compile(r"\b([CTLSD])-(?=\d)")
_MRI_SEQ = re.compile(
    r"\bT-?[12](?:\s*[-–]?\s*(?:and|/|,|or)\s*T-?[12])*(?=\s*[-–]?\s*(?:weighted|w\b|wi\b|hypo|hyper|iso|signal|image|imaging|sequence|fat|flair|stir|intens|low|high|scan|sagittal|axial|coronal|post))",
    re.IGNORECASE,
)
# A bare "T1"/"T2" after "on"/"in" or an intensity word, in a sentence speaking of MR signal,
# names a sequence ("hypointense on T1 and T2"), not the first or second thoracic vertebra.
_MRI_BARE = re.compile(
    r"\b(?:on|in|high|low|bright|dark|intermediate)\s+(T[12](?:\s*(?:,|and|or|/)\s*(?:on\s+)?T[12])*)\b(?!\s*(?:-|–|to|through|/)\s*[CTLS]?\d)"
)
_MRI_CUE = re.compile(
    r"signal|intens|weighted|\bMRI?\b|magnetic|sequence|dark|bright|hypo|hyper|\biso|enhanc|images?\b|gadolinium|contrast|STIR|FLAIR",
    re.IGNORECASE,
)
_FUSION_AFTER = re.compile(r"^\s*(?:level\s+|segment\s+)?(?:posterior\s+|anterior\s+)?(?:fusion|fixation|arthrodesis|instrumentation|stabili[sz]ation|fused)\b", re.IGNORECASE)
_FUSION_BEFORE = re.compile(r"(?:fusion|fixation|arthrodesis|instrumentation|fused|stabili[sz]ation)\s+(?:was\s+performed\s+)?(?:of|at|from|between)?\s*(?:the\s+)?(?:levels?\s+)?$", re.IGNORECASE)
# Mentions joined by 'and' / ',' ('C4 to C7 on the left and at C4 and C7 on the right') share their context.
_CHAIN = re.compile(
    r"^\s*(?:on\s+(?:the\s+)?(?:left|right|both\s+sides)\s*)?(?:,\s*(?:and\s+|or\s+)?|and\s+|or\s+|&\s*)(?:(?:at|to|from)\s+)?"
    r"(?:(?:the\s+)?(?:lower|upper|caudal|cranial|inferior|superior)\s+(?:part|half|third|edge|margin)\s+of\s+)?$",
    re.IGNORECASE,
)


@lru_cache(maxsize=1)
def _level_rules() -> tuple[tuple[tuple[re.Pattern[str], tuple[Level, ...]], ...], re.Pattern[str], re.Pattern[str]]:
    from calcispine.knowledge import load_extract_rules

    r = load_extract_rules()
    anatomy = tuple((re.compile(a.pattern, re.IGNORECASE), parse_levels(a.levels)) for a in r.level_anatomy)
    return (anatomy, re.compile(r.level_not_lesion_before, re.IGNORECASE),
            re.compile(r.level_not_lesion_after, re.IGNORECASE))


def mask_mri_sequences(text: str) -> str:
    """``text`` with MRI sequence names (T1, T2-weighted) blanked to spaces, offsets kept."""
    return _mask_mri(text)


def _mask_mri(text: str) -> str:
    masked = _MRI_SEQ.sub(lambda m: " " * len(m.group(0)), text)
    if "T1" not in masked and "T2" not in masked:
        return masked
    chars = list(masked)
    for m in _MRI_BARE.finditer(masked):
        if _MRI_CUE.search(masked, max(0, m.start() - 100), m.start()) or _MRI_CUE.search(masked, m.end(), m.end() + 40):
            chars[m.start(1):m.end(1)] = " " * (m.end(1) - m.start(1))
    return "".join(chars)


# 'the cervical 4 lamina', 'the 4th cervical vertebra': a level written with its region's name.
_REGION_LETTER = {"cervical": "C", "thoracic": "T", "dorsal": "T", "lumbar": "L", "sacral": "S"}
_BONE_WORD = r"(?:laminae?|laminectom\w*|vertebra\w*|bod(?:y|ies)|pedicles?|spinous|transverse|facets?|levels?|segments?)"
_WORDED_LEVEL = re.compile(
    rf"\b(?P<region>cervical|thoracic|dorsal|lumbar|sacral) (?P<n>\d{{1,2}})\b(?=\s+{_BONE_WORD})"
    rf"|\b(?P<n2>\d{{1,2}})(?:st|nd|rd|th) (?P<region2>cervical|thoracic|dorsal|lumbar|sacral) {_BONE_WORD}",
    re.IGNORECASE,
)


def find_levels(text: str) -> list[LevelMention]:
    """Vertebral level mentions; MRI sequence names (T1-weighted, 'on T1 and T2') are not levels.

    ``in_fusion`` marks spans that name a fusion construct rather than the lesion ("C3-6 fusion");
    ``not_lesion`` marks any span written next to an operation or a secondary finding
    ("laminectomies of C4 to C7", "cord oedema from C3 to C6"). Anatomical names give levels too
    (the odontoid is C2).

    >>> [[str(x) for x in m.levels] for m in find_levels("low signal on T1 and T2 at C3-C4")]
    [['C3', 'C4']]
    """
    anatomy, before_re, after_re = _level_rules()
    masked = _mask_mri(text)
    found: list[tuple[int, int, tuple[Level, ...]]] = []
    for m in _LEVEL_RE.finditer(masked):
        try:
            found.append((m.start(), m.end(), parse_levels(_LETTER_HYPHEN.sub(r"\1", m.group(0)))))
        except LevelError:
            continue
    for pat, lv in anatomy:
        for m in pat.finditer(masked):
            if not any(s <= m.start() < e for s, e, _ in found):
                found.append((m.start(), m.end(), lv))
    for m in _WORDED_LEVEL.finditer(masked):
        region = (m.group("region") or m.group("region2")).lower()
        try:
            lv = parse_levels(f"{_REGION_LETTER[region]}{m.group('n') or m.group('n2')}")
        except LevelError:
            continue
        if not any(s <= m.start() < e for s, e, _ in found):
            found.append((m.start(), m.end(), lv))
    found.sort()
    # chains of mentions joined by 'and' / ',' share their context ("a C3 and C4 laminectomy")
    chains: list[list[int]] = []
    for i, (s, _, _) in enumerate(found):
        if chains and _CHAIN.match(masked[found[chains[-1][-1]][1]:s]):
            chains[-1].append(i)
        else:
            chains.append([i])
    out: list[LevelMention] = []
    for chain in chains:
        cs, ce = found[chain[0]][0], found[chain[-1]][1]
        after = masked[ce:ce + 60]
        before = masked[max(0, cs - 60):cs]
        fusion = bool(_FUSION_AFTER.match(after) or _FUSION_BEFORE.search(before))
        other = fusion or bool(after_re.match(after) or before_re.search(before))
        for i in chain:
            s, e, lv = found[i]
            out.append(LevelMention(s, e, lv, fusion, other))
    return out


@dataclass(frozen=True)
class LabMention:
    start: int
    end: int
    analyte: str  # as written
    value: float | None
    value_text: str | None
    unit: str | None
    flag: str | None
    # a result in words: a titre ('1/640'), the organism a culture grew
    result: str | None = None


_VALUE = r"(?P<value>\d{1,3}(?:,\d{3})+(?![\d.])|\d+(?:[.,]\d+)?)"


def lab_number(text: str) -> float:
    """'11,100' -> 11100 (thousands), '2,5' -> 2.5 (decimal comma), '8.1' -> 8.1."""
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+", text):
        return float(text.replace(",", ""))
    return float(text.replace(",", "."))
_LAB_STOP_AFTER = re.compile(r"^[\s-]*(?:pyrophosphate|deposit|deposition|phosphate product|metabolism|carbonate|hydroxyapatite|salts?|crystals?|channel|oxalate|-?phosphate (?:product|levels? were))", re.IGNORECASE)


_ORGANISM = r"(?P<org>(?-i:(?:[A-Z][a-z]{2,}|[A-Z]\.)\s+[a-z]{4,}(?:\s+complex)?))(?!\s+(?:was|were|is|are)\s+(?:not|negative))"
_CULTURE_VERB = r"(?:later\s+|subsequently\s+|eventually\s+|also\s+)?(?:grew|yielded|isolated|were positive for|was positive for)"
_TITRE = re.compile(r"[^.;]{0,50}?\bti(?:tre|ter)\s+(?:of\s+|was\s+|at\s+)?(?P<titre>1\s*[:/]\s*\d+)", re.IGNORECASE)


@lru_cache(maxsize=1)
def _lab_patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str], re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    from calcispine.knowledge import load_labs

    labs = load_labs()
    names: set[str] = set()
    units: set[str] = set()
    for a in labs.analytes.values():
        for n in (a.key.replace("_", " "), *a.synonyms):
            if len(n) >= 3 and n.lower() not in {"sun", "sap", "tlc", "alb", "creat", "urate", "bsr", "sua"}:
                names.add(n)
        units.update(a.units)
    def name_re(n: str) -> str:
        body = r"\s+".join(re.escape(w) for w in n.split())
        if n.isupper() or len(n) <= 3 or n in {"iPTH", "sCr", "SCr", "iCa", "i-PTH"}:
            return rf"(?-i:\b{body}\b)"
        return rf"\b{body}\b"
    analyte = "(?P<analyte>" + "|".join(name_re(n) for n in sorted(names, key=len, reverse=True)) + ")"
    unit_alts = set()
    for u in units:
        alt = re.escape(u)
        alt = re.sub(r"(^|/)u", r"\1[uµμ]", alt)  # umol/L, /uL: micro written as u, µ or μ
        alt = re.sub(r"^x", r"[x×]\\s?", alt)  # x10^9/L, x 10^9/L, ×10^9/L
        alt = alt.replace("mm3", "mm[3³]").replace(r"m2", "m[2²]").replace(r"\ ", r"\s?")  # /mm³, 1.73 m²
        unit_alts.add(alt)
    unit = r"(?P<unit>" + "|".join(sorted(unit_alts, key=len, reverse=True)) + r")(?![\w/])"
    flag_words = sorted({*labs.flag_words, "slightly increased", "elevated", "high", "low"}, key=len, reverse=True)
    flag = r"(?P<flag>" + "|".join(r"\b" + re.escape(f) + r"\b" for f in flag_words) + ")"
    value_re = re.compile(
        analyte + r"(?:\s*\((?!\s*\d)[^)]{0,30}\))?(?:\s+(?:levels?|concentrations?|values?))?"
        r"\s*(?:of|was|were|is|at|:|=|\||measured|reached|rose to|elevated to|increased to|,)?\s*(?:\w+\s+){0,2}?\(?\s*"
        r"(?:[<>≤≥]=?\s*|(?:less|greater|more|lower|higher) than\s+)?" + _VALUE + r"\s*" + unit,
        re.IGNORECASE,
    )
    sep = r"(?:\s*(?:,|\band\b|\bas well as\b|\bor\b)\s*)+(?:serum\s+|blood\s+|plasma\s+)?"
    # a value in brackets inside a list ('ESR (14 mm/h), CRP and calcium were normal') belongs to its analyte
    paren = r"(?:\s*\([^()]{0,30}\))?"
    item = analyte.replace("?P<analyte>", "?:") + paren
    list_re = re.compile(
        flag + r"(?:,?[ \t]+as[ \t]+(?:were|was|is|are))?[ \t]+(?:(?:on|by|for)\s+(?:the\s+)?)?(?:serum\s+|blood\s+|plasma\s+)?(?:levels?\s+of\s+(?:serum\s+)?)?(?P<list>" + analyte + r"(?:" + sep + analyte.replace("?P<analyte>", "?:") + r")*)",
        re.IGNORECASE,
    )
    # '... were normal', 'Anti-Scl-70 antibody | negative' (a table row), 'blood cultures negative.'
    post_re = re.compile(
        r"(?P<list>" + analyte + paren + r"(?:" + sep + item + r")*)(?:\s+(?:levels?|concentrations?|values?|results?))?"
        r"(?:(?:\s*(?:,|\band\b)\s*[a-z]+(?:\s+[a-z]+)?)?,?\s+(?:was|were|remained|are|is)\s+(?:\w+\s+)?|\s*\|\s*|\s+(?=\w+(?:\s\w+)?\s*(?:[.;,]|$)))" + flag,
        re.IGNORECASE,
    )
    single = re.compile(analyte.replace("?P<analyte>", "?:"), re.IGNORECASE)
    # 'blood cultures grew Brucella melitensis', 'M. tuberculosis was later isolated from the culture'
    culture = r"(?P<analyte>" + analyte[len("(?P<analyte>"):-1] + r"|\bcultures?\b)"
    grew_re = re.compile(culture + r"\s+" + _CULTURE_VERB + r"\s+" + _ORGANISM, re.IGNORECASE)
    grown_re = re.compile(
        _ORGANISM + r"\s+(?:was\s+|were\s+)?(?:later\s+|subsequently\s+)?(?:grew|grown|isolated|cultured)\s+(?:from|in)\s+(?:the\s+)?"
        + culture, re.IGNORECASE,
    )
    return value_re, list_re, post_re, single, grew_re, grown_re


def find_labs(text: str) -> list[LabMention]:
    """Lab statements: 'creatinine of 9.3 mg/dL', 'slightly increased calcium and phosphorus'.

    >>> [(m.analyte, m.value_text, m.unit) for m in find_labs("calcium of 8.1 mg/dL")]
    [('calcium', '8.1', 'mg/dL')]
    """
    return list(_find_labs(text))


@lru_cache(maxsize=1)
def _lab_first_words() -> tuple[frozenset[str], frozenset[str]]:
    """First words of analyte names (lower case, and as written for case-sensitive ones)."""
    from calcispine.knowledge import load_labs

    lower: set[str] = set()
    exact: set[str] = set()
    for a in load_labs().analytes.values():
        for n in (a.key.replace("_", " "), *a.synonyms):
            first = re.findall(r"[A-Za-z0-9]+", n)
            if first:
                lower.add(first[0].lower())
                exact.add(first[0])
    return frozenset(lower), frozenset(exact)


_TOKEN = re.compile(r"[A-Za-z0-9]+")


@lru_cache(maxsize=256)
def _key(name: str) -> str:
    """The labs.yaml key an analyte name stands for ('CRP' and 'C-reactive protein' are one)."""
    from calcispine.knowledge import load_labs

    labs = load_labs()
    return labs.analyte(name).key if labs.knows(name) else name.lower()


def _culture_analyte(written: str, organism: str) -> str | None:
    """The test a culture result belongs to; a bare 'culture' of mycobacteria is the mycobacterial culture."""
    if not re.fullmatch(r"cultures?", written, re.IGNORECASE):
        return written
    if re.match(r"(?:Mycobacterium|M\.)\s", organism):
        return "mycobacterial culture"
    return None


def _find_labs(text: str) -> tuple[LabMention, ...]:
    value_re, list_re, post_re, single, grew_re, grown_re = _lab_patterns()
    lower, exact = _lab_first_words()
    tokens = _TOKEN.findall(text)
    if not any(t in exact or t.lower() in lower for t in tokens) or not single.search(text):
        return ()
    out: list[LabMention] = []
    taken: list[tuple[int, int]] = []
    pos = 0
    while (m := value_re.search(text, pos)) is not None:
        pos = m.end()
        # 'CRP, serum calcium (9.4 mg/dL)': the value belongs to the last analyte named before it
        inner = [a for a in single.finditer(text, m.end("analyte"), m.start("value")) if _key(a.group(0)) != _key(m.group("analyte"))]
        if inner:
            pos = inner[0].start()
            continue
        if _LAB_STOP_AFTER.match(text, m.end("analyte")):
            continue
        vt = m.group("value")
        try:
            v = lab_number(vt)
        except ValueError:
            continue
        out.append(LabMention(m.start("analyte"), m.end(), m.group("analyte"), v, vt, m.group("unit"), None))
        taken.append((m.start("analyte"), m.end("analyte")))
    for pat in (grew_re, grown_re):
        for m in pat.finditer(text):
            name = _culture_analyte(m.group("analyte"), m.group("org"))
            if name is None or any(a <= m.start("analyte") < b for a, b in taken):
                continue
            org = " ".join(m.group("org").split())
            out.append(LabMention(m.start(), m.end(), name, None, None, None, "positive", org))
            taken.append((m.start("analyte"), m.end("analyte")))
    for a in single.finditer(text):
        t = _TITRE.match(text, a.end())
        if t is None or any(x <= a.start() < y for x, y in taken):
            continue
        titre = re.sub(r"\s+", "", t.group("titre"))
        flag = "positive" if re.search(r"\bpositive\b", t.group(0), re.IGNORECASE) else None
        out.append(LabMention(a.start(), t.end(), a.group(0), None, None, None, flag, titre))
        taken.append((a.start(), a.end()))
    for pat in (list_re, post_re):
        for m in pat.finditer(text):
            flag = m.group("flag")
            for a in single.finditer(text, m.start("list"), m.end("list")):
                if any(s <= a.start() < e for s, e in taken) or _LAB_STOP_AFTER.match(text, a.end()):
                    continue
                out.append(LabMention(a.start(), a.end(), a.group(0), None, None, None, flag))
                taken.append((a.start(), a.end()))
    for w in _COUNT_WORDS.finditer(text):  # 'leukocytosis': the white cell count, raised, in one word
        if not any(m.start <= w.start() < m.end for m in out):
            out.append(LabMention(w.start(), w.end(), "white blood cell count", None, None, None,
                                  "increased" if w.group(0).lower().startswith(("leukocytos", "leucocytos")) else "decreased"))
    if _CSF.search(text):  # 'cerebrospinal fluid with normal protein and glucose': the CSF's, not the serum's
        out = [LabMention(m.start, m.end, _CSF_NAMES[_key(m.analyte)], m.value, m.value_text, m.unit, m.flag, m.result)
               if _key(m.analyte) in _CSF_NAMES else m for m in out]
    out.sort(key=lambda x: x.start)
    return tuple(out)


_COUNT_WORDS = re.compile(r"\b(?:leu[ck]ocytosis|leu[ck]openia)\b", re.IGNORECASE)
_CSF = re.compile(r"\b(?:CSF|cerebrospinal fluid|lumbar puncture|spinal tap)\b", re.IGNORECASE)
_CSF_NAMES = {"glucose": "CSF glucose", "total_protein": "CSF protein"}

"""Vertebral levels: the grammar case reports use, parsed to ordered segments.

Reports write the same span many ways (C1-2, C1-C2, C3/4 and C4/5, L5-S1, C6-T2,
"fourth-fifth cervical", "atlantoaxial"); every part of calcispine compares levels,
so there is exactly one parser and one canonical rendering.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Region(StrEnum):
    CERVICAL = "cervical"
    THORACIC = "thoracic"
    LUMBAR = "lumbar"
    SACRAL = "sacral"


_REGION_SIZE: dict[Region, int] = {
    Region.CERVICAL: 7,
    Region.THORACIC: 12,
    Region.LUMBAR: 5,
    Region.SACRAL: 5,
}
_LETTER: dict[str, Region] = {"C": Region.CERVICAL, "T": Region.THORACIC, "L": Region.LUMBAR, "S": Region.SACRAL}
_REGION_LETTER: dict[Region, str] = {v: k for k, v in _LETTER.items()}
_ORDER: tuple[Region, ...] = (Region.CERVICAL, Region.THORACIC, Region.LUMBAR, Region.SACRAL)
_OFFSET: dict[Region, int] = {}
_total = 0
for _r in _ORDER:
    _OFFSET[_r] = _total
    _total += _REGION_SIZE[_r]
N_LEVELS = _total


class LevelError(ValueError):
    """A level text that names no real vertebra, or an impossible span."""


@dataclass(frozen=True, order=True)
class Level:
    """One vertebral segment, ordered cranio-caudally (C1 first, S5 last)."""

    index: int

    def __post_init__(self) -> None:
        if not 0 <= self.index < N_LEVELS:
            raise LevelError(f"level index {self.index} is outside C1..S5")

    @classmethod
    def of(cls, region: Region | str, number: int) -> Level:
        region = Region(region) if not isinstance(region, Region) else region
        size = _REGION_SIZE[region]
        if not 1 <= number <= size:
            raise LevelError(
                f"{_REGION_LETTER[region]}{number} does not exist: the {region.value} spine has {size} vertebrae"
            )
        return cls(_OFFSET[region] + number - 1)

    @classmethod
    def from_name(cls, name: str) -> Level:
        m = re.fullmatch(r"\s*([CTLSD])\s*(\d{1,2})\s*", name.strip().upper())
        if not m:
            raise LevelError(f"{name!r} is not a vertebra name such as C4, T12, L5 or S1")
        letter = m.group(1).upper()
        letter = "T" if letter == "D" else letter
        return cls.of(_LETTER[letter], int(m.group(2)))

    @property
    def region(self) -> Region:
        for r in reversed(_ORDER):
            if self.index >= _OFFSET[r]:
                return r
        raise AssertionError("unreachable")  # pragma: no cover

    @property
    def number(self) -> int:
        return self.index - _OFFSET[self.region] + 1

    @property
    def name(self) -> str:
        return f"{_REGION_LETTER[self.region]}{self.number}"

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"Level({self.name})"


def all_levels() -> tuple[Level, ...]:
    """Every segment from C1 to S5, in order (the axis figures draw)."""
    return tuple(Level(i) for i in range(N_LEVELS))


def level_range(first: Level, last: Level) -> tuple[Level, ...]:
    if last < first:
        raise LevelError(f"span {first}-{last} runs upwards; write the cranial level first")
    return tuple(Level(i) for i in range(first.index, last.index + 1))


def regions_of(levels: tuple[Level, ...] | list[Level]) -> tuple[Region, ...]:
    """Regions touched, in spinal order, without repeats."""
    seen: list[Region] = []
    for lv in sorted(levels):
        if lv.region not in seen:
            seen.append(lv.region)
    return tuple(seen)


_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6,
    "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12,
}
_NAMED: dict[str, tuple[str, str]] = {
    "atlantoaxial": ("C1", "C2"),
    "atlanto-axial": ("C1", "C2"),
    "craniocervical": ("C1", "C2"),
    "lumbosacral": ("L5", "S1"),
    "cervicothoracic": ("C7", "T1"),
    "thoracolumbar": ("T12", "L1"),
}
_DASH = r"\s*(?:-|–|—|/|to|through)\s*"
_ORDINAL_SPAN = re.compile(
    r"\b(" + "|".join(_ORDINALS) + r")(?:\s*(?:-|–|—|to|and|through)\s*(" + "|".join(_ORDINALS) + r"))?"
    r"\s+(cervical|thoracic|dorsal|lumbar|sacral)\b",
    re.IGNORECASE,
)


_VERTEBRA_SPAN = re.compile(rf"\b[CTLSD]\s?\d{{1,2}}(?:{_DASH}(?:[CTLSD]\s?)?\d{{1,2}})*\b")


#: A level's letter typed in lower case (``c4-c5``), as people type levels in a box.
_TYPED_LETTER = re.compile(r"\b([ctlsd])(?=\d)")


def parse_levels(text: str, *, typed: bool = False) -> tuple[Level, ...]:
    """Every segment a level text names, sorted and without repeats.

    Vertebra letters are upper case (C, T, L, S; D for dorsal) so that prose such
    as "t1-weighted" is not read as a level; ``typed`` text (a filter, a form, a
    patient's levels) may write them in lower case. Impossible levels raise
    LevelError naming the text.

    >>> [str(x) for x in parse_levels("C3/4 and C4/5")]
    ['C3', 'C4', 'C5']
    >>> [str(x) for x in parse_levels("C6-T2")]
    ['C6', 'C7', 'T1', 'T2']
    """
    try:
        return _parse_levels(_TYPED_LETTER.sub(lambda m: m.group(1).upper(), text) if typed else text)
    except LevelError as exc:
        if repr(text) in str(exc):
            raise
        raise LevelError(f"{text!r}: {exc}") from None


def _parse_levels(text: str) -> tuple[Level, ...]:
    if not text or not text.strip():
        raise LevelError("empty level text: expected something like C4-C5 or L4/L5")
    found: set[Level] = set()
    rest = text
    lowered = text.lower()
    for word, (top, bottom) in _NAMED.items():
        if re.search(rf"\b{re.escape(word)}\b", lowered):
            found.update(level_range(Level.from_name(top), Level.from_name(bottom)))
            rest = re.sub(rf"\b{re.escape(word)}\b", " ", rest, flags=re.IGNORECASE)
    for m in _ORDINAL_SPAN.finditer(rest):
        region = {"dorsal": "thoracic"}.get(m.group(3).lower(), m.group(3).lower())
        a = Level.of(region, _ORDINALS[m.group(1).lower()])
        b = Level.of(region, _ORDINALS[m.group(2).lower()]) if m.group(2) else a
        if b < a:
            raise LevelError(f"{text!r}: span {a}-{b} runs from caudal to cranial")
        found.update(level_range(a, b))
    rest = _ORDINAL_SPAN.sub(" ", rest)
    for m in _VERTEBRA_SPAN.finditer(rest):
        chunk = m.group(0)
        parts = re.split(_DASH, chunk, flags=re.IGNORECASE)
        first = Level.from_name(parts[0])
        prev = first
        span_levels = [first]
        for part in parts[1:]:
            part = part.replace(" ", "")
            nxt = Level.of(prev.region, int(part)) if part[0].isdigit() else Level.from_name(part)
            if nxt < prev:
                raise LevelError(f"{text!r}: span {prev}-{nxt} runs from caudal to cranial, which no report means")
            span_levels.extend(level_range(prev, nxt))
            prev = nxt
        found.update(span_levels)
        rest = rest.replace(m.group(0), " ", 1)
    leftover = re.sub(r"\b(and|or|levels?|segments?|spine|vertebrae?|joints?|facets?|,|;|the|at|from)\b", " ", rest, flags=re.IGNORECASE)
    leftover = re.sub(r"[\s,;()\-–—/]+", " ", leftover).strip()
    if not found:
        raise LevelError(f"{text!r} names no vertebral level (expected e.g. C4-C5, L4/L5, C3-6, atlantoaxial)")
    if re.search(r"\b[A-Z]\d{1,2}\b", leftover):
        raise LevelError(f"{text!r}: could not read {leftover!r} as a vertebral level")
    return tuple(sorted(found))


def render_levels(levels: tuple[Level, ...] | list[Level]) -> str:
    """Canonical text: contiguous runs as "C3-C5", runs separated by ", "."""
    if not levels:
        return ""
    ordered = sorted(set(levels))
    runs: list[list[Level]] = [[ordered[0]]]
    for lv in ordered[1:]:
        if lv.index == runs[-1][-1].index + 1:
            runs[-1].append(lv)
        else:
            runs.append([lv])
    return ", ".join(r[0].name if len(r) == 1 else f"{r[0].name}-{r[-1].name}" for r in runs)

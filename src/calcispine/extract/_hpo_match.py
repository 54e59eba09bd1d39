"""HPO concept recognition: fenominal over the whole text, plus phrase rules for what it misses."""

from __future__ import annotations

import json
import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from calcispine.config import Settings
from calcispine.knowledge import load_extract_rules
from calcispine.ontology import get_hpo, hp_json_path


@dataclass(frozen=True)
class TermHit:
    start: int
    end: int
    hpo_id: str
    label: str
    rule: str


_LOCK = threading.Lock()
_FENOMINAL: dict[str, Any] = {}


def fenominal_miner(settings: Settings | None = None) -> Any:
    """The process-wide fenominal instance (loading hp.json takes about two seconds)."""
    s = settings or Settings()
    path = str(hp_json_path(s))
    with _LOCK:
        if path not in _FENOMINAL:
            import fenominal

            _FENOMINAL[path] = fenominal.Fenominal(path)
        return _FENOMINAL[path]


_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_ASCII = {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-", "\u2010": "-", "\u2011": "-", "\u00b5": "u", "\u03bc": "u", "\u00a0": " "}


def _ascii_char(m: re.Match[str]) -> str:
    ch = m.group(0)
    if ch in _ASCII:
        return _ASCII[ch]
    base = unicodedata.normalize("NFKD", ch)[:1]
    return base if base.isascii() and base.isalnum() else " "


def ascii_same_length(text: str) -> str:
    """One ASCII character per character, so fenominal's offsets are character offsets."""
    return _NON_ASCII.sub(_ascii_char, text)


def fenominal_hits(text: str, settings: Settings | None = None) -> list[TermHit]:
    raw = json.loads(fenominal_miner(settings).map_text(ascii_same_length(text)))
    return [TermHit(r["span"]["start"], r["span"]["end"], r["termId"], r["label"], "fenominal") for r in raw]


@lru_cache(maxsize=1)
def _phrase_re() -> tuple[re.Pattern[str], tuple[tuple[str, str], ...], tuple[re.Pattern[str] | None, ...]]:
    rules = load_extract_rules()
    hpo = get_hpo()
    labels = tuple((p.hpo, p.label or hpo.label(p.hpo)) for p in rules.phrases)
    unless = tuple(re.compile(p.unless, re.IGNORECASE) if p.unless else None for p in rules.phrases)
    ws = r"\s+"
    alts = "|".join(f"(?P<p{i}>{p.pattern.replace(' ', ws)})" for i, p in enumerate(rules.phrases))
    return re.compile(rf"\b(?:{alts})\b", re.IGNORECASE), labels, unless


def phrase_hits(text: str, start: int = 0, end: int | None = None) -> list[TermHit]:
    """Phrase-rule hits in text[start:end] (one sentence: a rule's ``unless`` reads the whole span)."""
    pat, labels, unless = _phrase_re()
    stop = len(text) if end is None else end
    out = []
    for m in pat.finditer(text, start, stop):
        i = int(m.lastgroup[1:])  # type: ignore[index]
        rule_unless = unless[i]
        if rule_unless is not None and rule_unless.search(text, start, stop):
            continue
        hid, label = labels[i]
        out.append(TermHit(m.start(), m.end(), hid, label, f"phrase:{i}"))
    return out


def merge_hits(own: list[TermHit], mined: list[TermHit]) -> list[TermHit]:
    """Own phrase rules win where they overlap fenominal's hits (they are longer and more specific)."""
    out = list(own)
    for h in mined:
        if not any(o.start < h.end and h.start < o.end for o in own):
            out.append(h)
    out.sort(key=lambda h: h.start)
    return out

"""ConText-style modifiers (negated, historical, family, hypothetical, possible) by rules from a data file.

An implementation of Harkema et al.'s ConText on plain strings: triggers with a direction
and a scope in words, stopped by termination terms. It runs in microseconds per sentence,
which is why calcispine does not call medspaCy at extraction time (bench/ compares them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from calcispine.knowledge import ContextRules, load_context_rules

NEGATED = "NEGATED_EXISTENCE"
HISTORICAL = "HISTORICAL"
FAMILY = "FAMILY"
HYPOTHETICAL = "HYPOTHETICAL"
POSSIBLE = "POSSIBLE"

_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class _Hit:
    start: int
    end: int
    category: str
    direction: str
    scope: int


class ContextEngine:
    """Modifier categories of target spans inside one sentence."""

    def __init__(self, rules: ContextRules) -> None:
        self.rules = rules
        ordered = sorted(rules.triggers, key=lambda t: -len(t.phrase))
        self._triggers = ordered
        self._re = re.compile(_alternation([t.phrase for t in ordered], "t"), re.IGNORECASE)
        self._term = re.compile("|".join(_phrase_re(t) for t in sorted(rules.terminations, key=len, reverse=True)), re.IGNORECASE)

    def analyse(self, sentence: str) -> SentenceContext:
        hits: list[_Hit] = []
        for m in self._re.finditer(sentence):
            t = self._triggers[int(m.lastgroup[1:])]  # type: ignore[index]
            hits.append(_Hit(m.start(), m.end(), t.category, t.direction, t.scope or self.rules.default_scope))
        terms = [m.start() for m in self._term.finditer(sentence)] if hits else []
        return SentenceContext(sentence, tuple(hits), tuple(terms))


@dataclass(frozen=True)
class SentenceContext:
    sentence: str
    hits: tuple[_Hit, ...]
    terminations: tuple[int, ...]

    def categories(self, start: int, end: int) -> frozenset[str]:
        """Categories modifying sentence[start:end]."""
        if not self.hits:
            return frozenset()
        out: set[str] = set()
        s = self.sentence
        for h in self.hits:
            if h.category == "PSEUDO" or (h.start < end and start < h.end):
                continue
            forward = h.direction in ("forward", "bidirectional") and h.end <= start
            if forward and _words(s, h.end, start) <= h.scope and not self._stopped(h.end, start):
                out.add(h.category)
            backward = h.direction in ("backward", "bidirectional") and h.start >= end
            if backward and _words(s, end, h.start) <= h.scope and not self._stopped(end, h.start):
                out.add(h.category)
        return frozenset(out)

    def _stopped(self, a: int, b: int) -> bool:
        return any(a <= t < b for t in self.terminations)


def _words(s: str, a: int, b: int) -> int:
    return len(_WORD.findall(s, a, b))


def _alternation(phrases: list[str], prefix: str) -> str:
    """Named alternatives; word boundaries factored out of the alternation (4x faster in re)."""
    def body(p: str) -> str:
        return r"\s+".join(re.escape(w) for w in p.split())

    if all(p[0].isalnum() and p[-1].isalnum() for p in phrases):
        return r"\b(?:" + "|".join(f"(?P<{prefix}{i}>{body(p)})" for i, p in enumerate(phrases)) + r")\b"
    return "|".join(f"(?P<{prefix}{i}>{_phrase_re(p)})" for i, p in enumerate(phrases))


def _phrase_re(phrase: str) -> str:
    body = r"\s+".join(re.escape(w) for w in phrase.split())
    left = r"\b" if phrase[0].isalnum() else ""
    right = r"\b" if phrase[-1].isalnum() else ""
    return f"{left}{body}{right}"


@lru_cache(maxsize=1)
def default_context() -> ContextEngine:
    return ContextEngine(load_context_rules())


@lru_cache(maxsize=1)
def lookalike_context() -> ContextEngine:
    """Only the triggers that name what a lesion was taken for ('mimicking', 'initially thought to be'),
    stopped also by a comma or a full stop: the look-alike is named within its clause."""
    rules = load_context_rules()
    return ContextEngine(rules.model_copy(update={"triggers": tuple(t for t in rules.triggers if t.lookalike),
                                                  "terminations": (*rules.terminations, ",", ".")}))

"""What to check next: the findings not yet known that would best separate the leading candidates."""

from __future__ import annotations

import math
from dataclasses import dataclass

from calcispine.knowledge._differential import KnowledgeBase

from ._scoring import Candidate, _clip


@dataclass(frozen=True)
class NextCheck:
    check: str
    features: tuple[str, ...]
    labels: tuple[str, ...]
    information_gain: float
    chance_top_changes: float
    favours_if_present: str
    favours_if_absent: str


def _entropy(ps: list[float]) -> float:
    s = sum(ps)
    return -sum((p / s) * math.log2(p / s) for p in ps if p > 0) if s > 0 else 0.0


def next_checks(candidates: tuple[Candidate, ...], kb: KnowledgeBase, known: set[str],
                top_k: int = 4, limit: int = 8, present: set[str] | None = None) -> tuple[NextCheck, ...]:
    """Expected information gain (bits) over the top-k candidates, grouped by the test that reveals it."""
    top = list(candidates[:top_k])
    probs = [c.probability for c in top]
    h0 = _entropy(probs)
    lead = top[0].entity if top else None
    best: dict[str, tuple[float, float, list[str], str, str]] = {}
    for key in sorted(kb.features):
        feat = kb.features[key]
        if key in known or feat.check is None or feat.group is not None:
            continue
        f = [_clip(kb.conditional_frequency(c.entity, key, c.presentation, present or set())) for c in top]
        p_pos = sum(p * fi for p, fi in zip(probs, f, strict=True)) / sum(probs)
        post_pos = [p * fi for p, fi in zip(probs, f, strict=True)]
        post_neg = [p * (1 - fi) for p, fi in zip(probs, f, strict=True)]
        gain = h0 - (p_pos * _entropy(post_pos) + (1 - p_pos) * _entropy(post_neg))
        i_pos = max(range(len(top)), key=lambda i: (post_pos[i], -i))
        i_neg = max(range(len(top)), key=lambda i: (post_neg[i], -i))
        change = (p_pos if top[i_pos].entity != lead else 0.0) + ((1 - p_pos) if top[i_neg].entity != lead else 0.0)
        prev = best.get(feat.check)
        if prev is None or gain > prev[0] + 1e-12:
            feats = (prev[2] if prev else []) + [key]
            best[feat.check] = (gain, change, feats, top[i_pos].label, top[i_neg].label)
        else:
            prev[2].append(key)
    out = [NextCheck(check=chk, features=tuple(v[2]), labels=tuple(kb.features[k].label for k in v[2]),
                     information_gain=round(v[0], 4), chance_top_changes=round(v[1], 4),
                     favours_if_present=v[3], favours_if_absent=v[4])
           for chk, v in best.items() if v[0] > 1e-6]
    return tuple(sorted(out, key=lambda n: (-n.information_gain, n.check))[:limit])

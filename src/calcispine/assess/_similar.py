"""The most similar published cases: IC-weighted term overlap plus age, level and etiology.

Each case becomes a 0/1 vector over the HPO ancestor closure of its terms and the knowledge-base
features it shows; a term weighs its information content (HPO annotation IC for HPO terms,
-log of the feature's default frequency for the others). Semantic similarity is simGIC
(Pesquita et al. 2008): IC of the shared terms over IC of the union, which a matrix product
computes for every case at once, so a search over 100,000 cases is one pass of numpy.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from calcispine.knowledge._differential import KnowledgeBase
from calcispine.model import Case

from ._evidence import Evidence
from ._ontology import OntologyView

WEIGHTS = {"semantic": 0.5, "age": 0.2, "level": 0.2, "etiology": 0.1}
AGE_SCALE = 15.0
LEVEL_SCALE = 3.0


@dataclass(frozen=True)
class SimilarCase:
    case_id: str
    score: float
    semantic: float
    age: float | None
    level: float | None
    etiology: float | None
    diagnosis: str | None
    reasons: tuple[str, ...]
    citations: tuple[str, ...]
    treatments: tuple[str, ...]
    outcome: str | None


@dataclass(frozen=True)
class CaseProfile:
    """What similarity needs from one case."""

    case_id: str
    terms: frozenset[str]
    age: float | None
    levels: tuple[int, ...]
    etiology: str | None
    diagnosis: str | None = None
    citations: tuple[str, ...] = ()
    treatments: tuple[str, ...] = ()
    outcome: str | None = None


def profile_terms(evidence: Evidence, ontology: OntologyView) -> frozenset[str]:
    terms: set[str] = {f"feature:{k}" for k in evidence.present if not k.startswith(("age_", "sex_", "region_"))}
    for t in evidence.hpo_terms:
        terms.update(ontology.ancestors(t, include_self=True))
    return frozenset(terms)


class SimilarityIndex:
    """Precomputed vectors for a set of cases; :meth:`search` is pure numpy."""

    def __init__(self, profiles: Sequence[CaseProfile], weight_of: Callable[[str], float],
                 label_of: Callable[[str], str]) -> None:
        self.profiles = tuple(profiles)
        vocab = sorted({t for p in self.profiles for t in p.terms})
        self.vocab = {t: i for i, t in enumerate(vocab)}
        self.weights = np.array([weight_of(t) for t in vocab], dtype=np.float32)
        self._label_of = label_of
        self._weight_of = weight_of
        n = len(self.profiles)
        self.matrix = np.zeros((n, len(vocab)), dtype=np.float32)
        for i, p in enumerate(self.profiles):
            idx = [self.vocab[t] for t in p.terms]
            self.matrix[i, idx] = 1.0
        self.mass = self.matrix @ self.weights if len(vocab) else np.zeros(n, dtype=np.float32)
        self.ages = np.array([p.age if p.age is not None else np.nan for p in self.profiles], dtype=np.float32)
        lo = np.array([min(p.levels) if p.levels else -1 for p in self.profiles], dtype=np.float32)
        hi = np.array([max(p.levels) if p.levels else -1 for p in self.profiles], dtype=np.float32)
        self.level_lo, self.level_hi = lo, hi
        etiologies = sorted({p.etiology for p in self.profiles if p.etiology})
        self.etio_code = {e: i for i, e in enumerate(etiologies)}
        self.etio = np.array([self.etio_code.get(p.etiology, -1) if p.etiology else -1 for p in self.profiles],
                             dtype=np.int32)

    def search(self, query: CaseProfile, k: int = 5, exclude: str | None = None) -> tuple[SimilarCase, ...]:
        n = len(self.profiles)
        if n == 0:
            return ()
        q = np.zeros(len(self.vocab), dtype=np.float32)
        extra = 0.0
        for t in query.terms:
            i = self.vocab.get(t)
            if i is None:
                extra += self._weight_of(t)
            else:
                q[i] = 1.0
        qw = q * self.weights
        inter = self.matrix @ qw
        union = self.mass + float(qw.sum()) + extra - inter
        semantic = np.where(union > 0, inter / np.maximum(union, 1e-9), 0.0)
        total = WEIGHTS["semantic"] * semantic
        norm: np.ndarray = np.full(n, WEIGHTS["semantic"], dtype=np.float32)
        age_s = level_s = etio_s = None
        if query.age is not None:
            known = ~np.isnan(self.ages)
            age_s = np.where(known, np.exp(-np.abs(np.nan_to_num(self.ages) - query.age) / AGE_SCALE), 0.0)
            total = total + WEIGHTS["age"] * age_s
            norm = norm + WEIGHTS["age"] * known
        if query.levels:
            qlo, qhi = min(query.levels), max(query.levels)
            known = self.level_lo >= 0
            gap = np.maximum(0.0, np.maximum(self.level_lo - qhi, qlo - self.level_hi))
            level_s = np.where(known, np.exp(-gap / LEVEL_SCALE), 0.0)
            total = total + WEIGHTS["level"] * level_s
            norm = norm + WEIGHTS["level"] * known
        if query.etiology is not None:
            code = self.etio_code.get(query.etiology, -2)
            known = self.etio >= 0
            etio_s = np.where(known, (self.etio == code).astype(np.float32), 0.0)
            total = total + WEIGHTS["etiology"] * etio_s
            norm = norm + WEIGHTS["etiology"] * known
        final = total / norm
        if exclude is not None:
            for i, p in enumerate(self.profiles):
                if p.case_id == exclude:
                    final[i] = -1.0
        kk = min(k, n)
        part = np.argpartition(-final, kk - 1)[:kk]
        order = sorted(part.tolist(), key=lambda i: (-float(final[i]), self.profiles[i].case_id))
        out = []
        for i in order:
            if final[i] < 0:
                continue
            p = self.profiles[i]
            out.append(self._explain(p, query, float(final[i]), float(semantic[i]),
                                     None if age_s is None else float(age_s[i]),
                                     None if level_s is None else float(level_s[i]),
                                     None if etio_s is None else float(etio_s[i])))
        return tuple(out)

    def _explain(self, p: CaseProfile, q: CaseProfile, score: float, sem: float, age: float | None,
                 level: float | None, etio: float | None) -> SimilarCase:
        reasons: list[str] = []
        shared = sorted(p.terms & q.terms, key=lambda t: (-self._weight_of(t), t))
        informative = [t for t in shared if self._weight_of(t) > 0.5][:4]
        if informative:
            reasons.append("shares " + ", ".join(self._label_of(t) for t in informative))
        if age is not None and p.age is not None and q.age is not None:
            reasons.append(f"age {p.age:g} vs {q.age:g}")
        if level is not None and p.levels and q.levels:
            gap = max(0, min(p.levels) - max(q.levels), min(q.levels) - max(p.levels))
            reasons.append("overlapping levels" if gap == 0 else f"levels {gap} segment(s) apart")
        if etio:
            reasons.append(f"same etiology class ({p.etiology})")
        return SimilarCase(p.case_id, round(score, 4), round(sem, 4), age, level, etio, p.diagnosis,
                           tuple(reasons), p.citations, p.treatments, p.outcome)


def term_weight(ontology: OntologyView, kb: KnowledgeBase) -> Callable[[str], float]:
    cache: dict[str, float] = {}

    def weight(term: str) -> float:
        if term not in cache:
            if term.startswith("feature:"):
                key = term.removeprefix("feature:")
                f = kb.features[key].default_frequency if key in kb.features else 0.1
                cache[term] = -math.log(f)
            else:
                cache[term] = ontology.information_content(term) if ontology.resolve(term) else 0.0
        return cache[term]

    return weight


def term_label(ontology: OntologyView, kb: KnowledgeBase) -> Callable[[str], str]:
    def label(term: str) -> str:
        if term.startswith("feature:"):
            key = term.removeprefix("feature:")
            return kb.features[key].label if key in kb.features else key
        return ontology.label(term) if ontology.resolve(term) else term

    return label


def case_outcome(case: Case) -> str | None:
    if case.outcome is None:
        return None
    parts = [x for x in (case.outcome.status, case.outcome.description) if x]
    if case.outcome.follow_up_months is not None:
        parts.append(f"{case.outcome.follow_up_months:g} months")
    return "; ".join(parts) or None

"""LIRICAL-like scoring: pre-test probability times the likelihood ratio of every finding.

Each finding's likelihood ratio for a candidate is its frequency in that candidate over its
frequency among calcified spinal lesions as a whole (the pre-test-weighted mixture of all
candidates), so the products are proper Bayes and the posteriors sum to 1. The classical
one-against-the-rest ratio (frequency in the candidate over frequency in the others) is reported
beside it for the reader. A candidate is an entity, or one presentation of an entity that has
several (each under the entity's name, with a share of the entity's pre-test probability).
Pure and deterministic: sorted iteration, ties broken by label.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from calcispine.knowledge._differential import KnowledgeBase

from ._evidence import Evidence

EPS = 0.005


@dataclass(frozen=True)
class FindingLR:
    feature: str
    label: str
    present: bool
    lr: float
    lr_vs_others: float
    frequency: float
    background: float
    basis: str
    note: str | None
    matched_by: tuple[str, ...]
    cites: tuple[str, ...]


@dataclass(frozen=True)
class Candidate:
    entity: str
    label: str
    id: str | None
    identifiers: tuple[str, ...]
    pretest: float
    probability: float
    log10_post_odds: float
    explanation: tuple[FindingLR, ...]
    presentation: str | None = None

    @property
    def key(self) -> str:
        """Unique among candidates: the entity, or entity/presentation."""
        return self.entity if self.presentation is None else f"{self.entity}/{self.presentation}"


def _clip(x: float) -> float:
    return min(max(x, EPS), 1.0 - EPS)


def pretest_probabilities(kb: KnowledgeBase, uniform: bool = False) -> dict[str, float]:
    """Each entity's frequency-class weight, normalised (see ``prior_context`` in the knowledge file).

    ``uniform=True`` gives LIRICAL's convention of equal priors, for comparison.
    """
    keys = sorted(kb.entities)
    weights = {k: 1.0 if uniform else kb.prior_weight(k) for k in keys}
    total = sum(weights.values())
    return {k: w / total for k, w in weights.items()}


def unit_priors(kb: KnowledgeBase, pretest: dict[str, float]) -> dict[tuple[str, str | None], float]:
    """Each candidate's pre-test probability: its entity's, split by presentation share."""
    return {(e, p): pretest[e] * kb.share(e, p) for e, p in kb.units}


def score(evidence: Evidence, kb: KnowledgeBase, pretest: dict[str, float] | None = None) -> tuple[Candidate, ...]:
    prior = unit_priors(kb, pretest or pretest_probabilities(kb))
    units = list(kb.units)
    findings = [(f, True) for f in sorted(evidence.present)] + [(f, False) for f in sorted(evidence.absent)]
    shown = set(evidence.present)
    freq = {(u, f): _clip(kb.conditional_frequency(u[0], f, u[1], shown)) for u in units for f, _ in findings}
    total_prior = sum(prior[u] for u in units)
    logs: dict[tuple[str, str | None], float] = {u: math.log(prior[u]) for u in units}
    expl: dict[tuple[str, str | None], list[FindingLR]] = {u: [] for u in units}
    for f, present in findings:
        bg = sum(prior[u] * freq[(u, f)] for u in units) / total_prior
        feat = kb.features[f]
        for u in units:
            fe = freq[(u, f)]
            rest = total_prior - prior[u]
            others = (sum(prior[o] * freq[(o, f)] for o in units if o != u) / rest) if rest > 0 else bg
            if present:
                lr, lr_o = fe / bg, fe / others
            else:
                lr, lr_o = (1 - fe) / (1 - bg), (1 - fe) / (1 - others)
            logs[u] += math.log(lr)
            entry = kb.entry(u[0], f, u[1])
            expl[u].append(FindingLR(
                feature=f, label=feat.label, present=present, lr=lr, lr_vs_others=lr_o,
                frequency=fe, background=bg,
                basis=entry.b if entry else "default",
                note=entry.note if entry else "frequency not listed for this entity: the feature's default",
                matched_by=(evidence.present if present else evidence.absent)[f],
                cites=entry.c if entry else feat.cite,
            ))
    top = max(logs.values())
    norm = sum(math.exp(v - top) for v in logs.values())
    out = []
    for u in units:
        e, pres = u
        p = math.exp(logs[u] - top) / norm
        odds = p / (1 - p) if p < 1 else math.inf
        ent = kb.entities[e]
        out.append(Candidate(
            entity=e, label=kb.unit_label(e, pres), id=ent.primary_id, identifiers=ent.identifiers(),
            pretest=prior[u], probability=p,
            log10_post_odds=math.log10(odds) if 0 < odds < math.inf else (math.inf if p >= 1 else -math.inf),
            explanation=tuple(sorted(expl[u], key=lambda x: (-abs(math.log(x.lr)), x.feature))),
            presentation=pres,
        ))
    return tuple(sorted(out, key=lambda c: (-c.probability, c.label, c.key)))

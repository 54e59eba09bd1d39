"""LIRICAL-like scoring: pre-test probability times the likelihood ratio of every finding.

Each finding's likelihood ratio for an entity is its frequency in that entity over its
frequency among calcified spinal lesions as a whole (the pre-test-weighted mixture of all
entities), so the products are proper Bayes and the posteriors sum to 1. The classical
one-against-the-rest ratio (frequency in the entity over frequency in the others) is reported
beside it for the reader. Pure and deterministic: sorted iteration, ties broken by label.
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


def score(evidence: Evidence, kb: KnowledgeBase, pretest: dict[str, float] | None = None) -> tuple[Candidate, ...]:
    prior = pretest or pretest_probabilities(kb)
    entities = sorted(kb.entities)
    findings = [(f, True) for f in sorted(evidence.present)] + [(f, False) for f in sorted(evidence.absent)]
    freq = {(e, f): _clip(kb.frequency(e, f)) for e in entities for f, _ in findings}
    total_prior = sum(prior[e] for e in entities)
    logs: dict[str, float] = {}
    expl: dict[str, list[FindingLR]] = {e: [] for e in entities}
    for e in entities:
        logs[e] = math.log(prior[e])
    for f, present in findings:
        bg = sum(prior[e] * freq[(e, f)] for e in entities) / total_prior
        feat = kb.features[f]
        for e in entities:
            fe = freq[(e, f)]
            rest = total_prior - prior[e]
            others = (sum(prior[o] * freq[(o, f)] for o in entities if o != e) / rest) if rest > 0 else bg
            if present:
                lr, lr_o = fe / bg, fe / others
            else:
                lr, lr_o = (1 - fe) / (1 - bg), (1 - fe) / (1 - others)
            logs[e] += math.log(lr)
            entry = kb.entities[e].features.get(f)
            expl[e].append(FindingLR(
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
    for e in entities:
        p = math.exp(logs[e] - top) / norm
        odds = p / (1 - p) if p < 1 else math.inf
        ent = kb.entities[e]
        out.append(Candidate(
            entity=e, label=ent.label, id=ent.primary_id, identifiers=ent.identifiers(), pretest=prior[e],
            probability=p, log10_post_odds=math.log10(odds) if 0 < odds < math.inf else (math.inf if p >= 1 else -math.inf),
            explanation=tuple(sorted(expl[e], key=lambda x: (-abs(math.log(x.lr)), x.feature))),
        ))
    return tuple(sorted(out, key=lambda c: (-c.probability, c.label)))

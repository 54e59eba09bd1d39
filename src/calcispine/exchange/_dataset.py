"""Exchanged cases -> the registry's import unit (sources and per-source records)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from calcispine.model import Case, Source
from calcispine.registry import Dataset


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


def to_dataset(cases: Iterable[Case], sources: Iterable[Source], records: Sequence[Case] = ()) -> Dataset:
    """A Dataset to import: the given records when there are any, else records made from the cases."""
    recs = tuple(records) if records else tuple(r for c in cases for r in records_of(c))
    unique: dict[str, Source] = {}
    for s in sources:
        unique.setdefault(s.id, s)
    return Dataset(sources=tuple(unique.values()), records=recs)

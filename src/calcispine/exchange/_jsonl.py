"""JSONL exchange: one JSON object per line, full fidelity (the registry's codec)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from calcispine.model import Case, Source
from calcispine.registry import Dataset, record_source

from ._codec import case_from_dict, case_to_dict, source_from_dict, source_to_dict
from ._dataset import to_dataset
from ._io import atomic_write_text

__all__ = ["read_jsonl", "read_jsonl_dataset", "read_jsonl_records", "write_jsonl"]


def _dump(kind: str, payload: dict[str, object], **extra: str) -> str:
    return json.dumps({kind: payload, **extra}, ensure_ascii=False, sort_keys=True)


def write_jsonl(
    cases: Iterable[Case],
    path: str | Path,
    sources: Iterable[Source] | Mapping[str, Source] = (),
    records: Iterable[Case] | Mapping[str, Sequence[Case]] = (),
) -> Path:
    """Sources, then per-source records, then cases, one ``{"source"|"record"|"case": {...}}`` per line, atomically.

    The records are what a registry merges into its patients; with them an import rebuilds
    the same patients, conflicts included. Given as a mapping (case id -> its records), each
    record line also names its patient (``"of_case"``), so that an import restores the patient's
    corrections and review status too.
    """
    source_list = list(sources.values()) if isinstance(sources, Mapping) else list(sources)
    lines = [_dump("source", source_to_dict(s)) for s in source_list]
    if isinstance(records, Mapping):
        lines += [_dump("record", case_to_dict(r), of_case=cid) for cid, recs in records.items() for r in recs]
    else:
        lines += [_dump("record", case_to_dict(r)) for r in records]
    lines += [_dump("case", case_to_dict(c)) for c in cases]
    return atomic_write_text(path, "".join(line + "\n" for line in lines))


def read_jsonl(path: str | Path) -> tuple[list[Case], list[Source]]:
    """Cases and sources of a JSONL file; an error names the file and the line."""
    cases, sources, _, _ = _read(path)
    return cases, sources


def read_jsonl_records(path: str | Path) -> tuple[list[Case], list[Source], list[Case]]:
    """Cases, sources and per-source records of a JSONL file written by :func:`write_jsonl`."""
    cases, sources, records, _ = _read(path)
    return cases, sources, records


def read_jsonl_dataset(path: str | Path) -> Dataset:
    """A JSONL file as the registry's import unit, with each exported patient and the records it was built from."""
    cases, sources, records, membership = _read(path)
    return to_dataset(cases, sources, records, membership)


def _read(path: str | Path) -> tuple[list[Case], list[Source], list[Case], dict[str, list[tuple[str, str]]]]:
    p = Path(path)
    cases: list[Case] = []
    sources: list[Source] = []
    records: list[Case] = []
    membership: dict[str, list[tuple[str, str]]] = {}
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{p}: cannot read the file: {exc}") from exc
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            if isinstance(obj, dict) and set(obj) == {"case"}:
                cases.append(case_from_dict(obj["case"]))
            elif isinstance(obj, dict) and set(obj) == {"source"}:
                sources.append(source_from_dict(obj["source"]))
            elif isinstance(obj, dict) and set(obj) in ({"record"}, {"record", "of_case"}):
                record = case_from_dict(obj["record"])
                records.append(record)
                if "of_case" in obj:
                    membership.setdefault(str(obj["of_case"]), []).append((record_source(record), record.id))
            elif isinstance(obj, dict) and "id" in obj:  # a bare case object, as other tools write
                cases.append(case_from_dict(obj))
            else:
                raise ValueError('expected {"case": {...}}, {"record": {...}} or {"source": {...}}')
        except (ValueError, TypeError, KeyError) as exc:
            raise ValueError(f"{p}, line {number}: {exc}") from exc
    return cases, sources, records, membership

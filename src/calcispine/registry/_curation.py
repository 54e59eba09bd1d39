"""A curator's corrections on top of what the sources say, and how an export carries them.

The registry stores a patient as ``combine(records) + overrides``: every override names the field,
its value, who set it and when. The merged case records each override as provenance
``curator:<actor>`` with locator ``edited <when>``, so an exported case carries its corrections and
an import can restore them exactly. Pure functions; the registry calls them in its transactions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from calcispine.model import Case, Conflict, Provenance

from ._codec import case_from_dict, case_to_dict, encode_field
from ._merge import CURATOR_PREFIX, MULTI_VALUE_FIELDS, agrees, record_source, value_key

__all__ = ["CURATOR_PREFIX", "apply_overrides", "changed_fields", "curation_of", "flat_view"]

_EDITED = "edited "
_NOT_CONTENT = frozenset({"provenance", "versions", "conflicts"})


def apply_overrides(case: Case, overrides: Mapping[str, Any], records: Sequence[Case] = ()) -> Case:
    """The case with a curator's edits applied; the conflicts they settle are marked resolved.

    A source stays credited for an edited field only where its own value supports the new one, so
    a corrected age is never shown as stated by the paper that said otherwise.
    """
    if not overrides:
        return case
    d = case_to_dict(case)
    conflicts = list(case.conflicts)
    for name, edit in overrides.items():
        value = edit["value"]
        if value is None or value == [] or value == {}:
            d.pop(name, None)
        else:
            d[name] = value
        conflicts = [
            Conflict(c.field, c.values, True, f"set by {edit['actor']} on {edit['at'][:10]}") if c.field == name else c
            for c in conflicts
        ]
    d.pop("provenance", None)
    d.pop("conflicts", None)
    edited = case_from_dict(d)
    by_source = {record_source(r): r for r in records}
    prov: list[tuple[str, Provenance]] = []
    for name, p in case.provenance:
        if name in overrides and not p.source_id.startswith(CURATOR_PREFIX):
            record = by_source.get(p.source_id)
            if record is None or not agrees(name, getattr(record, name), getattr(edited, name)):
                continue
        prov.append((name, p))
    prov += [(name, Provenance(f"{CURATOR_PREFIX}{edit['actor']}", locator=f"{_EDITED}{edit['at']}"))
             for name, edit in overrides.items()]
    return edited.with_changes(provenance=tuple(dict.fromkeys(prov)), conflicts=tuple(conflicts))


def curation_of(case: Case, editable: frozenset[str]) -> dict[str, dict[str, Any]]:
    """The overrides an exported case carries, read back from its ``curator:`` provenance (last edit wins)."""
    out: dict[str, dict[str, Any]] = {}
    for name, p in case.provenance:
        if name not in editable or not p.source_id.startswith(CURATOR_PREFIX):
            continue
        at = p.locator[len(_EDITED):] if p.locator and p.locator.startswith(_EDITED) else ""
        out.pop(name, None)
        out[name] = {"value": encode_field(name, getattr(case, name)), "actor": p.source_id[len(CURATOR_PREFIX):],
                     "at": at}
    return out


def flat_view(case: Case) -> dict[str, Any]:
    """The facts of a case without evidence, provenance or conflicts: what a flat file (CSV) can hold."""
    d = case_to_dict(case)
    out: dict[str, Any] = {}
    for name, value in d.items():
        if name in _NOT_CONTENT:
            continue
        if name in MULTI_VALUE_FIELDS:
            out[name] = sorted(repr(value_key(name, v)) for v in getattr(case, name))
        elif name == "outcome" and case.outcome is not None:
            out[name] = (case.outcome.status, case.outcome.description, case.outcome.follow_up_months)
        else:
            out[name] = value
    return out


def changed_fields(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> list[str]:
    """Fields whose facts differ between two stored payloads (provenance and versions aside)."""
    before = before or {}
    keys = dict.fromkeys([*before, *after])
    return [k for k in keys if k not in {"provenance", "versions"} and before.get(k) != after.get(k)]

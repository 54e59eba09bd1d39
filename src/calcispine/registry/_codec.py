"""Case and Source <-> plain JSON dicts, losslessly.

One codec for the database payloads, JSONL exchange and the web API, so every
stored or exported case reads back equal to what was written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from calcispine.model import (
    Case,
    Conflict,
    Diagnosis,
    Evidence,
    Finding,
    LabFlag,
    Level,
    Measurement,
    Outcome,
    Provenance,
    ReviewStatus,
    Sex,
    Side,
    Source,
    SourceRef,
    Treatment,
)

__all__ = [
    "CASE_KEYS", "SOURCE_KEYS", "case_from_dict", "case_to_dict", "decode_field", "encode_field",
    "source_from_dict", "source_to_dict",
]

JSON = dict[str, Any]

SOURCE_KEYS: tuple[str, ...] = (
    "id", "authors", "year", "title", "journal", "volume", "issue", "pages", "pmid", "doi", "kind", "part_of", "note",
)
CASE_KEYS: tuple[str, ...] = (
    "id", "source_ids", "label", "age_years", "age_range_years", "sex", "levels", "side", "compartments",
    "findings", "measurements", "treatments", "outcome", "diagnosis", "etiology", "comorbidities", "imaging",
    "pathology", "differential", "neuro_deficit", "cites", "provenance", "conflicts", "review_status", "versions",
)


def _drop_none(d: JSON) -> JSON:
    return {k: v for k, v in d.items() if v is not None}


def _check_keys(d: Mapping[str, Any], allowed: tuple[str, ...] | set[str], what: str) -> None:
    if not isinstance(d, Mapping):
        raise ValueError(f"{what}: expected an object, got {type(d).__name__}")
    unknown = sorted(set(d) - set(allowed))
    if unknown:
        raise ValueError(f"{what}: unknown key(s) {unknown}; accepted: {', '.join(allowed)}")


# -- small value objects ---------------------------------------------------

def _evidence_to(e: Evidence | None) -> JSON | None:
    if e is None:
        return None
    return _drop_none({"start": e.start, "end": e.end, "text": e.text, "sentence": e.sentence,
                       "section": e.section, "rule": e.rule})


def _evidence_from(d: Mapping[str, Any] | None) -> Evidence | None:
    if d is None:
        return None
    _check_keys(d, ("start", "end", "text", "sentence", "section", "rule"), "evidence")
    return Evidence(int(d["start"]), int(d["end"]), str(d["text"]), d.get("sentence"), d.get("section"), d.get("rule"))


def _finding_to(f: Finding) -> JSON:
    d: JSON = {"hpo_id": f.hpo_id, "label": f.label}
    for flag in ("excluded", "historical", "family", "hypothetical"):
        if getattr(f, flag):
            d[flag] = True
    if f.evidence is not None:
        d["evidence"] = _evidence_to(f.evidence)
    return d


def _finding_from(d: Mapping[str, Any]) -> Finding:
    _check_keys(d, ("hpo_id", "label", "excluded", "historical", "family", "hypothetical", "evidence"), "finding")
    return Finding(
        hpo_id=str(d["hpo_id"]), label=str(d["label"]), excluded=bool(d.get("excluded", False)),
        historical=bool(d.get("historical", False)), family=bool(d.get("family", False)),
        hypothetical=bool(d.get("hypothetical", False)), evidence=_evidence_from(d.get("evidence")),
    )


def _measurement_to(m: Measurement) -> JSON:
    return _drop_none({
        "analyte": m.analyte, "value": m.value, "unit": m.unit, "normalised_value": m.normalised_value,
        "normalised_unit": m.normalised_unit, "flag": m.flag.value if m.flag else None, "loinc": m.loinc,
        "evidence": _evidence_to(m.evidence), "result": m.result,
    })


def _opt_float(v: Any) -> float | None:
    return None if v is None else float(v)


def _measurement_from(d: Mapping[str, Any]) -> Measurement:
    keys = ("analyte", "value", "unit", "normalised_value", "normalised_unit", "flag", "loinc", "evidence", "result")
    _check_keys(d, keys, "measurement")
    return Measurement(
        analyte=str(d["analyte"]), value=_opt_float(d.get("value")), unit=d.get("unit"),
        normalised_value=_opt_float(d.get("normalised_value")), normalised_unit=d.get("normalised_unit"),
        flag=LabFlag(d["flag"]) if d.get("flag") is not None else None, loinc=d.get("loinc"),
        evidence=_evidence_from(d.get("evidence")), result=d.get("result"),
    )


def _treatment_to(t: Treatment) -> JSON:
    return _drop_none({"code": t.code, "label": t.label, "maxo_id": t.maxo_id, "evidence": _evidence_to(t.evidence)})


def _treatment_from(d: Mapping[str, Any] | str) -> Treatment:
    if isinstance(d, str):
        return Treatment(d)
    _check_keys(d, ("code", "label", "maxo_id", "evidence"), "treatment")
    return Treatment(str(d["code"]), d.get("label"), d.get("maxo_id"), _evidence_from(d.get("evidence")))


def _outcome_to(o: Outcome | None) -> JSON | None:
    if o is None:
        return None
    return _drop_none({"status": o.status, "description": o.description, "follow_up_months": o.follow_up_months,
                       "evidence": _evidence_to(o.evidence)})


def _outcome_from(d: Mapping[str, Any] | None) -> Outcome | None:
    if d is None:
        return None
    _check_keys(d, ("status", "description", "follow_up_months", "evidence"), "outcome")
    return Outcome(d.get("status"), d.get("description"), _opt_float(d.get("follow_up_months")),
                   _evidence_from(d.get("evidence")))


def _diagnosis_to(x: Diagnosis | None) -> JSON | None:
    if x is None:
        return None
    return _drop_none({"key": x.key, "label": x.label, "mondo": x.mondo, "orpha": x.orpha, "omim": x.omim})


def _diagnosis_from(d: Mapping[str, Any] | None) -> Diagnosis | None:
    if d is None:
        return None
    _check_keys(d, ("key", "label", "mondo", "orpha", "omim"), "diagnosis")
    return Diagnosis(str(d["key"]), str(d["label"]), d.get("mondo"), d.get("orpha"), d.get("omim"))


def _cites_to(c: SourceRef | None) -> JSON | None:
    if c is None:
        return None
    return _drop_none({"first_author": c.first_author, "year": c.year, "reference": c.reference})


def _cites_from(d: Mapping[str, Any] | None) -> SourceRef | None:
    if d is None:
        return None
    _check_keys(d, ("first_author", "year", "reference"), "cites")
    year = d.get("year")
    return SourceRef(str(d["first_author"]), None if year is None else int(year), d.get("reference"))


def _provenance_to(field_name: str, p: Provenance) -> JSON:
    return _drop_none({"field": field_name, "source_id": p.source_id, "locator": p.locator,
                       "evidence": _evidence_to(p.evidence)})


def _provenance_from(d: Mapping[str, Any]) -> tuple[str, Provenance]:
    _check_keys(d, ("field", "source_id", "locator", "evidence"), "provenance")
    return str(d["field"]), Provenance(str(d["source_id"]), _evidence_from(d.get("evidence")), d.get("locator"))


def _conflict_to(c: Conflict) -> JSON:
    d: JSON = {"field": c.field, "values": [[src, val] for src, val in c.values]}
    if c.resolved:
        d["resolved"] = True
    if c.note is not None:
        d["note"] = c.note
    return d


def _conflict_from(d: Mapping[str, Any]) -> Conflict:
    _check_keys(d, ("field", "values", "resolved", "note"), "conflict")
    values = tuple((str(src), str(val)) for src, val in d["values"])
    return Conflict(str(d["field"]), values, bool(d.get("resolved", False)), d.get("note"))


# -- per-field encoders, so edits (update_case) take domain objects or JSON alike ---

def encode_field(name: str, value: Any) -> Any:
    """One Case field's value as JSON (accepts the domain object or its JSON form)."""
    if value is None:
        return None
    if name in {"sex", "side", "review_status"}:
        return str(value.value if hasattr(value, "value") else value)
    if name == "levels":
        return [lv.name if isinstance(lv, Level) else Level.from_name(str(lv)).name for lv in value]
    if name == "age_range_years":
        lo, hi = value
        return [float(lo), float(hi)]
    if name == "age_years":
        return float(value)
    simple: dict[str, Callable[[Any], Any]] = {
        "findings": _finding_to, "measurements": _measurement_to, "treatments": _treatment_to,
        "conflicts": _conflict_to,
    }
    if name in simple:
        return [simple[name](v) if not isinstance(v, Mapping | str) else v for v in value]
    single: dict[str, Callable[[Any], Any]] = {"outcome": _outcome_to, "diagnosis": _diagnosis_to, "cites": _cites_to}
    if name in single:
        return value if isinstance(value, Mapping) else single[name](value)
    if name == "provenance":
        return [v if isinstance(v, Mapping) else _provenance_to(v[0], v[1]) for v in value]
    if name in {"source_ids", "compartments", "etiology", "comorbidities", "imaging", "pathology", "differential"}:
        if isinstance(value, str):
            raise ValueError(f"{name}: expected a list of strings, got the single string {value!r}")
        return [str(v) for v in value]
    if name == "versions":
        return {str(k): str(v) for k, v in dict(value).items()}
    if name == "neuro_deficit":
        return bool(value)
    return value


def decode_field(name: str, value: Any) -> Any:
    """The inverse of :func:`encode_field`: JSON to the Case attribute value."""
    if name == "sex":
        return Sex.UNKNOWN if value is None else Sex(value)
    if name == "review_status":
        return ReviewStatus.NEEDS_REVIEW if value is None else ReviewStatus(value)
    if value is None:
        return {} if name == "versions" else (() if name in _TUPLE_FIELDS else None)
    if name == "side":
        return Side(value)
    if name == "levels":
        return tuple(Level.from_name(str(v)) for v in value)
    if name == "age_range_years":
        if len(value) != 2:
            raise ValueError(f"age_range_years: expected [low, high], got {value!r}")
        return (float(value[0]), float(value[1]))
    if name == "age_years":
        return float(value)
    many = {
        "findings": _finding_from, "measurements": _measurement_from, "treatments": _treatment_from,
        "conflicts": _conflict_from, "provenance": _provenance_from,
    }
    if name in many:
        return tuple(many[name](v) for v in value)
    single = {"outcome": _outcome_from, "diagnosis": _diagnosis_from, "cites": _cites_from}
    if name in single:
        return single[name](value)
    if name in _TUPLE_FIELDS:
        if isinstance(value, str):
            raise ValueError(f"{name}: expected a list of strings, got the single string {value!r}")
        return tuple(str(v) for v in value)
    if name == "versions":
        return {str(k): str(v) for k, v in dict(value).items()}
    if name == "neuro_deficit":
        return bool(value)
    return value


_TUPLE_FIELDS = frozenset({
    "source_ids", "levels", "compartments", "findings", "measurements", "treatments", "etiology", "comorbidities",
    "imaging", "pathology", "differential", "provenance", "conflicts",
})


def case_to_dict(case: Case) -> JSON:
    """Every field of the case as JSON types; empty and ``None`` fields are left out."""
    out: JSON = {}
    for name in CASE_KEYS:
        value = encode_field(name, getattr(case, name))
        if value is None or value == [] or (name == "versions" and value == {}):
            continue
        out[name] = value
    out.setdefault("sex", Sex.UNKNOWN.value)
    out.setdefault("review_status", ReviewStatus.NEEDS_REVIEW.value)
    return out


def case_from_dict(d: Mapping[str, Any]) -> Case:
    """Inverse of :func:`case_to_dict`; raises ``ValueError`` naming the case and the field."""
    _check_keys(d, CASE_KEYS, f"case {d.get('id', '?') if isinstance(d, Mapping) else '?'}")
    if "id" not in d:
        raise ValueError("case: the key 'id' is required")
    kwargs: dict[str, Any] = {"id": str(d["id"])}
    for name in CASE_KEYS[1:]:
        try:
            kwargs[name] = decode_field(name, d.get(name))
        except (ValueError, TypeError, KeyError) as exc:
            raise ValueError(f"case {d['id']}: field {name}: {exc}") from exc
    return Case(**kwargs)


def source_to_dict(source: Source) -> JSON:
    out: JSON = {}
    for name in SOURCE_KEYS:
        value = getattr(source, name)
        if name == "authors":
            value = list(value) if value else None
        if value is not None:
            out[name] = value
    return out


def source_from_dict(d: Mapping[str, Any]) -> Source:
    _check_keys(d, SOURCE_KEYS, f"source {d.get('id', '?') if isinstance(d, Mapping) else '?'}")
    if "id" not in d:
        raise ValueError("source: the key 'id' is required")
    kwargs: dict[str, Any] = {k: d[k] for k in SOURCE_KEYS if k in d and d[k] is not None}
    if "authors" in kwargs:
        if isinstance(kwargs["authors"], str):
            raise ValueError(f"source {d['id']}: authors must be a list of names, not one string")
        kwargs["authors"] = tuple(str(a) for a in kwargs["authors"])
    for k in ("pmid", "volume", "issue", "pages"):
        if k in kwargs:
            kwargs[k] = str(kwargs[k])
    if "year" in kwargs:
        kwargs["year"] = int(kwargs["year"])
    return Source(**kwargs)

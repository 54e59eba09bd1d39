"""A curator's corrections as form text: how each editable field is shown and read back.

Form inputs and case fields are not one to one: the age input holds a number or a range
(``age_years`` or ``age_range_years``), and the outcome is three inputs (status, description,
follow-up). :func:`parse_edits` turns the inputs a curator changed into the case fields to
update, in the JSON form ``Registry.update_case`` takes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from calcispine.knowledge import load_labs, load_vocabulary
from calcispine.model import OUTCOME_STATUSES, Case, Measurement, Sex, Side, parse_levels, render_levels
from calcispine.registry import encode_field

from ._render import age_text

__all__ = ["EDIT_FIELDS", "OUTCOME_STATUSES", "EditField", "diagnosis_json", "diagnosis_options", "edit_values",
           "measurement_json", "parse_edits"]


@dataclass(frozen=True)
class EditField:
    """One input of the correction form."""

    name: str
    label: str
    hint: str
    kind: str = "text"  # text, lines (a textarea), diagnosis or outcome_status (a select)


EDIT_FIELDS: tuple[EditField, ...] = (
    EditField("label", "Label", "how the case is named in lists, e.g. Smith 2010"),
    EditField("diagnosis", "Diagnosis", "the lesion's diagnosis", "diagnosis"),
    EditField("age_years", "Age (years)", "a number, or a range such as 50-53; empty when not reported"),
    EditField("sex", "Sex", "female, male or unknown"),
    EditField("levels", "Levels", "e.g. C2-C3 or L4/L5; empty when only a region is named"),
    EditField("side", "Side", "left, right, bilateral, midline or empty"),
    EditField("etiology", "Etiology tags", "comma-separated tags, e.g. hemodialysis, scleroderma"),
    EditField("treatments", "Treatments", "comma-separated codes, e.g. resection, laminectomy"),
    EditField("neuro_deficit", "Neurological deficit", "yes, no or empty"),
    EditField("comorbidities", "Comorbidities", "comma-separated"),
    EditField("measurements", "Labs", "one per line: analyte: value unit, flag (phosphate: 6.7 mg/dL, increased) "
              "or analyte: flag or result (PTH: increased)", "lines"),
    EditField("imaging", "Imaging", "one finding per line", "lines"),
    EditField("pathology", "Pathology", "one finding per line", "lines"),
    EditField("outcome_status", "Outcome", "how the patient did", "outcome_status"),
    EditField("outcome_description", "Outcome in words", "e.g. free of neck pain, no recurrence"),
    EditField("outcome_follow_up", "Follow-up (months)", "a number; empty when not reported"),
)
_NAMES = frozenset(f.name for f in EDIT_FIELDS)
_OUTCOME_INPUTS = ("outcome_status", "outcome_description", "outcome_follow_up")


def diagnosis_options() -> list[tuple[str, str]]:
    """(key, label) of every diagnosis the knowledge base names, for the select."""
    from calcispine.knowledge import load_diagnoses

    return [(key, d.label) for key, d in load_diagnoses().diagnoses.items()]


def diagnosis_json(key: str) -> dict[str, Any]:
    """A diagnosis key -> the stored diagnosis with its identifiers; ValueError naming the keys."""
    from calcispine.knowledge import load_diagnoses

    entries = load_diagnoses().diagnoses
    d = entries.get(key.strip())
    if d is None:
        raise ValueError(f"unknown diagnosis {key!r}; choose from {', '.join(entries)}")
    return {k: v for k, v in {"key": key.strip(), "label": d.label, "mondo": d.mondo, "orpha": d.orpha,
                               "omim": d.omim}.items() if v is not None}


def measurement_json(analyte: str, value: float | None = None, unit: str | None = None, flag: str | None = None,
                     result: str | None = None) -> dict[str, Any]:
    """A lab as the knowledge base reads it (analyte key, LOINC, unit, normalised value, flag), as JSON."""
    m = load_labs().measurement(analyte, value, unit or None, flag or None, result=result or None)
    encoded: dict[str, Any] = encode_field("measurements", [m])[0]
    return encoded


def _lab_line(m: Measurement) -> str:
    flag = m.flag.value if m.flag else ""
    if m.value is not None:
        reading = f"{m.value:g} {m.unit}" if m.unit else f"{m.value:g}"
        return f"{m.analyte}: {reading}, {flag}" if flag else f"{m.analyte}: {reading}"
    if m.result:
        return f"{m.analyte}: {m.result}, {flag}" if flag else f"{m.analyte}: {m.result}"
    return f"{m.analyte}: {flag}"


_READING = re.compile(r"(?P<value>\d+(?:\.\d+)?)\s*(?P<unit>[^,\s][^,]*?)?\s*(?:,\s*(?P<flag>.+))?")


def _parse_lab(line: str) -> dict[str, Any]:
    analyte, sep, rest = line.partition(":")
    if not sep or not analyte.strip() or not rest.strip():
        raise ValueError(f"{line!r}: write 'analyte: value unit' (phosphate: 6.7 mg/dL) or 'analyte: flag'")
    rest = rest.strip()
    m = _READING.fullmatch(rest)
    if m:
        return measurement_json(analyte.strip(), float(m.group("value")), m.group("unit"), m.group("flag"))
    words, _, flag = rest.partition(",")
    try:
        load_labs().parse_flag(words.strip())
    except ValueError:
        return measurement_json(analyte.strip(), result=words.strip(), flag=flag.strip() or None)
    return measurement_json(analyte.strip(), flag=words.strip())


def edit_values(case: Case) -> dict[str, str]:
    """Each form input as the form shows it."""
    o = case.outcome
    return {
        "label": case.label or "",
        "diagnosis": case.diagnosis.key if case.diagnosis else "",
        "age_years": age_text(case),
        "sex": case.sex.value,
        "levels": render_levels(case.levels) if case.levels else "",
        "side": case.side.value if case.side else "",
        "etiology": ", ".join(case.etiology),
        "treatments": ", ".join(case.treatment_codes),
        "neuro_deficit": "" if case.neuro_deficit is None else ("yes" if case.neuro_deficit else "no"),
        "comorbidities": ", ".join(case.comorbidities),
        "measurements": "\n".join(_lab_line(m) for m in case.measurements),
        "imaging": "\n".join(case.imaging),
        "pathology": "\n".join(case.pathology),
        "outcome_status": (o.status or "") if o else "",
        "outcome_description": (o.description or "") if o else "",
        "outcome_follow_up": f"{o.follow_up_months:g}" if o and o.follow_up_months is not None else "",
    }


def _items(text: str, lines: bool) -> list[str]:
    parts = text.splitlines() if lines else text.split(",")
    return [p.strip() for p in parts if p.strip()]


def _number(text: str, problem: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValueError(problem) from None


def _age(text: str) -> dict[str, Any]:
    if not text:
        return {"age_years": None, "age_range_years": None}
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(?:-|–|to)\s*(\d+(?:\.\d+)?)", text)
    if m:
        lo, hi = float(m.group(1)), float(m.group(2))
        if not 0 <= lo <= hi <= 120:
            raise ValueError(f"{text} is not an ordered range of ages between 0 and 120")
        return {"age_years": None, "age_range_years": [lo, hi]}
    age = _number(text, f"{text!r} is not an age: write a number such as 52 or a range such as 50-53")
    if not 0 <= age <= 120:
        raise ValueError(f"{text} is not an age between 0 and 120")
    return {"age_years": age}


def _outcome(inputs: Mapping[str, str]) -> dict[str, Any] | None:
    status = inputs["outcome_status"].strip().lower()
    if status and status not in OUTCOME_STATUSES:
        raise ValueError(f"outcome: {status!r} is not one of {', '.join(OUTCOME_STATUSES)}")
    follow = inputs["outcome_follow_up"].strip()
    months = None
    if follow:
        months = _number(follow, f"follow-up: {follow!r} is not a number of months")
        if not 0 <= months <= 1200:
            raise ValueError(f"follow-up: {follow} months is not between 0 and 1200")
    outcome = {"status": status or None, "description": inputs["outcome_description"].strip() or None,
               "follow_up_months": months}
    if not any(v is not None for v in outcome.values()):
        return None
    return {k: v for k, v in outcome.items() if v is not None}


def _field(name: str, text: str, case: Case) -> dict[str, Any]:
    """One changed input -> the case fields it sets."""
    if name == "label":
        return {"label": text or None}
    if name == "diagnosis":
        return {"diagnosis": diagnosis_json(text) if text else None}
    if name == "age_years":
        return _age(text)
    if name == "sex":
        return {"sex": Sex.parse(text).value}
    if name == "levels":
        return {"levels": [lv.name for lv in parse_levels(text, typed=True)] if text else []}
    if name == "side":
        return {"side": Side(text.lower()).value if text else None}
    if name == "etiology":
        vocab = load_vocabulary()
        return {"etiology": [vocab.check_etiology(t) for t in _items(text, False)]}
    if name == "treatments":
        vocab = load_vocabulary()
        out = []
        for code in _items(text, False):
            vocab.check_treatment(code)
            entry = vocab.treatment.get(code)
            out.append({"code": code, "label": entry.label if entry else code.split(":", 1)[-1],
                        **({"maxo_id": entry.maxo} if entry and entry.maxo else {})})
        return {"treatments": out}
    if name == "neuro_deficit":
        low = text.lower()
        if low in ("", "unknown"):
            return {"neuro_deficit": None}
        if low in ("yes", "true", "y"):
            return {"neuro_deficit": True}
        if low in ("no", "false", "n"):
            return {"neuro_deficit": False}
        raise ValueError(f"{text!r} is not yes, no or empty")
    if name == "measurements":
        kept = {_lab_line(m): m for m in case.measurements}  # unchanged lines keep their evidence
        return {"measurements": [encode_field("measurements", [kept[line]])[0] if line in kept else _parse_lab(line)
                                 for line in _items(text, True)]}
    if name in ("comorbidities", "imaging", "pathology"):
        return {name: _items(text, name != "comorbidities")}
    raise ValueError(f"{name} cannot be edited here")


def parse_edits(submitted: Mapping[str, str], case: Case) -> dict[str, Any]:
    """The inputs that differ from the case's current values -> {case field: JSON value}; ValueError naming the input."""
    from calcispine.extract import one_newline  # lazy: the extraction package is loaded on first use

    current = edit_values(case)
    texts = {name: one_newline(submitted[name]).strip() for name in submitted if name in _NAMES}
    changed = [name for name, text in texts.items() if text != current[name]]
    changes: dict[str, Any] = {}
    for name in changed:
        if name in _OUTCOME_INPUTS:
            continue
        try:
            changes.update(_field(name, texts[name], case))
        except (ValueError, LookupError) as exc:
            raise ValueError(f"{name}: {exc}") from exc
    if any(name in _OUTCOME_INPUTS for name in changed):
        changes["outcome"] = _outcome({n: texts.get(n, current[n]) for n in _OUTCOME_INPUTS})
    if changes.get("age_years") is not None and case.age_range_years is not None:
        lo, hi = case.age_range_years
        if not lo <= changes["age_years"] <= hi:  # a precise age outside the stated range replaces the range
            changes["age_range_years"] = None
    return {k: v for k, v in changes.items() if k not in ("age_years", "age_range_years") or
            v != encode_field(k, getattr(case, k))}

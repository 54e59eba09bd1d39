"""A curator's corrections as form text: how each editable field is shown and read back."""

from __future__ import annotations

from typing import Any

from calcispine.knowledge import load_vocabulary
from calcispine.model import Case, Sex, Side, parse_levels, render_levels

__all__ = ["EDIT_FIELDS", "edit_values", "parse_edit"]

#: (field, label, hint) of the fields a curator corrects on the case form.
EDIT_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("label", "Label", "how the case is named in lists, e.g. Smith 2010"),
    ("age_years", "Age (years)", "a number; empty when not reported"),
    ("sex", "Sex", "female, male or unknown"),
    ("levels", "Levels", "e.g. C2-C3 or L4/L5; empty when only a region is named"),
    ("side", "Side", "left, right, bilateral, midline or empty"),
    ("etiology", "Etiology tags", "comma-separated tags, e.g. hemodialysis, scleroderma"),
    ("treatments", "Treatments", "comma-separated codes, e.g. resection, laminectomy"),
    ("neuro_deficit", "Neurological deficit", "yes, no or empty"),
    ("comorbidities", "Comorbidities", "comma-separated"),
    ("imaging", "Imaging", "one finding per line"),
    ("pathology", "Pathology", "one finding per line"),
)
_LINES = {"imaging", "pathology"}


def edit_values(case: Case) -> dict[str, str]:
    """Each editable field as the form shows it."""
    return {
        "label": case.label or "",
        "age_years": f"{case.age_years:g}" if case.age_years is not None else "",
        "sex": case.sex.value,
        "levels": render_levels(case.levels) if case.levels else "",
        "side": case.side.value if case.side else "",
        "etiology": ", ".join(case.etiology),
        "treatments": ", ".join(case.treatment_codes),
        "neuro_deficit": "" if case.neuro_deficit is None else ("yes" if case.neuro_deficit else "no"),
        "comorbidities": ", ".join(case.comorbidities),
        "imaging": "\n".join(case.imaging),
        "pathology": "\n".join(case.pathology),
    }


def _items(text: str, lines: bool) -> list[str]:
    parts = text.splitlines() if lines else text.split(",")
    return [p.strip() for p in parts if p.strip()]


def parse_edit(name: str, text: str) -> Any:
    """Form text -> the field's JSON value for ``Registry.update_case``; ValueError naming the field."""
    text = text.strip()
    try:
        if name == "label":
            return text or None
        if name == "age_years":
            if not text:
                return None
            age = float(text)
            if not 0 <= age <= 120:
                raise ValueError(f"{text} is not an age between 0 and 120")
            return age
        if name == "sex":
            return Sex.parse(text).value
        if name == "levels":
            return [lv.name for lv in parse_levels(text)] if text else []
        if name == "side":
            return Side(text.lower()).value if text else None
        if name == "etiology":
            vocab = load_vocabulary()
            return [vocab.check_etiology(t) for t in _items(text, False)]
        if name == "treatments":
            vocab = load_vocabulary()
            out = []
            for code in _items(text, False):
                vocab.check_treatment(code)
                entry = vocab.treatment.get(code)
                out.append({"code": code, "label": entry.label if entry else code.split(":", 1)[-1],
                            **({"maxo_id": entry.maxo} if entry and entry.maxo else {})})
            return out
        if name == "neuro_deficit":
            low = text.lower()
            if low in ("", "unknown"):
                return None
            if low in ("yes", "true", "y"):
                return True
            if low in ("no", "false", "n"):
                return False
            raise ValueError(f"{text!r} is not yes, no or empty")
        if name in ("comorbidities", "imaging", "pathology"):
            return _items(text, name in _LINES)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from exc
    raise ValueError(f"{name} cannot be edited here")

"""Flat CSV: one row per case, lists joined with '; ', levels rendered canonically.

For spreadsheets and other tools. Evidence spans, provenance, conflicts and the per-source
records do not fit a flat row (JSONL and Phenopacket keep them); every other fact reads back.

On import a row is a patient as a whole, not what one source states: a row whose id and
sources are those of a stored patient *is* that patient and is skipped (what it says
differently is reported, never applied), so importing a registry's own CSV adds nothing.
Any other row is a new patient, one record per source it names, deduplicated as usual.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from pathlib import Path

from calcispine.knowledge import load_vocabulary
from calcispine.model import (
    Case,
    Diagnosis,
    Finding,
    LabFlag,
    Measurement,
    Outcome,
    ReviewStatus,
    Sex,
    Side,
    SourceRef,
    Treatment,
    parse_levels,
    render_levels,
)
from calcispine.registry import Dataset

from ._dataset import to_dataset
from ._io import atomic_write_text

__all__ = ["CSV_COLUMNS", "case_to_row", "read_csv", "read_csv_dataset", "row_to_case", "write_csv"]

SEP = "; "
CSV_COLUMNS: tuple[str, ...] = (
    "id", "label", "source_ids", "cites", "age_years", "age_range_years", "sex", "levels", "regions", "side",
    "compartments", "findings", "excluded_findings", "measurements", "treatments", "outcome_status",
    "outcome_description", "follow_up_months", "diagnosis_key", "diagnosis_label", "mondo", "orpha", "omim",
    "etiology", "comorbidities", "imaging", "pathology", "differential", "neuro_deficit", "review_status",
    "conflicts",
)


def _num(x: float | None) -> str:
    return "" if x is None else f"{x:g}" if float(x).is_integer() else repr(float(x))


def _finding(f: Finding) -> str:
    tags = [t for t in ("historical", "family", "hypothetical") if getattr(f, t)]
    return f"{f.hpo_id} {f.label}" + (f" [{', '.join(tags)}]" if tags else "")


def _measurement(m: Measurement) -> str:
    parts = [m.analyte + ":"]
    if m.value is not None:
        parts.append(_num(m.value) + (f" {m.unit}" if m.unit else ""))
    if m.result:
        parts.append(f'"{m.result}"')
    if m.flag is not None:
        parts.append(f"({m.flag.value})" if m.value is not None or m.result else m.flag.value)
    return " ".join(parts)


def _treatment(t: Treatment) -> str:
    return t.code


def _cites(c: SourceRef | None) -> str:
    if c is None:
        return ""
    return c.first_author + (f" {c.year}" if c.year else "") + (f" [{c.reference}]" if c.reference else "")


def case_to_row(case: Case) -> dict[str, str]:
    o = case.outcome
    d = case.diagnosis
    return {
        "id": case.id, "label": case.label or "", "source_ids": SEP.join(case.source_ids), "cites": _cites(case.cites),
        "age_years": _num(case.age_years),
        "age_range_years": "" if case.age_range_years is None else "-".join(_num(a) for a in case.age_range_years),
        "sex": case.sex.value, "levels": render_levels(case.levels), "regions": SEP.join(r.value for r in case.regions),
        "side": case.side.value if case.side else "", "compartments": SEP.join(case.compartments),
        "findings": SEP.join(_finding(f) for f in case.findings if not f.excluded),
        "excluded_findings": SEP.join(_finding(f) for f in case.findings if f.excluded),
        "measurements": SEP.join(_measurement(m) for m in case.measurements),
        "treatments": SEP.join(_treatment(t) for t in case.treatments),
        "outcome_status": (o.status or "") if o else "", "outcome_description": (o.description or "") if o else "",
        "follow_up_months": _num(o.follow_up_months) if o else "",
        "diagnosis_key": d.key if d else "", "diagnosis_label": d.label if d else "",
        "mondo": (d.mondo or "") if d else "", "orpha": (d.orpha or "") if d else "", "omim": (d.omim or "") if d else "",
        "etiology": SEP.join(case.etiology), "comorbidities": SEP.join(case.comorbidities),
        "imaging": SEP.join(case.imaging), "pathology": SEP.join(case.pathology),
        "differential": SEP.join(case.differential),
        "neuro_deficit": "" if case.neuro_deficit is None else str(case.neuro_deficit).lower(),
        "review_status": case.review_status.value, "conflicts": SEP.join(c.describe() for c in case.conflicts),
    }


def write_csv(cases: Iterable[Case], path: str | Path) -> Path:
    """One row per case with the columns of ``CSV_COLUMNS``, written atomically."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(CSV_COLUMNS), lineterminator="\n")
    writer.writeheader()
    for case in cases:
        writer.writerow(case_to_row(case))
    return atomic_write_text(path, buffer.getvalue())


def _split(cell: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in cell.split(SEP.strip())) if cell.strip() else ()


def _opt(cell: str) -> float | None:
    return float(cell) if cell.strip() else None


_FINDING = re.compile(r"(HP:\d{7})\s+(.*?)(?:\s+\[([a-z, ]+)\])?$")
_MEASUREMENT = re.compile(
    r'(?P<analyte>[^:]+):\s*(?:(?P<value>[0-9.eE+-]+)(?:\s+(?P<unit>[^()"]+?))?)?\s*(?:"(?P<result>[^"]*)")?'
    r"\s*(?:\(?(?P<flag>[a-z ]+)\)?)?$"
)


def _finding_from(cell: str, excluded: bool) -> Finding:
    m = _FINDING.fullmatch(cell)
    if not m:
        raise ValueError(f"finding {cell!r} is not 'HP:0000000 label'")
    tags = {t.strip() for t in (m.group(3) or "").split(",") if t.strip()}
    return Finding(m.group(1), m.group(2), excluded=excluded, historical="historical" in tags,
                   family="family" in tags, hypothetical="hypothetical" in tags)


def _measurement_from(cell: str) -> Measurement:
    m = _MEASUREMENT.fullmatch(cell.strip())
    if not m:
        raise ValueError(f"measurement {cell!r} is not 'analyte: value unit (flag)' or 'analyte: flag'")
    flag = LabFlag(m.group("flag").strip()) if m.group("flag") else None
    value = float(m.group("value")) if m.group("value") else None
    return Measurement(m.group("analyte").strip(), value, (m.group("unit") or "").strip() or None, flag=flag,
                       result=m.group("result") or None)


def _treatment_from(code: str) -> Treatment:
    entry = load_vocabulary().treatment.get(code)
    return Treatment(code, entry.label if entry else None, entry.maxo if entry else None)


def _cites_from(cell: str) -> SourceRef | None:
    m = re.fullmatch(r"(.+?)(?:\s+(\d{4}))?(?:\s+\[(.+)\])?", cell.strip())
    if not cell.strip() or not m:
        return None
    return SourceRef(m.group(1), int(m.group(2)) if m.group(2) else None, m.group(3))


def row_to_case(row: dict[str, str]) -> Case:
    g = {k: (row.get(k) or "") for k in CSV_COLUMNS}
    rng = g["age_range_years"]
    age_range = None
    if rng:
        lo, hi = re.split(r"(?<=\d)-", rng, maxsplit=1)
        age_range = (float(lo), float(hi))
    outcome = None
    if g["outcome_status"] or g["outcome_description"] or g["follow_up_months"]:
        outcome = Outcome(g["outcome_status"] or None, g["outcome_description"] or None, _opt(g["follow_up_months"]))
    diagnosis = None
    if g["diagnosis_key"]:
        diagnosis = Diagnosis(g["diagnosis_key"], g["diagnosis_label"], g["mondo"] or None, g["orpha"] or None,
                              g["omim"] or None)
    findings = tuple(_finding_from(c, False) for c in _split(g["findings"]))
    findings += tuple(_finding_from(c, True) for c in _split(g["excluded_findings"]))
    return Case(
        id=g["id"], label=g["label"] or None, source_ids=_split(g["source_ids"]), cites=_cites_from(g["cites"]),
        age_years=_opt(g["age_years"]), age_range_years=age_range, sex=Sex.parse(g["sex"]),
        levels=parse_levels(g["levels"]) if g["levels"] else (), side=Side(g["side"]) if g["side"] else None,
        compartments=_split(g["compartments"]), findings=findings,
        measurements=tuple(_measurement_from(c) for c in _split(g["measurements"])),
        treatments=tuple(_treatment_from(c) for c in _split(g["treatments"])), outcome=outcome, diagnosis=diagnosis,
        etiology=_split(g["etiology"]), comorbidities=_split(g["comorbidities"]), imaging=_split(g["imaging"]),
        pathology=_split(g["pathology"]), differential=_split(g["differential"]),
        neuro_deficit=None if not g["neuro_deficit"] else g["neuro_deficit"].lower() == "true",
        review_status=ReviewStatus(g["review_status"]) if g["review_status"] else ReviewStatus.NEEDS_REVIEW,
    )


def read_csv_dataset(path: str | Path) -> Dataset:
    """A CSV file as the registry's import unit: every row a flat exported patient (see the module notes)."""
    return to_dataset(read_csv(path), ())


def read_csv(path: str | Path) -> list[Case]:
    """Cases from a CSV written by :func:`write_csv`; an error names the file and the line."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{p}: cannot read the file: {exc}") from exc
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or "id" not in reader.fieldnames:
        raise ValueError(f"{p}: not a calcispine case CSV (no 'id' column); expected columns {', '.join(CSV_COLUMNS)}")
    cases: list[Case] = []
    for row in reader:
        try:
            cases.append(row_to_case(row))
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{p}, line {reader.line_num}: {exc}") from exc
    return cases

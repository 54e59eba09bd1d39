"""CSV (flat) and JSONL (full fidelity) exchange."""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

import pytest

from calcispine.exchange import CSV_COLUMNS, read_csv, read_jsonl, write_csv, write_jsonl
from calcispine.model import Case, Source


def test_jsonl_loses_nothing(cases: list[Case], sources: list[Source], tmp_path: Path) -> None:
    path = write_jsonl(cases, tmp_path / "cases.jsonl", sources)
    back, back_sources = read_jsonl(path)
    assert back == cases
    assert [c.versions for c in back] == [c.versions for c in cases]
    assert back_sources == sources


def test_jsonl_error_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"case": {"id": "a"}}\n{"case": {"id": "b", "age_years": 300}}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.jsonl, line 2"):
        read_jsonl(path)


def test_csv_is_one_flat_row_per_case(cases: list[Case], tmp_path: Path) -> None:
    path = write_csv(cases, tmp_path / "cases.csv")
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["id"] for r in rows] == [c.id for c in cases]
    assert tuple(rows[0]) == CSV_COLUMNS
    first = rows[0]
    assert first["levels"] == "C4-C6" and first["regions"] == "cervical"
    assert first["treatments"] == "hemilaminectomy; fusion; other:cervical collar"
    assert "pth: increased" in first["measurements"] and "calcium: 8.1 mg/dL (slightly decreased)" in first["measurements"]
    assert first["excluded_findings"] == "HP:0001945 Fever"
    assert "sex: smith-2019 says female" in first["conflicts"]
    assert rows[2]["age_range_years"] == "50-54"


def _flat(case: Case) -> Case:
    """What a flat row keeps: no evidence spans, provenance, conflicts or per-value codes beyond the vocabulary."""
    return replace(
        case,
        findings=tuple(replace(f, evidence=None) for f in case.findings),
        measurements=tuple(
            replace(m, evidence=None, normalised_value=None, normalised_unit=None, loinc=None)
            for m in case.measurements
        ),
        treatments=case.treatments,
        outcome=replace(case.outcome, evidence=None) if case.outcome else None,
        provenance=(),
        conflicts=(),
    )


def test_csv_reads_back_every_flat_field(cases: list[Case], tmp_path: Path) -> None:
    back = read_csv(write_csv(cases, tmp_path / "cases.csv"))
    for original, read in zip(cases, back, strict=True):
        expected = _flat(original)
        assert [t.code for t in read.treatments] == [t.code for t in expected.treatments]
        assert set(read.findings) == set(expected.findings)  # observed column first, then excluded
        read = replace(read, treatments=expected.treatments, findings=expected.findings)
        assert read == expected


def test_csv_error_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("id,levels\nok,C4-C5\nbad,C9\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.csv, line 3.*C9"):
        read_csv(path)
    (tmp_path / "other.csv").write_text("name\nx\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no 'id' column"):
        read_csv(tmp_path / "other.csv")

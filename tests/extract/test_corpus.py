"""The five corpus texts against gold.jsonl: exact fields exactly, phrase fields by meaning (see phrases_agree)."""

from __future__ import annotations

from pathlib import Path

import pytest

from calcispine.extract import SUMMARY_KEYS, extract_case, phrase_coverage, phrases_agree, read_document, to_summary

pytestmark = pytest.mark.corpus

FILES = [
    "bartanusz-2013-c1c2-child.txt",
    "case-90f-c3c5-2015.txt",
    "tuy-2008-c2c3-scleroderma.txt",
    "review-c4c6-peritoneal-dialysis-table1.txt",
    "krishnamoorthy-2014-l4l5.txt",
]
_CACHE: dict[str, object] = {}


def _result(corpus_dir: Path, name: str):  # type: ignore[no-untyped-def]
    if name not in _CACHE:
        _CACHE[name] = extract_case(read_document(corpus_dir / name))
    return _CACHE[name]


@pytest.mark.parametrize("name", FILES)
def test_summary_agrees_with_gold(corpus_dir: Path, gold: dict[str, dict], name: str) -> None:
    res = _result(corpus_dir, name)
    assert len(res.cases) == 1
    s = to_summary(res.cases[0], name)
    g = gold[name]
    assert set(s) <= set(SUMMARY_KEYS)
    for key in ("diagnosis", "age_years", "sex", "levels", "region", "side", "neuro_deficit", "follow_up_months", "labs"):
        assert s.get(key) == g.get(key), key
    assert s.get("age_range_years") == g.get("age_range_years")
    assert sorted(s["etiology"]) == sorted(g["etiology"])
    assert sorted(s["treatment"]) == sorted(g["treatment"])
    for key in ("symptoms", "imaging", "pathology"):
        missing, extra = phrases_agree(g.get(key) or [], s[key])
        assert not missing, f"{key}: no extracted phrase for {missing}"
        if key == "symptoms":
            assert not extra, f"symptoms gold lacks: {extra}"
    if g["outcome"] is None:
        assert s["outcome"] is None
    else:
        assert phrase_coverage(g["outcome"], s["outcome"]) >= 0.5


@pytest.mark.parametrize("name", FILES)
def test_every_evidence_span_points_into_the_text(corpus_dir: Path, name: str) -> None:
    res = _result(corpus_dir, name)
    text = res.document.text
    case = res.cases[0]
    evidences = [p.evidence for _, p in case.provenance if p.evidence]
    evidences += [f.evidence for f in case.findings if f.evidence]
    evidences += [m.evidence for m in case.measurements if m.evidence]
    assert evidences
    for ev in evidences:
        assert text[ev.start:ev.end] == ev.text
        assert ev.rule and ev.section


def test_no_confusion_for_the_l4l5_patient(corpus_dir: Path) -> None:
    case = _result(corpus_dir, "krishnamoorthy-2014-l4l5.txt").cases[0]
    assert "Confusion" not in {f.label for f in case.findings}


def test_discussion_does_not_leak_into_the_scleroderma_patient(corpus_dir: Path) -> None:
    res = _result(corpus_dir, "tuy-2008-c2c3-scleroderma.txt")
    case = res.cases[0]
    labels = {f.label.lower() for f in case.findings}
    assert not labels & {"raynaud phenomenon", "seizure", "seizures", "osteoblastoma"}
    assert case.diagnosis is not None and case.diagnosis.key == "tumoral_calcinosis"
    assert "osteoblastoma" in res.differential and "osteochondroma" in res.differential
    assert "renal_transplant" not in case.treatment_codes
    assert "trauma" not in case.etiology


def test_fusion_span_is_not_the_lesion(corpus_dir: Path) -> None:
    case = _result(corpus_dir, "review-c4c6-peritoneal-dialysis-table1.txt").cases[0]
    assert [str(x) for x in case.levels] == ["C4", "C5", "C6"]
    assert case.versions["hpo"] == "2025-01-16"

"""Report text in: the authors' diagnosis is never read, so blanking its names changes nothing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from calcispine.assess import Assessor
from calcispine.assess._input import patient_from_report

REPORTS = ["bartanusz-2013-c1c2-child.txt", "tuy-2008-c2c3-scleroderma.txt", "krishnamoorthy-2014-l4l5.txt"]


def _blank_diagnoses(text: str, assessor: Assessor) -> str:
    names = {n for e in assessor.kb.entities.values() for n in (e.label, *e.aliases)} | {"TC", "UTC", "CAPNON"}
    pattern = re.compile("|".join(rf"\b{re.escape(n)}\b" for n in sorted(names, key=len, reverse=True)), re.I)
    return pattern.sub("[diagnosis]", text)


@pytest.mark.corpus
@pytest.mark.parametrize("name", REPORTS)
def test_blanking_the_diagnosis_names_leaves_the_assessment_unchanged(
        name: str, corpus_dir: Path, tmp_path: Path, assessor: Assessor) -> None:
    original = corpus_dir / name
    blanked = tmp_path / name
    text = original.read_text(encoding="utf-8")
    blanked.write_text(_blank_diagnoses(text, assessor), encoding="utf-8")
    assert blanked.read_text(encoding="utf-8") != text  # the names were there to blank
    a, b = assessor.assess(patient_from_report(original)), assessor.assess(patient_from_report(blanked))
    assert [(c.key, round(c.probability, 9)) for c in a.differential] == \
        [(c.key, round(c.probability, 9)) for c in b.differential]
    assert set(a.evidence.present) == set(b.evidence.present)
    assert set(a.evidence.absent) == set(b.evidence.absent)


def test_the_course_of_the_pain_in_a_report_reaches_the_assessment(tmp_path: Path, assessor: Assessor) -> None:
    """Night pain eased by aspirin is written beside the symptom, not in an imaging sentence."""
    report = tmp_path / "report.txt"
    report.write_text(
        "Case report\n\nA 17-year-old boy had low back pain for five months. The back pain woke him at night "
        "and was relieved by aspirin. Examination was otherwise normal. CT showed a 9 mm lucent lesion of the "
        "left L4 lamina.\n", encoding="utf-8")
    patient = patient_from_report(report)
    ev = assessor.assess(patient).evidence
    assert {"night_pain", "night_pain_nsaid_relief"} <= set(ev.present)
    assert any("aspirin" in s for s in patient.clinical)


def test_clinical_phrases_can_be_given_directly_and_negation_holds(assessor: Assessor) -> None:
    from calcispine.assess import patient_from_mapping
    ev = assessor.assess(patient_from_mapping({
        "age_years": 15, "levels": "L4",
        "clinical": ["pain at night, not helped by NSAIDs", "no history of injury"]})).evidence
    assert "night_pain" in ev.present
    assert "night_pain_nsaid_relief" in ev.absent and "local_trauma" in ev.absent


def test_a_report_naming_only_the_region_gives_the_assessment_that_region(tmp_path: Path, assessor: Assessor) -> None:
    report = tmp_path / "report.txt"
    report.write_text(
        "Case report\n\nWe describe a 15-year-old boy with a thoracic lesion causing back pain. "
        "Solid fusion was seen at 3 years follow up.\n", encoding="utf-8")
    patient = patient_from_report(report)
    ev = assessor.assess(patient).evidence
    assert "region_thoracic" in ev.present
    assert patient.age_years == 15  # '3 years follow up' is no age

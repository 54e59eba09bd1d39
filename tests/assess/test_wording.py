"""Wording that shows a finding without naming it, and wording that must not show one.

Knowledge base 2026.12.4 reads findings that reports give indirectly (an extradural mass is not
intradural, a lesion's size in centimetres, sclerotic lesions in the plural) and stops reading a few
that are not the lesion's (a subcutaneous calcinosis, radiating pain, an osteoporotic fracture);
one excluded sign no longer rules out a finding that other signs could show.
Every phrase is our own wording of the kind of sentence a report contains; none is copied.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from calcispine.assess import Assessor, patient_from_mapping
from calcispine.assess._evidence import phrase_findings, sizes_in_text
from calcispine.knowledge._differential import KnowledgeBase

ROOT = Path(__file__).resolve().parents[2]


def _read(kb: KnowledgeBase, text: str, source: str = "imaging") -> dict[str, bool]:
    return phrase_findings(kb, text, source)


# ---- a compartment or an origin shown by its opposite --------------------------------------------

@pytest.mark.parametrize("text", ["oval extradural mass beside the C6 root", "calcified dorsal epidural lesion at T11"])
def test_an_extradural_lesion_is_read_as_not_intradural(kb: KnowledgeBase, text: str) -> None:
    assert _read(kb, text).get("intradural") is False


def test_a_lesion_with_an_intradural_part_stays_intradural(kb: KnowledgeBase) -> None:
    assert _read(kb, "dumbbell mass, partly extradural and partly intradural")["intradural"] is True


def test_cord_signal_is_not_an_intradural_lesion(kb: KnowledgeBase) -> None:
    found = _read(kb, "calcified mass compressing the cord, with intramedullary high T2 signal")
    assert found.get("intradural") is not True


def test_an_extraosseous_mass_does_not_arise_from_bone(kb: KnowledgeBase) -> None:
    assert _read(kb, "lobulated extraosseous calcification beside the facet")["osseous_origin"] is False


def test_the_opposite_wording_changes_the_ranking_between_tumoral_calcinosis_and_capnon(assessor: Assessor) -> None:
    """The same calcified canal mass, said to be extradural or intradural, moves the two apart."""
    base = {"age_years": 60, "sex": "female", "levels": "L2"}
    extra = assessor.assess(patient_from_mapping({**base, "imaging": ["densely calcified extradural mass in the canal"]}))
    intra = assessor.assess(patient_from_mapping({**base, "imaging": ["densely calcified intradural mass in the canal"]}))

    def odds(a: object) -> float:
        p = {c.entity: c.probability for c in a.differential}  # type: ignore[attr-defined]
        return p["tumoral_calcinosis"] / p["capnon"]

    assert odds(extra) > odds(intra)
    assert "intradural" in extra.evidence.absent and "intradural" in intra.evidence.present


# ---- size in centimetres -------------------------------------------------------------------------

@pytest.mark.parametrize("text, cm", [
    ("oval mass about 1 cm at the left side of C7", 1.0),
    ("a 1.6 cm pedunculated bony lesion of the lamina", 1.6),
    ("13 x 6 mm calcific focus in front of C2", 1.3),
    ("destructive lesion of C5 about 3 cm across", 3.0),
    ("large (5 x 7 x 4 cm) lobulated mass at the facets", 7.0),
    ("a 4.5-cm lobulated mass", 4.5),
    ("an 8 mm round lucent nidus", 0.8),
])
def test_a_lesion_size_is_read_in_centimetres(text: str, cm: float) -> None:
    assert sizes_in_text(text) == (cm,)


@pytest.mark.parametrize("text", [
    "canal narrowed to 6 mm at C4",
    "mass 2 cm below the conus",
    "bony lesion covered by a 2 mm cartilaginous cap",
    "lesion lying 1.5 cm from the cord",
])
def test_distances_and_other_measures_are_not_a_lesion_size(text: str) -> None:
    assert sizes_in_text(text) == ()


def test_the_assessment_takes_the_size_from_the_imaging_unless_it_is_given(assessor: Assessor) -> None:
    read = assessor.assess(patient_from_mapping({"imaging": ["lobulated calcified mass of 4 cm at the facet"]}))
    assert "size_over_2cm" in read.evidence.present
    given = assessor.assess(patient_from_mapping({"imaging": ["lobulated calcified mass of 4 cm at the facet"],
                                                  "lesion_size_cm": 1.5}))
    assert "size_over_2cm" in given.evidence.absent


# ---- soft-tissue calcification, sclerosis, ossification ------------------------------------------

@pytest.mark.parametrize("text", [
    "widespread calcification in the paraspinal soft tissues of the neck",
    "soft-tissue calcification next to the cervical facets",
    "calcified soft tissue around the spinous processes",
])
def test_calcified_paraspinal_soft_tissue_is_a_calcified_mass(kb: KnowledgeBase, text: str) -> None:
    assert _read(kb, text).get("calcified_mass") is True


def test_prevertebral_soft_tissue_calcification_is_a_tendon_deposit_not_a_mass(kb: KnowledgeBase) -> None:
    found = _read(kb, "prevertebral soft-tissue calcification in front of C2")
    assert found.get("site_prevertebral") is True and "calcified_mass" not in found


@pytest.mark.parametrize("text, feature", [
    ("lucent nidus ringed by dense sclerosis in the lamina", "reactive_sclerosis"),
    ("sclerotic lesions in several thoracic vertebrae", "multiple_sclerotic_lesions"),
    ("ossified lesion against the inner surface of the laminae", "ligament_ossification_continuous"),
    ("low T2 signal nodule in the foramen", "t1_t2_hypointense"),
    ("coarse calcifications in front of the anterior arch of C1", "site_prevertebral"),
])
def test_indirect_wording_is_read(kb: KnowledgeBase, text: str, feature: str) -> None:
    assert _read(kb, text).get(feature) is True


def test_a_single_sclerotic_lesion_is_not_multiple(kb: KnowledgeBase) -> None:
    assert "multiple_sclerotic_lesions" not in _read(kb, "a sclerotic lesion of the L2 pedicle")


def test_an_erosive_destructive_lesion_counts_once_as_destruction(kb: KnowledgeBase) -> None:
    found = _read(kb, "the fracture became an erosive, destructive lesion of both end plates")
    assert found.get("bone_destruction") is True and "bone_erosion" not in found
    assert _read(kb, "smooth erosion of the lamina beside the mass").get("bone_erosion") is True


# ---- terms and history that are not the lesion's -------------------------------------------------

def test_a_subcutaneous_calcinosis_is_not_the_spinal_mass(assessor: Assessor) -> None:
    skin = assessor.assess(patient_from_mapping({"observed": ["HP:0007618"]})).evidence
    assert "calcified_mass" not in skin.present
    lesion = assessor.assess(patient_from_mapping({"observed": ["HP:0010766"]})).evidence
    assert "calcified_mass" in lesion.present


def test_chondrocalcinosis_is_read_as_peripheral_chondrocalcinosis(assessor: Assessor) -> None:
    ev = assessor.assess(patient_from_mapping({"observed": ["HP:0000934"]})).evidence
    assert "peripheral_chondrocalcinosis" in ev.present and "calcified_mass" not in ev.present


def test_radiating_leg_pain_with_a_normal_examination_is_not_a_deficit(assessor: Assessor) -> None:
    ev = assessor.assess(patient_from_mapping({"observed": ["HP:0011868"], "neuro_deficit": False})).evidence
    assert "neurological_deficit" in ev.absent and "axial_pain" in ev.present


def test_one_excluded_sign_does_not_rule_out_a_deficit_shown_in_other_ways(assessor: Assessor) -> None:
    """'No weakness' leaves a deficit unknown; an excluded term that covers the whole feature rules it out."""
    no_weakness = assessor.assess(patient_from_mapping({"excluded": ["HP:0001324"]})).evidence
    assert no_weakness.status("neurological_deficit") is None
    no_fever = assessor.assess(patient_from_mapping({"excluded": ["HP:0001945"]})).evidence
    assert "fever" in no_fever.absent


def test_a_benign_neoplasm_term_is_not_a_known_cancer(assessor: Assessor) -> None:
    assert "known_malignancy" not in assessor.assess(patient_from_mapping({"observed": ["HP:0002664"]})).evidence.present
    assert "known_malignancy" in assessor.assess(patient_from_mapping({"observed": ["HP:0012125"]})).evidence.present


@pytest.mark.parametrize("history, trauma", [
    ("other:osteoporotic vertebral compression fracture", False),
    ("other:pathological fracture of T9", False),
    ("other:fracture of the arch after a fall from a ladder", True),
])
def test_only_a_traumatic_fracture_is_trauma(assessor: Assessor, history: str, trauma: bool) -> None:
    ev = assessor.assess(patient_from_mapping({"history": [history]})).evidence
    assert ("local_trauma" in ev.present) is trauma


def test_a_history_tag_with_underscores_is_read_as_words(assessor: Assessor) -> None:
    ev = assessor.assess(patient_from_mapping({"history": ["systemic_sclerosis"]})).evidence
    assert "connective_tissue_disease" in ev.present


# ---- the blind set is only ever summarised -------------------------------------------------------

def _eval_module() -> object:
    spec = importlib.util.spec_from_file_location("assess_eval_for_test", ROOT / "bench" / "assess_eval.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_blind_summary_prints_figures_and_never_a_case(assessor: Assessor, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    ev = _eval_module()
    blind = tmp_path / "blind.yaml"
    blind.write_text(
        "vignettes:\n"
        "  - {id: secret-case-one, truth: spinal_gout, patient: {age_years: 60, sex: male, levels: L4,"
        " pathology: ['needle-shaped negatively birefringent crystals']}}\n"
        "  - {id: secret-case-two, truth: osteoid_osteoma, patient: {age_years: 15, levels: L3,"
        " imaging: ['small nidus ringed by sclerosis in the pedicle']}}\n",
        encoding="utf-8")
    ev.blind_summary(assessor, (blind,))  # type: ignore[attr-defined]
    out = capsys.readouterr().out
    assert "n=  2" in out and "top-1" in out and "top-3" in out
    assert "secret-case" not in out and "spinal_gout" not in out and "osteoid" not in out
    ev.blind_summary(assessor, (tmp_path / "absent.yaml",))  # type: ignore[attr-defined]
    assert "skipped" in capsys.readouterr().out
    texts = tmp_path / "texts"
    texts.mkdir()
    (texts / "b-01.txt").write_text(
        "Case report\n\nA 15-year-old boy had back pain at night relieved by aspirin. CT showed a small nidus "
        "ringed by sclerosis in the L3 pedicle.\n", encoding="utf-8")
    gold = tmp_path / "gold.jsonl"
    gold.write_text('{"file": "b-01.txt", "diagnosis": "osteoid_osteoma"}\n', encoding="utf-8")
    ev.blind_summary(assessor, (), ((texts, gold, "secret texts"),))  # type: ignore[attr-defined]
    out = capsys.readouterr().out
    assert "n=  1" in out and "b-01" not in out and "osteoid" not in out and "nidus" not in out

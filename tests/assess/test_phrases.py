"""How imaging and pathology wording becomes findings: the phrase classes spine case reports use.

Every phrase here is our own wording of the kind of sentence a report contains; none is copied.
"""

from __future__ import annotations

import pytest

from calcispine.assess import Assessor, patient_from_mapping
from calcispine.assess._evidence import levels_in_text, phrase_findings
from calcispine.knowledge._differential import KnowledgeBase


def _read(kb: KnowledgeBase, text: str, source: str = "imaging") -> dict[str, bool]:
    return phrase_findings(kb, text, source)


@pytest.mark.parametrize("text", [
    "partly calcified mass in the lumbar canal on MRI",
    "a soft-tissue mass, partially calcified on CT",
    "mass with scattered punctate calcifications",
    "linear calcification inside the mass",
])
def test_a_partly_calcified_mass_reads_as_calcified_and_as_partly_so(kb: KnowledgeBase, assessor: Assessor,
                                                                      text: str) -> None:
    assert _read(kb, text).get("partial_calcification") is True
    ev = assessor.assess(patient_from_mapping({"imaging": [text]})).evidence
    assert "calcified_mass" in ev.present and "partial_calcification" in ev.present


@pytest.mark.parametrize("text, feature", [
    ("bony outgrowth from the left lamina of C4", "bony_outgrowth"),
    ("sessile bony excrescence on the spinous process", "bony_outgrowth"),
    ("pedunculated lesion projecting from the transverse process", "bony_outgrowth"),
    ("bone tumour growing out from the inferior articular process into the canal", "bony_outgrowth"),
    ("cortical and medullary continuity with the parent vertebra", "corticomedullary_continuity"),
    ("its marrow cavity is continuous with the medulla of the lamina", "corticomedullary_continuity"),
    ("capped by a thin layer of hyaline cartilage", "cartilage_cap"),
    ("a cartilage-capped lesion", "cartilage_cap"),
])
def test_osteochondroma_wording_is_read(kb: KnowledgeBase, text: str, feature: str) -> None:
    assert _read(kb, text).get(feature) is True


def test_an_exophytic_lesion_with_medullary_continuity_in_a_young_man_is_osteochondroma(assessor: Assessor) -> None:
    a = assessor.assess(patient_from_mapping({
        "age_years": 24, "sex": "male", "levels": "C3", "observed": ["HP:0030833"],
        "imaging": ["sessile bony excrescence arising from the C3 lamina, cortex and marrow continuous with the lamina"],
    }))
    assert a.top.entity == "osteochondroma"
    lrs = {x.feature: x.lr for x in a.top.explanation}
    assert lrs["bony_outgrowth"] > 1 and lrs["corticomedullary_continuity"] > 1


@pytest.mark.parametrize("text, present, absent", [
    ("destructive change of the facet joints", {"bone_destruction"}, set()),
    ("expansile lytic lesion of the pedicle", {"bone_destruction", "expansile"}, set()),
    ("smooth erosion of the adjacent lamina", {"bone_erosion"}, {"bone_destruction"}),
    ("punched-out erosions with overhanging edges", {"bone_erosion", "erosions_overhanging"}, set()),
    ("surrounding osteosclerosis", {"reactive_sclerosis"}, {"bone_erosion"}),
])
def test_destructive_lytic_and_erosive_wording(kb: KnowledgeBase, text: str, present: set[str],
                                                absent: set[str]) -> None:
    found = _read(kb, text)
    assert {k for k, v in found.items() if v} >= present
    assert not (set(found) & absent)


@pytest.mark.parametrize("text, feature, expected", [
    ("the bone scan was normal", "bone_scan_uptake", False),
    ("no uptake on bone scintigraphy", "bone_scan_uptake", False),
    ("a non-calcified soft-tissue mass", "calcified_mass", False),
    ("a mass with no calcification", "calcified_mass", False),
    ("the mass was not calcified", "calcified_mass", False),
    ("calcification around the odontoid process without erosion of the dens", "site_dens", True),
    ("calcification around the odontoid process without erosion of the dens", "bone_erosion", False),
])
def test_negation_by_cue_prefix_verdict_and_inside_the_phrase(kb: KnowledgeBase, text: str, feature: str,
                                                              expected: bool) -> None:
    assert _read(kb, text).get(feature) is expected


def test_t2_signal_is_the_lesions_own_and_overrules_dark_on_both(kb: KnowledgeBase) -> None:
    mixed = _read(kb, "hypointense on T1 and hyperintense on T2")
    assert mixed.get("t2_hyperintense") is True and "t1_t2_hypointense" not in mixed
    assert _read(kb, "low signal on T1- and T2-weighted images").get("t1_t2_hypointense") is True
    assert _read(kb, "low in intensity on both T1 and T2").get("t1_t2_hypointense") is True
    cord = _read(kb, "dark mass compressing the cord, which is bright on T2")
    assert "t2_hyperintense" not in cord


def test_a_bright_lobulated_ring_and_arc_mass_points_to_a_chondroid_tumour(assessor: Assessor) -> None:
    a = assessor.assess(patient_from_mapping({
        "age_years": 47, "sex": "male", "levels": "T7", "observed": ["HP:0003418"],
        "imaging": ["lobulated mass of the posterior elements, bright on T2, with ring-and-arc calcification"],
    }))
    assert a.top.entity == "chondrosarcoma"


def test_levels_in_imaging_text_skip_mri_sequences() -> None:
    assert [str(x) for x in levels_in_text("extradural mass at L2-3 compressing the L3 root")] == ["L2", "L3"]
    assert levels_in_text("hypointense on T1 and T2") == ()
    assert levels_in_text("low signal on T2-weighted images") == ()
    assert [str(x) for x in levels_in_text("epidural mass at T11-T12")] == ["T11", "T12"]


def test_a_lesion_without_levels_takes_its_region_from_the_imaging(assessor: Assessor) -> None:
    ev = assessor.assess(patient_from_mapping({"imaging": ["partly calcified lumbar mass on MRI"]})).evidence
    assert "region_lumbar" in ev.present and "multilevel" not in ev.present
    ev = assessor.assess(patient_from_mapping({"imaging": ["calcified mass in the canal at C5-C6"]})).evidence
    assert "region_cervical" in ev.present and [str(x) for x in ev.levels] == ["C5", "C6"]
    ev = assessor.assess(patient_from_mapping({"imaging": ["cervical and lumbar paraspinal calcifications"]})).evidence
    assert "region_cervical" in ev.present and "region_lumbar" not in ev.present  # the most cranial region
    given = assessor.assess(patient_from_mapping({"levels": "L4", "imaging": ["mass reaching up to C7"]})).evidence
    assert "region_lumbar" in given.present and "region_cervical" not in given.present  # stated levels win


@pytest.mark.parametrize("text, source, feature", [
    ("white chalk-like paste", "pathology", "chalky_material"),
    ("needle-shaped crystals, negatively birefringent", "pathology", "urate_crystals"),
    ("crystals with weakly positive birefringence", "pathology", "cppd_crystals"),
    ("culture of the pus grew Mycobacterium", "pathology", "granulomatous_infection"),
    ("lobules of cartilage with atypical chondrocytes", "pathology", "malignant_cells"),
    ("renal failure on haemodialysis for six years", "history", "chronic_kidney_disease"),
    ("rheumatoid arthritis", "history", "connective_tissue_disease"),
    ("chondrocalcinosis of both knees", "imaging", "peripheral_chondrocalcinosis"),
    ("paravertebral fluid collection with a rim", "imaging", "paraspinal_abscess"),
])
def test_other_classes_of_report_wording(kb: KnowledgeBase, text: str, source: str, feature: str) -> None:
    assert _read(kb, text, source).get(feature) is True


def test_crystals_not_found_count_against_both_crystal_diseases(kb: KnowledgeBase) -> None:
    found = _read(kb, "no crystals were seen under polarised light", "pathology")
    assert found.get("urate_crystals") is False and found.get("cppd_crystals") is False


def test_a_histological_granuloma_with_caseation_is_not_read_as_tumoral_calcinosis_histology(
        kb: KnowledgeBase) -> None:
    found = _read(kb, "caseating granulomas with Langhans giant cells", "pathology")
    assert found.get("granulomatous_infection") is True and "amorphous_deposits_histiocytes" not in found


@pytest.mark.parametrize("text, present, absent", [
    ("crystal deposits surrounded by granulomatous inflammation", {"urate_crystals", "cppd_crystals"},
     {"granulomatous_infection"}),
    ("foreign body granulomatous reaction around the calcified material", {"amorphous_deposits_histiocytes"},
     {"granulomatous_infection"}),
    ("deposits of birefringent crystals", {"urate_crystals", "cppd_crystals"}, set()),
    ("negatively birefringent needle-shaped crystals", {"urate_crystals"}, {"cppd_crystals"}),
    ("monosodium urate crystal deposits", {"urate_crystals"}, {"cppd_crystals"}),
    ("calcium pyrophosphate dihydrate crystal deposits", {"cppd_crystals"}, {"urate_crystals"}),
    ("caseating granulomas; no crystals were seen", {"granulomatous_infection"}, {"urate_crystals", "cppd_crystals"}),
    ("granulomatous inflammation with caseous necrosis", {"granulomatous_infection"}, set()),
])
def test_crystals_of_unstated_kind_and_granulomas_around_deposits(kb: KnowledgeBase, text: str, present: set[str],
                                                                 absent: set[str]) -> None:
    found = {k for k, v in _read(kb, text, "pathology").items() if v}
    assert present <= found and not (absent & found)


@pytest.mark.parametrize("text, source, feature", [
    ("lobulated tumour of hyaline cartilage in a myxoid background", "pathology", "cartilage_tissue"),
    ("calcified deposits with chondroid metaplasia", "pathology", "cartilage_tissue"),
    ("peripheral and septal enhancement after gadolinium", "imaging", "septal_enhancement"),
    ("extensive bone marrow oedema of the pedicle and body on STIR", "imaging", "marrow_oedema"),
    ("stippled calcifications within the soft-tissue component", "imaging", "chondroid_matrix"),
    ("radiographs: painful thoracolumbar scoliosis", "imaging", "painful_scoliosis"),
])
def test_cartilage_histology_enhancement_oedema_and_scoliosis_wording(kb: KnowledgeBase, text: str, source: str,
                                                                      feature: str) -> None:
    assert _read(kb, text, source).get(feature) is True


def test_a_cartilage_cap_is_not_counted_again_as_cartilage_tissue(kb: KnowledgeBase) -> None:
    found = _read(kb, "a cap of hyaline cartilage over mature trabecular bone", "pathology")
    assert found.get("cartilage_cap") is True and "cartilage_tissue" not in found


def test_septal_enhancement_and_cartilage_histology_favour_the_chondroid_tumour(assessor: Assessor) -> None:
    base = {"age_years": 50, "sex": "male", "levels": "T6", "imaging": ["destructive mass of the T6 body"]}
    without = assessor.assess(patient_from_mapping(base))
    richer = assessor.assess(patient_from_mapping({
        **base, "imaging": [*base["imaging"], "peripheral and septal enhancement"],
        "pathology": ["lobules of hyaline cartilage"]}))
    assert without.top.entity != "chondrosarcoma" and richer.top.entity == "chondrosarcoma"


@pytest.mark.parametrize("text, present", [
    ("bone-forming mass within the foramen", {"bone_forming"}),
    ("CT: a mass of bone density beside the facet", {"bone_forming", "site_facet_joint"}),
    ("CT: bone-density mass beside the left lamina", {"bone_forming", "site_posterior_elements"}),
    ("sclerotic lesion of the L3 pedicle", {"bone_forming"}),
])
def test_bone_forming_lesions_are_told_from_calcified_masses(kb: KnowledgeBase, text: str, present: set[str]) -> None:
    found = {k for k, v in _read(kb, text).items() if v}
    assert present <= found and "calcified_mass" not in found


def test_an_ossified_ligament_or_many_sclerotic_deposits_are_not_counted_again_as_bone_forming(
        kb: KnowledgeBase) -> None:
    assert "bone_forming" not in _read(kb, "ossified mass behind the vertebral body")
    assert "bone_forming" not in _read(kb, "multiple sclerotic lesions throughout the spine")


def test_size_words_count_only_when_no_size_is_measured(assessor: Assessor) -> None:
    def size(imaging: list[str]) -> bool | None:
        ev = assessor.assess(patient_from_mapping({"levels": "C7", "imaging": imaging})).evidence
        return True if "size_over_2cm" in ev.present else False if "size_over_2cm" in ev.absent else None
    assert size(["small lesion of the left lamina"]) is False
    assert size(["large calcified mass behind the cord"]) is True
    assert size(["small lesion of the lamina measuring 3 cm"]) is True
    assert size(["large mass, 1.5 cm across"]) is False
    assert size(["lesion of the lamina"]) is None


@pytest.mark.parametrize("text, source, feature", [
    ("a destructive mass mimicking a malignant tumour", "pathology", "malignant_cells"),
    ("extradural deposits whose initial diagnosis had been lymphoid malignancy", "history", "known_malignancy"),
    ("the lesion was first treated as a paraspinal abscess", "imaging", "paraspinal_abscess"),
    ("a lytic lesion suspicious for a sarcoma", "pathology", "malignant_cells"),
])
def test_what_the_lesion_was_taken_for_is_not_a_finding(kb: KnowledgeBase, text: str, source: str,
                                                        feature: str) -> None:
    assert feature not in _read(kb, text, source)


@pytest.mark.parametrize("text, source, feature", [
    ("destructive lesion of the T9 body, mimicking a malignant tumour", "imaging", "bone_destruction"),
    ("mimicking a tumour, with erosion of the lamina", "imaging", "bone_erosion"),
    ("lesion presumed malignant, with lytic destruction of the body", "imaging", "bone_destruction"),
    ("biopsy to rule out malignancy showed amorphous calcified material with histiocytes", "pathology",
     "amorphous_deposits_histiocytes"),
    ("CT suggestive of a calcified mass at C1-C2", "imaging", "calcified_mass"),
])
def test_a_finding_outside_a_look_alike_cue_still_counts(kb: KnowledgeBase, text: str, source: str,
                                                         feature: str) -> None:
    assert _read(kb, text, source).get(feature) is True


@pytest.mark.parametrize("text, source, feature", [
    ("sweating at night and nocturnal enuresis", "history", "night_pain"),
    ("NSAIDs failed to relieve the pain", "history", "night_pain_nsaid_relief"),
    ("degenerative lumbar scoliosis", "imaging", "painful_scoliosis"),
    ("woven bone with osteoblasts and Howship lacunae", "pathology", "cartilage_tissue"),
    ("giant cell tumour of the sacrum", "imaging", "size_over_2cm"),
    ("oedema surrounding the lamina in the paraspinal muscles", "imaging", "marrow_oedema"),
])
def test_words_that_only_look_like_a_finding_are_not_read(kb: KnowledgeBase, text: str, source: str,
                                                          feature: str) -> None:
    assert _read(kb, text, source).get(feature) is not True


def test_a_mass_with_calcified_and_uncalcified_parts_is_partly_calcified(assessor: Assessor) -> None:
    ev = assessor.assess(patient_from_mapping({
        "levels": "C2", "imaging": ["lesion of the odontoid process with calcified and non-calcified components"]})).evidence
    assert {"partial_calcification", "calcified_mass"} <= set(ev.present)


def test_bone_density_in_a_spinal_ligament_is_an_ossified_ligament(kb: KnowledgeBase) -> None:
    found = _read(kb, "CT: bone-density mass in the yellow ligament at L5-S1")
    assert found.get("ligament_ossification_continuous") is True and "bone_forming" not in found


@pytest.mark.parametrize("text, source, expected", [
    ("examination: a firm, palpable mass at the nape", "imaging", True),
    ("a slow-growing lump over the lower back", "history", True),
    ("no palpable mass", "history", False),
    ("prevertebral soft-tissue swelling on CT", "imaging", None),
    ("calcified mass at L4 on CT", "imaging", None),
])
def test_a_mass_felt_on_examination_is_told_from_one_seen_on_imaging(kb: KnowledgeBase, text: str, source: str,
                                                                      expected: bool | None) -> None:
    assert _read(kb, text, source).get("palpable_mass") is expected


@pytest.mark.parametrize("text", [
    "the adjacent discs are not involved",
    "skip lesions of the vertebral bodies with relatively preserved intervertebral discs",
    "intervertebral disc spaces were preserved",
])
def test_discs_said_to_be_spared_show_the_disc_not_involved(kb: KnowledgeBase, text: str) -> None:
    assert _read(kb, text).get("site_disc") is False


def test_a_spared_disc_tells_a_metastasis_from_an_infection(assessor: Assessor) -> None:
    base = {"age_years": 67, "sex": "male", "levels": "L2-L3", "imaging": ["destructive lesions of the L2 and L3 bodies"]}
    spared = assessor.assess(patient_from_mapping({**base, "imaging": [*base["imaging"], "the discs are spared"]}))
    involved = assessor.assess(patient_from_mapping({**base, "imaging": [*base["imaging"], "the L2-L3 disc space is involved"]}))
    assert spared.rank_of("osteoblastic_metastasis") < spared.rank_of("infectious_spondylitis")
    assert involved.rank_of("infectious_spondylitis") < involved.rank_of("osteoblastic_metastasis")

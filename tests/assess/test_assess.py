"""assess() end to end on patients written for these tests (in our own words)."""

from __future__ import annotations

import json

import pytest

from calcispine.assess import (
    AssessInputError,
    Assessor,
    assess,
    patient_from_mapping,
    patient_from_phenopacket,
    to_markdown,
)

UREMIC = {
    "id": "uremic-neck", "age_years": 47, "sex": "female", "levels": "C3-C4",
    "observed": ["HP:0030833"], "history": ["hemodialysis"],
    "imaging": ["multilobulated calcified mass around the left C3-C4 facet joint with fluid-calcium levels"],
    "labs": {"calcium": "2.45 mmol/L", "phosphate": "2.5 mmol/L", "pth": "95 pmol/L", "alp": "310 U/L"},
    "neuro_deficit": False,
}


def test_uremic_facet_mass_ranks_tumoral_calcinosis_first_with_explanation(assessor: Assessor) -> None:
    a = assessor.assess(patient_from_mapping(UREMIC))
    assert a.top.entity == "tumoral_calcinosis" and a.top.probability > 0.8
    feats = {x.feature for x in a.top.explanation}
    assert {"dialysis", "fluid_calcium_levels", "site_facet_joint", "elevated_phosphate"} <= feats
    assert a.etiology.etiology_class == "secondary" and a.etiology.uremic
    assert "metastatic" in a.etiology.boulman


def test_labs_are_converted_both_ways_and_the_product_flagged(assessor: Assessor) -> None:
    a = assessor.assess(patient_from_mapping(UREMIC))
    phos = next(r for r in a.labs.readings if r.analyte == "phosphate")
    assert phos.unit == "mmol/L" and dict(phos.other_units)["mg/dL"] == pytest.approx(2.5 * 3.097, rel=1e-3)
    assert a.labs.ca_p_product == pytest.approx(2.45 * 4.008 * 2.5 * 3.097, rel=1e-3)
    assert "metastatic_calcification" in a.labs.ca_p_thresholds_exceeded
    assert a.labs.hyperphosphatemia is True


def test_management_follows_conditions(assessor: Assessor) -> None:
    a = assessor.assess(patient_from_mapping(UREMIC))
    status = {m.key: m.status for m in a.management}
    assert status["observation_without_resection"] == "indicated"
    assert status["decompression_resection"] == "not indicated"
    assert status["renal_transplantation"] == "indicated"
    assert all(m.citations for m in a.management)


def test_nidus_and_night_pain_in_a_teenager_point_to_osteoid_osteoma(assessor: Assessor) -> None:
    p = patient_from_mapping({"age_years": 14, "sex": "M", "levels": "L3", "observed": ["HP:0002650"],
                              "features": {"ct_nidus": True, "night_pain": True, "night_pain_nsaid_relief": True},
                              "lesion_size_cm": 1.0})
    a = assessor.assess(p)
    assert a.top.entity == "osteoid_osteoma"
    assert a.rank_of("osteoblastoma") <= 3


def test_next_checks_name_tests_that_separate_the_leaders(assessor: Assessor) -> None:
    a = assessor.assess(patient_from_mapping({"age_years": 60, "sex": "male", "levels": "L4-L5",
                                              "observed": ["HP:0003418"]}))
    assert a.next_checks and a.next_checks[0].information_gain > 0
    checks = [n.check for n in a.next_checks]
    assert len(checks) == len(set(checks))


def test_json_has_the_documented_shape(assessor: Assessor) -> None:
    d = assessor.assess(patient_from_mapping(UREMIC)).to_dict()
    json.dumps(d)
    assert {"differential", "etiology", "labs", "next_checks", "management", "similar_cases"} <= set(d)
    first = d["differential"][0]
    assert {"diagnosis", "id", "probability", "explanation"} <= set(first)
    assert d["versions"]["hpo_release"] and d["versions"]["knowledge_base"]
    assert sum(c["probability"] for c in d["differential"]) == pytest.approx(1.0, abs=1e-4)


def test_similar_cases_carry_reasons_and_citations(assessor: Assessor) -> None:
    a = assessor.assess(patient_from_mapping(UREMIC))
    assert a.similar_cases
    s = a.similar_cases[0]
    assert s.reasons and s.citations


def test_leave_one_out_removes_the_case_from_estimates_and_search(assessor: Assessor) -> None:
    case = next(c for c in assessor.cases if c.id.startswith("bartanusz"))
    kb_all, est_all = assessor.knowledge_for(None)
    kb_loo, est_loo = assessor.knowledge_for(case.id)
    n_all = {e.cases for e in est_all if e.entity == "capnon"}
    assert n_all == {1} and not any(e.entity == "capnon" for e in est_loo)
    from calcispine.assess import patient_from_case

    a = assessor.assess(patient_from_case(case), exclude=case.id)
    assert case.id not in {s.case_id for s in a.similar_cases}


def test_assess_function_with_explicit_registry_is_deterministic() -> None:
    p = patient_from_mapping(UREMIC)
    a, b = assess(p, registry_cases=()), assess(p, registry_cases=())
    assert [(c.entity, c.probability) for c in a.differential] == [(c.entity, c.probability) for c in b.differential]
    assert a.similar_cases == ()


def test_phenopacket_input_ignores_the_stated_disease(assessor: Assessor) -> None:
    pp = {"id": "pp1", "subject": {"id": "s1", "sex": "FEMALE", "timeAtLastEncounter": {"age": {"iso8601duration": "P83Y"}}},
          "phenotypicFeatures": [{"type": {"id": "HP:0003418", "label": "Back pain"}},
                                 {"type": {"id": "HP:0001945", "label": "Fever"}, "excluded": True}],
          "diseases": [{"term": {"id": "OMIM:215300", "label": "Chondrosarcoma"}}],
          "calcispine": {"levels": "L4-L5", "imaging": ["lobulated calcified mass at the L4/L5 facets, layering sediment"]}}
    p = patient_from_phenopacket(pp)
    assert p.age_years == 83 and p.excluded == ("HP:0001945",)
    a = assessor.assess(p)
    assert a.top.entity == "tumoral_calcinosis"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"observed": ["HP:0030910"]}, "not in HPO release.*did you mean"),
        ({"observed": ["HP:0030833"], "excluded": ["HP:0030833"]}, "both"),
        ({"labs": {"phosphate": "-2 mg/dL"}}, "negative"),
        ({"labs": {"phosphate": "400 mg/dL"}}, "outside what a patient can have"),
        ({"labs": {"phosphate": "2 furlongs"}}, "accepted: mg/dL"),
        ({"features": {"nidus": True}}, "unknown feature"),
        ({"levels": "C9"}, "C9"),
        ({"observed": ["neck pain"]}, "HP:0001234"),
    ],
)
def test_bad_input_is_a_clear_error(assessor: Assessor, data: dict, message: str) -> None:
    with pytest.raises(AssessInputError, match=message):
        assessor.assess(patient_from_mapping(data))


def test_a_phrase_shows_only_the_features_its_kind_of_input_can_show(assessor: Assessor) -> None:
    a = assessor.assess(patient_from_mapping({
        "imaging": ["densely calcified amorphous calcification behind the lamina"],
        "pathology": ["amorphous calcified material with giant cells"],
    }))
    present = a.evidence.present
    assert "amorphous_calcification" in present and "amorphous_deposits_histiocytes" in present
    assert all(why.startswith("imaging") for why in present["amorphous_calcification"])
    assert all(why.startswith("pathology") for why in present["amorphous_deposits_histiocytes"])
    assert "site_dens" not in present  # "densely" is not the dens


def test_an_atlantoaxial_lesion_counts_its_level_once(assessor: Assessor) -> None:
    a = assessor.assess(patient_from_mapping({"age_years": 70, "levels": "C1-C2"}))
    assert "region_craniocervical" in a.evidence.present and "region_cervical" not in a.evidence.present
    b = assessor.assess(patient_from_mapping({"age_years": 70, "levels": "C2-C3"}))
    assert "region_cervical" in b.evidence.present


def test_a_corticated_lobulated_calcified_facet_mass_is_tumoral_calcinosis_not_gout(assessor: Assessor) -> None:
    p = patient_from_mapping({
        "age_years": 64, "sex": "male", "levels": "L4-L5",
        "imaging": ["calcified multilobulated mass with a corticated rim next to the L4-L5 facet"],
    })
    a = assessor.assess(p)
    assert a.top.entity == "tumoral_calcinosis"
    assert a.rank_of("tumoral_calcinosis") < a.rank_of("spinal_gout")
    lrs = {x.feature: x.lr for x in a.top.explanation}
    assert lrs["peripheral_cortication"] > 1 and lrs["calcified_mass"] > 1


def test_crowned_dens_leads_as_its_own_presentation(assessor: Assessor) -> None:
    a = assessor.assess(patient_from_mapping({
        "age_years": 78, "sex": "female", "levels": "C1-C2", "observed": ["HP:0030833", "HP:0025258"],
        "features": {"acute_onset": True}, "imaging": ["halo of calcification around the dens on CT"],
    }))
    assert a.top.entity == "cppd" and a.top.presentation == "periodontoid"
    assert a.rank_of("cppd") == 1
    assert a.to_dict()["differential"][0]["presentation"] == "periodontoid"


def test_a_report_is_assessed_on_its_findings_not_the_names_its_authors_give() -> None:
    from calcispine.assess import patient_from_case
    from calcispine.extract import extract_case

    (case,) = extract_case("Case report\nA 70-year-old woman had neck pain. CT showed crowned dens syndrome with "
                           "calcification around the odontoid. Histology confirmed tumoral calcinosis.").cases
    patient = patient_from_case(case)
    assert patient.imaging == ("CT showed [diagnosis] with calcification around the odontoid",)
    assert patient.pathology == ("Histology confirmed [diagnosis]",)


def test_thin_evidence_comes_with_a_caution_that_names_what_is_known(assessor: Assessor) -> None:
    thin = assessor.assess(patient_from_mapping({"age_years": 40, "sex": "male", "levels": "T8",
                                                 "observed": ["HP:0003418"]}))
    assert thin.caution is not None and thin.caution.startswith("No finding is known beyond age, sex, level")
    one = assessor.assess(patient_from_mapping({"age_years": 40, "levels": "T8",
                                                "imaging": ["a lytic lesion"]}))
    assert one.caution is not None and "bone destruction" in one.caution
    assert thin.to_dict()["caution"] == thin.caution
    rich = assessor.assess(patient_from_mapping({
        "age_years": 40, "levels": "C4-C5", "history": ["hemodialysis"],
        "imaging": ["lobulated calcified mass at the C4-C5 facet joint"]}))
    assert rich.caution is None and rich.to_dict()["caution"] is None
    assert "Caution" in to_markdown(thin) and "Caution" not in to_markdown(rich)


def test_a_sacral_insufficiency_fracture_leads_as_its_own_presentation(assessor: Assessor) -> None:
    a = assessor.assess(patient_from_mapping({
        "age_years": 78, "sex": "female", "levels": "S1", "history": ["rheumatoid_arthritis"],
        "imaging": ["bone scan: increased uptake across both sacral alae",
                    "CT: vertical fracture lines through both sacral alae with sclerosis, no destructive mass"]}))
    assert (a.top.entity, a.top.presentation) == ("callus_fracture", "insufficiency")
    young = assessor.assess(patient_from_mapping({
        "age_years": 16, "sex": "male", "levels": "L5", "history": ["trauma"],
        "imaging": ["CT: fracture line through the left L5 pars with a sclerotic pedicle"]}))
    assert (young.top.entity, young.top.presentation) == ("callus_fracture", "stress_callus")


def test_a_mistyped_history_tag_is_an_error_that_names_the_tag_meant() -> None:
    with pytest.raises(AssessInputError, match=r"history: unknown history tag 'hemodyalisis': did you mean 'hemodialysis'"):
        patient_from_mapping({"history": ["hemodyalisis"]})
    assert patient_from_mapping({"history": ["gout", "other:renal transplant", "hemodialysis"]}).history == (
        "gout", "other:renal transplant", "hemodialysis")


def test_findings_ruled_out_in_words_count_against_the_caution(assessor: Assessor) -> None:
    ruled_out = assessor.assess(patient_from_mapping({
        "age_years": 40, "levels": "T8", "imaging": ["no bone destruction", "no calcification on CT"]}))
    assert ruled_out.caution is None
    history_only = assessor.assess(patient_from_mapping({"age_years": 40, "levels": "T8", "history": ["trauma"]}))
    assert history_only.caution is not None  # the history tags not named are not findings ruled out


def test_an_unknown_field_names_the_field_meant_and_lists_the_fields() -> None:
    with pytest.raises(AssessInputError) as err:
        patient_from_mapping({"age": 50, "levls": ["C4"]}, "patient.yaml")
    message = str(err.value)
    assert "unknown field 'age' (did you mean age_years?)" in message
    assert "unknown field 'levls' (did you mean levels?)" in message
    assert "the fields are age_years, sex, levels" in message and "clinical" in message


def test_other_conditions_are_history_but_never_the_cause_of_the_lesion(assessor: Assessor) -> None:
    a = assessor.assess(patient_from_mapping({
        "age_years": 35, "levels": "C5", "comorbidities": ["hypertension", "renal failure on haemodialysis"],
        "labs": [{"analyte": "phosphate", "value": 3.5, "unit": "mg/dL"}]}))
    assert {"dialysis", "chronic_kidney_disease"} <= set(a.evidence.present)  # read, and what it implies
    assert "other:hypertension" not in a.etiology.tags and "hypertension" not in a.etiology.tags

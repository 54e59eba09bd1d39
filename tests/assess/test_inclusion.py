"""Table rows carry the review's inclusion criterion, marked as such, and the assessment uses it."""

from __future__ import annotations

from calcispine.assess import Assessor, patient_from_case, pretest_probabilities
from calcispine.extract import load_packaged_table
from calcispine.extract._table import INCLUSION_RULE


def test_every_table_row_carries_the_inclusion_criterion_with_its_provenance() -> None:
    _, cases = load_packaged_table("guo-2017-table1")
    for case in cases:
        assert [f.hpo_id for f in case.findings] == ["HP:0010766"]
        assert all(f.evidence is not None and f.evidence.rule == INCLUSION_RULE for f in case.findings)
        assert case.imaging and "inclusion criterion" in case.imaging[0]
        prov = case.provenance_of("imaging")
        assert prov and prov[0].evidence is not None and prov[0].evidence.rule == INCLUSION_RULE
        assert "inclusion criterion of the table" in (prov[0].evidence.section or "")


def test_the_assessment_reads_the_criterion_as_a_lobulated_calcified_mass(assessor: Assessor) -> None:
    row = next(c for c in assessor.cases if c.id.startswith("watanabe-2000"))
    a = assessor.assess(patient_from_case(row), exclude=row.id)
    assert any("inclusion criterion" in why for why in a.evidence.present["lobulated_calcification"])


def test_scleroderma_frequency_is_not_estimated_from_a_table_that_excluded_it(assessor: Assessor) -> None:
    kb, estimates = assessor.knowledge_for(None)
    assert not any(e.entity == "tumoral_calcinosis" and e.feature == "connective_tissue_disease" for e in estimates)
    assert kb.frequency("tumoral_calcinosis", "connective_tissue_disease") == assessor.kb.frequency(
        "tumoral_calcinosis", "connective_tissue_disease")


def test_typical_tumoral_calcinosis_still_leads_despite_its_rare_prior(assessor: Assessor) -> None:
    """A rare prior, but dialysis, a lobulated facet mass with sedimentation and chalky material win."""
    from calcispine.assess import patient_from_mapping

    p = patient_from_mapping({
        "age_years": 58, "sex": "male", "levels": "L4-L5", "history": ["hemodialysis"],
        "imaging": ["lobulated calcified mass at the L4-L5 facet joint with fluid-calcium levels"],
        "pathology": ["chalky white material"],
    })
    a = assessor.assess(p)
    prior = pretest_probabilities(assessor.kb)
    assert prior["tumoral_calcinosis"] < prior["spinal_gout"] < prior["cppd"]
    assert a.top.entity == "tumoral_calcinosis"


def test_history_frequencies_count_every_row_that_states_a_cause(assessor: Assessor) -> None:
    """'none_reported' rows are in the denominator, as in the review's own count (9 of 32 on dialysis)."""
    _, estimates = assessor.knowledge_for(None)
    dialysis = next(e for e in estimates if e.entity == "tumoral_calcinosis" and e.feature == "dialysis")
    tc_rows = [c for c in assessor.cases if c.diagnosis and "calcinosis" in c.diagnosis.label.lower()]
    assert dialysis.cases == sum(1 for c in tc_rows if c.etiology)
    assert dialysis.with_feature < dialysis.cases / 2
    assert 0.2 < dialysis.frequency < 0.35


def test_the_criterion_also_reads_as_a_peripherally_corticated_calcified_mass(assessor: Assessor) -> None:
    row = next(c for c in assessor.cases if c.id.startswith("watanabe-2000"))
    a = assessor.assess(patient_from_case(row), exclude=row.id)
    assert {"peripheral_cortication", "calcified_mass", "lobulated_calcification"} <= set(a.evidence.present)

"""Scoring invariants: a proper distribution, order-free, and monotone in typical findings."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from calcispine.assess import Evidence, pretest_probabilities, score
from calcispine.assess._scoring import unit_priors
from calcispine.knowledge._differential import load_differential

KB = load_differential()
BINARY = sorted(k for k, f in KB.features.items() if f.group is None)


def _evidence(present: list[str], absent: list[str]) -> Evidence:
    absent = [a for a in absent if a not in present]
    return Evidence(present={k: ("test",) for k in present}, absent={k: ("test",) for k in absent})


findings = st.lists(st.sampled_from(BINARY), max_size=8, unique=True)


@settings(max_examples=60, deadline=None)
@given(findings, findings)
def test_probabilities_sum_to_one(present: list[str], absent: list[str]) -> None:
    cands = score(_evidence(present, absent), KB)
    assert math.isclose(sum(c.probability for c in cands), 1.0, rel_tol=1e-9)
    assert [c.probability for c in cands] == sorted((c.probability for c in cands), reverse=True)


@settings(max_examples=40, deadline=None)
@given(findings, findings, st.randoms())
def test_order_of_findings_does_not_change_the_result(present: list[str], absent: list[str], rnd) -> None:
    a = score(_evidence(present, absent), KB)
    p2, a2 = present[:], absent[:]
    rnd.shuffle(p2)
    rnd.shuffle(a2)
    b = score(_evidence(p2, a2), KB)
    assert [(c.entity, round(c.probability, 12)) for c in a] == [(c.entity, round(c.probability, 12)) for c in b]


@settings(max_examples=60, deadline=None)
@given(findings, findings)
def test_a_finding_typical_of_the_leader_never_lowers_its_probability(present: list[str], absent: list[str]) -> None:
    """Typical: no other candidate (entity or presentation) has the finding more often, given what is known.

    A finding that a known one is nested in (chronic kidney disease, when dialysis is known absent) is
    left out: adding it changes what the known finding means (no dialysis *despite* kidney disease), so
    its own frequency no longer says whether it favours the leader.
    """
    ev = _evidence(present, absent)
    before = score(ev, KB)
    lead = before[0]
    known = set(ev.present) | set(ev.absent)
    nests_a_known = {KB.features[k].given for k in known if KB.features[k].given}
    for feat in BINARY:
        if feat in known or feat in nests_a_known:
            continue
        f_lead = KB.conditional_frequency(lead.entity, feat, lead.presentation, ev.present)
        if all(f_lead >= KB.conditional_frequency(e, feat, p, ev.present) for e, p in KB.units):
            after = score(_evidence([*present, feat], absent), KB)
            p_after = next(c.probability for c in after if c.key == lead.key)
            assert p_after >= lead.probability - 1e-12, feat


def test_a_typical_finding_raises_the_leader_when_the_region_is_known() -> None:
    """The same property where a finding is conditional on another (the dens given C1)."""
    ev = Evidence(present={"region_craniocervical": ("t",), "age_60_plus": ("t",)})
    before = score(ev, KB)
    lead = before[0]
    after = score(Evidence(present={**ev.present, "site_dens": ("t",)}), KB)
    assert lead.entity == "cppd" and lead.presentation == "periodontoid"
    assert next(c.probability for c in after if c.key == lead.key) > lead.probability


def test_without_findings_the_ranking_is_the_prior_and_ties_are_broken_by_name() -> None:
    cands = score(Evidence(), KB)
    prior = unit_priors(KB, pretest_probabilities(KB))
    assert all(math.isclose(c.probability, prior[(c.entity, c.presentation)]) for c in cands)
    assert math.isclose(sum(c.probability for c in cands), 1.0)
    order = sorted(cands, key=lambda c: (-prior[(c.entity, c.presentation)], c.label))
    assert [c.key for c in cands] == [c.key for c in order]
    uniform = score(Evidence(), KB, pretest_probabilities(KB, uniform=True))
    single = [c.label for c in uniform if c.presentation is None]
    assert single == sorted(single)
    assert len({round(c.probability, 12) for c in uniform if c.presentation is None}) == 1


def test_presentations_share_their_entity_prior() -> None:
    prior = pretest_probabilities(KB, uniform=True)
    units = unit_priors(KB, prior)
    cppd = [p for (e, _), p in units.items() if e == "cppd"]
    assert len(cppd) == 2 and math.isclose(sum(cppd), prior["cppd"])
    assert math.isclose(sum(units.values()), 1.0)


def test_priors_follow_the_frequency_classes_and_sum_to_one() -> None:
    prior = pretest_probabilities(KB)
    assert math.isclose(sum(prior.values()), 1.0)
    classes = {e: KB.entities[e].prior.frequency_class for e in KB.entities}
    assert classes["tumoral_calcinosis"] == "rare" and classes["olf"] == "common"
    assert math.isclose(prior["olf"] / prior["tumoral_calcinosis"], KB.prior_classes["common"] / KB.prior_classes["rare"])


@settings(max_examples=40, deadline=None)
@given(findings, findings)
def test_absent_information_is_not_evidence(present: list[str], absent: list[str]) -> None:
    """Features nobody stated leave the ranking exactly where the stated ones put it."""
    ev = _evidence(present, absent)
    cands = score(ev, KB)
    for c in cands:
        assert {x.feature for x in c.explanation} == set(ev.present) | set(ev.absent)


def test_explanation_lists_every_finding_with_its_lr_and_citation() -> None:
    ev = _evidence(["ct_nidus", "night_pain_nsaid_relief"], ["fluid_calcium_levels"])
    cands = score(ev, KB)
    assert cands[0].entity == "osteoid_osteoma"
    expl = {x.feature: x for x in cands[0].explanation}
    assert set(expl) == {"ct_nidus", "night_pain_nsaid_relief", "fluid_calcium_levels"}
    assert expl["ct_nidus"].lr > 1 and expl["ct_nidus"].cites
    assert expl["fluid_calcium_levels"].present is False


def test_kidney_disease_without_dialysis_is_weighed_as_such() -> None:
    """The case the property leaves out: with dialysis known absent, kidney disease is mostly the non-dialysis
    kind, which tumoral calcinosis (uremic, on dialysis) rarely is, so it may lower that candidate."""
    no_dialysis = Evidence(absent={"dialysis": ("t",)})
    ckd = Evidence(present={"chronic_kidney_disease": ("t",)}, absent={"dialysis": ("t",)})
    tc = lambda ev: next(c.probability for c in score(ev, KB) if c.entity == "tumoral_calcinosis")  # noqa: E731
    with_dialysis = Evidence(present={"chronic_kidney_disease": ("t",), "dialysis": ("t",)})
    assert tc(with_dialysis) > tc(ckd) and tc(with_dialysis) > tc(no_dialysis)

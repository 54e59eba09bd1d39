"""The differential knowledge base loads, is cited, and rejects broken entries."""

from __future__ import annotations

import copy

import pytest
import yaml

from calcispine.knowledge import load_differential, load_management
from calcispine.knowledge._differential import KnowledgeBase, parse_knowledge

REQUIRED = {
    "tumoral_calcinosis", "capnon", "osteoblastoma", "osteoid_osteoma", "osteochondroma", "callus_fracture", "cppd",
    "longus_colli_tendinitis", "spinal_gout", "olf", "opll", "chondrosarcoma", "infectious_spondylitis",
    "osteoblastic_metastasis",
}


def test_every_required_entity_is_present(kb: KnowledgeBase) -> None:
    assert set(kb.entities) >= REQUIRED


def test_every_frequency_cites_a_source_with_pmid_or_doi(kb: KnowledgeBase) -> None:
    for ekey, ent in kb.entities.items():
        for fkey, fr in ent.features.items():
            assert any(kb.sources[c].identified for c in fr.c), (ekey, fkey)


def test_entities_are_not_coded_as_their_familial_forms(kb: KnowledgeBase) -> None:
    """Secondary tumoral calcinosis, a solitary osteochondroma, sporadic CPPD and gout are not the
    genetic diseases that carry ORPHA/OMIM codes (familial TC, multiple osteochondromas, ...)."""
    familial = {"ORPHA:53715", "OMIM:211900", "OMIM:610455", "ORPHA:321", "OMIM:133700", "ORPHA:1416",
                "OMIM:600668", "OMIM:118600", "OMIM:300323"}
    for key in ("tumoral_calcinosis", "osteochondroma", "cppd", "spinal_gout"):
        assert not familial & set(kb.entities[key].identifiers()), key
    assert "OMIM:602475" in kb.entities["opll"].identifiers()


def _raw() -> dict:
    from importlib import resources

    return yaml.safe_load(resources.files("calcispine.knowledge").joinpath("differential.yaml").read_text())


def test_an_entry_citing_an_unknown_source_is_rejected() -> None:
    data = copy.deepcopy(_raw())
    data["entities"]["osteoblastoma"]["features"]["ct_nidus"]["c"] = ["nobody-2099"]
    with pytest.raises(ValueError, match="nobody-2099"):
        parse_knowledge(yaml.safe_dump(data))


def test_an_entry_without_an_identified_source_is_rejected() -> None:
    data = copy.deepcopy(_raw())
    data["entities"]["osteoblastoma"]["features"]["ct_nidus"]["c"] = ["estimate"]
    with pytest.raises(ValueError, match="PMID or DOI"):
        parse_knowledge(yaml.safe_dump(data))


def test_a_verbal_figure_off_the_verbal_scale_is_rejected() -> None:
    data = copy.deepcopy(_raw())
    data["entities"]["osteoblastoma"]["features"]["ct_nidus"].update(f=0.55, b="verbal")
    with pytest.raises(ValueError, match="ct_nidus: basis verbal but 0.55 is not on verbal_scale"):
        parse_knowledge(yaml.safe_dump(data))
    data["entities"]["osteoblastoma"]["features"]["ct_nidus"]["b"] = "estimate"
    assert parse_knowledge(yaml.safe_dump(data)).entities["osteoblastoma"].features["ct_nidus"].f == 0.55


def test_a_frequency_outside_zero_one_is_rejected() -> None:
    data = copy.deepcopy(_raw())
    data["entities"]["osteoblastoma"]["features"]["ct_nidus"]["f"] = 1.5
    with pytest.raises(ValueError):
        parse_knowledge(yaml.safe_dump(data))


def test_entities_are_found_by_registry_keys_and_aliases(kb: KnowledgeBase) -> None:
    assert kb.entity_for("tumoral calcinosis") == "tumoral_calcinosis"
    assert kb.entity_for("calcifying pseudoneoplasm of the neuraxis") == "capnon"
    assert kb.entity_for("crowned dens syndrome") == "cppd"


def test_management_options_cite_known_sources() -> None:
    m = load_management()
    assert {"decompression_resection", "open_biopsy", "parathyroidectomy", "dialysis_intensification"} <= set(m.options)
    assert load_differential().version


def test_every_entity_has_a_cited_prior_with_its_derivation(kb: KnowledgeBase) -> None:
    assert kb.prior_context.strip()
    for ekey, ent in kb.entities.items():
        assert ent.prior.frequency_class in kb.prior_classes, ekey
        assert ent.prior.basis.strip(), ekey
        assert any(kb.sources[c].identified for c in ent.prior.c), ekey


def test_a_prior_in_an_unknown_class_is_rejected() -> None:
    data = copy.deepcopy(_raw())
    data["entities"]["osteoblastoma"]["prior"]["class"] = "frequent"
    with pytest.raises(ValueError, match="prior class 'frequent'"):
        parse_knowledge(yaml.safe_dump(data))


def test_presentation_shares_must_sum_to_one() -> None:
    data = copy.deepcopy(_raw())
    data["entities"]["cppd"]["presentations"]["periodontoid"]["share"] = 0.9
    with pytest.raises(ValueError, match="presentation shares sum to 1.30"):
        parse_knowledge(yaml.safe_dump(data))


def test_a_feature_given_an_unknown_feature_is_rejected() -> None:
    data = copy.deepcopy(_raw())
    data["features"]["site_dens"]["given"] = "region_moon"
    with pytest.raises(ValueError, match="given 'region_moon'"):
        parse_knowledge(yaml.safe_dump(data))


def test_an_own_registry_prior_strength_must_say_why() -> None:
    data = copy.deepcopy(_raw())
    del data["entities"]["capnon"]["registry_prior_basis"]
    with pytest.raises(ValueError, match="registry_prior_basis"):
        parse_knowledge(yaml.safe_dump(data))


def test_cppd_presentations_are_both_reported_under_the_cppd_name(kb: KnowledgeBase) -> None:
    cppd = kb.entities["cppd"]
    assert set(cppd.presentations) == {"periodontoid", "ligament_facet"}
    assert all(p.label.startswith("calcium pyrophosphate deposition") for p in cppd.presentations.values())
    # the whole-entity frequency is the share-weighted mixture of the presentations
    mix = sum(p.share * kb.frequency("cppd", "site_dens", k) for k, p in cppd.presentations.items())
    assert kb.frequency("cppd", "site_dens") == pytest.approx(mix)
    assert kb.frequency("cppd", "site_dens", "periodontoid") > 0.8 > kb.frequency("cppd", "site_dens", "ligament_facet")


def test_a_nested_finding_more_frequent_than_the_one_it_needs_is_rejected() -> None:
    data = copy.deepcopy(_raw())
    data["entities"]["spinal_gout"]["features"]["erosions_overhanging"].update(f=0.95, b="estimate")  # bone_erosion 0.9
    with pytest.raises(ValueError, match="erosions_overhanging .* more frequent than bone_erosion"):
        parse_knowledge(yaml.safe_dump(data))


def test_a_phrase_that_is_not_a_regular_expression_is_rejected() -> None:
    data = copy.deepcopy(_raw())
    data["features"]["bony_outgrowth"]["phrases"] = ["outgrowth(", "exophyt"]
    with pytest.raises(ValueError, match="not a valid regular expression"):
        parse_knowledge(yaml.safe_dump(data))


def test_a_feature_yielding_to_an_unknown_feature_is_rejected() -> None:
    data = copy.deepcopy(_raw())
    data["features"]["t1_t2_hypointense"]["unless"] = ["t2_bright_signal"]
    with pytest.raises(ValueError, match="unless"):
        parse_knowledge(yaml.safe_dump(data))


def test_every_new_imaging_feature_has_a_cited_figure_for_every_entity(kb: KnowledgeBase) -> None:
    """The features added in 2026.12.3 are stated for each entity, not left to their defaults."""
    for fkey in ("partial_calcification", "t2_hyperintense", "bone_erosion", "bony_outgrowth", "osseous_origin"):
        for ekey in kb.entities:
            units = [p for e, p in kb.units if e == ekey]
            assert all(kb.entry(ekey, fkey, p) is not None for p in units), (ekey, fkey)


def test_region_words_must_name_region_features() -> None:
    data = copy.deepcopy(_raw())
    data["region_words"]["site_facet_joint"] = ["facet"]
    with pytest.raises(ValueError, match="not region features"):
        parse_knowledge(yaml.safe_dump(data))

"""GA4GH Phenopacket v2 export and import."""

from __future__ import annotations

import json
from pathlib import Path

import phenopackets as pps
import pytest
from google.protobuf import json_format

from calcispine.exchange import (
    EXTENSION_ID,
    PhenopacketError,
    age_to_iso,
    case_from_phenopacket,
    case_to_phenopacket,
    iso_to_years,
    phenopacket_to_json,
    read_phenopacket,
    read_phenopackets,
    write_phenopackets,
)
from calcispine.model import Case, Source


def test_every_field_survives_the_round_trip(cases: list[Case], sources: list[Source]) -> None:
    for case in cases:
        back = case_from_phenopacket(case_to_phenopacket(case, sources, versions={"hpo": "2025-01-16"}))
        assert back == case
        assert back.versions == case.versions


def test_json_parses_back_with_the_phenopackets_package_and_is_equal(rich_case: Case, sources: list[Source]) -> None:
    packet = case_to_phenopacket(rich_case, sources, versions={"hpo": "2025-01-16"})
    parsed = json_format.Parse(phenopacket_to_json(packet), pps.Phenopacket())
    assert parsed == packet
    assert case_from_phenopacket(parsed) == rich_case


def test_standard_fields_carry_what_phenopacket_has_room_for(rich_case: Case, sources: list[Source]) -> None:
    packet = case_to_phenopacket(rich_case, sources, versions={"hpo": "2025-01-16"})
    assert packet.subject.sex == pps.FEMALE
    assert packet.subject.time_at_last_encounter.age.iso8601duration == "P55Y5M"
    features = {f.type.id: f for f in packet.phenotypic_features}
    assert features["HP:0001945"].excluded and not features["HP:0030833"].excluded
    assert features["HP:0030833"].evidence[0].reference.id == "PMID:30000001"
    assays = [m.assay.id for m in packet.measurements]
    assert assays[:4] == ["LOINC:17861-6", "LOINC:2777-1", "LOINC:2731-8", "LOINC:6768-6"]
    calcium = packet.measurements[0].value.quantity
    assert (calcium.value, calcium.unit.label) == (8.1, "mg/dL")
    assert packet.measurements[2].value.ontology_class.label == "increased"
    assert packet.diseases[0].term.id == "MONDO:0000001"
    assert packet.diseases[0].laterality.label == "Left"
    meta = packet.meta_data
    assert meta.phenopacket_schema_version == "2.0"
    assert {"hp", "maxo", "mondo", "loinc"} <= {r.id for r in meta.resources}
    assert next(r.version for r in meta.resources if r.id == "hp") == "2025-01-16"
    assert EXTENSION_ID in {r.id for r in meta.external_references}
    extension = json.loads(next(r.description for r in meta.external_references if r.id == EXTENSION_ID))
    assert extension["levels"] == ["C4", "C5", "C6"] and extension["review_status"] == "reviewed"


def test_ages_as_iso_durations() -> None:
    assert age_to_iso(55) == "P55Y"
    assert age_to_iso(22 / 12) == "P1Y10M"
    assert age_to_iso(0.5) == "P6M"
    assert iso_to_years("P1Y10M") == pytest.approx(22 / 12)
    with pytest.raises(PhenopacketError, match="ISO 8601"):
        iso_to_years("55 years")


def test_age_range_and_child_age(child_case: Case, range_case: Case) -> None:
    child = case_to_phenopacket(child_case)
    assert child.subject.time_at_last_encounter.age.iso8601duration == "P1Y10M"
    rng = case_to_phenopacket(range_case).subject.time_at_last_encounter.age_range
    assert (rng.start.iso8601duration, rng.end.iso8601duration) == ("P50Y", "P54Y")


def test_a_foreign_phenopacket_without_the_extension_still_reads() -> None:
    packet = pps.Phenopacket(id="ext-1")
    packet.subject.id = "ext-1"
    packet.subject.sex = pps.MALE
    packet.subject.time_at_last_encounter.age.iso8601duration = "P40Y"
    packet.phenotypic_features.append(pps.PhenotypicFeature(
        type=pps.OntologyClass(id="HP:0001945", label="Fever"), excluded=True))
    packet.medical_actions.append(pps.MedicalAction(procedure=pps.Procedure(
        code=pps.OntologyClass(id="MAXO:0000004", label="surgical procedure"))))
    case = case_from_phenopacket(packet)
    assert case.age_years == 40 and case.excluded[0].hpo_id == "HP:0001945"
    assert case.treatments[0].maxo_id == "MAXO:0000004"


def test_files_one_per_case_read_back(cases: list[Case], sources: list[Source], tmp_path: Path) -> None:
    paths = write_phenopackets(cases, sources, tmp_path / "out", versions={"hpo": "2025-01-16"})
    assert len(paths) == 3 and all(p.suffix == ".json" for p in paths)
    assert not list((tmp_path / "out").glob(".*.tmp"))
    for path in paths:
        json_format.Parse(path.read_text(encoding="utf-8"), pps.Phenopacket())
    back, back_sources = read_phenopackets(tmp_path / "out")
    assert sorted(back, key=lambda c: c.id) == sorted(cases, key=lambda c: c.id)
    assert {s.id for s in back_sources} == {s.id for s in sources}
    assert {s.id: s for s in back_sources} == {s.id: s for s in sources}


def test_a_file_that_does_not_parse_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "broken.json"
    bad.write_text('{"id": "x", "subject": {"sex": "NOT_A_SEX"}}', encoding="utf-8")
    with pytest.raises(PhenopacketError, match="broken.json"):
        read_phenopacket(bad)
    with pytest.raises(PhenopacketError, match="missing.json"):
        read_phenopacket(tmp_path / "missing.json")


# -- coding: LOINC, disease ids, and levels, etiology and outcome in their Phenopacket places ----------


@pytest.fixture(scope="module")
def embedded_packets() -> dict[str, pps.Phenopacket]:
    from calcispine.registry import embedded_dataset, merge_records

    ds = embedded_dataset()
    merged = merge_records(ds.records, ds.sources)
    return {c.id: case_to_phenopacket(c, ds.sources, records=merged.records[c.id]) for c in merged.cases}


def _ids(message: object) -> list[str]:
    """Every ontology class id anywhere in a message."""
    out: list[str] = []
    for field, value in message.ListFields():  # type: ignore[attr-defined]
        for v in value if field.is_repeated else [value]:
            if isinstance(v, pps.OntologyClass):
                out.append(v.id)
            elif field.type == field.TYPE_MESSAGE:
                out.extend(_ids(v))
    return out


def test_labs_carry_one_loinc_code_per_analyte(embedded_packets: dict[str, pps.Phenopacket]) -> None:
    guo, tuy, kri = (embedded_packets[k] for k in ("guo-2017-c4-c6", "tuy-2008-c2-c3", "krishnamoorthy-2014-l4-l5"))
    assert [m.assay.id for m in guo.measurements] == [
        "LOINC:3094-0", "LOINC:2160-0", "LOINC:2731-8", "LOINC:17861-6", "LOINC:2777-1"]
    # the papers say 'phosphorus' and 'phosphate': one analyte, one code
    assert {m.assay.id for m in tuy.measurements} >= {"LOINC:2777-1"}
    assert {m.assay.id for m in kri.measurements} == {"LOINC:17861-6", "LOINC:2777-1"}
    for packet in embedded_packets.values():
        assert not [i for i in _ids(packet) if " " in i]


def test_stored_measurements_have_their_loinc_code() -> None:
    from calcispine.registry import embedded_dataset

    labs = [m for r in embedded_dataset().records for m in r.measurements]
    assert labs and all(m.loinc for m in labs)
    assert {m.analyte for m in labs} == {"urea_nitrogen", "creatinine", "pth", "calcium", "phosphate"}


def test_uremic_tumoral_calcinosis_is_not_coded_as_the_familial_disease(
        embedded_packets: dict[str, pps.Phenopacket]) -> None:
    from calcispine.exchange import knowledge_ids

    assert knowledge_ids("tumoral_calcinosis") == {"mondo": None, "orpha": None, "omim": None}
    for packet in embedded_packets.values():
        assert not {"ORPHA:53715", "OMIM:211900", "OMIM:610455"} & set(_ids(packet))
    assert embedded_packets["guo-2017-c4-c6"].diseases[0].term.id == "calcispine.diagnosis:tumoral_calcinosis"


def test_a_diagnosis_the_knowledge_base_codes_gets_that_code_and_reads_back_unchanged() -> None:
    from calcispine.model import Diagnosis, parse_levels

    case = Case("oc-1", source_ids=("s",), levels=parse_levels("C4-C6"),
                diagnosis=Diagnosis("opll", "ossification of the posterior longitudinal ligament"))
    packet = case_to_phenopacket(case)
    assert packet.diseases[0].term.id == "OMIM:602475"
    assert case_from_phenopacket(packet) == case  # the model's own ids stay empty


def test_levels_etiology_and_outcome_sit_in_phenopacket_fields(embedded_packets: dict[str, pps.Phenopacket]) -> None:
    guo = embedded_packets["guo-2017-c4-c6"]
    disease = guo.diseases[0]
    assert (disease.primary_site.id, disease.primary_site.label) == ("UBERON:0002413", "cervical vertebra")  # C4-C6
    conditions = [d.term.id for d in guo.diseases[1:]]
    assert conditions == ["calcispine.etiology:chronic_kidney_disease"]
    actions = {a.procedure.code.id: a for a in guo.medical_actions}
    dialysis = actions["calcispine.etiology:peritoneal_dialysis"]
    assert dialysis.treatment_target.id == "calcispine.etiology:chronic_kidney_disease"
    surgery = actions["MAXO:0000004"]
    assert surgery.procedure.body_site.id == "UBERON:0002413"
    assert surgery.treatment_target.id == disease.term.id
    assert (surgery.response_to_treatment.id, surgery.response_to_treatment.label) == ("calcispine.outcome:recovered",
                                                                                       "recovered")
    one_level = embedded_packets["blay-2001-l5"].diseases[0].primary_site
    assert (one_level.id, one_level.label) == ("UBERON:0004621", "lumbar vertebra 5")
    across = embedded_packets["jackson-2007-c6-t2"].diseases[0].primary_site
    assert across.id == "UBERON:0001130"  # C6-T2 spans two regions: the column, never a narrower site
    for packet in embedded_packets.values():  # every local prefix is declared as a resource
        prefixes = {i.split(":", 1)[0] for i in _ids(packet)}
        assert prefixes <= {r.namespace_prefix for r in packet.meta_data.resources}


def test_the_embedded_packets_parse_strictly_and_read_back_equal(embedded_packets: dict[str, pps.Phenopacket]) -> None:
    from calcispine.registry import embedded_dataset, merge_records

    ds = embedded_dataset()
    merged = {c.id: c for c in merge_records(ds.records, ds.sources).cases}
    for case_id, packet in embedded_packets.items():
        parsed = json_format.Parse(phenopacket_to_json(packet), pps.Phenopacket())
        assert case_from_phenopacket(parsed) == merged[case_id]


def _without_extension(packet: pps.Phenopacket) -> pps.Phenopacket:
    out = pps.Phenopacket()
    out.CopyFrom(packet)
    kept = [r for r in out.meta_data.external_references if r.id != EXTENSION_ID]
    del out.meta_data.external_references[:]
    out.meta_data.external_references.extend(kept)
    return out


def test_a_foreign_reader_gets_site_causes_and_outcome_from_the_standard_fields(
        embedded_packets: dict[str, pps.Phenopacket]) -> None:
    blay = case_from_phenopacket(_without_extension(embedded_packets["blay-2001-l5"]))
    assert [lv.name for lv in blay.levels] == ["L5"] and blay.etiology == ("hyperphosphatemia",)
    tuy = case_from_phenopacket(_without_extension(embedded_packets["tuy-2008-c2-c3"]))
    assert set(tuy.etiology) == {"scleroderma", "chronic_kidney_disease", "hemodialysis"}
    assert tuy.outcome is not None and tuy.outcome.status == "recovered"
    assert "hemodialysis" not in tuy.treatment_codes  # a cause, not a treatment of this lesion
    assert tuy.levels == ()  # C2-C3 is coded as 'cervical vertebra': not narrowed to one level

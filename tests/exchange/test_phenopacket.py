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

"""Fixture cases written for these tests (facts invented or taken as figures, no corpus sentences)."""

from __future__ import annotations

import pytest

from calcispine.knowledge import load_labs
from calcispine.model import (
    Case,
    Conflict,
    Diagnosis,
    Evidence,
    Finding,
    LabFlag,
    Measurement,
    Outcome,
    Provenance,
    ReviewStatus,
    Sex,
    Side,
    Source,
    SourceRef,
    Treatment,
    parse_levels,
)


@pytest.fixture
def sources() -> list[Source]:
    return [
        Source("smith-2019", authors=("Smith J", "Doe A", "Roe B"), year=2019, title="A calcified facet mass",
               journal="Spine Rep", volume="4", issue="2", pages="10-14", pmid="30000001", doi="10.1000/xyz.1"),
        Source("lee-2020-table", authors=("Lee K",), year=2020, kind="summary_table",
               note="row 7 of table 1"),
    ]


@pytest.fixture
def rich_case() -> Case:
    labs = load_labs()
    ev = Evidence(120, 141, "pain in the neck", sentence="She had pain in the neck for a year.",
                  section="case presentation", rule="fenominal")
    return Case(
        id="smith-2019-p1",
        source_ids=("smith-2019", "lee-2020-table"),
        label="Patient 1",
        age_years=55.4,
        age_range_years=(55.0, 56.0),
        sex=Sex.FEMALE,
        levels=parse_levels("C4-C6"),
        side=Side.LEFT,
        compartments=("facet joint", "lamina"),
        findings=(
            Finding("HP:0030833", "Neck pain", evidence=ev),
            Finding("HP:0001945", "Fever", excluded=True,
                    evidence=Evidence(200, 208, "no fever", sentence="There was no fever.")),
            Finding("HP:0002650", "Scoliosis", historical=True),
            Finding("HP:0001250", "Seizure", family=True),
        ),
        measurements=(
            labs.measurement("calcium", 8.1, "mg/dL", evidence=Evidence(300, 312, "Ca 8.1 mg/dL")),
            labs.measurement("phosphorus", 2.1, "mmol/L"),
            labs.measurement("PTH", flag="increased"),
            labs.measurement("alkaline phosphatase", flag=LabFlag.SLIGHTLY_INCREASED),
            Measurement("osteocalcin", 12.0, "ng/mL"),
        ),
        treatments=(
            Treatment("hemilaminectomy", "hemilaminectomy", evidence=Evidence(400, 415, "hemilaminectomy")),
            Treatment("fusion", "spinal fusion (arthrodesis)"),
            Treatment("other:cervical collar", None),
        ),
        outcome=Outcome("improved", "neck pain resolved", 18.0),
        diagnosis=Diagnosis("tumoral_calcinosis", "tumoral calcinosis", mondo="MONDO:0000001", orpha="ORPHA:53715"),
        etiology=("peritoneal_dialysis",),
        comorbidities=("hypertension",),
        imaging=("lobulated calcified mass on CT",),
        pathology=("amorphous calcium deposits",),
        differential=("osteoblastoma", "CAPNON"),
        neuro_deficit=True,
        cites=SourceRef("Smith", 2019, "12"),
        provenance=(("sex", Provenance("smith-2019", ev)), ("sex", Provenance("lee-2020-table", locator="row 7"))),
        conflicts=(Conflict("sex", (("smith-2019", "female"), ("lee-2020-table", "male")), note="text vs table"),),
        review_status=ReviewStatus.REVIEWED,
        versions={"hpo": "2025-01-16", "knowledge": "2026.11.1"},
    )


@pytest.fixture
def child_case() -> Case:
    return Case(id="child-1", source_ids=("lee-2020-table",), age_years=22 / 12, sex=Sex.MALE,
                levels=parse_levels("C1-2"), treatments=(Treatment("biopsy"),))


@pytest.fixture
def range_case() -> Case:
    return Case(id="range 1/2", age_range_years=(50.0, 54.0), sex=Sex.UNKNOWN, side=Side.MIDLINE,
                diagnosis=Diagnosis("capnon", "calcifying pseudoneoplasm of the neuraxis"))


@pytest.fixture
def cases(rich_case: Case, child_case: Case, range_case: Case) -> list[Case]:
    return [rich_case, child_case, range_case]

"""Case and Source survive the JSON codec unchanged (the registry and JSONL exchange depend on it)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calcispine.model import (
    Case,
    Conflict,
    Diagnosis,
    Evidence,
    Finding,
    LabFlag,
    Level,
    Measurement,
    Outcome,
    Provenance,
    ReviewStatus,
    Sex,
    Side,
    Source,
    SourceRef,
    Treatment,
    all_levels,
)
from calcispine.registry import case_from_dict, case_to_dict, source_from_dict, source_to_dict

text = st.text(min_size=1, max_size=20)
opt_text = st.none() | text
small_float = st.floats(min_value=0, max_value=1000, allow_nan=False, allow_infinity=False)


@st.composite
def evidence(draw: st.DrawFn) -> Evidence:
    start = draw(st.integers(0, 500))
    return Evidence(start, start + draw(st.integers(0, 50)), draw(text), draw(opt_text), draw(opt_text), draw(opt_text))


opt_evidence = st.none() | evidence()
hpo_ids = st.integers(1, 9_999_999).map(lambda n: f"HP:{n:07d}")


@st.composite
def findings(draw: st.DrawFn) -> tuple[Finding, ...]:
    ids = draw(st.lists(hpo_ids, max_size=4, unique=True))
    return tuple(
        Finding(i, draw(text), draw(st.booleans()), draw(st.booleans()), draw(st.booleans()), draw(st.booleans()),
                draw(opt_evidence))
        for i in ids
    )


measurements = st.builds(
    Measurement, analyte=text, value=small_float, unit=opt_text, normalised_value=st.none() | small_float,
    normalised_unit=opt_text, flag=st.none() | st.sampled_from(LabFlag), loinc=opt_text, evidence=opt_evidence,
)
treatments = st.builds(Treatment, code=text, label=opt_text, maxo_id=opt_text, evidence=opt_evidence)
outcomes = st.builds(Outcome, status=opt_text, description=opt_text, follow_up_months=st.none() | small_float,
                     evidence=opt_evidence)
diagnoses = st.builds(Diagnosis, key=text, label=text, mondo=opt_text, orpha=opt_text, omim=opt_text)
provenance = st.tuples(text, st.builds(Provenance, source_id=text, evidence=opt_evidence, locator=opt_text))
conflicts = st.builds(Conflict, field=text, values=st.lists(st.tuples(text, st.text(max_size=10)), max_size=3).map(tuple),
                      resolved=st.booleans(), note=opt_text)
ages = st.floats(min_value=0, max_value=120, allow_nan=False)


@st.composite
def age_ranges(draw: st.DrawFn) -> tuple[float, float]:
    a, b = draw(ages), draw(ages)
    return (min(a, b), max(a, b))


def tuples_of(strategy: st.SearchStrategy, n: int = 3) -> st.SearchStrategy:
    return st.lists(strategy, max_size=n).map(tuple)


cases = st.builds(
    Case,
    id=text,
    source_ids=tuples_of(text),
    label=opt_text,
    age_years=st.none() | ages,
    age_range_years=st.none() | age_ranges(),
    sex=st.sampled_from(Sex),
    levels=st.lists(st.sampled_from(all_levels()), max_size=5).map(tuple),
    side=st.none() | st.sampled_from(Side),
    compartments=tuples_of(text),
    findings=findings(),
    measurements=tuples_of(measurements),
    treatments=tuples_of(treatments),
    outcome=st.none() | outcomes,
    diagnosis=st.none() | diagnoses,
    etiology=tuples_of(text),
    comorbidities=tuples_of(text),
    imaging=tuples_of(text),
    pathology=tuples_of(text),
    differential=tuples_of(text),
    neuro_deficit=st.none() | st.booleans(),
    cites=st.none() | st.builds(SourceRef, first_author=text, year=st.none() | st.integers(1800, 2100),
                                reference=opt_text),
    provenance=tuples_of(provenance),
    conflicts=tuples_of(conflicts),
    review_status=st.sampled_from(ReviewStatus),
    versions=st.dictionaries(text, text, max_size=2),
)

ids = st.from_regex(r"[a-z][a-z0-9-]{0,15}", fullmatch=True)
sources = st.builds(
    Source, id=ids, authors=tuples_of(text), year=st.none() | st.integers(1800, 2100), title=opt_text,
    journal=opt_text, volume=opt_text, issue=opt_text, pages=opt_text,
    pmid=st.none() | st.integers(1, 99_999_999).map(str), doi=opt_text, kind=text, part_of=opt_text, note=opt_text,
)


@settings(max_examples=150, deadline=None)
@given(cases)
def test_case_round_trips_through_json(case: Case) -> None:
    d = json.loads(json.dumps(case_to_dict(case)))
    back = case_from_dict(d)
    assert back == case
    assert back.versions == case.versions


@settings(max_examples=100, deadline=None)
@given(sources)
def test_source_round_trips_through_json(source: Source) -> None:
    assert source_from_dict(json.loads(json.dumps(source_to_dict(source)))) == source


def test_levels_are_written_as_names() -> None:
    case = Case("x", levels=(Level.from_name("C6"), Level.from_name("T1")))
    assert case_to_dict(case)["levels"] == ["C6", "T1"]


def test_unknown_key_is_an_error_naming_the_case() -> None:
    with pytest.raises(ValueError, match=r"case abc.*unknown key\(s\) \['agee'\]"):
        case_from_dict({"id": "abc", "agee": 4})


def test_bad_value_names_case_and_field() -> None:
    with pytest.raises(ValueError, match="case abc: field levels"):
        case_from_dict({"id": "abc", "levels": ["C9"]})

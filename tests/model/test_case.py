"""The shared record checks itself: errors a user can act on, derived views that agree."""

from __future__ import annotations

import pytest

from calcispine.model import (
    Case,
    CaseFilter,
    Finding,
    LabFlag,
    Measurement,
    Region,
    Sex,
    Source,
    SourceRef,
    parse_levels,
)


def test_sex_is_read_leniently_and_rejects_nonsense() -> None:
    assert Sex.parse("F") is Sex.FEMALE
    assert Sex.parse("woman") is Sex.FEMALE
    assert Sex.parse("M") is Sex.MALE
    assert Sex.parse(None) is Sex.UNKNOWN
    with pytest.raises(ValueError, match="'X'"):
        Sex.parse("X")


def test_a_term_both_observed_and_excluded_is_an_error() -> None:
    with pytest.raises(ValueError, match="both observed and excluded"):
        Case(
            id="p1",
            findings=(Finding("HP:0030833", "Neck pain"), Finding("HP:0030833", "Neck pain", excluded=True)),
        )


def test_a_historical_mention_does_not_clash_with_a_current_exclusion() -> None:
    case = Case(
        id="p1",
        findings=(
            Finding("HP:0001945", "Fever", excluded=True),
            Finding("HP:0001945", "Fever", historical=True),
        ),
    )
    assert [f.label for f in case.excluded] == ["Fever"]
    assert case.observed == ()


def test_bad_values_name_the_problem() -> None:
    with pytest.raises(ValueError, match="HPO id"):
        Finding("HP:12", "x")
    with pytest.raises(ValueError, match="not a possible concentration"):
        Measurement("calcium", value=-1.0, unit="mg/dL")
    with pytest.raises(ValueError, match="give a value or a flag"):
        Measurement("calcium")
    with pytest.raises(ValueError, match="age 130"):
        Case(id="p1", age_years=130)
    with pytest.raises(ValueError, match="age range"):
        Case(id="p1", age_range_years=(53.0, 50.0))


def test_flag_only_measurement_displays_its_flag() -> None:
    assert Measurement("calcium", flag=LabFlag.SLIGHTLY_INCREASED).display() == "slightly increased"
    assert Measurement("calcium", value=8.1, unit="mg/dL").display() == "8.1 mg/dL"


def test_region_is_that_of_the_first_level_as_reviews_count() -> None:
    case = Case(id="p1", levels=parse_levels("C6-T2"))
    assert case.region is Region.CERVICAL
    assert case.regions == (Region.CERVICAL, Region.THORACIC)


def test_source_citation_and_cross_reference() -> None:
    src = Source(id="doe-2001", authors=("Doe J", "Roe R", "Poe P"), year=2001, title="A case", journal="Spine J")
    assert src.citation().startswith("Doe J et al. (2001) A case.")
    assert SourceRef("Doe", 2001).matches(src)
    assert not SourceRef("Doe", 2002).matches(src)
    with pytest.raises(ValueError, match="PMID"):
        Source(id="x", pmid="12a")


def test_filter_narrows_on_each_field() -> None:
    a = Case(id="a", sex=Sex.FEMALE, age_years=55, levels=parse_levels("C4-C5"), etiology=("hemodialysis",))
    b = Case(id="b", sex=Sex.MALE, age_years=30, levels=parse_levels("L4-L5"), etiology=("none_reported",))
    cases = [a, b]
    assert [c.id for c in cases if CaseFilter(regions=(Region.CERVICAL,)).matches(c)] == ["a"]
    assert [c.id for c in cases if CaseFilter(levels=parse_levels("L5")).matches(c)] == ["b"]
    assert [c.id for c in cases if CaseFilter(age_min=40).matches(c)] == ["a"]
    assert [c.id for c in cases if CaseFilter(etiology=("none_reported",)).matches(c)] == ["b"]
    with pytest.raises(ValueError, match="minimum exceeds the maximum"):
        CaseFilter(age_min=50, age_max=40)


def test_two_citations_of_one_paper_are_the_same_paper() -> None:
    a = Source("smith-2010", authors=("Smith J", "Jones K"), year=2010, doi="10.1000/ABC.1")
    assert a.same_paper(Source("other-id", doi="10.1000/abc.1"))  # DOIs compare without case
    assert a.same_paper(Source("x", authors=("smith, john",), year=2010))
    assert a.same_paper(Source("y", pmid="123")) is False
    assert not a.same_paper(Source("z", authors=("Smith J",), year=2011))

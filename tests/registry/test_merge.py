"""Deduplication rules on small hand-made records (pure; no database)."""

from __future__ import annotations

from calcispine.model import Case, Finding, Sex, Source, SourceRef, Treatment, parse_levels
from calcispine.registry import merge_records, same_patient

PAPER = Source("smith-2010", authors=("Smith J", "Doe A"), year=2010, kind="case_report")
SERIES = Source("lee-2005", authors=("Lee K",), year=2005, kind="case_report")
REVIEW = Source("kim-2020", authors=("Kim H",), year=2020, kind="case_report_with_review")
TABLE = Source("kim-2020-t2", authors=("Kim H",), year=2020, kind="summary_table", part_of="kim-2020")
SOURCES = (PAPER, SERIES, REVIEW, TABLE)


def rec(rid: str, source: str, *, age: float | None = None, rng: tuple[float, float] | None = None,
        sex: Sex = Sex.FEMALE, levels: str = "L4-L5", cites: SourceRef | None = None, **kw: object) -> Case:
    return Case(rid, source_ids=(source,), age_years=age, age_range_years=rng, sex=sex, levels=parse_levels(levels),
                cites=cites, **kw)  # type: ignore[arg-type]


def test_table_row_citing_a_report_merges_and_refines_age() -> None:
    text = rec("smith/pt", "smith-2010", rng=(60, 63), treatments=(Treatment("resection"),))
    row = rec("kim/r1", "kim-2020-t2", age=60, cites=SourceRef("Smith", 2010),
              treatments=(Treatment("resection"), Treatment("laminectomy")))
    result = merge_records([text, row], SOURCES)
    assert len(result.cases) == 1
    case = result.cases[0]
    assert case.age_years == 60 and case.age_range_years == (60, 63)
    assert case.treatment_codes == ("resection", "laminectomy")
    assert set(case.source_ids) == {"smith-2010", "kim-2020-t2"}
    assert not case.conflicts
    assert {p.source_id for p in case.provenance_of("age_years")} == {"kim-2020-t2"}
    assert {p.source_id for p in case.provenance_of("age_range_years")} == {"smith-2010"}
    assert {p.source_id for p in case.provenance_of("treatments")} == {"smith-2010", "kim-2020-t2"}
    assert result.records[case.id] == (text, row)


def test_same_author_different_year_needs_every_fact_to_match() -> None:
    text = rec("smith/pt", "smith-2010", age=60)
    near = rec("kim/r1", "kim-2020-t2", age=61, cites=SourceRef("Smith", 2011))
    assert len(merge_records([text, near], SOURCES).cases) == 2
    exact = rec("kim/r1", "kim-2020-t2", age=60, cites=SourceRef("Smith", 2011))
    assert len(merge_records([text, exact], SOURCES).cases) == 1


def test_incompatible_facts_do_not_merge_even_when_cited() -> None:
    text = rec("smith/pt", "smith-2010", age=40)
    far_age = rec("kim/r1", "kim-2020-t2", age=45, cites=SourceRef("Smith", 2010))
    other_level = rec("kim/r2", "kim-2020-t2", age=40, levels="C2", cites=SourceRef("Smith", 2010))
    assert len(merge_records([text, far_age, other_level], SOURCES).cases) == 3


def test_age_within_one_year_merges_with_a_conflict() -> None:
    text = rec("smith/pt", "smith-2010", age=40)
    row = rec("kim/r1", "kim-2020-t2", age=41, cites=SourceRef("Smith", 2010))
    (case,) = merge_records([text, row], SOURCES).cases
    assert case.age_years == 40  # the full report wins over the table row
    assert [c.field for c in case.conflicts] == ["age_years"]


def test_records_of_one_source_never_merge() -> None:
    a = rec("lee/1", "lee-2005", age=55, sex=Sex.MALE, levels="L4-L5")
    b = rec("lee/2", "lee-2005", age=55, sex=Sex.MALE, levels="L4-L5")
    result = merge_records([a, b], SOURCES)
    assert len(result.cases) == 2
    assert len({c.id for c in result.cases}) == 2


def test_own_patient_of_a_review_merges_with_its_table_row_and_keeps_the_sex_conflict() -> None:
    text = rec("kim/pt", "kim-2020", age=50, sex=Sex.FEMALE, levels="C4-C6")
    row = rec("kim/r9", "kim-2020-t2", age=50, sex=Sex.MALE, levels="C4-C6", cites=SourceRef("Kim", 2020))
    (case,) = merge_records([row, text], SOURCES).cases
    assert case.sex is Sex.FEMALE  # the report's text outranks its own table
    (conflict,) = case.conflicts
    assert conflict.field == "sex"
    assert dict(conflict.values) == {"kim-2020": "female", "kim-2020-t2": "male"}
    assert not conflict.resolved


def test_facts_match_with_cross_reference_merges_without_year() -> None:
    text = rec("smith/pt", "smith-2010", age=70, sex=Sex.MALE, levels="T11-T12")
    row = rec("kim/r4", "kim-2020-t2", age=70, sex=Sex.MALE, levels="T11-T12", cites=SourceRef("Smith"))
    assert len(merge_records([text, row], SOURCES).cases) == 1


def test_facts_match_without_cross_reference_stay_apart() -> None:
    a = rec("smith/pt", "smith-2010", age=70, sex=Sex.MALE, levels="T11-T12")
    b = rec("lee/1", "lee-2005", age=70, sex=Sex.MALE, levels="T11-T12")
    assert not same_patient(a, b, {s.id: s for s in SOURCES})
    assert len(merge_records([a, b], SOURCES).cases) == 2


def test_ambiguous_candidates_are_reported_not_guessed() -> None:
    a = rec("lee/1", "lee-2005", age=60, levels="L4-L5")
    b = rec("lee/2", "lee-2005", age=60, levels="L4-L5")
    row = rec("kim/r1", "kim-2020-t2", age=60, levels="L4-L5", cites=SourceRef("Lee", 2005))
    result = merge_records([a, b, row], SOURCES)
    assert len(result.cases) == 3
    assert any("matches several patients" in i.message for i in result.issues)


def test_best_candidate_wins_when_one_matches_better() -> None:
    a = rec("lee/1", "lee-2005", age=60, levels="L4-L5")
    b = rec("lee/2", "lee-2005", age=61, levels="L4-L5")
    row = rec("kim/r1", "kim-2020-t2", age=61, levels="L4-L5", cites=SourceRef("Lee", 2005))
    result = merge_records([a, b, row], SOURCES)
    merged = [c for c in result.cases if len(c.source_ids) == 2]
    assert len(merged) == 1 and merged[0].age_years == 61


def test_list_facts_are_united_and_contradicting_findings_recorded() -> None:
    text = rec("smith/pt", "smith-2010", age=60, etiology=("hemodialysis",),
               findings=(Finding("HP:0030833", "Neck pain"),))
    row = rec("kim/r1", "kim-2020-t2", age=60, cites=SourceRef("Smith", 2010), etiology=("chronic_kidney_disease",),
              findings=(Finding("HP:0030833", "Neck pain", excluded=True), Finding("HP:0003418", "Back pain")))
    (case,) = merge_records([text, row], SOURCES).cases
    assert case.etiology == ("hemodialysis", "chronic_kidney_disease")
    assert [f.hpo_id for f in case.observed] == ["HP:0030833", "HP:0003418"]
    assert [c.field for c in case.conflicts] == ["findings"]


def test_no_cause_versus_a_named_cause_keeps_the_cause_and_records_it() -> None:
    text = rec("smith/pt", "smith-2010", age=60, etiology=("hemodialysis",))
    row = rec("kim/r1", "kim-2020-t2", age=60, cites=SourceRef("Smith", 2010), etiology=("none_reported",))
    (case,) = merge_records([text, row], SOURCES).cases
    assert case.etiology == ("hemodialysis",)
    assert [c.field for c in case.conflicts] == ["etiology"]


def test_ids_are_readable_and_deterministic() -> None:
    records = [rec(f"lee/{i}", "lee-2005", age=50 + i, sex=Sex.MALE, levels="L4-L5") for i in range(2)]
    records.append(rec("smith/pt", "smith-2010", age=33, levels="C1-C2"))
    first = [c.id for c in merge_records(records, SOURCES).cases]
    assert first == [c.id for c in merge_records(records, SOURCES).cases]
    assert first == ["lee-2005-l4-l5-m50", "lee-2005-l4-l5-m51", "smith-2010-c1-c2"]


def test_record_with_unknown_source_is_an_error_issue() -> None:
    result = merge_records([rec("x", "nowhere-1999")], SOURCES)
    assert not result.cases
    assert result.issues[0].level.value == "error" and "nowhere-1999" in result.issues[0].message

"""Pooled statistics: the review's published figures, recomputed from its 32 rows, and the dialysis finding."""

from __future__ import annotations

import json

import pytest

from calcispine.cohort import PUBLISHED_KEYS, expand_etiology, summarise
from calcispine.extract import load_packaged_table, packaged_table_spec, parse_summary_table
from calcispine.model import Case, Level, Sex, Treatment, parse_levels


@pytest.fixture(scope="module")
def table():
    return load_packaged_table("guo-2017-table1")


@pytest.mark.corpus
def test_corpus_import_reproduces_every_published_figure(corpus_dir, review_summary):
    source = load_packaged_table("guo-2017-table1")[0]
    text = (corpus_dir / "review-c4c6-peritoneal-dialysis-table1.txt").read_text(encoding="utf-8")
    cases, _ = parse_summary_table(text, fmt="text", spec=packaged_table_spec("guo-2017-table1"), source=source)
    computed = summarise(cases, [source]).to_dict()
    for key, value in review_summary.items():
        assert computed[key] == value, key
    assert set(review_summary) <= set(PUBLISHED_KEYS)


def test_summary_is_json_ready_and_keeps_extra_figures(table):
    source, cases = table
    data = json.loads(json.dumps(summarise(cases, [source]).to_dict()))
    assert data["sacral"] == 0
    assert data["median_age_years"] == 55.0
    assert data["level_counts"]["L5"] == 10 and data["level_counts"]["T8"] == 0
    assert list(data["level_counts"])[:2] == ["C1", "C2"] and len(data["level_counts"]) == 29
    assert data["etiology_class_counts"] == {"secondary": 17, "primary_normophosphatemic": 14, "primary_hyperphosphatemic": 1}
    assert data["year_range"] == [1952, 2017]
    assert data["treatment_counts"]["parathyroidectomy"] == 3


def test_counts_follow_the_data_not_constants(table):
    _, cases = table
    fewer = summarise([c for c in cases if c.sex is Sex.FEMALE])
    assert (fewer.cases, fewer.male, fewer.female) == (19, 0, 19)
    assert fewer.dialysis_related == 8
    assert summarise([]).to_dict()["mean_age_years"] is None


def test_dialysis_finding(table):
    _, cases = table
    finding = summarise(cases).finding("dialysis_by_region")
    tab = finding.table
    assert tab.row_labels == ("dialysis", "none_reported")
    assert tab.counts == ((9, 0), (5, 9))
    assert tab.p_value == pytest.approx(0.00264, abs=5e-5)
    d = tab.proportion("dialysis", "cervical")
    assert (d.k, d.n) == (9, 9) and d.low == pytest.approx(0.7009, abs=1e-3) and d.high == pytest.approx(1.0)
    assert "9/9" in finding.statement and "5/14" in finding.statement


def test_region_is_the_first_level_and_unknowns_are_counted():
    cases = [
        Case(id="a", levels=parse_levels("C6-T2"), sex=Sex.MALE, age_years=40, etiology=("hemodialysis",)),
        Case(id="b", levels=(Level.from_name("S1"),), treatments=(Treatment("biopsy"),)),
        Case(id="c"),
    ]
    s = summarise(cases)
    assert (s.cervical, s.thoracic, s.sacral, s.region_unknown) == (1, 0, 1, 1)
    assert s.level_counts["T1"] == 1 and s.sex_unknown == 2
    assert s.surgical == 1 and s.surgical_resection == 0


def test_etiology_groups_and_classes_expand():
    assert expand_etiology(["dialysis"]) == ("hemodialysis", "peritoneal_dialysis")
    assert "osteoarthritis" in expand_etiology(["secondary"])
    assert expand_etiology(["crest", "other:gout"]) == ("crest", "other:gout")
    with pytest.raises(ValueError, match="unknown etiology tag"):
        expand_etiology(["kidneys"])


def test_a_class_filter_selects_exactly_the_cases_the_class_count_counts(table):
    from calcispine.model import CaseFilter

    source, cases = table
    summary = summarise(cases, [source])
    flt = CaseFilter(etiology=expand_etiology(["secondary"]))
    assert flt.takes_tag("other:seizures") and flt.takes_tag("crest") and not flt.takes_tag("none_reported")
    assert sum(flt.matches(c) for c in cases) == summary.secondary == 17
    free = CaseFilter(etiology=expand_etiology(["other"]))
    assert [c.etiology for c in cases if free.matches(c)] == [("other:seizures",)]


def test_the_summary_names_what_it_pools(table):
    from calcispine.model import Diagnosis

    source, cases = table
    summary = summarise(cases, [source])
    assert summary.pooled == "tumoral calcinosis" and not summary.is_mixed
    capnon = Case(id="x", diagnosis=Diagnosis("capnon", "calcifying pseudoneoplasm of the neuraxis"))
    mixed = summarise([*cases, capnon, Case(id="y")])
    assert mixed.is_mixed
    assert mixed.pooled == "mixed: 32 tumoral calcinosis, 1 capnon (1 with no stated diagnosis)"
    assert mixed.to_dict()["pooled"] == mixed.pooled

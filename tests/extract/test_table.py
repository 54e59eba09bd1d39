"""Summary-table import: the review's Table 1 from the corpus, CSV/TSV with a mapping, and every error path."""

from __future__ import annotations

import pytest

from calcispine.extract import (
    TableImportError,
    TableSpec,
    load_packaged_table,
    load_spec_document,
    packaged_table_spec,
    packaged_tables,
    parse_summary_table,
)
from calcispine.model import IssueLevel, Sex, Source, SourceRef, parse_levels

REVIEW_FILE = "review-c4c6-peritoneal-dialysis-table1.txt"

# A small spec of our own: a made-up series with its own abbreviations.
SPEC_YAML = """
table_label: "Table 2"
diagnosis: {key: tumoral_calcinosis, label: tumoral calcinosis}
columns: {author_year: "Report", sex: "Gender", age: "Age, y", location: "Site", cause: "Cause", treatment: "Management"}
self_labels: ["Present case"]
text_form: {start: "Table 2 Cases", header: "Report Gender", legend: "ESRD end-stage"}
legend:
  ESRD: [chronic_kidney_disease]
  HD: [hemodialysis]
  None: [none_reported]
  CREST: [crest]
treatments:
  excision: [resection]
  laminectomy: [laminectomy]
  binders: [medical_therapy]
  observation: [conservative]
"""

SOURCE = Source(id="doe-2020-table2", authors=("Doe J", "Roe R"), year=2020, kind="summary_table")


def spec() -> TableSpec:
    return TableSpec.from_yaml(SPEC_YAML)


def text_table(*rows: str) -> str:
    body = "\n\n".join(rows)
    return f"Some preceding prose.\nTable 2 Cases in the series\n\nReport Gender Age Site Cause Management\n\n{body}\n\nESRD end-stage renal disease, HD hemodialysis\n"


# -------------------------------------------------------------------------------------- the review's table


@pytest.mark.corpus
def test_corpus_text_gives_the_same_32_records_as_the_packaged_tsv(corpus_dir):
    source, packaged = load_packaged_table("guo-2017-table1")
    text = (corpus_dir / REVIEW_FILE).read_text(encoding="utf-8")
    cases, issues = parse_summary_table(text, fmt="text", spec=packaged_table_spec("guo-2017-table1"), source=source)
    assert len(cases) == 32
    assert cases == packaged
    assert not [i for i in issues if i.level is IssueLevel.ERROR]


def test_packaged_table_has_its_citation_and_rows():
    assert "guo-2017-table1" in packaged_tables()
    source, cases = load_packaged_table("guo-2017-table1")
    assert (source.id, source.kind, source.part_of, source.year) == ("guo-2017-table1", "summary_table", "guo-2017", 2017)
    assert source.doi == "10.1186/s13256-017-1474-1"
    assert source.authors[0] == "Guo R" and len(source.authors) == 7
    assert len(cases) == 32
    assert len({c.id for c in cases}) == 32


def test_packaged_rows_carry_ids_citations_and_provenance():
    _, cases = load_packaged_table("guo-2017-table1")
    by_id = {c.id: c for c in cases}
    durant = by_id["guo-2017-table1:r13"]
    assert durant.cites == SourceRef("Durant", 2001, "2")
    assert (durant.sex, durant.age_years, durant.levels) == (Sex.MALE, 34.0, parse_levels("L2"))
    assert durant.etiology == ("trauma",) and durant.treatment_codes == ("fusion",)
    assert durant.source_ids == ("guo-2017-table1",)
    assert {p.locator for _, p in durant.provenance} == {"Table 1, row 13"}
    own = by_id["guo-2017-table1:r32"]
    assert own.cites == SourceRef("Guo", 2017)
    assert own.etiology == ("peritoneal_dialysis",)


def test_legend_and_treatment_phrases_map_to_vocabulary_codes():
    _, cases = load_packaged_table("guo-2017-table1")
    by_label = {}
    for c in cases:
        by_label.setdefault(c.label, []).append(c)
    assert by_label["Riemenschneider 1952"][0].treatment_codes == ("resection", "hemilaminectomy")  # "hemilainectomy"
    assert by_label["Fatehi 2016"][0].etiology == ("hemodialysis", "peritoneal_dialysis")
    assert by_label["Fatehi 2016"][0].treatment_codes == ("dialysis_intensification",)
    assert by_label["Jackson 2007"][0].treatment_codes == ("resection", "fusion", "parathyroidectomy", "renal_transplant")
    assert by_label["Emon 2011"][0].treatment_codes == ("resection", "other:hemilaminotomy")
    durant = [c for c in by_label["Durant 2001"] if c.etiology == ("osteoarthritis", "prior_surgery")]
    assert durant and durant[0].treatment_codes == ("laminectomy", "foraminotomy", "fusion")


# -------------------------------------------------------------------------------------- text form


def test_text_rows_continuations_and_self_row():
    text = text_table(
        "Alvarez [3] 1999 F 61 C5-C6 None Excision, laminectomy",
        "Baker [7] 2004 M 47 L4/L5 ESRD, HD Excision,\nbinders",
        "Present case F 52 T10 CREST Observation",
    )
    cases, issues = parse_summary_table(text, fmt="text", spec=spec(), source=SOURCE)
    assert [c.id for c in cases] == ["doe-2020-table2:r01", "doe-2020-table2:r02", "doe-2020-table2:r03"]
    assert cases[1].etiology == ("chronic_kidney_disease", "hemodialysis")
    assert cases[1].treatment_codes == ("resection", "medical_therapy")
    assert cases[1].levels == parse_levels("L4-L5")
    assert cases[2].cites == SourceRef("Doe", 2020)
    assert cases[0].provenance_of("levels")[0].locator == "Table 2, row 1"
    assert cases[0].diagnosis is not None and cases[0].diagnosis.key == "tumoral_calcinosis"
    assert issues == ()


def test_bad_row_names_line_and_column():
    text = text_table("Alvarez [3] 1999 F 61 C5-C6 None Excision", "Baker [7] 2004 M old L4 HD Excision")
    with pytest.raises(TableImportError) as info:
        parse_summary_table(text, fmt="text", spec=spec(), source=SOURCE, origin="series.txt")
    (issue,) = info.value.issues
    assert issue.location == "series.txt line 8, column age"
    assert "'old'" in issue.message
    assert "line 8, column age" in str(info.value)


def test_impossible_level_names_the_location_column():
    text = text_table("Alvarez [3] 1999 F 61 C9 None Excision")
    with pytest.raises(TableImportError) as info:
        parse_summary_table(text, fmt="text", spec=spec(), source=SOURCE)
    assert info.value.issues[0].location.endswith("line 6, column location")
    assert "C9" in info.value.issues[0].message


def test_unknown_abbreviation_lists_the_legend_and_nothing_is_returned():
    text = text_table("Alvarez [3] 1999 F 61 C5 None Excision", "Baker [7] 2004 M 47 L4 XYZ Excision")
    with pytest.raises(TableImportError) as info:
        parse_summary_table(text, fmt="text", spec=spec(), source=SOURCE)
    (issue,) = [i for i in info.value.issues if i.level is IssueLevel.ERROR]
    assert "column cause" in issue.location and "'XYZ'" in issue.message
    assert issue.hint is not None
    for abbr in ("ESRD = chronic_kidney_disease", "HD = hemodialysis", "None = none_reported", "CREST = crest"):
        assert abbr in issue.hint


def test_every_error_is_reported_at_once():
    text = text_table("Alvarez [3] 1999 Q 61 C5 None Excision", "Baker [7] 2004 M 47 L4 HD Surgery")
    with pytest.raises(TableImportError) as info:
        parse_summary_table(text, fmt="text", spec=spec(), source=SOURCE)
    columns = sorted(i.location.rsplit("column ", 1)[1] for i in info.value.issues)
    assert columns == ["sex", "treatment"]


def test_unreadable_line_and_empty_table_are_errors():
    with pytest.raises(TableImportError, match="line 6, column author/year"):
        parse_summary_table(text_table("Alvarez F 61 C5 None Excision"), fmt="text", spec=spec(), source=SOURCE)
    with pytest.raises(TableImportError, match="no table rows"):
        parse_summary_table(text_table(), fmt="text", spec=spec(), source=SOURCE)


def test_legend_entry_the_spec_does_not_map_is_a_warning():
    text = text_table("Alvarez [3] 1999 F 61 C5 None Excision").replace(
        "HD hemodialysis", "HD hemodialysis, PTH parathyroid hormone"
    )
    cases, issues = parse_summary_table(text, fmt="text", spec=spec(), source=SOURCE)
    assert len(cases) == 1
    assert [i.level for i in issues] == [IssueLevel.WARNING] and "PTH" in issues[0].message


# -------------------------------------------------------------------------------------- CSV / TSV


def test_csv_with_column_mapping():
    csv_text = (
        'Report,Gender,"Age, y",Site,Cause,Management\n'
        '"Alvarez [3] 1999",F,61,C5-6,None,"Excision, laminectomy"\n'
        '"Present case",M,70,L5-S1,"ESRD, HD",Binders\n'
    )
    cases, issues = parse_summary_table(csv_text, fmt="csv", spec=spec(), source=SOURCE)
    assert issues == ()
    assert cases[0].cites == SourceRef("Alvarez", 1999, "3")
    assert cases[0].levels == parse_levels("C5-C6")
    assert cases[1].cites == SourceRef("Doe", 2020)
    assert cases[1].etiology == ("chronic_kidney_disease", "hemodialysis")


def test_tsv_errors_name_line_and_column_and_missing_headers():
    tsv = "Report\tGender\tAge, y\tSite\tCause\tManagement\nAlvarez [3] 1999\tF\t61\tC5\tNone\tExcision\nBaker [7] 2004\tM\t47\tL4\tHD\tTrepanation\n"
    with pytest.raises(TableImportError) as info:
        parse_summary_table(tsv, fmt="tsv", spec=spec(), source=SOURCE, origin="t.tsv")
    assert info.value.issues[0].location == "t.tsv line 3, column treatment"
    assert "excision" in (info.value.issues[0].hint or "")
    with pytest.raises(TableImportError, match="'Site'"):
        parse_summary_table("Report\tGender\tAge, y\tCause\tManagement\n", fmt="tsv", spec=spec(), source=SOURCE)


# -------------------------------------------------------------------------------------- specs


def test_spec_rejects_unknown_tags_and_codes():
    with pytest.raises(ValueError, match="unknown etiology tag 'kidneys'"):
        load_spec_document("legend: {K: [kidneys]}\ntreatments: {x: [resection]}\n", name="bad.yaml")
    with pytest.raises(ValueError, match="bad.yaml"):
        load_spec_document("legend: {K: [crest]}\ntreatments: {x: [magic]}\n", name="bad.yaml")
    with pytest.raises(ValueError, match="not valid YAML"):
        load_spec_document("legend: [", name="bad.yaml")


def test_unknown_packaged_table_lists_what_exists():
    with pytest.raises(ValueError, match="guo-2017-table1"):
        load_packaged_table("nope")

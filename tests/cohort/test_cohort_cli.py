"""The stats, import-table and report commands against a temporary SQLite registry."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from calcispine.cli import _commands  # noqa: F401  registers the commands
from calcispine.cli._app import app

runner = CliRunner()

SPEC = """
source: {id: doe-2021-table3, kind: summary_table, authors: ["Doe J"], year: 2021, title: "Table 3 of a made-up series"}
spec:
  table_label: "Table 3"
  columns: {author: "First author", year: "Year", sex: Sex, age: Age, location: Level, cause: Cause, treatment: Treatment}
  self_labels: ["This report"]
  legend: {N: [none_reported], RF: [chronic_kidney_disease]}
  treatments: {excision: [resection], observation: [conservative]}
"""


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("reg") / "x.sqlite"
    result = runner.invoke(app, ["--db", str(path), "stats", "--format", "json"])
    assert result.exit_code == 0, result.output
    return path


def test_stats_on_the_table_source_reproduces_the_published_figures(db):
    result = runner.invoke(app, ["--db", str(db), "stats", "--source", "guo-2017-table1", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["cases"], data["male"], data["female"], data["mean_age_years"]) == (32, 13, 19, 55.4)
    assert (data["cervical"], data["thoracic"], data["lumbar"], data["surgical_resection"]) == (15, 3, 14, 21)
    assert data["findings"]["dialysis_by_region"]["counts"] == [[9, 0], [5, 9]]


@pytest.mark.corpus
def test_stats_json_matches_the_review_summary(db, review_summary):
    result = runner.invoke(app, ["--db", str(db), "stats", "--source", "guo-2017-table1", "--format", "json"])
    data = json.loads(result.output)
    assert {k: data[k] for k in review_summary} == review_summary


def test_filters_formats_and_crosstab(db):
    result = runner.invoke(app, ["--db", str(db), "stats", "--etiology", "dialysis", "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert "dialysis_related,9" in result.output and "cases,9" in result.output
    result = runner.invoke(app, ["--db", str(db), "stats", "--region", "lumbar", "--sex", "male", "--format", "markdown"])
    assert result.exit_code == 0 and "| cases |" in result.output
    result = runner.invoke(app, ["--db", str(db), "stats", "--by", "etiology", "--against", "cervical"])
    assert result.exit_code == 0 and "Fisher" in result.output
    result = runner.invoke(app, ["--db", str(db), "stats", "--year-max", "2001", "--age-min", "50", "--format", "json"])
    assert result.exit_code == 0 and 0 < json.loads(result.output)["cases"] < 32


def test_bad_flags_are_clear_errors(db):
    for args, needle in ((["--region", "neck"], "--region"), (["--etiology", "kidneys"], "--etiology"),
                         (["--level", "C9"], "C9"), (["--source", "nope"], "nope"), (["--format", "xml"], "--format")):
        result = runner.invoke(app, ["--db", str(db), "stats", *args])
        assert result.exit_code == 1, args
        assert needle in result.output


def test_import_table_dry_run_then_import_then_error(db, tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    table = tmp_path / "t3.csv"
    table.write_text("First author,Year,Sex,Age,Level,Cause,Treatment\nZeta,1988,F,33,T7-T8,N,Excision\n"
                     "This report,,M,81,S1,RF,Observation\n", encoding="utf-8")
    result = runner.invoke(app, ["--db", str(db), "import-table", str(table), "--spec", str(spec), "--dry-run"])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "2 rows" in said and "dry run" in said
    result = runner.invoke(app, ["--db", str(db), "import-table", str(table), "--spec", str(spec)])
    assert result.exit_code == 0, result.output
    assert "2 added" in " ".join(result.output.split())
    shown = runner.invoke(app, ["--db", str(db), "stats", "--source", "doe-2021-table3", "--format", "json"])
    assert json.loads(shown.output)["sacral"] == 1

    bad = tmp_path / "bad.csv"
    bad.write_text("First author,Year,Sex,Age,Level,Cause,Treatment\nEta,1990,F,40,L1,XX,Excision\n", encoding="utf-8")
    before = runner.invoke(app, ["--db", str(db), "stats", "--format", "json"]).output
    result = runner.invoke(app, ["--db", str(db), "import-table", str(bad), "--spec", str(spec), "--source-id", "eta"])
    assert result.exit_code == 1
    said = " ".join(result.output.split())
    assert "line 2, column cause" in said and "N = none_reported" in said
    assert runner.invoke(app, ["--db", str(db), "stats", "--format", "json"]).output == before


@pytest.mark.corpus
def test_import_review_text_without_spec_uses_the_packaged_one(db, corpus_dir):
    review = corpus_dir / "review-c4c6-peritoneal-dialysis-table1.txt"
    result = runner.invoke(app, ["--db", str(db), "import-table", str(review), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "32 rows" in " ".join(result.output.split())


def test_report_writes_html_and_says_where(db, tmp_path):
    out = tmp_path / "report.html"
    result = runner.invoke(app, ["--db", str(db), "report", "--output", str(out), "--etiology", "dialysis"])
    assert result.exit_code == 0, result.output
    assert "Report written to" in " ".join(result.output.split())
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and html.count("<svg") == 6


def _json(db, *args):
    result = runner.invoke(app, ["--db", str(db), "stats", *args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def embedded_db(tmp_path_factory):
    """The embedded registry, which no test here writes to."""
    path = tmp_path_factory.mktemp("embedded") / "e.sqlite"
    assert runner.invoke(app, ["--db", str(path), "registry", "info"]).exit_code == 0
    return path


def test_pooled_figures_are_tumoral_calcinosis_unless_told_otherwise(embedded_db):
    db = embedded_db
    result = runner.invoke(app, ["--db", str(db), "stats"])
    said = " ".join(result.output.split())
    assert result.exit_code == 0 and "(33 cases; tumoral calcinosis)" in said
    assert "1 case(s) of another diagnosis left out (1 capnon); --diagnosis all pools every diagnosis" in said
    default = _json(db)
    assert default["cases"] == 33 and default["diagnosis_counts"] == {"tumoral_calcinosis": 33}
    assert default["pooled"] == "tumoral calcinosis"
    everything = _json(db, "--diagnosis", "all")
    assert everything["cases"] == 34 and everything["pooled"] == "mixed: 33 tumoral calcinosis, 1 capnon"
    assert _json(db, "--diagnosis", "capnon")["cases"] == 1
    # the review's own figures come from its table, which holds tumoral calcinosis only: unchanged
    assert _json(db, "--source", "guo-2017-table1")["cases"] == 32


def test_an_unknown_diagnosis_is_an_error_that_lists_the_valid_ones(db):
    result = runner.invoke(app, ["--db", str(db), "stats", "--diagnosis", "bogus"])
    assert result.exit_code == 1
    assert "--diagnosis 'bogus': choose one of" in result.output and "capnon" in result.output
    assert "tumoral_calcinosis" in result.output


def test_levels_may_be_typed_in_lower_case(db):
    assert _json(db, "--level", "c4") == _json(db, "--level", "C4")
    assert _json(db, "--level", "l4-l5")["cases"] == _json(db, "--level", "L4-L5")["cases"] > 0


def test_the_secondary_filter_covers_exactly_the_secondary_count(db, tmp_path):
    every = _json(db)
    assert _json(db, "--etiology", "secondary")["cases"] == every["secondary"]
    table = _json(db, "--source", "guo-2017-table1")
    assert _json(db, "--source", "guo-2017-table1", "--etiology", "secondary")["cases"] == table["secondary"] == 17
    # export selects the same cases from the same flags, free 'other:' causes included
    for etiology, expected in (("secondary", every["secondary"]), ("other", 1)):
        out = tmp_path / f"{etiology}.jsonl"
        result = runner.invoke(app, ["--db", str(db), "export", "-f", "jsonl", "-o", str(out), "--etiology", etiology])
        assert result.exit_code == 0 and f"Exported {expected} case(s)" in " ".join(result.output.split())


def test_json_of_an_empty_subset_is_strict_json(db):
    def no_nan(name):
        raise ValueError(f"{name} is not JSON")

    result = runner.invoke(app, ["--db", str(db), "stats", "--year-min", "2030", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout, parse_constant=no_nan)
    assert data["cases"] == 0 and data["mean_age_years"] is None
    props = data["findings"]["dialysis_by_region"]["proportions"]["dialysis"]["cervical"]
    assert props == {"k": 0, "n": 0, "estimate": None, "wilson_95": [None, None]}
    full = _json(db, "--source", "guo-2017-table1")["findings"]["dialysis_by_region"]["proportions"]
    assert full["dialysis"]["cervical"]["wilson_95"][1] == 1.0 and full["dialysis"]["not cervical"]["wilson_95"][0] == 0.0


def test_errors_are_one_line_however_narrow_the_output(db, tmp_path):
    for args in (["stats", "--etiology", "bogus"], ["stats", "--diagnosis", "bogus"], ["report", "--year-min", "2030",
                 "--year-max", "2020"], ["--db", str(tmp_path / "nowhere" / "r.sqlite"), "registry", "info"]):
        full = args if args[0] == "--db" else ["--db", str(db), *args]
        result = runner.invoke(app, full)
        assert result.exit_code == 1, args
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error:"), result.output


def test_a_table_that_is_not_utf8_text_is_one_clear_error(db, tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    latin1 = tmp_path / "l1.csv"
    latin1.write_bytes("First author,Year,Sex,Age,Level,Cause,Treatment\nR\xe9my,2020,F,40,L3,N,Excision\n".encode("latin-1"))
    result = runner.invoke(app, ["--db", str(db), "import-table", str(latin1), "--spec", str(spec), "--dry-run"])
    assert result.exit_code == 1
    said = " ".join(result.output.split())
    assert "l1.csv, line 2: not UTF-8 text (byte 0xe9)" in said and "Traceback" not in result.output
    binary = tmp_path / "blob.csv"
    binary.write_bytes(bytes(range(256)) * 4)
    result = runner.invoke(app, ["--db", str(db), "import-table", str(binary), "--spec", str(spec)])
    assert result.exit_code == 1 and "not a text table" in result.output


@pytest.mark.corpus
def test_the_review_table_imported_into_an_empty_registry_gives_its_32_cases(corpus_dir, tmp_path):
    db = tmp_path / "t.sqlite"
    review = corpus_dir / "review-c4c6-peritoneal-dialysis-table1.txt"
    result = runner.invoke(app, ["--db", str(db), "--empty", "import-table", str(review)])
    assert result.exit_code == 0, result.output
    assert "32 added" in " ".join(result.output.split())
    data = json.loads(runner.invoke(app, ["--db", str(db), "stats", "--format", "json"]).stdout)
    assert (data["cases"], data["male"], data["female"]) == (32, 13, 19)

"""Figures (SVG inline, PNG bytes) and the self-contained HTML report."""

from __future__ import annotations

import re

import pytest

from calcispine.cohort import (
    BUILDERS,
    figure_data,
    figure_png,
    figure_spine_levels,
    figure_svg,
    render_report,
    summarise,
    write_report,
)
from calcispine.extract import load_packaged_table
from calcispine.model import Case


@pytest.fixture(scope="module")
def table():
    source, cases = load_packaged_table("guo-2017-table1")
    return source, cases, summarise(cases, [source])


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_every_figure_is_inline_svg_without_external_references(table, name):
    svg = figure_svg(name, table[2])
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert not re.search(r"(?:href|src)=\"(?:https?:|//|file:)", svg)


def test_spine_figure_labels_every_level_and_its_count(table):
    svg = figure_spine_levels(table[2])
    for name in ("C1", "T12", "L5", "S5"):
        assert f">{name}<" in svg
    assert ">10<" in svg  # L5 is the busiest level


def test_png_option_and_empty_cohort():
    empty = summarise([])
    assert figure_png("age_distribution", empty).startswith(b"\x89PNG")
    for name in BUILDERS:
        assert figure_svg(name, summarise([Case(id="only")])).startswith("<svg")


def test_report_is_one_self_contained_file(table, tmp_path):
    source, cases, summary = table
    html = render_report(cases, [source], summary=summary)
    assert html.count("<svg") == len(BUILDERS)
    assert not re.search(r"(?:href|src)=\"https?:|<link |<script", html)
    assert "guo-2017-table1:r07" in html and "Durant [2] 2001" in html
    assert "p = 0.0026" in html
    out = write_report(tmp_path / "sub" / "r.html", html)
    assert out.read_text(encoding="utf-8") == html
    assert [p.name for p in out.parent.iterdir()] == ["r.html"]  # no temp file left behind


def test_the_outcome_figure_shows_outcomes_and_every_figure_names_its_pool(table):
    _, cases, summary = table
    svg = figure_svg("outcomes", summary)
    assert "Outcome after treatment" in svg and "not reported" in svg
    assert figure_data("outcomes", summary, cases)[0] == ["outcome", "cases"]
    for name in BUILDERS:
        assert "tumoral calcinosis" in figure_svg(name, summary), name


def test_figure_data_columns_match_their_header(table):
    _, cases, summary = table
    header, *rows = figure_data("etiology_by_region", summary, cases)
    assert header == ["region", "etiology", "cases"]
    assert {r[0] for r in rows} <= {"cervical", "thoracic", "lumbar", "sacral", "unknown"}
    assert ["cervical", "dialysis", 9] in rows
    assert sum(r[2] for r in rows) == 32
    assert figure_data("spine_levels", summary, cases)[0] == ["level", "cases"]
    with pytest.raises(ValueError, match="unknown figure"):
        figure_data("pie", summary, cases)


def test_a_report_of_several_diagnoses_is_titled_as_a_mix(table):
    from calcispine.model import Diagnosis

    source, cases, _ = table
    capnon = Case(id="x", diagnosis=Diagnosis("capnon", "calcifying pseudoneoplasm of the neuraxis"))
    html = render_report([*cases, capnon], [source])
    assert "<h1>Calcified lesions of the spine: pooled published cases of several diagnoses</h1>" in html
    assert "Pooled: mixed: 32 tumoral calcinosis, 1 capnon." in html
    assert "<h1>Spinal tumoral calcinosis: pooled published cases</h1>" in render_report(cases, [source])

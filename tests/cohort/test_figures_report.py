"""Figures (SVG inline, PNG bytes) and the self-contained HTML report."""

from __future__ import annotations

import re

import pytest

from calcispine.cohort import (
    BUILDERS,
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

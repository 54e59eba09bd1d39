"""`calcispine assess FILE` in its three formats, and its one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from calcispine.cli import (
    _commands,  # noqa: F401
    app,
)

PATIENT = """\
age_years: 47
sex: F
levels: C3-C4
observed: [HP:0030833]
history: [hemodialysis]
imaging: ["multilobulated calcified mass around the C3-C4 facet joint"]
labs: {calcium: "9.8 mg/dL", phosphate: "7.9 mg/dL"}
"""


def test_json_format_lists_the_differential_in_rank_order(tmp_path: Path) -> None:
    f = tmp_path / "p.yaml"
    f.write_text(PATIENT)
    res = CliRunner().invoke(app, ["assess", str(f), "--format", "json"])
    assert res.exit_code == 0, res.output
    d = json.loads(res.output)
    probs = [c["probability"] for c in d["differential"]]
    assert probs == sorted(probs, reverse=True) and d["differential"][0]["diagnosis"] == "tumoral calcinosis"
    assert {"etiology", "labs", "next_checks", "management", "similar_cases"} <= set(d)


def test_table_and_markdown_formats(tmp_path: Path) -> None:
    f = tmp_path / "p.yaml"
    f.write_text(PATIENT)
    table = CliRunner().invoke(app, ["assess", str(f)])
    assert table.exit_code == 0 and "tumoral calcinosis" in table.output
    md = CliRunner().invoke(app, ["assess", str(f), "-f", "markdown"])
    assert md.exit_code == 0 and "## Differential" in md.output and "## Management" in md.output


def test_unknown_unit_is_a_one_line_error(tmp_path: Path) -> None:
    f = tmp_path / "p.yaml"
    f.write_text("labs: {phosphate: '3 stone'}\n")
    res = CliRunner().invoke(app, ["assess", str(f)])
    assert res.exit_code == 1 and "accepted" in res.output

"""The registry commands as a user types them (real SQLite file via --db)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from calcispine.cli import _app, app
from calcispine.cli import _commands as _  # noqa: F401  registers the commands

runner = CliRunner()


def run(db: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["--db", str(db), *args])
    return result.exit_code, result.output


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """The consoles are made at import; widen them so paths and rows are not wrapped."""
    monkeypatch.setattr(_app.console, "width", 240)
    monkeypatch.setattr(_app.err_console, "width", 240)


def test_info_conflicts_show_and_reset(tmp_path: Path) -> None:
    db = tmp_path / "reg.sqlite"
    code, out = run(db, "registry", "info")
    assert code == 0, out
    assert str(db) in out and "34" in out and "37" in out

    code, out = run(db, "registry", "conflicts")
    assert code == 0 and "guo-2017-c4-c6" in out and "guo-2017-table1: male" in out

    code, out = run(db, "case", "show", "tuy-2008-c2-c3")
    assert code == 0
    assert "tuy-2008 (case report)" in out and "guo-2017-table1 (Table 1, row 24)" in out
    assert "50-53" in out

    code, out = run(db, "case", "show", "tuy-2008")
    assert code == 1 and "did you mean tuy-2008-c2-c3" in out

    code, out = run(db, "registry", "reset")
    assert code == 1 and "--yes" in out
    code, out = run(db, "registry", "reset", "--yes")
    assert code == 0 and "34 patients" in out


def _row(out: str, field: str) -> str:
    return next(line for line in out.splitlines() if line.strip("│┃ ").startswith(field))


def test_case_show_credits_each_value_only_to_the_sources_that_state_it(tmp_path: Path) -> None:
    code, out = run(tmp_path / "reg.sqlite", "case", "show", "guo-2017-c4-c6")
    assert code == 0, out
    sex = _row(out, "sex")
    assert "female" in sex and "guo-2017 (case presentation)" in sex and "Table 1" not in sex
    ckd = _row(out, "etiology")
    assert "chronic_kidney_disease" in ckd and "Table 1" not in ckd
    pd = next(line for line in out.splitlines() if "peritoneal_dialysis" in line)
    assert "guo-2017 (case presentation)" in pd and "guo-2017-table1 (Table 1, row 32)" in pd
    assert "conflict sex: guo-2017 says female; guo-2017-table1 says male (open)" in out


def test_a_mistyped_db_path_is_one_error_and_creates_nothing(tmp_path: Path) -> None:
    code, out = run(tmp_path / "no-such-dir" / "x.sqlite", "registry", "info")
    assert code == 1 and "the folder" in out and "does not exist" in out
    assert not (tmp_path / "no-such-dir").exists()
    code, out = run(tmp_path / "new.sqlite", "registry", "info")
    assert code == 0 and "created a new registry at" in out and "34 embedded patients" in out


def test_an_empty_registry_on_request_stays_empty(tmp_path: Path) -> None:
    db = tmp_path / "empty.sqlite"
    result = runner.invoke(app, ["--db", str(db), "--empty", "registry", "info"])
    assert result.exit_code == 0, result.output
    assert "created an empty registry" in result.output
    code, out = run(db, "registry", "info")  # no --empty: still not seeded
    assert code == 0 and "patients (cases)" in out and "│ 0 " in _row(out, "patients (cases)") + " "
    code, out = run(db, "stats", "--format", "json")
    assert code == 0 and '"cases": 0' in out

    seeded = tmp_path / "seeded.sqlite"
    assert run(seeded, "registry", "info")[0] == 0
    result = runner.invoke(app, ["--db", str(seeded), "--empty", "stats"])
    assert result.exit_code == 1 and "registry reset --empty --yes" in result.output
    code, out = run(seeded, "registry", "reset", "--empty", "--yes")
    assert code == 0 and "Registry emptied" in out
    code, out = run(seeded, "registry", "info")
    assert " 0 " in _row(out, "patients (cases)")
    untouched = tmp_path / "untouched.sqlite"  # a command that opens no registry creates none
    assert runner.invoke(app, ["--db", str(untouched), "--empty", "stats", "--help"]).exit_code == 0
    assert not untouched.exists()

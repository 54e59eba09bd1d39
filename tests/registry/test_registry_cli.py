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

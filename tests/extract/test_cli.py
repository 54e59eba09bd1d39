"""calcispine extract: batches go on past bad files and fail at the end."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from calcispine.cli import _commands  # noqa: F401
from calcispine.cli._app import app

DATA = Path(__file__).parent / "data"


def test_batch_keeps_going_and_lists_failures(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(
        app, ["extract", str(DATA / "british-single.txt"), str(tmp_path / "empty.txt"), str(DATA / "not-a-case.txt"), "--output", str(out)]
    )
    assert result.exit_code == 1
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [r["file"] for r in rows] == ["british-single.txt"]


def test_phenopacket_format(tmp_path: Path) -> None:
    out = tmp_path / "pp.json"
    result = CliRunner().invoke(app, ["extract", str(DATA / "jats-case.xml"), "--format", "phenopacket", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert "phenotypicFeatures" in out.read_text(encoding="utf-8")


def test_add_stores_needs_review(tmp_path: Path) -> None:
    db = tmp_path / "reg.sqlite"
    result = CliRunner().invoke(app, ["--db", str(db), "extract", str(DATA / "british-single.txt"), "--add", "--format", "json", "-o", str(tmp_path / "x.json")])
    assert result.exit_code == 0, result.output
    from calcispine.config import Settings
    from calcispine.model import ReviewStatus
    from calcispine.registry import open_registry

    with open_registry(Settings(database_url=f"sqlite:///{db}")) as reg:
        added = [c for c in reg.list_cases() if c.review_status is ReviewStatus.NEEDS_REVIEW and len(reg.records(c.id)) == 1
                 and reg.source_text(c.source_ids[0]) is not None]
        assert len(added) == 1, "the extracted case is stored with the text its evidence points into"
        (record,) = reg.records(added[0].id)
        text = reg.source_text(record.source_ids[0])
        assert text is not None
        spans = [p.evidence for _, p in record.provenance if p.evidence is not None]
        assert spans and all(text[e.start:e.end] == e.text for e in spans)

"""The whole embedded registry leaves and comes back unchanged, through every format and the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import calcispine.cli._commands  # noqa: F401  registers export and import
from calcispine.cli._app import app
from calcispine.config import Settings
from calcispine.exchange import (
    read_jsonl_records,
    read_phenopackets_records,
    to_dataset,
    write_jsonl,
    write_phenopackets,
)
from calcispine.model import Case
from calcispine.registry import Registry, open_registry


def _settings(tmp_path: Path, name: str) -> Settings:
    return Settings(data_dir=str(tmp_path / name), database_url=f"sqlite:///{tmp_path / name}.sqlite")


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Case], dict[str, list[Case]], list]:
    with open_registry(_settings(tmp_path_factory.mktemp("reg"), "embedded")) as reg:
        cases = reg.list_cases()
        return cases, {c.id: reg.records(c.id) for c in cases}, reg.list_sources()


def _reimport(tmp_path: Path, cases: list[Case], sources: list, records: list[Case]) -> Registry:
    reg = open_registry(_settings(tmp_path, "fresh"), seed=False)
    reg.import_dataset(to_dataset(cases, sources, records), actor="test")
    return reg


def test_jsonl_round_trip_of_the_embedded_registry(embedded: tuple, tmp_path: Path) -> None:
    cases, records, sources = embedded
    assert len(cases) == 34
    write_jsonl(cases, tmp_path / "all.jsonl", sources, [r for c in cases for r in records[c.id]])
    back, back_sources, back_records = read_jsonl_records(tmp_path / "all.jsonl")
    assert back == cases and back_sources == sources
    with _reimport(tmp_path, back, back_sources, back_records) as reg:
        assert reg.list_cases() == cases
        assert len(reg.conflicts()) == sum(len(c.conflicts) for c in cases)


def test_phenopacket_round_trip_of_the_embedded_registry(embedded: tuple, tmp_path: Path) -> None:
    cases, records, sources = embedded
    write_phenopackets(cases, sources, tmp_path / "pp", versions={"hpo": "2025-01-16"}, records=records)
    back, back_sources, back_records = read_phenopackets_records(tmp_path / "pp")
    assert sorted(back, key=lambda c: c.id) == sorted(cases, key=lambda c: c.id)
    with _reimport(tmp_path, back, back_sources, back_records) as reg:
        assert sorted(reg.list_cases(), key=lambda c: c.id) == sorted(cases, key=lambda c: c.id)


def test_cli_export_then_import_loses_nothing(tmp_path: Path) -> None:
    runner = CliRunner()
    src_db, dst_db = tmp_path / "src.sqlite", tmp_path / "dst.sqlite"
    env = {"CALCISPINE_DATA_DIR": str(tmp_path / "data")}
    for fmt, out in (("jsonl", tmp_path / "x.jsonl"), ("phenopacket", tmp_path / "pp"), ("csv", tmp_path / "x.csv")):
        result = runner.invoke(app, ["--db", str(src_db), "export", "--format", fmt, "--output", str(out)], env=env)
        assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["--db", str(src_db), "export", "-f", "jsonl", "-o", str(tmp_path / "l.jsonl"),
                                 "--region", "lumbar"], env=env)
    assert result.exit_code == 0 and "regions=lumbar" in result.output
    with open_registry(Settings(database_url=f"sqlite:///{src_db}", data_dir=str(tmp_path / "data"))) as reg:
        original = reg.list_cases()
    # the CLI opens a registry seeded with the embedded data, so re-importing it changes nothing
    result = runner.invoke(app, ["--db", str(dst_db), "import", str(tmp_path / "x.jsonl")], env=env)
    assert result.exit_code == 0, result.output
    assert "0new" in "".join(result.output.split())
    with open_registry(Settings(database_url=f"sqlite:///{dst_db}", data_dir=str(tmp_path / "data"))) as reg:
        assert reg.list_cases() == original


def test_cli_import_adds_new_patients_from_each_format(cases: list[Case], sources: list, tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"CALCISPINE_DATA_DIR": str(tmp_path / "data")}
    sourced = [c for c in cases if c.source_ids]
    write_jsonl(sourced, tmp_path / "new.jsonl", sources)
    write_phenopackets(sourced, sources, tmp_path / "pp")
    for i, path in enumerate((tmp_path / "new.jsonl", tmp_path / "pp")):
        db = tmp_path / f"r{i}.sqlite"
        result = runner.invoke(app, ["--db", str(db), "import", str(path)], env=env)
        assert result.exit_code == 0, result.output
        with open_registry(Settings(database_url=f"sqlite:///{db}", data_dir=str(tmp_path / "data"))) as reg:
            assert reg.count_cases() == 34 + 2
            stored = {c.source_ids: c for c in reg.list_cases() if "smith-2019" in c.source_ids}
            rich = stored[("smith-2019", "lee-2020-table")]
            assert rich.findings == sourced[0].findings and rich.measurements == sourced[0].measurements


def test_cli_import_errors_name_the_input(tmp_path: Path) -> None:
    runner = CliRunner()
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n", encoding="utf-8")
    result = runner.invoke(app, ["--db", str(tmp_path / "r.sqlite"), "import", str(bad)],
                           env={"CALCISPINE_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 1 and "bad.jsonl,line1" in "".join(result.output.split())
    result = runner.invoke(app, ["--db", str(tmp_path / "r.sqlite"), "export", "-f", "xml", "-o", str(tmp_path / "a")],
                           env={"CALCISPINE_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 1 and "phenopacket,csv,jsonl" in "".join(result.output.split())

"""The whole embedded registry leaves and comes back unchanged, through every format and the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import calcispine.cli._commands  # noqa: F401  registers export and import
from calcispine.cli._app import app
from calcispine.config import Settings
from calcispine.exchange import (
    read_csv_dataset,
    read_jsonl_dataset,
    read_jsonl_records,
    read_phenopackets_dataset,
    read_phenopackets_records,
    to_dataset,
    write_csv,
    write_jsonl,
    write_phenopackets,
)
from calcispine.model import Case, ReviewStatus
from calcispine.registry import Registry, RegistryError, open_registry


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


# -- curation survives the round trip (issue 2 #8: "loses nothing") -----------------------------------


def _curate(reg: Registry) -> None:
    """What the audit did: correct a case, publish another and correct it too."""
    reg.update_case("blay-2001-l5", {"age_years": 45, "label": "Blay's patient",
                                     "findings": [{"hpo_id": "HP:0003419", "label": "Low back pain"}]}, actor="alice")
    reg.set_review_status("sharma-2005-l3", "reviewed", actor="alice")
    reg.set_review_status("sharma-2005-l3", "published", actor="bob")
    reg.update_case("sharma-2005-l3", {"age_years": 56}, actor="bob")


def _export(reg: Registry, folder: Path) -> tuple[Path, Path]:
    cases = reg.list_cases()
    records = {c.id: reg.records(c.id) for c in cases}
    write_jsonl(cases, folder / "all.jsonl", reg.list_sources(), records)
    write_phenopackets(cases, reg.list_sources(), folder / "pp", records=records)
    return folder / "all.jsonl", folder / "pp"


@pytest.mark.parametrize("fmt", ["jsonl", "phenopacket"])
def test_curator_corrections_and_review_status_survive_export_and_import(tmp_path: Path, fmt: str) -> None:
    with open_registry(_settings(tmp_path, "curated")) as reg:
        _curate(reg)
        jsonl, pp = _export(reg, tmp_path)
        curated = reg.list_cases()
        audit_before = len(reg.audit_log())
        # importing its own export into the same registry adds nothing and changes nothing
        report = reg.import_dataset(read_jsonl_dataset(jsonl) if fmt == "jsonl" else read_phenopackets_dataset(pp),
                                    actor="test")
        assert (report.added, report.merged, report.conflicts) == (0, 0, 0)
        assert reg.list_cases() == curated and len(reg.audit_log()) == audit_before
    dataset = read_jsonl_dataset(jsonl) if fmt == "jsonl" else read_phenopackets_dataset(pp)
    with open_registry(_settings(tmp_path, "empty"), seed=False) as fresh:
        fresh.import_dataset(dataset, actor="test")
        assert sorted(fresh.list_cases(), key=lambda c: c.id) == sorted(curated, key=lambda c: c.id)
        blay, sharma = fresh.get_case("blay-2001-l5"), fresh.get_case("sharma-2005-l3")
        assert (blay.age_years, blay.label, [f.label for f in blay.findings]) == (45, "Blay's patient", ["Low back pain"])
        assert (sharma.age_years, sharma.review_status) == (56, ReviewStatus.PUBLISHED)
        # a later edit of a restored case builds on the restored corrections
        again = fresh.update_case("blay-2001-l5", {"side": "left"}, actor="carol")
        assert again.age_years == 45 and again.label == "Blay's patient"
    # into a registry seeded with the same embedded data: the corrections come back there too
    with open_registry(_settings(tmp_path, "seeded")) as seeded:
        report = seeded.import_dataset(dataset, actor="test")
        assert report.added == 0
        assert seeded.get_case("sharma-2005-l3") == next(c for c in curated if c.id == "sharma-2005-l3")
        assert seeded.get_case("blay-2001-l5") == next(c for c in curated if c.id == "blay-2001-l5")
        assert [e.action for e in seeded.audit_log("sharma-2005-l3")][-2:] == ["restore", "review_status"]


def test_an_import_never_overwrites_this_registrys_own_correction(tmp_path: Path) -> None:
    with open_registry(_settings(tmp_path, "a")) as a:
        _curate(a)
        jsonl, _ = _export(a, tmp_path)
    with open_registry(_settings(tmp_path, "b")) as b:
        b.update_case("sharma-2005-l3", {"age_years": 57}, actor="dora")
        report = b.import_dataset(read_jsonl_dataset(jsonl), actor="test")
        assert b.get_case("sharma-2005-l3").age_years == 57
        assert any("this registry's is kept" in i.message for i in report.issues)


def test_importing_the_registrys_own_csv_adds_nothing_and_merges_nothing(tmp_path: Path) -> None:
    runner = CliRunner()
    db = tmp_path / "r.sqlite"
    env = {"CALCISPINE_DATA_DIR": str(tmp_path / "data")}
    out = tmp_path / "all.csv"
    assert runner.invoke(app, ["--db", str(db), "export", "-f", "csv", "-o", str(out)], env=env).exit_code == 0
    with open_registry(Settings(database_url=f"sqlite:///{db}")) as reg:
        before = (reg.list_cases(), reg.conflicts(), len(reg.audit_log()))
    result = runner.invoke(app, ["--db", str(db), "import", str(out)], env=env)
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "0 new patient(s), 0 merged" in said and "34 case(s): already in the registry" in said
    with open_registry(Settings(database_url=f"sqlite:///{db}")) as reg:
        assert (reg.list_cases(), reg.conflicts(), len(reg.audit_log())) == before
    # a row edited in a spreadsheet is reported, not applied: a flat row cannot say who corrected what
    rows = out.read_text(encoding="utf-8").splitlines()
    i = next(n for n, line in enumerate(rows) if line.startswith("sharma-2005-l3,"))
    rows[i] = rows[i].replace(",55,", ",56,", 1)
    out.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["--db", str(db), "import", str(out)], env=env)
    said = " ".join(result.output.split())
    assert result.exit_code == 0 and "case sharma-2005-l3: is already in the registry; the file differs on age_years" in said
    with open_registry(Settings(database_url=f"sqlite:///{db}")) as reg:
        assert reg.get_case("sharma-2005-l3").age_years == 55 and reg.count_cases() == 34


def test_a_csv_names_sources_by_id_only_so_an_empty_registry_refuses_it(tmp_path: Path) -> None:
    with open_registry(_settings(tmp_path, "src")) as reg:
        write_csv(reg.list_cases(), tmp_path / "all.csv")
    with open_registry(_settings(tmp_path, "empty"), seed=False) as empty, pytest.raises(RegistryError) as err:
        empty.import_dataset(read_csv_dataset(tmp_path / "all.csv"), actor="test")
    assert "source 'guo-2017-table1' is not in the dataset or the registry" in str(err.value)


def test_a_csv_row_of_a_stored_patient_under_another_id_is_still_that_patient(tmp_path: Path) -> None:
    with open_registry(_settings(tmp_path, "r")) as reg:
        cases = reg.list_cases()
        renamed = [c.with_changes(id=f"elsewhere-{i}") for i, c in enumerate(cases)]
        write_csv(renamed, tmp_path / "other.csv")
        report = reg.import_dataset(read_csv_dataset(tmp_path / "other.csv"), actor="test")
        assert (report.added, report.merged, report.conflicts) == (0, 0, 0)
        assert reg.list_cases() == cases

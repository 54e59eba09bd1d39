"""The registry on a real database (SQLite file and PostgreSQL): seeding, queries, atomic imports, audit."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import event, inspect

from calcispine.config import Settings
from calcispine.model import OTHER_PREFIX, CaseFilter, Level, Region, ReviewStatus, Sex, Source, SourceRef, parse_levels
from calcispine.registry import (
    Base,
    Dataset,
    Registry,
    RegistryError,
    case_to_dict,
    embedded_dataset,
    open_registry,
)


def test_embedded_registry_has_34_patients_3_merged_and_the_sex_conflict(registry: Registry) -> None:
    counts = registry.counts()
    assert counts["cases"] == 34
    assert counts["records"] == 37
    assert counts["multi_source_cases"] == 3
    merged = [c for c in registry.list_cases() if len(c.source_ids) > 1]
    assert {c.id for c in merged} == {"guo-2017-c4-c6", "tuy-2008-c2-c3", "sasaki-2015-c3-c5"}
    ((case_id, conflict),) = registry.conflicts()
    assert case_id == "guo-2017-c4-c6" and conflict.field == "sex"
    assert dict(conflict.values) == {"guo-2017": "female", "guo-2017-table1": "male"}
    own = registry.get_case("guo-2017-c4-c6")
    assert own.sex is Sex.FEMALE
    assert [r.id for r in registry.records("guo-2017-c4-c6")] == ["guo-2017/patient", "guo-2017-table1:r32"]


def test_durant_rows_are_separate_patients(registry: Registry) -> None:
    durant = registry.list_cases(CaseFilter(text="durant"))
    assert len(durant) == 12
    assert all(len(registry.records(c.id)) == 1 for c in durant)


def test_a_source_gives_back_its_rows_as_stated(registry: Registry) -> None:
    rows = registry.records_for_source("guo-2017-table1")
    assert len(rows) == 32
    assert rows[-1].sex is Sex.MALE  # the table's "Our case" says M, and that statement is kept
    assert [r.id for r in rows] == [r.id for r in embedded_dataset().records if r.source_ids == ("guo-2017-table1",)]
    assert sum(1 for r in rows if r.sex is Sex.FEMALE) == 19


def test_reopening_does_not_seed_twice(database_url: str) -> None:
    with open_registry(Settings(database_url=database_url)) as first:
        assert first.count_cases() == 34
    with open_registry(Settings(database_url=database_url)) as again:
        assert again.count_cases() == 34
        assert again.counts()["audit_entries"] == 34


FILTERS = [
    CaseFilter(),
    CaseFilter(regions=(Region.CERVICAL,)),
    CaseFilter(regions=(Region.THORACIC, Region.LUMBAR)),
    CaseFilter(regions=(Region.SACRAL,)),
    CaseFilter(levels=(Level.from_name("C2"),)),
    CaseFilter(levels=parse_levels("L4-L5")),
    CaseFilter(etiology=("hemodialysis", "peritoneal_dialysis")),
    CaseFilter(etiology=("none_reported",), sex=Sex.MALE),
    CaseFilter(etiology=(OTHER_PREFIX,)),
    CaseFilter(etiology=("crest", OTHER_PREFIX)),
    CaseFilter(diagnosis=("capnon",)),
    CaseFilter(sex=Sex.FEMALE, age_min=50, age_max=60),
    CaseFilter(age_max=10),
    CaseFilter(year_min=2008, year_max=2015),
    CaseFilter(year_max=2000),
    CaseFilter(source_ids=("tuy-2008",)),
    CaseFilter(source_ids=("guo-2017-table1",), regions=(Region.CERVICAL,)),
    CaseFilter(review_status=(ReviewStatus.NEEDS_REVIEW,)),
    CaseFilter(review_status=(ReviewStatus.PUBLISHED,)),
    CaseFilter(text="scleroderma"),
    CaseFilter(text="durant", levels=parse_levels("L4")),
]


def test_sql_filters_agree_with_casefilter_matches(registry: Registry) -> None:
    everything = registry.list_cases()
    sources = {s.id: s for s in registry.list_sources()}
    for flt in FILTERS:
        expected = sorted(c.id for c in everything if flt.matches(c, sources))
        got = [c.id for c in registry.list_cases(flt)]
        assert got == expected, flt
        assert registry.count_cases(flt) == len(expected), flt
    assert registry.count_cases(CaseFilter(regions=(Region.CERVICAL,))) == 16


def test_sorting_and_paging(registry: Registry) -> None:
    by_age = registry.list_cases(sort="age")
    ages = [c.age_midpoint for c in by_age]
    assert ages == sorted(ages)  # every embedded patient has an age
    assert registry.list_cases(sort="-age")[0].age_years == 90
    page = registry.list_cases(limit=5, offset=5)
    assert [c.id for c in page] == [c.id for c in registry.list_cases()][5:10]
    with pytest.raises(ValueError, match="cannot sort by 'colour'"):
        registry.list_cases(sort="colour")


def test_unknown_ids_say_what_exists(registry: Registry) -> None:
    with pytest.raises(KeyError, match="did you mean tuy-2008-c2-c3"):
        registry.get_case("tuy-2008")
    with pytest.raises(KeyError, match="no source 'smith-1900'"):
        registry.get_source("smith-1900")


def _snapshot(reg: Registry) -> tuple:
    return (
        reg.counts(),
        [case_to_dict(c) for c in reg.list_cases()],
        [(e.id, e.action, e.case_id) for e in reg.audit_log()],
        [s.id for s in reg.list_sources()],
    )


def _extra_dataset() -> Dataset:
    src = Source("new-2020", authors=("New A",), year=2020, kind="case_report")
    base = embedded_dataset().records[0]
    records = tuple(
        base.with_changes(id=f"new/{i}", source_ids=("new-2020",), provenance=(), cites=None, age_years=30.0 + i)
        for i in range(5)
    )
    return Dataset((src,), records)


def test_an_import_that_fails_midway_leaves_the_registry_as_it_was(registry: Registry) -> None:
    before = _snapshot(registry)
    inserts = {"n": 0}

    def fail_on_third_record(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        # PostgreSQL batches rows into one INSERT, so count statements: two writes land, the third fails
        if statement.lstrip().upper().startswith("INSERT INTO"):
            inserts["n"] += 1
            if inserts["n"] == 3:
                raise RuntimeError("disk full (simulated)")

    event.listen(registry.engine, "before_cursor_execute", fail_on_third_record)
    try:
        with pytest.raises(RegistryError, match="registry unchanged.*disk full"):
            registry.import_dataset(_extra_dataset(), actor="tester")
    finally:
        event.remove(registry.engine, "before_cursor_execute", fail_on_third_record)
    assert inserts["n"] == 3
    assert _snapshot(registry) == before
    report = registry.import_dataset(_extra_dataset(), actor="tester")
    assert report.added == 5 and registry.count_cases() == 39


def test_an_invalid_record_rejects_the_whole_import(registry: Registry) -> None:
    before = _snapshot(registry)
    ds = _extra_dataset()
    bad = ds.records[2].with_changes(etiology=("moon_phase",))
    ds = Dataset(ds.sources, (*ds.records[:2], bad, *ds.records[3:]))
    with pytest.raises(RegistryError) as err:
        registry.import_dataset(ds, actor="tester")
    assert "record 3 (new/2)" in str(err.value) and "moon_phase" in str(err.value)
    assert _snapshot(registry) == before


def test_the_text_behind_an_extracted_source_is_kept_with_it_or_not_at_all(registry: Registry) -> None:
    ds = _extra_dataset()
    text = "A made-up report: a calcified mass at C4-C5 in a 31-year-old man.\n"
    bad = Dataset(ds.sources, ds.records, texts={"new-2020": text, "nowhere-1999": "orphan text"})
    before = _snapshot(registry)
    with pytest.raises(RegistryError, match="nowhere-1999"):
        registry.import_dataset(bad, actor="tester")
    assert _snapshot(registry) == before and registry.source_text("new-2020") is None
    registry.import_dataset(Dataset(ds.sources, ds.records, texts={"new-2020": text}), actor="tester")
    assert registry.source_text("new-2020") == text
    assert registry.source_text("guo-2017") is None  # the embedded data ships no sentences
    registry.reset(actor="tester")
    assert registry.source_text("new-2020") is None and registry.count_cases() == 34


def test_importing_a_new_report_of_a_stored_patient_merges_it(registry: Registry) -> None:
    src = Source("carlson-2007", authors=("Carlson AP",), year=2007, kind="case_report")
    stored = registry.get_case("carlson-2007-c4-c5")
    rec = stored.with_changes(id="carlson/pt", source_ids=("carlson-2007",), cites=None, provenance=(), conflicts=(),
                              age_years=39.0, etiology=("hemodialysis", "chronic_kidney_disease"))
    report = registry.import_dataset(Dataset((src,), (rec,)), actor="curator")
    assert (report.added, report.merged, report.conflicts) == (0, 1, 0)
    merged = registry.get_case("carlson-2007-c4-c5")
    assert set(merged.source_ids) == {"guo-2017-table1", "carlson-2007"}
    assert "chronic_kidney_disease" in merged.etiology
    assert registry.count_cases() == 34
    again = registry.import_dataset(Dataset((src,), (rec,)), actor="curator")
    assert again.added == 0 and again.merged == 0 and any("already" in i.message for i in again.issues)


def test_edits_and_status_changes_are_audited_and_survive_a_later_merge(registry: Registry) -> None:
    case = registry.update_case("guo-2017-c4-c6", {"sex": Sex.FEMALE, "side": "right"}, actor="alice")
    assert case.sex is Sex.FEMALE
    (conflict,) = case.conflicts
    assert conflict.resolved and "alice" in (conflict.note or "")
    entry = registry.audit_log("guo-2017-c4-c6")[-1]
    assert (entry.actor, entry.action) == ("alice", "update")
    assert entry.before == {"sex": "female", "side": "right"} and entry.after == {"sex": "female", "side": "right"}
    assert entry.at.tzinfo is not None

    registry.update_case("tuy-2008-c2-c3", {"age_years": 51}, actor="bob")
    registry.set_review_status("tuy-2008-c2-c3", ReviewStatus.REVIEWED, actor="carol")
    log = registry.audit_log("tuy-2008-c2-c3")
    assert [e.action for e in log][-2:] == ["update", "review_status"]
    assert log[-1].before == {"review_status": "needs_review"} and log[-1].after == {"review_status": "reviewed"}
    assert log[-2].before == {"age_years": 50.0} and log[-2].after == {"age_years": 51.0}
    assert registry.get_case("tuy-2008-c2-c3").review_status is ReviewStatus.REVIEWED

    # a third report of the same patient arrives: the curator's age stays
    src = Source("tuy-2009", authors=("Tuy BE",), year=2009, kind="case_report")
    rec = registry.records("tuy-2008-c2-c3")[0].with_changes(
        id="tuy-2009/pt", source_ids=("tuy-2009",), cites=SourceRef("Tuy", 2008), provenance=())
    registry.import_dataset(Dataset((src,), (rec,)), actor="importer")
    tuy = registry.get_case("tuy-2008-c2-c3")
    assert tuy.age_years == 51 and len(tuy.source_ids) == 3
    assert any(p.source_id == "curator:bob" for p in tuy.provenance_of("age_years"))


def test_bad_edits_are_refused_and_change_nothing(registry: Registry) -> None:
    before = _snapshot(registry)
    with pytest.raises(RegistryError, match="cannot edit \\['id'\\]"):
        registry.update_case("tuy-2008-c2-c3", {"id": "x"}, actor="alice")
    with pytest.raises(RegistryError, match="field age_years"):
        registry.update_case("tuy-2008-c2-c3", {"age_years": 300}, actor="alice")
    with pytest.raises(RegistryError, match="review status 'done'"):
        registry.set_review_status("tuy-2008-c2-c3", "done", actor="alice")
    with pytest.raises(KeyError):
        registry.update_case("nobody", {"sex": "male"}, actor="alice")
    assert _snapshot(registry) == before


def test_reset_rebuilds_from_embedded_data(registry: Registry) -> None:
    registry.update_case("tuy-2008-c2-c3", {"age_years": 51}, actor="bob")
    report = registry.reset(actor="tester")
    assert report.added == 34
    assert registry.get_case("tuy-2008-c2-c3").age_years == 50
    assert [e.action for e in registry.audit_log()][-1] == "reset"


def test_migrations_create_exactly_the_model_schema(empty_registry: Registry) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    def ours(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
        # other parts (web accounts) add their own tables through later revisions; compare only ours
        table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
        return table is None or table in Base.metadata.tables

    with empty_registry.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": ours})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []
    assert empty_registry.count_cases() == 0 and empty_registry.list_sources() == []
    assert "alembic_version" in inspect(empty_registry.engine).get_table_names()


def test_sqlite_uses_wal_and_foreign_keys(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    with open_registry(Settings(database_url=url), seed=False) as reg, reg.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    assert (tmp_path / "r.sqlite").is_file()


def test_a_mistyped_path_is_an_error_and_creates_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'no-such-dir' / 'r.sqlite'}"
    with pytest.raises(RegistryError, match="the folder .*no-such-dir does not exist"):
        open_registry(Settings(database_url=url, data_dir=str(tmp_path / "data")))
    assert not (tmp_path / "no-such-dir").exists()
    not_a_db = tmp_path / "notes.txt"
    not_a_db.write_text("shopping list\n", encoding="utf-8")
    with pytest.raises(RegistryError, match="not a SQLite database"):
        open_registry(Settings(database_url=f"sqlite:///{not_a_db}"))
    # only the default location, the data folder, is made when missing
    data = tmp_path / "fresh" / "data"
    with open_registry(Settings(data_dir=str(data)), seed=False):
        pass
    assert (data / "registry.sqlite").is_file()


def test_an_emptied_registry_stays_empty(database_url: str) -> None:
    with open_registry(Settings(database_url=database_url)) as reg:
        reg.reset(actor="tester", empty=True)
        assert reg.count_cases() == 0 and not reg.is_fresh()
    with open_registry(Settings(database_url=database_url)) as reg:
        assert reg.count_cases() == 0  # not seeded again
        reg.reset(actor="tester")
        assert reg.count_cases() == 34


def test_unreachable_database_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match="cannot open the registry at"):
        open_registry(Settings(database_url="postgresql+psycopg://nobody@127.0.0.1:1/none"))


def test_likely_duplicates_answers_for_each_record_on_its_own(registry: Registry) -> None:
    from dataclasses import replace


    stored = registry.records_for_source("guo-2017-table1")[0]
    again = replace(stored, id="again")
    stranger = replace(stored, id="stranger", age_years=7, sex=Sex.FEMALE, levels=parse_levels("S5"))
    first, second, third = registry.likely_duplicates([again, stranger, again])
    assert first and first == third  # the second record does not change what the third is matched to
    assert second == []

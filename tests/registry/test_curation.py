"""What a curator does stays theirs: citations, review status, corrections, and who is credited for each value.

Runs on a SQLite file and on the PostgreSQL server (the ``registry`` fixture).
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from calcispine.model import Finding, ReviewStatus, Source
from calcispine.registry import (
    Dataset,
    Registry,
    RegistryError,
    SourceConflictError,
    case_to_dict,
)


def _snapshot(reg: Registry) -> tuple:
    return (
        reg.counts(),
        [case_to_dict(c) for c in reg.list_cases()],
        [(e.id, e.action, e.case_id) for e in reg.audit_log()],
        [(s.id, s.citation()) for s in reg.list_sources()],
    )


def _who(reg: Registry, case_id: str, field: str) -> dict[str, set[str]]:
    """Value (as text) -> the source ids credited with it."""
    out: dict[str, set[str]] = {}
    for v in reg.value_sources(case_id):
        if v.field == field:
            out[str(getattr(v.value, "label", v.value))] = {p.source_id for p in v.provenance}
    return out


# -- item 2: a stored citation is never silently rewritten ------------------------------------------


def test_a_differing_citation_for_a_stored_source_is_refused(registry: Registry) -> None:
    before = _snapshot(registry)
    hijack = Source("guo-2017", authors=("Nobody X",), year=1999, title="Hijacked")
    record = registry.records("blay-2001-l5")[0].with_changes(id="p9", source_ids=("guo-2017",), provenance=(),
                                                               cites=None, age_years=12.0)
    with pytest.raises(SourceConflictError) as err:
        registry.import_dataset(Dataset((hijack,), (record,)), actor="mallory")
    said = str(err.value)
    assert "source guo-2017" in said and "1999" in said and "nothing was written" in said
    assert _snapshot(registry) == before
    assert registry.get_source("guo-2017").year == 2017


def test_a_reference_list_stub_is_completed_and_the_completion_is_audited(registry: Registry) -> None:
    full = Source("carlson-2007", authors=("Carlson AP", "Yonas H"), year=2007, kind="case_report",
                  title="A made-up full citation", journal="J Test")
    report = registry.import_dataset(Dataset((full,), ()), actor="curator")
    stored = registry.get_source("carlson-2007")
    assert stored.authors == ("Carlson AP", "Yonas H") and stored.title == "A made-up full citation"
    assert stored.note == "Guo 2017 ref. [5]"  # what the stub said and the import did not is kept
    assert any("citation completed" in i.message for i in report.issues)
    entry = [e for e in registry.audit_log() if e.action == "source"][-1]
    assert entry.actor == "curator" and entry.before is not None and entry.after is not None
    assert entry.before["authors"] == ["Carlson"] and entry.after["authors"] == ["Carlson AP", "Yonas H"]
    # a stub is completed once; a second, different citation of the same paper is refused
    other = replace(full, title="Another title")
    with pytest.raises(SourceConflictError, match="title"):
        registry.import_dataset(Dataset((other,), ()), actor="curator")


# -- item 4: an import never demotes a reviewed or published case ------------------------------------


def _copy_source() -> Source:
    return Source("guo-copy", authors=("Guo R",), year=2017, kind="summary_table", part_of="guo-2017")


def test_an_import_keeps_a_published_case_published_and_asks_for_review(registry: Registry) -> None:
    registry.set_review_status("sharma-2005-l3", "reviewed", actor="alice")
    registry.set_review_status("sharma-2005-l3", "published", actor="alice")
    stored = registry.records("sharma-2005-l3")[0]
    same = stored.with_changes(id="copy:r1", source_ids=("guo-copy",), provenance=())
    report = registry.import_dataset(Dataset((_copy_source(),), (same,)), actor="calcispine import-table")
    assert (report.added, report.merged) == (0, 1)
    assert not any("stays published" in i.message for i in report.issues)  # it confirms, it changes nothing
    case = registry.get_case("sharma-2005-l3")
    assert case.review_status is ReviewStatus.PUBLISHED and "guo-copy" in case.source_ids
    assert [e.action for e in registry.audit_log("sharma-2005-l3")][-1] == "merge"
    assert not any(e.action == "review_status" and e.actor.startswith("calcispine")
                   for e in registry.audit_log("sharma-2005-l3"))

    # new evidence that changes the published case: still published, and the output and the audit say review it
    newer = Source("sharma-2006", authors=("Sharma A",), year=2006, kind="case_report")
    more = stored.with_changes(id="sharma/pt", source_ids=("sharma-2006",), provenance=(),
                               imaging=("a made-up CT finding",))
    report = registry.import_dataset(Dataset((newer,), (more,)), actor="importer")
    assert registry.get_case("sharma-2005-l3").review_status is ReviewStatus.PUBLISHED
    (warning,) = [i for i in report.issues if "stays published" in i.message]
    assert "imaging" in warning.message and "sharma/pt" in warning.message
    last = registry.audit_log("sharma-2005-l3")[-1]
    assert last.action == "merge" and "re-review suggested" in (last.note or "")


# -- item 6: each value credited only to the sources that state it -----------------------------------


def test_a_conflicting_value_is_credited_only_to_its_own_source(registry: Registry) -> None:
    guo = registry.get_case("guo-2017-c4-c6")
    assert {p.source_id for p in guo.provenance_of("sex")} == {"guo-2017"}  # the table says male
    assert _who(registry, "guo-2017-c4-c6", "sex") == {"female": {"guo-2017"}}
    etiology = _who(registry, "guo-2017-c4-c6", "etiology")
    assert etiology == {"chronic_kidney_disease": {"guo-2017"}, "peritoneal_dialysis": {"guo-2017", "guo-2017-table1"}}
    findings = _who(registry, "guo-2017-c4-c6", "findings")
    assert findings["Paresthesia"] == {"guo-2017"} and findings["Ectopic calcification"] == {"guo-2017-table1"}
    imaging = _who(registry, "guo-2017-c4-c6", "imaging")
    assert all(len(who) == 1 for who in imaging.values())


def test_a_corrected_value_is_credited_to_the_curator_not_the_source(registry: Registry) -> None:
    registry.update_case("blay-2001-l5", {"age_years": 45}, actor="alice")
    assert _who(registry, "blay-2001-l5", "age_years") == {"45.0": {"curator:alice"}}
    assert {p.source_id for p in registry.get_case("blay-2001-l5").provenance_of("age_years")} == {"curator:alice"}
    registry.update_case("blay-2001-l5", {"age_years": 44}, actor="bob")  # back to what the table says
    assert _who(registry, "blay-2001-l5", "age_years") == {"44.0": {"guo-2017-table1"}}


# -- item 7: HPO terms are checked on every write ----------------------------------------------------


def test_findings_with_unknown_or_mislabelled_hpo_terms_are_refused(registry: Registry) -> None:
    before = _snapshot(registry)
    with pytest.raises(RegistryError, match="HP:9999999.*not a term of HPO release"):
        registry.update_case("blay-2001-l5", {"findings": [{"hpo_id": "HP:9999999", "label": "made up"}]},
                             actor="alice")
    with pytest.raises(RegistryError, match="'Scoliosis' in HPO, but the label 'Neck pain' names HP:0030833"):
        registry.update_case("blay-2001-l5", {"findings": [{"hpo_id": "HP:0002650", "label": "Neck pain"}]},
                             actor="alice")
    record = registry.records("blay-2001-l5")[0].with_changes(
        id="x/1", source_ids=("guo-2017",), provenance=(), cites=None,
        findings=(Finding("HP:9999999", "made up"),))
    with pytest.raises(RegistryError, match="record 1 \\(x/1\\).*HP:9999999"):
        registry.import_dataset(Dataset((), (record,)), actor="alice")
    assert _snapshot(registry) == before
    # a label in the curator's own words for the right term is fine
    case = registry.update_case("blay-2001-l5", {"findings": [{"hpo_id": "HP:0012531", "label": "Night pain"},
                                                              {"hpo_id": "HP:0030833", "label": "Neck pain"}]},
                                actor="alice")
    assert [f.label for f in case.findings] == ["Night pain", "Neck pain"]

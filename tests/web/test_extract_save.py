"""Saving an extracted report: its citation, and a warning before a stored patient is stored twice (audit item 5)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from _webenv import WebEnv, csrf_from, form_fields, login
from fastapi.testclient import TestClient

pytestmark = pytest.mark.corpus

TUY = "tuy-2008-c2-c3"


@pytest.fixture
def extracted(sqlite_env: WebEnv, corpus_dir: Path) -> Iterator[tuple[TestClient, str, dict[str, str]]]:
    """A curator's extract page for the Tuy 2008 report (already in the registry), and its save form's fields."""
    c = sqlite_env.client
    login(c)
    text = (corpus_dir / "tuy-2008-c2c3-scleroderma.txt").read_text(encoding="utf-8")
    page = c.post("/extract", data={"csrf_token": csrf_from(c.get("/extract").text), "text": text}).text
    form = page[page.index('action="/extract/save"'):]
    yield c, page, form_fields(form[:form.index("</form>")])


def test_the_extract_page_warns_that_the_patient_is_already_stored(extracted: tuple[TestClient, str, dict[str, str]]) -> None:
    _, page, _ = extracted
    warning = page[page.index('class="duplicates'):]
    warning = warning[:warning.index("</div>")]
    assert "Probably already in the registry" in warning and f"/cases/{TUY}" in warning
    assert "same age, sex and levels" in warning


def test_saving_without_a_citation_asks_first_and_stores_nothing(
    sqlite_env: WebEnv, extracted: tuple[TestClient, str, dict[str, str]]
) -> None:
    c, _, fields = extracted
    before = sqlite_env.snapshot()
    r = c.post("/extract/save", data=fields, follow_redirects=False)
    assert r.status_code == 409
    assert f"/cases/{TUY}" in r.text and 'name="confirm"' in r.text
    assert sqlite_env.snapshot() == before
    assert sqlite_env.registry.count_cases() == 34


def test_choosing_the_stored_source_merges_into_the_stored_patient(
    sqlite_env: WebEnv, extracted: tuple[TestClient, str, dict[str, str]]
) -> None:
    c, _, fields = extracted
    r = c.post("/extract/save", data={**fields, "cite_source": "tuy-2008"}, follow_redirects=False)
    assert r.status_code == 303, r.text[:2000]
    assert r.headers["location"] == f"/cases/{TUY}"
    assert sqlite_env.registry.count_cases() == 34
    case = sqlite_env.registry.get_case(TUY)
    saved = next(s for s in case.source_ids if s.startswith("doc:"))
    source = sqlite_env.registry.get_source(saved)
    assert source.part_of == "tuy-2008" and source.year == 2008 and source.first_author == "Tuy"
    page = c.get(f"/cases/{TUY}").text
    in_place = page[page.index("<h2>Source text</h2>"):]
    assert re.search(r'<mark title="[^"]*levels[^"]*"[^>]*>[^<]*C2', in_place)


def test_a_typed_citation_of_a_stored_paper_is_pointed_out(
    sqlite_env: WebEnv, extracted: tuple[TestClient, str, dict[str, str]]
) -> None:
    c, _, fields = extracted
    typed = {**fields, "cite_authors": "Tuy BE; John TK; Ugliarolo AD", "cite_year": "2008",
             "cite_title": "Tumoral calcinosis presenting as neck pain"}
    r = c.post("/extract/save", data=typed, follow_redirects=False)
    assert r.status_code == 409
    assert "The citation looks like a source already stored" in r.text and "(tuy-2008)" in r.text
    assert 'value="Tuy BE; John TK; Ugliarolo AD"' in r.text  # what was typed is kept
    assert sqlite_env.registry.count_cases() == 34


def test_a_confirmed_new_patient_keeps_its_citation(
    sqlite_env: WebEnv, extracted: tuple[TestClient, str, dict[str, str]]
) -> None:
    c, _, fields = extracted
    r = c.post("/extract/save", data={**fields, "confirm": "1", "cite_authors": "Doe J; Roe R", "cite_year": "2031",
                                      "cite_pmid": "12345678", "label": "Doe 2031"}, follow_redirects=False)
    assert r.status_code == 303
    case_id = r.headers["location"].rsplit("/", 1)[1]
    case = sqlite_env.registry.get_case(case_id)
    assert case.review_status.value == "needs_review" and sqlite_env.registry.count_cases() == 35
    source = sqlite_env.registry.get_source(case.source_ids[0])
    assert source.authors == ("Doe J", "Roe R") and source.year == 2031 and source.pmid == "12345678"
    assert "Doe et al. 2031" in c.get(f"/cases/{case_id}").text


def test_a_bad_citation_is_named_and_nothing_is_stored(
    sqlite_env: WebEnv, extracted: tuple[TestClient, str, dict[str, str]]
) -> None:
    c, _, fields = extracted
    before = sqlite_env.snapshot()
    for bad, said in (({"cite_year": "nineteen"}, "year 'nineteen'"), ({"cite_doi": "doi please"}, "DOI"),
                      ({"cite_pmid": "PMID12"}, "PMID"), ({"cite_source": "no-such-paper"}, "no-such-paper")):
        r = c.post("/extract/save", data={**fields, "confirm": "1", **bad})
        assert r.status_code == 422 and said in html.unescape(r.text), bad
    assert sqlite_env.snapshot() == before


def test_the_save_form_shows_what_was_read(extracted: tuple[TestClient, str, dict[str, str]], corpus_dir: Path) -> None:
    _, page, fields = extracted
    assert fields["age_years"] == "50-53"  # the report gives a range
    text = (corpus_dir / "tuy-2008-c2c3-scleroderma.txt").read_text(encoding="utf-8")
    pasted = re.search(r'<textarea name="text"[^>]*>([^<]*)</textarea>', page)
    assert pasted and html.unescape(pasted.group(1)).removeprefix("\n") == text  # the pasted report stays in the box
    table = page[page.index("<h3>Structured case</h3>"):page.index("<h3>Correct and save for review</h3>")]
    findings = re.search(r"Findings \(HPO\)</th><td>([^<]*)</td>", table)
    assert findings and findings.group(1).count("Neck pain (HP:0030833)") == 1
    assert "Scleroderma (HP:0100324), in the history" in html.unescape(findings.group(1))


def test_an_age_range_saved_from_the_form_stays_a_range(
    sqlite_env: WebEnv, extracted: tuple[TestClient, str, dict[str, str]]
) -> None:
    c, _, fields = extracted
    r = c.post("/extract/save", data={**fields, "confirm": "1", "age_years": "51-53"}, follow_redirects=False)
    assert r.status_code == 303
    case = sqlite_env.registry.get_case(r.headers["location"].rsplit("/", 1)[1])
    assert case.age_years is None and case.age_range_years == (51, 53)


def test_evidence_stays_on_its_words_when_the_browser_sends_crlf(sqlite_env: WebEnv, corpus_dir: Path) -> None:
    """Browsers send form text with CRLF line ends; the stored text and the offsets into it must agree."""
    c = sqlite_env.client
    login(c)
    text = (corpus_dir / "tuy-2008-c2c3-scleroderma.txt").read_text(encoding="utf-8").replace("\n", "\r\n")
    page = c.post("/extract", data={"csrf_token": csrf_from(c.get("/extract").text), "text": text}).text
    form = page[page.index('action="/extract/save"'):]
    fields = form_fields(form[:form.index("</form>")])
    fields["source_text"] = fields["source_text"].replace("\n", "\r\n")
    r = c.post("/extract/save", data={**fields, "cite_source": "tuy-2008"}, follow_redirects=False)
    assert r.status_code == 303
    record = next(x for x in sqlite_env.registry.records(TUY) if x.source_ids[0].startswith("doc:"))
    stored = sqlite_env.registry.source_text(record.source_ids[0])
    assert stored is not None and "\r" not in stored
    spans = [p.evidence for _, p in record.provenance if p.evidence] + [f.evidence for f in record.findings if f.evidence]
    assert spans and all(stored[e.start:e.end] == e.text for e in spans)

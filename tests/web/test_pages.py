"""Server-rendered pages, sessions, CSRF, rate limits and upload limits (SQLite)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from _webenv import CURATOR, PASSWORD, WebEnv, csrf_from, form_fields, login, make_env

GUO = "guo-2017-c4-c6"


def test_registry_list_filters_sorts_and_pages(sqlite_env: WebEnv) -> None:
    c = sqlite_env.client
    assert c.get("/", follow_redirects=False).status_code == 307
    page = c.get("/cases")
    assert page.status_code == 200
    assert "34 patients" in page.text
    assert "page 1 of 2" in page.text
    cervical = c.get("/cases", params={"region": "cervical", "sort": "-age", "per_page": 100}).text
    assert "page 1 of" not in cervical
    ages = [float(a) for a in re.findall(r'data-label="Age">([\d.]+)<', cervical)]
    assert ages == sorted(ages, reverse=True)
    bad = c.get("/cases", params={"level": "T13"})
    assert bad.status_code == 400 and "T13" in bad.text


def test_case_page_shows_sources_conflict_and_history(sqlite_env: WebEnv) -> None:
    page = sqlite_env.client.get(f"/cases/{GUO}").text
    assert "Sources disagree" in page
    assert "Guo" in page and "Table 1" in page
    assert "Review history" in page and "import" in page
    assert sqlite_env.client.get("/cases/no-such-case").status_code == 404


def test_text_from_papers_and_users_is_escaped(sqlite_env: WebEnv) -> None:
    evil = "<script>alert(1)</script>"
    r = sqlite_env.client.patch(f"/api/cases/{GUO}", json={"label": evil, "imaging": [evil]},
                                headers=sqlite_env.auth())
    assert r.status_code == 200
    for url in ("/cases", f"/cases/{GUO}", f"/cases?q={evil}"):
        html = sqlite_env.client.get(url).text
        assert evil not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in sqlite_env.client.get(f"/cases/{GUO}").text


def test_session_cookie_is_signed_httponly_and_samesite(sqlite_env: WebEnv) -> None:
    assert login(sqlite_env.client) == 303
    cookie = sqlite_env.client.cookies.get("calcispine_session")
    assert cookie
    r = sqlite_env.client.get("/login")
    header = r.headers.get("set-cookie", "")
    if header:
        assert "httponly" in header.lower() and "samesite=lax" in header.lower()
    assert CURATOR in sqlite_env.client.get("/cases").text
    # a forged cookie is ignored
    sqlite_env.client.cookies.set("calcispine_session", cookie[:-4] + "AAAA")
    assert f"{CURATOR} <small>" not in sqlite_env.client.get("/cases").text


def test_secure_flag_when_configured(tmp_path: Path) -> None:
    env = make_env(f"sqlite:///{tmp_path / 'r.sqlite'}", tmp_path, cookie_secure="true")
    with env.client:
        r = env.client.get("/login")
        assert "secure" in r.headers["set-cookie"].lower()
        assert "httponly" in r.headers["set-cookie"].lower()
    env.registry.close()


def test_login_needs_csrf_and_a_right_password(sqlite_env: WebEnv) -> None:
    c = sqlite_env.client
    r = c.post("/login", data={"username": CURATOR, "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 403
    assert login(c, password="wrong password") == 401
    assert login(c, name="nobody") == 401
    assert login(c) == 303


def test_failed_logins_are_rate_limited_per_user_and_address(sqlite_env: WebEnv) -> None:
    c = sqlite_env.client
    for _ in range(5):
        assert login(c, password="guess guess") == 401
    assert login(c) == 429  # even the right password, until the window passes
    assert sqlite_env.accounts.authenticate(CURATOR, PASSWORD, "10.1.2.3") is not None  # another address


def test_anonymous_form_writes_get_401_and_store_nothing(sqlite_env: WebEnv) -> None:
    c = sqlite_env.client
    token = csrf_from(c.get("/login").text)
    before = sqlite_env.snapshot()
    assert c.post(f"/cases/{GUO}/edit", data={"csrf_token": token, "sex": "male"}).status_code == 401
    assert c.post(f"/cases/{GUO}/status", data={"csrf_token": token, "status": "reviewed"}).status_code == 401
    assert c.post("/extract/save", data={"csrf_token": token, "case_json": "{}", "source_json": "{}"}).status_code == 401
    assert c.get(f"/cases/{GUO}/edit").status_code == 401
    assert sqlite_env.snapshot() == before


def test_curator_form_write_without_csrf_is_refused(sqlite_env: WebEnv) -> None:
    assert login(sqlite_env.client) == 303
    before = sqlite_env.snapshot()
    r = sqlite_env.client.post(f"/cases/{GUO}/status", data={"status": "reviewed", "csrf_token": "forged"})
    assert r.status_code == 403
    assert sqlite_env.snapshot() == before


def test_curator_corrects_a_field_and_the_audit_log_shows_it(sqlite_env: WebEnv) -> None:
    c = sqlite_env.client
    assert login(c) == 303
    form = c.get(f"/cases/{GUO}/edit").text
    token = csrf_from(form)
    import html as html_lib

    values = {k: html_lib.unescape(v) for k, v in re.findall(r'<input name="(\w+)" value="([^"]*)"', form)}
    values.update({"csrf_token": token, "age_years": "56", "side": "bilateral"})
    r = c.post(f"/cases/{GUO}/edit", data=values, follow_redirects=False)
    assert r.status_code == 303
    page = c.get(r.headers["location"]).text
    assert "Saved 2 changes" in page
    entry = sqlite_env.registry.audit_log(GUO)[-1]
    assert entry.actor == CURATOR and entry.after == {"age_years": 56.0, "side": "bilateral"}
    assert "→ <strong>56</strong>" in page
    bad = dict(values, levels="C9")
    assert c.post(f"/cases/{GUO}/edit", data=bad).status_code == 422


def test_status_moves_through_the_page(sqlite_env: WebEnv) -> None:
    c = sqlite_env.client
    login(c)
    token = csrf_from(c.get(f"/cases/{GUO}").text)
    assert c.post(f"/cases/{GUO}/status", data={"csrf_token": token, "status": "published"}).status_code == 409
    assert c.post(f"/cases/{GUO}/status", data={"csrf_token": token, "status": "reviewed"}).status_code == 200
    assert sqlite_env.registry.get_case(GUO).review_status.value == "reviewed"


def test_cohort_page_and_downloads(sqlite_env: WebEnv) -> None:
    c = sqlite_env.client
    page = c.get("/cohort").text
    assert "33 patients" in page and "spine_levels.svg" in page
    assert "left out (1 capnon)" in page and "34 patients" in c.get("/cohort", params={"diagnosis": "all"}).text
    svg = c.get("/cohort/figure/spine_levels.svg")
    assert svg.headers["content-type"].startswith("image/svg+xml") and "<svg" in svg.text
    png = c.get("/cohort/figure/age_distribution.png", params={"region": "cervical", "download": 1})
    assert png.content[:8] == b"\x89PNG\r\n\x1a\n" and "attachment" in png.headers["content-disposition"]
    csv_text = c.get("/cohort/data/spine_levels.csv").text
    rows = [line.split(",") for line in csv_text.strip().splitlines()]
    from calcispine.model import all_levels

    assert rows[0] == ["level", "cases"] and len(rows) == 1 + len(all_levels())
    for name in ("age_distribution", "etiology_by_region", "treatments", "outcomes", "dialysis_finding"):
        assert c.get(f"/cohort/data/{name}.csv").status_code == 200
        assert c.get(f"/cohort/figure/{name}.svg").status_code == 200
    assert "outcomes.svg" in page
    etiology = [line.split(",") for line in c.get("/cohort/data/etiology_by_region.csv").text.strip().splitlines()]
    regions = {"cervical", "thoracic", "lumbar", "sacral", "unknown"}
    assert all(row[etiology[0].index("region")] in regions for row in etiology[1:]), etiology[:3]
    assert c.get("/cohort/figure/nothing.svg").status_code == 404
    assert "No case matches" in c.get("/cohort", params={"age_min": 119}).text


def test_upload_type_and_size_limits(tmp_path: Path) -> None:
    env = make_env(f"sqlite:///{tmp_path / 'r.sqlite'}", tmp_path, max_upload_bytes=2000)
    with env.client as c:
        token = csrf_from(c.get("/extract").text)
        r = c.post("/extract", data={"csrf_token": token}, files={"file": ("x.exe", b"MZ\x00\x00", "application/octet-stream")})
        assert r.status_code == 415
        r = c.post("/extract", data={"csrf_token": token}, files={"file": ("x.pdf", b"hello, not a pdf", "application/pdf")})
        assert r.status_code == 415
        r = c.post("/extract", data={"csrf_token": token}, files={"file": ("big.txt", b"a" * 5000, "text/plain")})
        assert r.status_code == 413
        assert c.post("/extract", data={"csrf_token": token, "text": "   "}).status_code == 400
    env.registry.close()


@pytest.mark.corpus
def test_extract_page_highlights_and_curator_saves(sqlite_env: WebEnv, corpus_dir: Path) -> None:
    c = sqlite_env.client
    text = (corpus_dir / "tuy-2008-c2c3-scleroderma.txt").read_text(encoding="utf-8")
    token = csrf_from(c.get("/extract").text)
    page = c.post("/extract", data={"csrf_token": token, "text": text}).text
    marks = re.findall(r'<mark title="([^"]*)"[^>]*>([^<]*)</mark>', page)
    assert any("levels" in t and "C2" in m for t, m in marks)
    assert "Log in as a curator" in page
    login(c)
    page = c.post("/extract", data={"csrf_token": csrf_from(c.get("/extract").text), "text": text}).text
    assert "Save for review" in page
    fields = dict(re.findall(r'<input type="hidden" name="(\w+_json|source_text)" value="([^"]*)"', page))
    import html as html_lib

    data = {k: html_lib.unescape(v) for k, v in fields.items()}
    data["csrf_token"] = csrf_from(page)
    data["label"] = "Tuy 2008 (from text)"
    data["confirm"] = "1"  # it is a second telling of a stored patient (see test_extract_save.py)
    r = c.post("/extract/save", data=data, follow_redirects=False)
    assert r.status_code == 303
    case_id = r.headers["location"].rsplit("/", 1)[1]
    case = sqlite_env.registry.get_case(case_id)
    assert case.review_status.value == "needs_review"
    shown = c.get(f"/cases/{case_id}").text
    in_place = shown[shown.index("<h2>Source text</h2>"):]
    marks = re.findall(r'<mark title="([^"]*)"[^>]*>([^<]*)</mark>', in_place)
    assert any("levels" in t and "C2" in m for t, m in marks), marks[:5]
    assert "needs review" in shown


def test_assess_page_explains(sqlite_env: WebEnv) -> None:
    r = sqlite_env.client.post("/assess", data={
        "age": 52, "sex": "female", "levels": "C2-C3", "observed": "Neck pain",
        "history": ["hemodialysis", "scleroderma"], "lab_analyte": ["phosphate"], "lab_value": ["7.1"],
        "lab_unit": ["mg/dL"]})
    assert r.status_code == 200, r.text[:500]
    lead = re.search(r'<li class="lead">.*?<strong>([^<]+)</strong>', r.text, re.S)
    assert lead and lead.group(1) == "tumoral calcinosis"
    assert "Why:" in r.text and "Most similar published cases" in r.text
    bad = sqlite_env.client.post("/assess", data={"observed": "HP:9999999"})
    assert bad.status_code == 422 and "HP:9999999" in bad.text
    assert "pydantic" not in bad.text and "validation error" not in bad.text


def test_assess_form_keeps_the_patient_out_of_urls_and_caches(sqlite_env: WebEnv) -> None:
    c = sqlite_env.client
    form = c.get("/assess").text
    assert re.search(r'<form method="post" action="/assess"', form)
    r = c.post("/assess", data={"age": "52", "observed": "Neck pain", "lab_analyte": ["phosphate"],
                                "lab_value": ["7.1"], "lab_unit": ["mg/dL"]})
    assert r.status_code == 200 and str(r.url).endswith("/assess")
    assert r.headers["cache-control"] == "no-store"
    # the old GET form of a filled-in patient shows an empty form, no result
    old = c.get("/assess", params={"go": 1, "age": 52, "observed": "Neck pain"})
    assert old.status_code == 200 and "Differential diagnosis" not in old.text and 'value="52"' not in old.text


def test_unknown_pages_are_html_and_the_api_answers_json(sqlite_env: WebEnv) -> None:
    c = sqlite_env.client
    page = c.get("/nonexistent")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "there is no page at /nonexistent" in page.text and "Back to the registry" in page.text
    api = c.get("/api/nonexistent")
    assert api.status_code == 404 and api.json() == {"detail": "Not Found"}


def test_favicon(sqlite_env: WebEnv) -> None:
    ico = sqlite_env.client.get("/favicon.ico")
    assert ico.status_code == 200 and ico.headers["content-type"] == "image/x-icon"
    assert ico.content[:4] == b"\x00\x00\x01\x00"
    assert '<link rel="icon" href="/static/favicon.svg"' in sqlite_env.client.get("/cases").text


def test_api_docs_page_loads_only_local_assets(sqlite_env: WebEnv) -> None:
    c = sqlite_env.client
    page = c.get("/api/docs")
    assert page.status_code == 200
    refs = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert refs and all(r.startswith("/") for r in refs), refs
    assert "'unsafe-inline'" not in page.headers["content-security-policy"].split("script-src")[1].split(";")[0]
    for ref in refs:
        if ref.endswith((".js", ".css")):
            asset = c.get(ref)
            assert asset.status_code == 200 and len(asset.content) > 1000 or ref.endswith("api-docs.js"), ref
    assert "SwaggerUIBundle" in c.get("/api/docs/assets/swagger-ui-bundle.js").text


def test_case_page_shows_each_evidence_block_once_with_its_source(sqlite_env: WebEnv) -> None:
    page = sqlite_env.client.get("/cases/tuy-2008-c2-c3").text
    findings = page[page.index('id="field-findings"'):]
    findings = findings[:findings.index("</tr>")]
    assert findings.count("Inclusion criterion of the table") == 1
    sources = re.findall(r'<small class="muted">([^<]*)</small>', findings)
    assert sources and all(s.startswith(("Tuy", "Guo")) for s in sources), sources
    assert not re.search(r'<small class="muted">\s*·', page)  # no evidence line without its source


def _edit_form(c: object, case_id: str) -> dict[str, str]:
    form = c.get(f"/cases/{case_id}/edit").text  # type: ignore[attr-defined]
    return {**form_fields(form), "csrf_token": csrf_from(form)}


def test_curator_corrects_diagnosis_outcome_and_labs_in_the_form(sqlite_env: WebEnv) -> None:
    c = sqlite_env.client
    login(c)
    values = _edit_form(c, GUO)
    assert values["diagnosis"] == "tumoral_calcinosis"
    assert "phosphorus: " in values["measurements"] or "phosphate: " in values["measurements"]
    labs = values["measurements"] + "\nPTH: 850 pg/mL\nalkaline phosphatase: increased"
    values.update(diagnosis="capnon", measurements=labs, outcome_status="improved", outcome_description="walks again",
                  outcome_follow_up="12")
    r = c.post(f"/cases/{GUO}/edit", data=values, follow_redirects=False)
    assert r.status_code == 303, r.text[:3000]
    case = sqlite_env.registry.get_case(GUO)
    assert case.diagnosis is not None and case.diagnosis.key == "capnon"
    assert case.outcome is not None and (case.outcome.status, case.outcome.follow_up_months) == ("improved", 12)
    pth = next(m for m in case.measurements if m.analyte == "pth" and m.value is not None)
    assert pth.value == 850 and pth.unit == "pg/mL"
    entry = sqlite_env.registry.audit_log(GUO)[-1]
    assert entry.actor == CURATOR and set(entry.after or {}) == {"diagnosis", "measurements", "outcome"}
    page = c.get(f"/cases/{GUO}").text
    assert "walks again" in page and "calcifying pseudoneoplasm" in page

    unchanged = _edit_form(c, GUO)
    assert c.post(f"/cases/{GUO}/edit", data=unchanged, follow_redirects=False).headers["location"].endswith("saved=0")
    bad = dict(unchanged, measurements="PTH high-ish")
    r = c.post(f"/cases/{GUO}/edit", data=bad)
    assert r.status_code == 422 and "measurements" in r.text and "PTH high-ish" in r.text


def test_an_age_range_is_shown_and_kept_in_the_form(sqlite_env: WebEnv) -> None:
    c = sqlite_env.client
    login(c)
    values = _edit_form(c, GUO)
    values["age_years"] = "54-56"
    assert c.post(f"/cases/{GUO}/edit", data=values, follow_redirects=False).status_code == 303
    case = sqlite_env.registry.get_case(GUO)
    assert case.age_years is None and case.age_range_years == (54, 56)
    assert _edit_form(c, GUO)["age_years"] == "54-56"


def test_assess_form_reads_imaging_pathology_and_course_in_words(sqlite_env: WebEnv) -> None:
    c = sqlite_env.client
    thin = c.post("/assess", data={"age": "16", "sex": "male", "levels": "L4"})
    assert thin.status_code == 200 and 'id="caution"' in thin.text
    r = c.post("/assess", data={
        "age": "16", "sex": "male", "levels": "L4",
        "imaging": "CT: 8 mm lucent nidus in the left L4 lamina\nsurrounding reactive sclerosis",
        "clinical": "pain worse at night, relieved by aspirin"})
    assert r.status_code == 200, r.text[:500]
    lead = re.search(r'<li class="lead">.*?<strong>([^<]+)</strong>', r.text, re.S)
    assert lead and lead.group(1) == "osteoid osteoma"
    read = re.search(r'<p class="muted" id="findings-read">(.*?)</p>', r.text, re.S)
    assert read and "nidus" in read.group(1).lower() and "night" in read.group(1).lower()
    assert 'id="caution"' not in r.text
    kept = re.search(r'<textarea name="clinical"[^>]*>([^<]*)</textarea>', r.text)
    assert kept and kept.group(1) == "pain worse at night, relieved by aspirin"  # the form keeps what was typed
    many = c.post("/assess", data={"imaging": "\n".join(f"finding {i}" for i in range(51))})
    assert many.status_code == 422 and "imaging: 51 lines; at most 50" in many.text

"""What a person sees: Playwright drives Debian's chromium against a real uvicorn server on loopback.

Screenshots of each page go to test-output/screenshots/.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _webenv import CURATOR, PASSWORD, WebEnv, make_env

from _environment import CHROMIUM, chromium_reason, unavailable

SHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module", autouse=True)
def _chromium() -> None:
    reason = chromium_reason()
    if reason:
        unavailable("browser", reason)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, WebEnv]]:
    import uvicorn

    folder = tmp_path_factory.mktemp("browser")
    env = make_env(f"sqlite:///{folder / 'registry.sqlite'}", folder)
    port = _free_port()
    config = uvicorn.Config(env.app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", env
    finally:
        srv.should_exit = True
        thread.join(timeout=10)
        env.registry.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield b
        finally:
            b.close()


def _page_in(browser: object, **context_options: Any) -> Iterator[object]:
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(**context_options)  # type: ignore[attr-defined]
    pg = context.new_page()
    pg.set_default_timeout(20_000)
    try:
        yield pg
    finally:
        context.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    """A page in a desktop-sized window."""
    yield from _page_in(browser, viewport={"width": 1280, "height": 900})


@pytest.fixture
def phone(browser: object) -> Iterator[object]:
    """A page on a 390 px wide phone."""
    yield from _page_in(browser, viewport={"width": 390, "height": 844}, is_mobile=True)


def wait_true(page: object, expression: str, timeout: float = 20.0) -> None:
    """Poll a JS expression from Python (the app's CSP forbids the eval that wait_for_function's polling uses)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):  # type: ignore[attr-defined]
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout}s: {expression}")
        time.sleep(0.1)


def shot(page: object, name: str, full: bool = True) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full)  # type: ignore[attr-defined]


@pytest.mark.corpus
def test_paste_the_scleroderma_report_and_see_c2_c3_highlighted(
    server: tuple[str, WebEnv], page: object, corpus_dir: Path
) -> None:
    base, _ = server
    text = (corpus_dir / "tuy-2008-c2c3-scleroderma.txt").read_text(encoding="utf-8")
    pg = page
    pg.goto(f"{base}/extract")  # type: ignore[attr-defined]
    pg.fill("textarea[name=text]", text)  # type: ignore[attr-defined]
    pg.click("button:has-text('Extract')")  # type: ignore[attr-defined]
    pg.wait_for_selector(".source-text mark")  # type: ignore[attr-defined]
    marks = pg.locator(".source-text mark[data-fields~='levels']").all_inner_texts()  # type: ignore[attr-defined]
    joined = " ".join(marks)
    assert "C2" in joined and "C3" in joined, marks
    assert "C2-C3" in pg.locator("table.facts").first.inner_text()  # type: ignore[attr-defined]
    pg.locator(".source-text mark[data-fields~='levels']").first.scroll_into_view_if_needed()  # type: ignore[attr-defined]
    shot(pg, "extract", full=False)


def test_cohort_page_pools_tumoral_calcinosis_and_shows_the_spine(server: tuple[str, WebEnv], page: object) -> None:
    base, _ = server
    pg = page
    pg.goto(f"{base}/cohort")  # type: ignore[attr-defined]
    assert "33 patients" in pg.locator("#cohort-n").inner_text()  # type: ignore[attr-defined]
    assert "1 capnon" in pg.locator("#cohort-note").inner_text()  # type: ignore[attr-defined]
    spine = pg.locator("#fig-spine_levels img")  # type: ignore[attr-defined]
    spine.wait_for()
    wait_true(pg, "document.querySelector('#fig-spine_levels img').naturalWidth > 0")
    for img in pg.locator("figure img").all():  # type: ignore[attr-defined]
        img.scroll_into_view_if_needed()
    wait_true(pg, "[...document.querySelectorAll('figure img')].every(i => i.complete && i.naturalWidth > 0)")
    shot(pg, "cohort")


def test_assess_a_patient_and_see_tumoral_calcinosis_explained(server: tuple[str, WebEnv], page: object) -> None:
    base, _ = server
    pg = page
    pg.goto(f"{base}/assess")  # type: ignore[attr-defined]
    pg.fill("input[name=age]", "52")  # type: ignore[attr-defined]
    pg.select_option("select[name=sex]", "female")  # type: ignore[attr-defined]
    pg.fill("input[name=levels]", "C2-C3")  # type: ignore[attr-defined]
    area = pg.locator("textarea[name=observed]")  # type: ignore[attr-defined]
    area.click()
    area.type("neck pa")
    pg.wait_for_selector(".hpo-list li")  # type: ignore[attr-defined]
    pg.locator(".hpo-list li", has_text="Neck pain").first.click()  # type: ignore[attr-defined]
    assert "HP:0030833" in area.input_value()
    pg.check("input[name=history][value=hemodialysis]")  # type: ignore[attr-defined]
    pg.select_option("select[name=lab_analyte] >> nth=0", "phosphate")  # type: ignore[attr-defined]
    pg.fill("input[name=lab_value] >> nth=0", "7.1")  # type: ignore[attr-defined]
    shot(pg, "assess-form", full=False)
    pg.click("button:has-text('Assess')")  # type: ignore[attr-defined]
    lead = pg.locator("ol.differential > li.lead")  # type: ignore[attr-defined]
    lead.wait_for()
    assert pg.url == f"{base}/assess", "the patient's details must not end up in the URL"  # type: ignore[attr-defined]
    assert "tumoral calcinosis" in lead.locator(".dx strong").inner_text()
    assert lead.locator("table.lr tbody tr").count() >= 1
    shot(pg, "assess-result")


def test_curator_corrects_a_field_and_finds_it_in_the_audit_log(server: tuple[str, WebEnv], page: object) -> None:
    base, env = server
    pg = page
    pg.goto(f"{base}/cases")  # type: ignore[attr-defined]
    shot(pg, "registry")
    pg.click("text=Curator log in")  # type: ignore[attr-defined]
    pg.fill("input[name=username]", CURATOR)  # type: ignore[attr-defined]
    pg.fill("input[name=password]", PASSWORD)  # type: ignore[attr-defined]
    pg.click("button:has-text('Log in')")  # type: ignore[attr-defined]
    pg.wait_for_selector(f"text={CURATOR}")  # type: ignore[attr-defined]
    pg.goto(f"{base}/cases/guo-2017-c4-c6")  # type: ignore[attr-defined]
    shot(pg, "case")
    pg.click("text=Correct fields")  # type: ignore[attr-defined]
    pg.fill("input[name=age_years]", "56")  # type: ignore[attr-defined]
    shot(pg, "case-edit")
    pg.click("button:has-text('Save changes')")  # type: ignore[attr-defined]
    pg.wait_for_selector(".notice")  # type: ignore[attr-defined]
    history = pg.locator("ol.audit li").first.inner_text()  # type: ignore[attr-defined]
    assert CURATOR in history and "age_years" in history and "56" in history
    assert "Saved 1 change;" in pg.locator(".notice").inner_text()  # type: ignore[attr-defined]
    pg.locator("ol.audit").scroll_into_view_if_needed()  # type: ignore[attr-defined]
    shot(pg, "case-after-edit")
    assert env.registry.get_case("guo-2017-c4-c6").age_years == 56


@pytest.mark.corpus
def test_curator_saves_an_extracted_report_of_a_stored_patient(
    server: tuple[str, WebEnv], page: object, corpus_dir: Path
) -> None:
    base, env = server
    pg = page
    pg.goto(f"{base}/login?next=/extract")  # type: ignore[attr-defined]
    pg.fill("input[name=username]", CURATOR)  # type: ignore[attr-defined]
    pg.fill("input[name=password]", PASSWORD)  # type: ignore[attr-defined]
    pg.click("button:has-text('Log in')")  # type: ignore[attr-defined]
    text = (corpus_dir / "tuy-2008-c2c3-scleroderma.txt").read_text(encoding="utf-8")
    pg.fill("textarea[name=text]", text)  # type: ignore[attr-defined]
    pg.click("button:has-text('Extract')")  # type: ignore[attr-defined]
    warning = pg.locator(".duplicates").first  # type: ignore[attr-defined]
    assert "tuy-2008-c2-c3" in warning.inner_text()
    assert pg.locator("textarea[name=text]").input_value() == text  # type: ignore[attr-defined]
    assert pg.locator("form[action='/extract/save'] input[name=age_years]").input_value() == "50-53"  # type: ignore[attr-defined]
    warning.scroll_into_view_if_needed()
    shot(pg, "extract-duplicate-warning", full=False)
    pg.locator("fieldset.citation").scroll_into_view_if_needed()  # type: ignore[attr-defined]
    pg.select_option("select[name=cite_source]", "tuy-2008")  # type: ignore[attr-defined]
    shot(pg, "extract-save-form", full=False)
    pg.click("button:has-text('Save for review')")  # type: ignore[attr-defined]
    pg.wait_for_url(f"{base}/cases/tuy-2008-c2-c3")  # type: ignore[attr-defined]
    assert env.registry.count_cases() == 34
    pg.locator("h2:has-text('Source text')").scroll_into_view_if_needed()  # type: ignore[attr-defined]
    shot(pg, "case-merged-extraction", full=False)


def test_registry_on_a_phone(server: tuple[str, WebEnv], phone: Any) -> None:
    base, _ = server
    pg = phone
    pg.goto(f"{base}/cases?region=cervical")
    assert pg.locator("table.cases tbody tr").count() > 5
    width = pg.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, f"the page is {width}px wide on a 390px phone"
    shot(pg, "registry-phone")


def test_api_docs_work_offline(server: tuple[str, WebEnv], page: object) -> None:
    base, _ = server
    pg = page
    elsewhere: list[str] = []
    errors: list[str] = []
    pg.on("request", lambda r: None if r.url.startswith((base, "data:")) else elsewhere.append(r.url))  # type: ignore[attr-defined]
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)  # type: ignore[attr-defined]
    pg.goto(f"{base}/cases")  # type: ignore[attr-defined]
    pg.click("nav >> text=API")  # type: ignore[attr-defined]
    pg.wait_for_selector(".opblock")  # type: ignore[attr-defined]
    assert pg.locator(".opblock").count() >= 8  # type: ignore[attr-defined]
    assert pg.locator("button.authorize").is_visible()  # type: ignore[attr-defined]
    shot(pg, "api-docs", full=False)
    pg.locator(".opblock-summary-path", has_text="/api/assess").first.click()  # type: ignore[attr-defined]
    pg.wait_for_selector(".opblock.is-open")  # type: ignore[attr-defined]
    assert not elsewhere, elsewhere
    assert not errors, errors


def test_case_page_on_a_phone_shows_each_value_with_its_evidence(server: tuple[str, WebEnv], phone: Any) -> None:
    base, _ = server
    pg = phone
    pg.goto(f"{base}/cases/tuy-2008-c2-c3")
    assert pg.evaluate("document.documentElement.scrollWidth") <= 400
    wrap = pg.locator("section .table-wrap").first
    assert wrap.evaluate("w => w.scrollWidth <= w.clientWidth"), "the facts table scrolls sideways"
    levels = pg.locator("#field-levels")
    evidence = levels.locator("td[data-label=Evidence]")
    box = evidence.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    assert "Tuy" in evidence.inner_text() and "Guo" in evidence.inner_text()
    value_box = levels.locator("td[data-label=Value]").bounding_box()
    assert value_box is not None and box["y"] >= value_box["y"] + value_box["height"] - 1  # below its value
    shot(pg, "case-phone", full=False)


def teardown_module() -> None:
    shutil.rmtree(SHOTS.parent / "tmp", ignore_errors=True)

"""What the tests need from the machine (the corpus, a PostgreSQL server, Debian's chromium) and
what happens when it is missing: a skip that says why, or, for each resource named in
CALCISPINE_TEST_REQUIRE (CI sets corpus,postgres,browser), a failure, so CI never passes by skipping."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import NoReturn

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("CALCISPINE_CORPUS", ROOT.parent / "shared" / "corpus"))
POSTGRES_URL = os.environ.get("CALCISPINE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
CHROMIUM = Path("/usr/bin/chromium")
REQUIRED = frozenset(x.strip() for x in os.environ.get("CALCISPINE_TEST_REQUIRE", "").split(",") if x.strip())


def unavailable(resource: str, reason: str) -> NoReturn:
    """Skip with ``reason``, or fail when the run requires ``resource``."""
    if resource in REQUIRED:
        pytest.fail(f"{reason}; this run requires {resource} (CALCISPINE_TEST_REQUIRE)", pytrace=False)
    pytest.skip(reason)


def corpus_reason() -> str | None:
    if (CORPUS / "gold.jsonl").is_file():
        return None
    return f"corpus not found at {CORPUS} (set CALCISPINE_CORPUS or place ../shared beside the repo)"


@cache
def postgres_reason() -> str | None:
    try:
        engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
    except Exception as exc:  # any failure to reach the server is the reason, stated
        return f"no PostgreSQL server answers at {make_url(POSTGRES_URL).render_as_string(hide_password=True)}: {exc}"
    return None


def chromium_reason() -> str | None:
    if CHROMIUM.exists():
        return None
    return f"Debian's chromium is not installed at {CHROMIUM} (apt-get install chromium; `make test` does it as root)"

"""Shared fixtures: the real corpus (skipped with a reason when ../shared is absent)."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("CALCISPINE_CORPUS", ROOT.parent / "shared" / "corpus"))
POSTGRES_URL = os.environ.get("CALCISPINE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    if not (CORPUS / "gold.jsonl").is_file():
        pytest.skip(f"corpus not found at {CORPUS} (set CALCISPINE_CORPUS or place ../shared beside the repo)")
    return CORPUS


@pytest.fixture(scope="session")
def gold(corpus_dir: Path) -> dict[str, dict]:
    lines = (corpus_dir / "gold.jsonl").read_text(encoding="utf-8").splitlines()
    return {rec["file"]: rec for rec in map(json.loads, filter(None, lines))}


@pytest.fixture(scope="session")
def review_summary(corpus_dir: Path) -> dict:
    return json.loads((corpus_dir / "review_table_summary.json").read_text(encoding="utf-8"))["published_summary"]




def _postgres_available() -> str | None:
    try:
        engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # any failure to reach the server is a reason to skip, stated
        return f"no PostgreSQL server answers at {make_url(POSTGRES_URL).render_as_string(hide_password=True)}: {exc}"


@pytest.fixture(scope="session")
def postgres_skip_reason() -> str | None:
    return _postgres_available()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, postgres_skip_reason: str | None) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a PostgreSQL schema of its own (dropped afterwards)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'registry.sqlite'}"
        return
    if postgres_skip_reason:
        pytest.skip(postgres_skip_reason)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'create schema "{schema}"'))
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'drop schema "{schema}" cascade'))
        admin.dispose()

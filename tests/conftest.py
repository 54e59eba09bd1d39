"""Shared fixtures: the real corpus and a PostgreSQL schema per test (see _environment.py for what a missing one does)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from _environment import CORPUS, POSTGRES_URL, corpus_reason, postgres_reason, unavailable


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    reason = corpus_reason()
    if reason:
        unavailable("corpus", reason)
    return CORPUS


@pytest.fixture(scope="session")
def gold(corpus_dir: Path) -> dict[str, dict]:
    lines = (corpus_dir / "gold.jsonl").read_text(encoding="utf-8").splitlines()
    return {rec["file"]: rec for rec in map(json.loads, filter(None, lines))}


@pytest.fixture(scope="session")
def review_summary(corpus_dir: Path) -> dict:
    return json.loads((corpus_dir / "review_table_summary.json").read_text(encoding="utf-8"))["published_summary"]




@pytest.fixture(scope="session")
def postgres_skip_reason() -> str | None:
    return postgres_reason()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, postgres_skip_reason: str | None) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a PostgreSQL schema of its own (dropped afterwards)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'registry.sqlite'}"
        return
    if postgres_skip_reason:
        unavailable("postgres", postgres_skip_reason)
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

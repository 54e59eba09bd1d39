"""Web fixtures: an app on a fresh registry (a SQLite file, or a PostgreSQL schema of its own), a curator, a token."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from _webenv import WebEnv, make_env
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from _environment import POSTGRES_URL, unavailable
from calcispine.config import Settings
from calcispine.registry import open_registry


@pytest.fixture(scope="session")
def seeded_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One seeded registry file per run; each test gets its own copy (seeding is the slow part)."""
    folder = tmp_path_factory.mktemp("seed")
    reg = open_registry(Settings(database_url=f"sqlite:///{folder / 'registry.sqlite'}", data_dir=str(folder)))
    reg.close()
    return folder / "registry.sqlite"


def _sqlite_copy(seed: Path, folder: Path) -> str:
    target = folder / "registry.sqlite"
    shutil.copyfile(seed, target)
    return f"sqlite:///{target}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, postgres_skip_reason: str | None,
           seeded_sqlite: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield _sqlite_copy(seeded_sqlite, tmp_path)
        return
    if postgres_skip_reason:
        unavailable("postgres", postgres_skip_reason)
    schema = f"web_{uuid.uuid4().hex[:12]}"
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


@pytest.fixture
def env(db_url: str, tmp_path: Path) -> Iterator[WebEnv]:
    """The app on the embedded registry (34 patients), on SQLite and on PostgreSQL."""
    e = make_env(db_url, tmp_path)
    with e.client:
        yield e
    e.registry.close()


@pytest.fixture
def sqlite_env(tmp_path: Path, seeded_sqlite: Path) -> Iterator[WebEnv]:
    """The app on a SQLite registry only (page tests that need no second database)."""
    e = make_env(_sqlite_copy(seeded_sqlite, tmp_path), tmp_path)
    with e.client:
        yield e
    e.registry.close()

"""Registry fixtures: the same tests run on a SQLite file and on a real PostgreSQL server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from calcispine.config import Settings
from calcispine.registry import Registry, open_registry


@pytest.fixture
def registry(database_url: str) -> Iterator[Registry]:
    """The embedded registry, freshly seeded."""
    reg = open_registry(Settings(database_url=database_url))
    try:
        yield reg
    finally:
        reg.close()


@pytest.fixture
def empty_registry(database_url: str) -> Iterator[Registry]:
    reg = open_registry(Settings(database_url=database_url), seed=False)
    try:
        yield reg
    finally:
        reg.close()

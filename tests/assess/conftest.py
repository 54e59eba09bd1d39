"""Shared fixtures for assessment tests: the real knowledge base, ontology and embedded registry."""

from __future__ import annotations

import pytest

from calcispine.assess import Assessor, default_assessor
from calcispine.knowledge._differential import KnowledgeBase, load_differential


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load_differential()


@pytest.fixture(scope="session")
def assessor() -> Assessor:
    return default_assessor()

"""The REST API against its own OpenAPI schema with schemathesis: generated requests never cause a 500."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from _webenv import make_env
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

_FOLDER = Path(tempfile.mkdtemp(prefix="calcispine-schema-"))
_ENV = make_env(f"sqlite:///{_FOLDER / 'r.sqlite'}", _FOLDER)
schema = schemathesis.openapi.from_asgi("/api/openapi.json", _ENV.app)


@pytest.fixture(scope="module", autouse=True)
def _cleanup() -> Iterator[None]:
    yield
    _ENV.registry.close()
    shutil.rmtree(_FOLDER, ignore_errors=True)


@schema.parametrize()
@settings(max_examples=6, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
def test_no_server_errors(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=[not_a_server_error, response_schema_conformance])

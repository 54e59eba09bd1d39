"""Convenience entry points: a path in, summaries out (the CLI and benches use these)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from calcispine.config import Settings

from ._document import read_document
from ._extractor import ExtractionResult, extract_case
from ._summary import to_summary


def extract_file(path: str | Path, settings: Settings | None = None) -> ExtractionResult:
    """read_document + extract_case."""
    return extract_case(read_document(path, settings), settings)


def summarise_file(path: str | Path, settings: Settings | None = None) -> list[dict[str, Any]]:
    res = extract_file(path, settings)
    return [to_summary(c, Path(path).name) for c in res.cases]

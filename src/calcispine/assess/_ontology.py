"""The slice of the HPO provider that assessment needs, as a protocol (tests may pass a small fake)."""

from __future__ import annotations

from typing import Protocol


class OntologyView(Protocol):
    @property
    def release(self) -> str: ...

    def resolve(self, term_id: str) -> str | None: ...

    def label(self, term_id: str) -> str: ...

    def ancestors(self, term_id: str, include_self: bool = False) -> frozenset[str]: ...

    def information_content(self, term_id: str) -> float: ...

    def search(self, prefix: str, limit: int = 20) -> tuple[tuple[str, str], ...]: ...


def default_ontology() -> OntologyView:
    """The packaged HPO release through calcispine's ontology provider."""
    from calcispine.ontology import get_hpo

    return get_hpo()

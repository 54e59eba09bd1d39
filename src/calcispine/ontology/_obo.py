"""A small, fast reader for the OBO 1.2 flat file HPO ships (only what calcispine needs)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

_SYN = re.compile(r'^"((?:[^"\\]|\\.)*)"\s+(EXACT|RELATED|BROAD|NARROW)\b')
_SCOPE_PRED = {
    "EXACT": "hasExactSynonym",
    "RELATED": "hasRelatedSynonym",
    "BROAD": "hasBroadSynonym",
    "NARROW": "hasNarrowSynonym",
}


@dataclass
class OboTerm:
    id: str
    name: str = ""
    synonyms: list[tuple[str, str]] = field(default_factory=list)  # (text, scope)
    parents: list[str] = field(default_factory=list)
    alt_ids: list[str] = field(default_factory=list)
    obsolete: bool = False
    replaced_by: str | None = None


@dataclass
class OboFile:
    release: str
    terms: dict[str, OboTerm]


def _release(line: str) -> str:
    value = line.split(":", 1)[1].strip()
    m = re.search(r"(\d{4}-\d{2}-\d{2})", value)
    return m.group(1) if m else value


def parse_obo(path: Path) -> OboFile:
    """Read [Term] stanzas; other stanza types are skipped."""
    terms: dict[str, OboTerm] = {}
    release = "unknown"
    current: OboTerm | None = None
    in_term = False
    with path.open(encoding="utf-8") as fh:
        for raw in fh:
            line = raw.rstrip("\n")
            if not line:
                continue
            if line[0] == "[":
                in_term = line.startswith("[Term]")
                current = None
                continue
            if current is None and not in_term:
                if line.startswith("data-version:") and release == "unknown":
                    release = _release(line)
                continue
            tag, _, value = line.partition(": ")
            if tag == "id":
                current = OboTerm(id=value.strip())
                terms[current.id] = current
            elif current is None:
                continue
            elif tag == "name":
                current.name = value.strip()
            elif tag == "synonym":
                m = _SYN.match(value)
                if m:
                    current.synonyms.append((m.group(1).replace('\\"', '"'), m.group(2)))
            elif tag == "is_a":
                current.parents.append(value.split("!", 1)[0].strip())
            elif tag == "alt_id":
                current.alt_ids.append(value.strip())
            elif tag == "is_obsolete":
                current.obsolete = value.strip() == "true"
            elif tag == "replaced_by":
                current.replaced_by = value.strip()
    return OboFile(release=release, terms=terms)


def to_obographs(obo: OboFile) -> dict:
    """The obographs JSON shape fenominal reads (nodes, is_a edges, synonyms, deprecated)."""
    base = "http://purl.obolibrary.org/obo/"
    nodes = []
    edges = []
    for t in obo.terms.values():
        uri = base + t.id.replace(":", "_")
        meta: dict = {}
        if t.synonyms:
            meta["synonyms"] = [{"pred": _SCOPE_PRED[scope], "val": text} for text, scope in t.synonyms]
        if t.obsolete:
            meta["deprecated"] = True
        node: dict = {"id": uri, "lbl": t.name, "type": "CLASS"}
        if meta:
            node["meta"] = meta
        nodes.append(node)
        for p in t.parents:
            edges.append({"sub": uri, "pred": "is_a", "obj": base + p.replace(":", "_")})
    return {
        "graphs": [
            {
                "id": base + "hp.json",
                "meta": {"version": f"{base}hp/releases/{obo.release}/hp.json"},
                "nodes": nodes,
                "edges": edges,
            }
        ]
    }

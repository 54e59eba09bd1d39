"""The HPO provider over the packaged release."""

from __future__ import annotations

import json
from pathlib import Path

from calcispine.knowledge import load_extract_rules
from calcispine.ontology import get_hpo


def test_labels_hierarchy_and_search() -> None:
    hpo = get_hpo()
    assert hpo.release == "2025-01-16"
    assert hpo.label("HP:0030833") == "Neck pain"
    assert hpo.is_a("HP:0030833", "HP:0012531")
    assert not hpo.is_a("HP:0012531", "HP:0030833")
    assert "HP:0000118" in hpo.ancestors("HP:0030833")
    assert ("HP:0030833", "Neck pain") in hpo.search("neck pa")
    assert get_hpo() is hpo


def test_terms_are_found_by_their_exact_name() -> None:
    hpo = get_hpo()
    assert hpo.terms_named(" neck PAIN ") == {"HP:0030833"}
    assert hpo.terms_named("neck pai") == frozenset()  # a name, not a prefix


def test_information_content_grows_with_specificity() -> None:
    hpo = get_hpo()
    assert hpo.information_content("HP:0030833") > hpo.information_content("HP:0012531") >= 0


def test_hp_json_is_built_once_in_obographs_shape(tmp_path: Path) -> None:
    hpo = get_hpo()
    path = hpo.hp_json_path(tmp_path)
    assert path == tmp_path / "hpo" / "2025-01-16" / "hp.json"
    mtime = path.stat().st_mtime_ns
    assert hpo.hp_json_path(tmp_path).stat().st_mtime_ns == mtime
    graph = json.loads(path.read_text(encoding="utf-8"))["graphs"][0]
    node = next(n for n in graph["nodes"] if n["id"].endswith("HP_0030833"))
    assert node["lbl"] == "Neck pain"
    parent = hpo.parents("HP:0030833")[0].replace(":", "_")
    assert {"sub": node["id"], "pred": "is_a", "obj": f"http://purl.obolibrary.org/obo/{parent}"} in graph["edges"]


def test_knowledge_file_terms_exist() -> None:
    hpo = get_hpo()
    rules = load_extract_rules()
    for term in [p.hpo for p in rules.phrases] + list(rules.symptom_roots.terms) + list(rules.neuro_roots.terms):
        assert term in hpo and not hpo.is_obsolete(term), term

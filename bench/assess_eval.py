"""Accuracy of the differential: every registry case leave-one-out, plus published vignettes.

Each registry case is assessed with its own data left out of every registry estimate and of the
similar-case search; its diagnosis is never read by the assessment. The vignettes (bench/data) are a
held-out set; those whose patient is also a registry row (``registry_overlap``) are reported apart.
Prints top-1, top-3 and mean rank of the true diagnosis, overall and per entity, with the knowledge
base's literature priors and, as a sensitivity check, with uniform priors (LIRICAL's convention).
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

from calcispine.assess import Assessor, patient_from_case, patient_from_mapping
from calcispine.assess._estimates import entity_of_case
from calcispine.extract._table import INCLUSION_RULE

HERE = Path(__file__).resolve().parent


def _line(name: str, rs: list[int]) -> str:
    n = len(rs)
    if n == 0:
        return f"{name:48s} n=  0"
    return (f"{name:48s} n={n:3d}  top-1 {sum(r == 1 for r in rs) / n:6.1%}  "
            f"top-3 {sum(r <= 3 for r in rs) / n:6.1%}  mean rank {sum(rs) / n:5.2f}")


def evaluate(a: Assessor, vignettes: list[dict[str, Any]]) -> tuple[dict[str, list[int]], list[str]]:
    ranks: dict[str, list[int]] = defaultdict(list)
    misses: list[str] = []
    for case in a.cases:
        truth = entity_of_case(case, a.kb)
        if truth is None:
            continue
        res = a.assess(patient_from_case(case), exclude=case.id)
        r = res.rank_of(truth)
        ranks[f"registry:{truth}"].append(r)
        own = [f for f in case.findings if not (f.evidence and f.evidence.rule == INCLUSION_RULE)]
        if own or any("inclusion criterion" not in i for i in case.imaging):
            ranks["registry with per-patient findings"].append(r)
        if r > 1:
            misses.append(f"  registry {case.id}: true {truth} at rank {r}; top {res.top.entity} ({res.top.probability:.2f})")
    for v in vignettes:
        res = a.assess(patient_from_mapping(v["patient"], v["id"]))
        r = res.rank_of(v["truth"])
        ranks[f"vignette:{v['truth']}"].append(r)
        ranks["vignettes overlapping the registry" if v.get("registry_overlap") else "vignettes held out (no overlap)"].append(r)
        if r > 1:
            misses.append(f"  vignette {v['id']}: true {v['truth']} at rank {r}; top {res.top.entity} "
                          f"({res.top.probability:.2f})")
    return ranks, misses


def report(title: str, a: Assessor, ranks: dict[str, list[int]], misses: list[str], detail: bool) -> None:
    allr = [r for k, rs in ranks.items() if ":" in k for r in rs]
    reg = [r for k, rs in ranks.items() if k.startswith("registry:") for r in rs]
    vig = [r for k, rs in ranks.items() if k.startswith("vignette:") for r in rs]
    print(f"== {title}")
    print(_line("ALL", allr))
    print(_line("registry (leave-one-out)", reg))
    print(_line("vignettes", vig))
    for k in ("registry with per-patient findings", "vignettes held out (no overlap)", "vignettes overlapping the registry"):
        print(_line(k, ranks.get(k, [])))
    if detail:
        for k in sorted(k for k in ranks if ":" in k):
            print(_line(k, ranks[k]))
        if misses:
            print("not ranked first:")
            print("\n".join(misses))


def main() -> int:
    data = yaml.safe_load((HERE / "data" / "vignettes.yaml").read_text(encoding="utf-8"))
    vignettes = data["vignettes"]
    a = Assessor(priors="uniform")
    print(f"knowledge base {a.kb.version}, HPO {a.ontology.release}, {len(a.cases)} registry cases, "
          f"{len(vignettes)} vignettes ({sum(bool(v.get('registry_overlap')) for v in vignettes)} overlap the registry)")
    ranks, misses = evaluate(a, vignettes)
    report("uniform priors (the default, LIRICAL's convention)", a, ranks, misses, detail=True)
    lit = Assessor(registry_cases=a.cases, priors="literature")
    ranks_l, misses_l = evaluate(lit, vignettes)
    report("sensitivity: literature priors (--priors literature)", lit, ranks_l, misses_l,
           detail="--literature-detail" in sys.argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Accuracy of the differential: every registry case leave-one-out, plus vignettes of published cases.

Three sets, reported apart and together:
- registry (leave-one-out): each registry case is assessed with its own data left out of every
  registry estimate and of the similar-case search; its diagnosis is never read by the assessment.
- development vignettes (bench/data/vignettes.yaml): published patients the knowledge base was
  checked against while it was written (no number was fitted to them, but misses were looked at).
- held-out vignettes (bench/data/vignettes_heldout.yaml): published mimics written before the
  knowledge-base revision they test and never used to change it.
Prints top-1, top-3 and mean rank of the true diagnosis per set, per entity, and every miss; with
--explain, each miss's findings and the likelihood ratios by which the candidates above the truth
beat it. An entity with several presentations (CPPD) counts at its best-placed presentation.
A sensitivity run with the knowledge base's literature priors follows (--literature-detail for its
misses). Exit code 0 always: the figures are the output.
"""

from __future__ import annotations

import math
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

from calcispine.assess import Assessment, Assessor, patient_from_case, patient_from_mapping
from calcispine.assess._estimates import entity_of_case

HERE = Path(__file__).resolve().parent
SETS = ("registry", "development", "heldout")
TITLES = {"registry": "registry (leave-one-out)", "development": "development vignettes",
          "heldout": "held-out vignettes"}


def _line(name: str, rs: list[int]) -> str:
    n = len(rs)
    if n == 0:
        return f"{name:48s} n=  0"
    return (f"{name:48s} n={n:3d}  top-1 {sum(r == 1 for r in rs) / n:6.1%}  "
            f"top-3 {sum(r <= 3 for r in rs) / n:6.1%}  mean rank {sum(rs) / n:5.2f}")


def load_vignettes(name: str) -> list[dict[str, Any]]:
    data = yaml.safe_load((HERE / "data" / name).read_text(encoding="utf-8"))
    return list(data["vignettes"])


def explain_miss(res: Assessment, truth: str, limit: int = 6) -> list[str]:
    """The findings, then for each candidate above the truth the LRs that put it there."""
    ev = res.evidence
    out = ["      findings: " + ", ".join([f"+{k}" for k in ev.present] + [f"-{k}" for k in ev.absent])]
    rank = res.rank_of(truth)
    true_c = res.differential[rank - 1]
    t_lr = {x.feature: x.lr for x in true_c.explanation}
    for c in res.differential[:rank - 1]:
        diffs = sorted(((math.log10(x.lr / t_lr[x.feature]), x.feature, x.lr, t_lr[x.feature])
                        for x in c.explanation), reverse=True)
        why = ", ".join(f"{f} {lr:.2f} vs {tl:.2f}" for d, f, lr, tl in diffs[:limit] if d > 0.05)
        out.append(f"      {c.key} ({c.probability:.2f}) over {true_c.key} ({true_c.probability:.3f}): {why}")
    return out


def evaluate(a: Assessor, vignettes: dict[str, list[dict[str, Any]]],
             explain: bool) -> tuple[dict[str, dict[str, list[int]]], list[str]]:
    ranks: dict[str, dict[str, list[int]]] = {s: defaultdict(list) for s in (*SETS, "overlap")}
    misses: list[str] = []

    def record(kind: str, name: str, truth: str, res: Assessment) -> None:
        r = res.rank_of(truth)
        ranks[kind][truth].append(r)
        if r > 1:
            misses.append(f"  {kind} {name}: true {truth} at rank {r}; top {res.top.key} ({res.top.probability:.2f})")
            if explain:
                misses.extend(explain_miss(res, truth))

    for case in a.cases:
        truth = entity_of_case(case, a.kb)
        if truth is not None:
            record("registry", case.id, truth, a.assess(patient_from_case(case), exclude=case.id))
    for kind in ("development", "heldout"):
        for v in vignettes[kind]:
            res = a.assess(patient_from_mapping(v["patient"], v["id"]))
            record(kind, v["id"], v["truth"], res)
            if v.get("registry_overlap"):
                ranks["overlap"]["all"].append(res.rank_of(v["truth"]))
    return ranks, misses


def report(title: str, ranks: dict[str, dict[str, list[int]]], misses: list[str], detail: bool) -> dict[str, list[int]]:
    print(f"== {title}")
    flat = {s: [r for rs in ranks[s].values() for r in rs] for s in SETS}
    for s in SETS:
        print(_line(TITLES[s], flat[s]))
    print(_line("overall (all three)", [r for s in SETS for r in flat[s]]))
    print(_line("vignettes (development + held-out)", flat["development"] + flat["heldout"]))
    print(_line("  of which patients also in the registry", ranks["overlap"]["all"]))
    if detail:
        for s in SETS:
            for entity in sorted(ranks[s]):
                print(_line(f"{s}:{entity}", ranks[s][entity]))
        if misses:
            print("not ranked first:")
            print("\n".join(misses))
    return flat


def main() -> int:
    explain = "--explain" in sys.argv
    vignettes = {"development": load_vignettes("vignettes.yaml"), "heldout": load_vignettes("vignettes_heldout.yaml")}
    a = Assessor(priors="uniform")
    print(f"knowledge base {a.kb.version}, HPO {a.ontology.release}, {len(a.cases)} registry cases, "
          f"{len(vignettes['development'])} development and {len(vignettes['heldout'])} held-out vignettes")
    ranks, misses = evaluate(a, vignettes, explain)
    report("uniform priors (the default, LIRICAL's convention)", ranks, misses, detail=True)
    lit = Assessor(registry_cases=a.cases, priors="literature")
    ranks_l, misses_l = evaluate(lit, vignettes, explain and "--literature-detail" in sys.argv)
    report("sensitivity: literature priors (--priors literature)", ranks_l, misses_l,
           detail="--literature-detail" in sys.argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())

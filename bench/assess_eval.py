"""Accuracy of the differential: registry leave-one-out, vignettes of published cases, and report texts.

Sets, reported apart and together:
- registry (leave-one-out): each registry case is assessed with its own data left out of every
  registry estimate and of the similar-case search; its diagnosis is never read by the assessment.
- development vignettes (bench/data/vignettes.yaml, vignettes_heldout.yaml, vignettes_blind.yaml and
  vignettes_blind2.yaml): published
  patients written as structured findings. The knowledge base was checked against them (their misses
  were read), so they measure fit, not generalisation. vignettes_heldout.yaml was a held-out set until
  knowledge base 2026.12.3 looked at its misses; it is development now and is also shown on its own
  line for continuity.
- report texts (--texts, on by default when the folders exist): whole case reports assessed through
  calcispine's extraction with every diagnosis name blanked out first (the names and patterns of
  knowledge/diagnoses.yaml, their abbreviations, and the knowledge base's entity labels and aliases),
  so only the findings the extractor passes on can rank the truth. Two folders: the five corpus texts
  (../shared/corpus or $CALCISPINE_CORPUS, truth from gold.jsonl) and the held-out extraction texts
  in tests/extract/heldout (truth from bench/data/heldout_gold.jsonl, one line per patient).
  Each miss prints its findings and, where the gold annotation shows a finding the extraction did not
  pass on, that finding with the gold phrase it comes from (a note for the extraction owner).
- formerly blind: bench/data/vignettes_blind.yaml was the first blind set (24 patients, written by
  someone who did not tune the scoring); its figure was recorded once, before anyone read it
  (knowledge base 2026.12.3: top-1 79.2%, top-3 91.7%, mean rank 1.92). Knowledge base 2026.12.4
  was revised after reading its misses, so it is development now, shown on its own line.
- formerly blind (second): bench/data/vignettes_blind2.yaml (24 patients) was measured once blind
  with knowledge base 2026.12.4 (top-1 75.0%, top-3 91.7%, mean rank 1.50), then its misses were read:
  it is development now, counted with the others.
- development, sixth set: bench/data/vignettes_dev6.yaml (40 patients, written 2026-12-04 by someone
  who did not see the scoring), first measured with knowledge base 2026.12.9 before its misses were
  read (top-1 52.5%, top-3 77.5%, mean rank 2.50); development since.
- blind (--blind, off by default): bench/data/vignettes_blind3.yaml (30 patients) and
  vignettes_blind4.yaml (36 patients, first measured with knowledge base 2026.12.9: top-1 33.3%,
  top-3 69.4%, mean rank 3.53), each from published reports, written 2026-12-04 by someone who did not
  see the scoring; only their summary figures are printed (never a per-case line), so that whoever
  tunes the scoring does not read their misses. --blind-text-set DIR GOLD does the same for a folder
  of report texts kept outside the project.
- depth of evidence: every set is also shown by how many findings it gives beyond age, sex, level
  and plain pain (0-1, 2-3, 4 or more), the same count behind the assessment's caution.
Prints top-1, top-3 and mean rank of the true diagnosis per set, per entity, and every miss; with
--explain, each miss's findings and the likelihood ratios by which the candidates above the truth
beat it. An entity with several presentations (CPPD) counts at its best-placed presentation.
A sensitivity run with the knowledge base's literature priors follows (--literature-detail for its
misses). Exit code 0 always: the figures are the output.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
import sys
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from calcispine.assess import (
    Assessment,
    Assessor,
    diagnosis_names,
    informative_findings,
    patient_from_case,
    patient_from_mapping,
)
from calcispine.assess._estimates import entity_of_case
from calcispine.assess._evidence import phrase_findings
from calcispine.assess._input import BLANK
from calcispine.extract import ExtractionResult
from calcispine.knowledge._differential import KnowledgeBase

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SETS = ("registry", "development", "texts")
TITLES = {"registry": "registry (leave-one-out)", "development": "development vignettes",
          "texts": "report texts, diagnosis names blanked"}
VIGNETTE_FILES = ("vignettes.yaml", "vignettes_heldout.yaml", "vignettes_blind.yaml", "vignettes_blind2.yaml",
                  "vignettes_dev4.yaml", "vignettes_dev5.yaml", "vignettes_dev6.yaml")
FORMER_HELDOUT = "vignettes_heldout.yaml"
FORMER_BLIND = "vignettes_blind.yaml"
BLIND_FILES = ("vignettes_blind3.yaml", "vignettes_blind4.yaml")
BLIND_PATHS = tuple(HERE / "data" / name for name in BLIND_FILES)

def _line(name: str, rs: list[int]) -> str:
    n = len(rs)
    if n == 0:
        return f"{name:52s} n=  0"
    return (f"{name:52s} n={n:3d}  top-1 {sum(r == 1 for r in rs) / n:6.1%}  "
            f"top-3 {sum(r <= 3 for r in rs) / n:6.1%}  mean rank {sum(rs) / n:5.2f}")


def load_vignettes(name: str) -> list[dict[str, Any]]:
    data = yaml.safe_load((HERE / "data" / name).read_text(encoding="utf-8"))
    return [dict(v, _file=name) for v in data["vignettes"]]


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


# ---- report texts -------------------------------------------------------------------------------

def diagnosis_name_pattern(a: Assessor) -> re.Pattern[str]:
    """Every name a report may give the diagnosis under (the assessment's own list)."""
    del a
    return diagnosis_names()


def blank_names(text: str | None, pattern: re.Pattern[str]) -> str | None:
    return pattern.sub(BLANK, text) if text else text


def extract_blanked(path: Path, pattern: re.Pattern[str]) -> ExtractionResult:
    """The extraction of a report whose text, title and metadata have every diagnosis name blanked."""
    from calcispine.extract import extract_case, read_document

    doc = read_document(path)
    doc = dataclasses.replace(doc, text=blank_names(doc.text, pattern) or "", title=blank_names(doc.title, pattern),
                              meta={k: blank_names(v, pattern) or "" for k, v in doc.meta.items()})
    return extract_case(doc)


def default_text_sets() -> list[tuple[Path, Path, str]]:
    """The text folders every run reads (folder, gold file, label), and any given with --text-set."""
    corpus = Path(os.environ.get("CALCISPINE_CORPUS", ROOT.parent / "shared" / "corpus"))
    return [(corpus, corpus / "gold.jsonl", "corpus"),
            (ROOT / "tests" / "extract" / "heldout", HERE / "data" / "heldout_gold.jsonl", "extraction held-out"),
            (ROOT / "tests" / "extract" / "blind", HERE / "data" / "blind_gold.jsonl", "extraction blind 1"),
            (ROOT / "tests" / "extract" / "blind2", HERE / "data" / "blind2_gold.jsonl", "extraction blind 2"),
            *EXTRA_TEXT_SETS]


def text_items(a: Assessor, sources: Iterable[tuple[Path, Path, str]]) -> tuple[list[dict[str, Any]], list[str]]:
    """(file path, gold line, truth entity) for every text patient found, and messages for what is missing."""
    items: list[dict[str, Any]] = []
    notes: list[str] = []
    for folder, gold, label in sources:
        if not gold.is_file() or not folder.is_dir():
            notes.append(f"{label} texts skipped: {gold if not gold.is_file() else folder} not found")
            continue
        for n, raw in enumerate(gold.read_text(encoding="utf-8").splitlines(), 1):
            if not raw.strip():
                continue
            g = json.loads(raw)
            truth = a.kb.entity_for(str(g.get("diagnosis") or ""))
            path = folder / g["file"]
            if truth is None:
                notes.append(f"{gold.name} line {n}: diagnosis {g.get('diagnosis')!r} names no entity; skipped")
            elif not path.is_file():
                notes.append(f"{gold.name} line {n}: {path} not found; skipped")
            else:
                items.append({"path": path, "gold": g, "truth": truth, "set": label})
    return items, notes


def _gold_phrases(g: dict[str, Any]) -> Iterable[tuple[str, str]]:
    for source in ("imaging", "pathology"):
        for ph in g.get(source) or []:
            yield source, str(ph)


def extraction_gaps(a: Assessor, g: dict[str, Any], res: Assessment, levels: tuple[str, ...],
                    age: float | None, sex: str | None) -> list[str]:
    """What the gold annotation shows that the extracted record did not pass on to the assessment."""
    out: list[str] = []
    kb = a.kb
    for source, ph in _gold_phrases(g):
        for key, present in phrase_findings(kb, ph, source).items():
            if present and key not in res.evidence.present:
                out.append(f"{key} (gold {source}: '{ph}')")
    gold_levels = list(g.get("levels") or [])
    if gold_levels and not levels:
        out.append(f"levels {'-'.join(gold_levels[:1] + gold_levels[-1:])} (gold) not extracted")
    elif gold_levels and levels and gold_levels[0] not in " ".join(levels):
        out.append(f"levels: extracted {', '.join(levels)}, gold starts at {gold_levels[0]}")
    if g.get("age_years") is not None and age is None:
        out.append(f"age {g['age_years']} (gold) not extracted")
    if g.get("sex") in ("female", "male") and sex != g["sex"]:
        out.append(f"sex {g['sex']} (gold), extracted {sex}")
    return out


def assess_text_item(a: Assessor, it: dict[str, Any], cache: dict[Path, ExtractionResult],
                     pattern: re.Pattern[str]) -> tuple[ExtractionResult, Assessment | None]:
    """The blanked extraction of the item's file (read once per file) and the assessment of its patient,
    None when the extraction found fewer patients than the gold line names."""
    path = it["path"]
    if path not in cache:
        cache[path] = extract_blanked(path, pattern)
    result = cache[path]
    idx = int(it["gold"].get("patient") or 1) - 1
    return result, (a.assess(patient_from_case(result.cases[idx])) if idx < len(result.cases) else None)


def evaluate_texts(a: Assessor, explain: bool) -> tuple[dict[str, list[int]], dict[str, list[int]], list[str],
                                                         list[str], dict[str, list[int]]]:
    """Assess every text patient through extraction with the diagnosis names blanked.

    Returns ranks by true entity, ranks by folder, miss lines, notes and ranks by depth of evidence.
    """

    ranks: dict[str, list[int]] = defaultdict(list)
    by_set: dict[str, list[int]] = defaultdict(list)
    by_depth: dict[str, list[int]] = defaultdict(list)
    misses: list[str] = []
    gaps_all: list[str] = []
    items, notes = text_items(a, default_text_sets())
    pattern = diagnosis_name_pattern(a)
    cache: dict[Path, ExtractionResult] = {}
    for it in items:
        path, g, truth = it["path"], it["gold"], it["truth"]
        result, res = assess_text_item(a, it, cache, pattern)
        idx = int(g.get("patient") or 1) - 1
        name = f"{path.name}" + (f" #{idx + 1}" if g.get("patient") and len(result.cases) > 1 else "")
        if res is None:
            rank = len(a.kb.units)
            ranks[truth].append(rank)
            by_set[it["set"]].append(rank)
            by_depth["0-1"].append(rank)
            misses.append(f"  texts {name}: true {truth}: extraction found {len(result.cases)} patient(s), "
                          f"not patient {idx + 1}; counted at the last rank ({rank})")
            continue
        patient = patient_from_case(result.cases[idx])
        r = res.rank_of(truth)
        ranks[truth].append(r)
        by_set[it["set"]].append(r)
        by_depth[depth(res, a.kb)].append(r)
        gaps = extraction_gaps(a, g, res, patient.levels, patient.age_years, patient.sex)
        if gaps:
            gaps_all.append(f"  {name}: " + "; ".join(gaps))
        if r > 1:
            misses.append(f"  texts {name}: true {truth} at rank {r}; top {res.top.key} ({res.top.probability:.2f})")
            misses.extend(explain_miss(res, truth) if explain else
                          ["      findings: " + ", ".join([f"+{k}" for k in res.evidence.present] +
                                                          [f"-{k}" for k in res.evidence.absent])])
            if gaps:
                misses.append("      not passed on by extraction: " + "; ".join(gaps))
    return ranks, by_set, misses, notes + (["gold findings the assessment did not receive (lost in extraction, or worded so that the "
                                     "knowledge base does not read them):", *gaps_all]
                                   if gaps_all else []), by_depth


# ---- vignettes and registry ---------------------------------------------------------------------

def evaluate(a: Assessor, vignettes: list[dict[str, Any]], explain: bool,
             texts: bool) -> tuple[dict[str, dict[str, list[int]]], list[str], list[str]]:
    ranks: dict[str, dict[str, list[int]]] = {s: defaultdict(list) for s in (*SETS, "overlap", "former", "former_blind", "added",
                                                                   "text_sets", *(f"depth:{s}" for s in SETS))}
    misses: list[str] = []

    def record(kind: str, name: str, truth: str, res: Assessment) -> None:
        r = res.rank_of(truth)
        ranks[kind][truth].append(r)
        ranks[f"depth:{kind}"][depth(res, a.kb)].append(r)
        if r > 1:
            misses.append(f"  {kind} {name}: true {truth} at rank {r}; top {res.top.key} ({res.top.probability:.2f})")
            if explain:
                misses.extend(explain_miss(res, truth))

    for case in a.cases:
        truth = entity_of_case(case, a.kb)
        if truth is not None:
            record("registry", case.id, truth, a.assess(patient_from_case(case), exclude=case.id))
    for v in vignettes:
        res = a.assess(patient_from_mapping(v["patient"], v["id"]))
        record("development", v["id"], v["truth"], res)
        if v.get("registry_overlap"):
            ranks["overlap"]["all"].append(res.rank_of(v["truth"]))
        if v["_file"] == FORMER_HELDOUT:
            ranks["former"]["all"].append(res.rank_of(v["truth"]))
        if v["_file"] == FORMER_BLIND:
            ranks["former_blind"]["all"].append(res.rank_of(v["truth"]))
        else:
            ranks["former_blind"]["without"].append(res.rank_of(v["truth"]))
        if v["_file"] != FORMER_BLIND:
            ranks["added"][str(v.get("added") or "-")].append(res.rank_of(v["truth"]))
    notes: list[str] = []
    if texts:
        text_ranks, by_set, text_misses, notes, text_depth = evaluate_texts(a, explain)
        ranks["texts"].update(text_ranks)
        ranks["depth:texts"].update(text_depth)
        ranks["text_sets"].update(by_set)
        misses.extend(text_misses)
    return ranks, misses, notes


def report(title: str, ranks: dict[str, dict[str, list[int]]], misses: list[str], notes: list[str],
           detail: bool) -> None:
    print(f"== {title}")
    flat = {s: [r for rs in ranks[s].values() for r in rs] for s in SETS}
    for s in SETS:
        print(_line(TITLES[s], flat[s]))
        if s == "development":
            print(_line(f"  of which formerly held-out ({FORMER_HELDOUT})", ranks["former"]["all"]))
            print(_line(f"  of which formerly blind ({FORMER_BLIND})", ranks["former_blind"]["all"]))
            print(_line("  of which the others (the 70 of older reports)", ranks["former_blind"]["without"]))
            for version, rs in sorted((k, v) for k, v in ranks["added"].items() if k != "-"):
                print(_line(f"  of which added with knowledge base {version}", rs))
            print(_line("  of which the earlier ones (as in older reports)", ranks["added"]["-"]))
            print(_line("  of which patients also in the registry", ranks["overlap"]["all"]))
        if s == "texts":
            for label, rs in sorted(ranks["text_sets"].items()):
                print(_line(f"  of which {label} texts", rs))
        for stratum in ("0-1", "2-3", "4+"):
            if ranks[f"depth:{s}"][stratum]:
                print(_line(f"  by depth: {stratum} findings beyond age, sex, level, pain",
                            ranks[f"depth:{s}"][stratum]))
    print(_line("overall", [r for s in SETS for r in flat[s]]))
    if detail:
        for s in SETS:
            for entity in sorted(ranks[s]):
                print(_line(f"{s}:{entity}", ranks[s][entity]))
        if misses:
            print("not ranked first:")
            print("\n".join(misses))
        if notes:
            print("\n".join(notes))


def depth(res: Assessment, kb: KnowledgeBase) -> str:
    """The depth-of-evidence stratum: findings beyond age, sex, level and plain pain."""
    n = len(informative_findings(res.evidence, kb))
    return "0-1" if n <= 1 else "2-3" if n <= 3 else "4+"


def _depth_lines(label: str, pairs: list[tuple[str, int]]) -> None:
    for stratum in ("0-1", "2-3", "4+"):
        print(_line(f"  {label}, {stratum} findings", [r for d, r in pairs if d == stratum]))


def blind_summary(a: Assessor, paths: tuple[Path, ...] = BLIND_PATHS,
                  text_sets: tuple[tuple[Path, Path, str], ...] = ()) -> None:
    """Only the summary figures of the blind sets: their cases and misses are never printed, on purpose."""
    everything: list[tuple[str, int]] = []
    for path in paths:
        if not path.is_file():
            print(f"blind set skipped: {path} not found")
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        pairs = []
        for v in data.get("vignettes", []):
            res = a.assess(patient_from_mapping(v["patient"], v["id"]))
            pairs.append((depth(res, a.kb), res.rank_of(v["truth"])))
        everything += pairs
        print(_line(f"blind vignettes ({path.name}, summary only)", [r for _, r in pairs]))
    if everything:
        _depth_lines("blind vignettes by depth", everything)
    pattern = diagnosis_name_pattern(a)
    for text_set in text_sets:
        # the notes name files and lines: only their number is printed
        items, notes = text_items(a, [text_set])
        cache: dict[Path, ExtractionResult] = {}
        pairs = []
        for it in items:
            _, found = assess_text_item(a, it, cache, pattern)
            # nothing extracted: no evidence at all, the last rank
            pairs.append((depth(found, a.kb), found.rank_of(it["truth"])) if found else ("0-1", len(a.kb.units)))
        label = text_set[2]
        print(_line(f"blind {label} (summary only)", [r for _, r in pairs])
              + (f"  ({len(notes)} gold line(s) or folder skipped: unknown diagnosis or missing file)" if notes else ""))
        _depth_lines(f"blind {label} by depth", pairs)


EXTRA_TEXT_SETS: list[tuple[Path, Path, str]] = []
BLIND_TEXT_SETS: list[tuple[Path, Path, str]] = []


def main() -> int:
    argv = sys.argv[1:]
    # --text-set DIR GOLD: another folder of report texts with its gold file (e.g. texts kept outside
    # the project because their sentences are a publisher's)
    while "--text-set" in argv:
        i = argv.index("--text-set")
        folder, gold = Path(argv[i + 1]), Path(argv[i + 2])
        EXTRA_TEXT_SETS.append((folder, gold, f"texts of {folder}"))
        del argv[i:i + 3]
    while "--blind-text-set" in argv:
        i = argv.index("--blind-text-set")
        folder, gold = Path(argv[i + 1]), Path(argv[i + 2])
        BLIND_TEXT_SETS.append((folder, gold, f"texts of {folder}"))
        del argv[i:i + 3]
    explain = "--explain" in argv
    texts = "--no-texts" not in argv
    vignettes = [v for name in VIGNETTE_FILES for v in load_vignettes(name)]
    a = Assessor(priors="uniform")
    print(f"knowledge base {a.kb.version}, HPO {a.ontology.release}, {len(a.cases)} registry cases, "
          f"{len(vignettes)} development vignettes ({', '.join(VIGNETTE_FILES)})")
    ranks, misses, notes = evaluate(a, vignettes, explain, texts)
    report("uniform priors (the default, LIRICAL's convention)", ranks, misses, notes, detail=True)
    if "--blind" in argv or BLIND_TEXT_SETS:
        # --blind-text-set alone measures only that folder: the blind vignettes are spent only on --blind
        blind_summary(a, BLIND_PATHS if "--blind" in argv else (),
                      tuple(BLIND_TEXT_SETS))
    lit = Assessor(registry_cases=a.cases, priors="literature")
    detail = "--literature-detail" in argv
    ranks_l, misses_l, notes_l = evaluate(lit, vignettes, explain and detail, texts)
    report("sensitivity: literature priors (--priors literature)", ranks_l, misses_l, notes_l, detail=detail)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Per-field agreement of calcispine's extraction with a gold file (one JSON object per line).

Exact fields must be equal (etiology and treatment as sets; the diagnosis as the same diagnoses.yaml
entry; labs by analyte and reading, so 'platelets 42,000/µL' is the 'platelet count 42000/uL');
phrase fields (symptoms, imaging, pathology, outcome) agree by meaning as
calcispine.extract.field_agreement defines it: symptoms cover at least three in four gold phrases and
name nothing foreign; imaging and pathology find every gold phrase. Each gold line names its text in
`file`; a file with several patients has one gold line per patient with a 1-based `patient` index,
matched to the extractor's n-th case.

Run: .venv/bin/python bench/extract_accuracy.py [GOLD] [--texts DIR] [--verbose]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _default_gold() -> Path:
    corpus = os.environ.get("CALCISPINE_CORPUS")
    base = Path(corpus) if corpus else ROOT.parent / "shared" / "corpus"
    return base / "gold.jsonl"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="extract_accuracy",
        description="Per-field agreement of calcispine's extractor with a gold JSONL file.",
    )
    p.add_argument("gold", nargs="?", type=Path, default=None,
                   help="gold file, one JSON object per line (default: $CALCISPINE_CORPUS/gold.jsonl, "
                        "else ../shared/corpus/gold.jsonl)")
    p.add_argument("--texts", type=Path, default=None, metavar="DIR",
                   help="folder where each gold 'file' is looked up (default: the gold file's folder)")
    p.add_argument("-v", "--verbose", action="store_true", help="list every disagreeing field per file")
    p.add_argument("--json", action="store_true", help="print the figures as one JSON object instead")
    return p


def _read_gold(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        raise SystemExit(f"{path}: no such gold file")
    rows: list[dict[str, Any]] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            raise SystemExit(f"{path}:{n}: not JSON ({exc.msg})") from exc
        if not isinstance(rec, dict) or "file" not in rec:
            raise SystemExit(f"{path}:{n}: a gold line needs a 'file' key")
        rows.append(rec)
    return rows


def measure(gold: list[dict[str, Any]], texts: Path) -> dict[str, Any]:
    """Agreement per field and per gold line; extraction errors count every field as wrong."""
    from calcispine.extract import SCORED_FIELDS, field_agreement, summarise_file

    cache: dict[str, list[dict[str, Any]] | str] = {}
    hits = dict.fromkeys(SCORED_FIELDS, 0)
    per_line: list[dict[str, Any]] = []
    for g in gold:
        name = g["file"]
        if name not in cache:
            try:
                cache[name] = summarise_file(texts / name)
            except Exception as exc:  # a bench reports a broken input and goes on
                cache[name] = f"{type(exc).__name__}: {exc}"
        rows = cache[name]
        idx = int(g.get("patient") or 1) - 1
        error = rows if isinstance(rows, str) else None
        summary = None
        if not isinstance(rows, str):
            if idx < len(rows):
                summary = rows[idx]
            else:
                error = f"extractor found {len(rows)} case(s), gold patient {idx + 1}"
        agree = field_agreement(g, summary)
        for k, (ok, _) in agree.items():
            hits[k] += ok
        per_line.append({
            "file": name, "patient": idx + 1, "error": error,
            "cases": None if isinstance(rows, str) else len(rows),
            "wrong": {k: why for k, (ok, why) in agree.items() if not ok},
        })
    n = len(gold)
    total = sum(hits.values())
    return {
        "lines": n, "fields": {k: hits[k] for k in SCORED_FIELDS},
        "overall": total, "possible": n * len(SCORED_FIELDS), "per_line": per_line,
    }


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    gold_path: Path = args.gold or _default_gold()
    gold = _read_gold(gold_path)
    texts: Path = args.texts or gold_path.parent
    if not texts.is_dir():
        raise SystemExit(f"{texts}: no such folder (--texts)")
    res = measure(gold, texts)
    if args.json:
        print(json.dumps(res, indent=1))
        return 0
    n = res["lines"]
    for row in res["per_line"]:
        label = row["file"] + (f" #{row['patient']}" if row["cases"] is None or row["cases"] > 1 or row["patient"] > 1 else "")
        if row["error"]:
            print(f"{label}: {row['error']}")
        nw = len(row["wrong"])
        print(f"{label}: {'all fields agree' if not nw else f'{nw} field(s) disagree: ' + ', '.join(row['wrong'])}")
        if args.verbose:
            for k, why in row["wrong"].items():
                print(f"    {k}: {why}")
    print(f"\nper-field agreement over {n} patient(s) in {gold_path} (texts from {texts}):")
    for k, h in res["fields"].items():
        print(f"  {k:18s} {h:3d}/{n}  {100 * h / n if n else 0:5.1f}%")
    pct = 100 * res["overall"] / res["possible"] if res["possible"] else 0.0
    print(f"  {'overall':18s} {res['overall']}/{res['possible']}  {pct:5.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())

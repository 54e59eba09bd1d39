"""Per-field agreement of calcispine's extraction with a gold file (gold.jsonl, texts beside it).

Exact fields must be equal (etiology and treatment as sets); phrase fields (symptoms, imaging,
pathology, outcome) agree by meaning as calcispine.extract.phrases_agree defines it.

Run: .venv/bin/python bench/extract_accuracy.py [path/to/gold.jsonl]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXACT = ("diagnosis", "age_years", "age_range_years", "sex", "levels", "region", "side", "neuro_deficit",
         "follow_up_months", "labs")
SETS = ("etiology", "treatment")
PHRASES = ("symptoms", "imaging", "pathology")


def main() -> None:
    from calcispine.extract import phrase_coverage, phrases_agree, summarise_file

    gold_path = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "corpus" / "gold.jsonl"
    gold = [json.loads(x) for x in gold_path.read_text(encoding="utf-8").splitlines() if x.strip()]
    fields = (*EXACT, *SETS, *PHRASES, "outcome")
    hits = dict.fromkeys(fields, 0)
    for g in gold:
        path = gold_path.parent / g["file"]
        try:
            rows = summarise_file(path)
        except Exception as exc:
            print(f"{g['file']}: {exc}")
            continue
        s = rows[0] if rows else {}
        wrong = []
        for k in EXACT:
            ok = s.get(k) == g.get(k)
            hits[k] += ok
            if not ok:
                wrong.append(f"{k}: gold {g.get(k)!r} got {s.get(k)!r}")
        for k in SETS:
            ok = sorted(s.get(k) or []) == sorted(g.get(k) or [])
            hits[k] += ok
            if not ok:
                wrong.append(f"{k}: gold {g.get(k)!r} got {s.get(k)!r}")
        for k in PHRASES:
            missing, extra = phrases_agree(g.get(k) or [], s.get(k) or [])
            ok = not missing and (k != "symptoms" or not extra)
            hits[k] += ok
            if not ok:
                wrong.append(f"{k}: missing {missing} extra {extra if k == 'symptoms' else ''}")
        go, so = g.get("outcome"), s.get("outcome")
        ok = (go is None and so is None) or (go is not None and so is not None and phrase_coverage(go, so) >= 0.5)
        hits["outcome"] += ok
        if not ok:
            wrong.append(f"outcome: gold {go!r} got {so!r}")
        print(f"{g['file']}: {'all fields agree' if not wrong else '; '.join(wrong)}")
    n = len(gold)
    print(f"\nper-field agreement over {n} files:")
    for k in fields:
        print(f"  {k:18s} {hits[k]}/{n}  {100 * hits[k] / n:5.1f}%")
    total = sum(hits.values())
    print(f"  {'overall':18s} {total}/{n * len(fields)}  {100 * total / (n * len(fields)):5.1f}%")


if __name__ == "__main__":
    main()

"""Extraction speed per core on the corpus: the whole pipeline next to fenominal alone (and medspaCy ConText).

Also measures how often calcispine's own ConText rules agree with medspaCy's ConText on the
finding spans of the corpus and the test fixtures.

Run: .venv/bin/python bench/extract_speed.py [corpus_dir]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "corpus"
FIXTURES = ROOT / "tests" / "extract" / "data"


def _timed(fn, texts: list[str], min_seconds: float = 1.5) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    chars = sum(map(len, texts))
    rounds = 0
    t0 = time.perf_counter()
    while True:
        for t in texts:
            fn(t)
        rounds += 1
        elapsed = time.perf_counter() - t0
        if elapsed >= min_seconds:
            return rounds * chars / elapsed, rounds * len(texts) / elapsed


def main() -> None:
    from calcispine.extract import Document, extract_case
    from calcispine.extract._hpo_match import ascii_same_length, fenominal_miner

    texts = [p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.txt"))]
    if not texts:
        print(f"no corpus texts in {CORPUS}")
        return
    t0 = time.perf_counter()
    miner = fenominal_miner()
    extract_case(Document(text=texts[0]))
    print(f"one-off start-up (hp.json, fenominal, rules): {time.perf_counter() - t0:.2f} s")
    print(f"corpus: {len(texts)} documents, {sum(map(len, texts)):,} characters; one core")
    cps, dps = _timed(lambda t: extract_case(Document(text=t)), texts)
    print(f"whole pipeline   : {cps:12,.0f} chars/s  {dps:8.1f} docs/s   (goal >= 100,000 chars/s)")
    cps, dps = _timed(lambda t: miner.map_text(ascii_same_length(t)), texts)
    print(f"fenominal alone  : {cps:12,.0f} chars/s  {dps:8.1f} docs/s")
    try:
        _medspacy(texts)
    except Exception as exc:  # medspaCy is optional (extra 'context')
        print(f"medspaCy ConText : not measured ({type(exc).__name__}: {exc})")


def _medspacy(texts: list[str]) -> None:
    import logging

    logging.getLogger("medspacy").setLevel(logging.ERROR)
    import medspacy  # noqa: F401  registers the medspacy_context factory
    import spacy
    from spacy.tokens import Span

    from calcispine.extract import extract_case, read_document

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    context = nlp.add_pipe("medspacy_context")
    cps, dps = _timed(lambda t: nlp(t), texts, 1.0)
    print(f"medspaCy ConText : {cps:12,.0f} chars/s  {dps:8.1f} docs/s   (spaCy blank + sentencizer + ConText, no targets)")
    paths = sorted(CORPUS.glob("*.txt")) + sorted(FIXTURES.glob("*.txt")) + sorted(FIXTURES.glob("*.xml"))
    agree = total = 0
    by_cat: dict[str, list[int]] = {}
    for p in paths:
        res = extract_case(read_document(p))
        for case in res.cases:
            for f in case.findings:
                ev = f.evidence
                if ev is None or not ev.sentence:
                    continue
                sent = ev.sentence
                local = sent.find(" ".join(ev.text.split()))
                if local < 0:
                    local = sent.find(ev.text)
                if local < 0:
                    continue
                with nlp.select_pipes(disable=["medspacy_context"]):
                    doc = nlp(sent)
                span = doc.char_span(local, local + len(ev.text), label="FINDING", alignment_mode="expand")
                if span is None:
                    continue
                doc.ents = [Span(doc, span.start, span.end, label="FINDING")]
                context(doc)
                ent = doc.ents[0]
                theirs = (ent._.is_negated, ent._.is_historical, ent._.is_hypothetical, ent._.is_family)
                ours = (f.excluded, f.historical, f.hypothetical, f.family)
                for name, a, b in zip(("negated", "historical", "hypothetical", "family"), ours, theirs, strict=True):
                    by_cat.setdefault(name, [0, 0])
                    by_cat[name][0] += int(a == b)
                    by_cat[name][1] += 1
                total += 1
                agree += int(ours == theirs)
    if total:
        print(f"ConText agreement with medspaCy on {total} finding spans: all four flags {100 * agree / total:.1f}%; "
              + ", ".join(f"{k} {100 * v[0] / v[1]:.1f}%" for k, v in by_cat.items()))


if __name__ == "__main__":
    main()

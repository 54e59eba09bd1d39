"""The held-out set (tests/extract/heldout, gold in bench/data/heldout_gold.jsonl): a floor on
per-field agreement, and the traps a careful reader avoids (family, hypothetical, negated facts,
other authors' patients). The set measures; it is never used to write rules (see its README).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from calcispine.extract import SCORED_FIELDS, extract_case, field_agreement, read_document, to_summary
from calcispine.model import Case

ROOT = Path(__file__).resolve().parents[2]
HELDOUT = Path(__file__).parent / "heldout"
GOLD = ROOT / "bench" / "data" / "heldout_gold.jsonl"
# Measured 263/272 (96.7%) when this floor was set; a little below, so that a regression of a
# few fields fails while wording changes elsewhere do not.
FLOOR = 0.94

pytestmark = pytest.mark.skipif(
    not GOLD.is_file() or not HELDOUT.is_dir(), reason=f"held-out set not found ({GOLD}, {HELDOUT})"
)


@cache
def _cases(name: str) -> tuple[Case, ...]:
    path = HELDOUT / name
    if not path.is_file():
        pytest.skip(f"held-out text {path} is missing")
    return extract_case(read_document(path)).cases


def _gold() -> list[dict[str, Any]]:
    return [json.loads(x) for x in GOLD.read_text(encoding="utf-8").splitlines() if x.strip()]


def _case(name: str, patient: int = 1) -> Case:
    cases = _cases(name)
    assert len(cases) >= patient, f"{name}: {len(cases)} case(s), wanted patient {patient}"
    return cases[patient - 1]


def test_per_field_agreement_stays_above_the_floor() -> None:
    gold = _gold()
    hits = dict.fromkeys(SCORED_FIELDS, 0)
    wrong: list[str] = []
    for g in gold:
        cases = _cases(g["file"])
        n = int(g.get("patient") or 1)
        summary = to_summary(cases[n - 1], g["file"]) if len(cases) >= n else None
        for k, (ok, why) in field_agreement(g, summary).items():
            hits[k] += ok
            if not ok:
                wrong.append(f"{g['file']}#{n} {k}: {why}")
    total = sum(hits.values())
    possible = len(gold) * len(SCORED_FIELDS)
    assert total / possible >= FLOOR, f"{total}/{possible} fields agree; disagreeing:\n" + "\n".join(wrong)


def test_the_two_patient_series_gives_two_cases() -> None:
    first, second = _cases("mimic-song-capnon-two-cases.txt")
    assert [str(x) for x in first.levels] == ["T12"]  # T11-12 is the laminectomy, not the lesion
    assert (first.age_years, second.age_years) == (77, 67)


def test_family_history_is_not_the_patient() -> None:
    case = _case("tc-patel-craig-2007-c6t2-hd.txt")  # a brother with gout, a mother with hypertension
    assert not any(t.startswith("other:gout") for t in case.etiology)
    observed = {f.label.lower() for f in case.observed}
    assert "hypertension" not in observed and "gout" not in observed


def test_hypothetical_treatments_and_levels_are_not_facts() -> None:
    shibuya = _case("tc-shibuya-2006-l3l4-scleroderma.txt")
    assert "L2" not in {str(x) for x in shibuya.levels}
    tan = _case("tc-tan-suresh-2016-paraspinal-ssc.txt")
    assert set(tan.treatment_codes) == {"conservative"}
    child = _case("mimic-ghandhari-2019-osteoid-osteoma-child.txt")
    assert not any("ablation" in c for c in child.treatment_codes)


def test_negated_facts_are_excluded() -> None:
    davies = _case("tc-davies-capd-tetraparesis-british.txt")  # never on haemodialysis
    assert "hemodialysis" not in davies.etiology and "trauma" not in davies.etiology
    child = _case("mimic-ghandhari-2019-osteoid-osteoma-child.txt")
    assert "HP:0001945" in {f.hpo_id for f in child.excluded}  # no fever
    longus = _case("mimic-alamoudi-2017-longus-colli.txt")  # no drainage, antibiotics not started
    assert set(longus.treatment_codes) == {"medical_therapy"}


def test_discussions_and_other_authors_patients_do_not_leak() -> None:
    for name in ("tc-scsc-2016-central-cord-ssc.txt", "jats-scsc-2016-central-cord.xml"):
        case = _case(name)
        labels = {f.label.lower() for f in case.observed}
        assert not labels & {"raynaud phenomenon", "seizure", "dysphagia"}
        # her schizophrenia is the patient's, but a comorbidity, not a presenting symptom
        assert not any("schizophrenia" in p.lower() for p in to_summary(case, name)["symptoms"])
        assert not set(case.etiology) & {"hemodialysis", "chronic_kidney_disease", "crest", "trauma"}
    wong = _case("tc-wong-2013-c5c6-instability-letter.txt")  # the uremic C1-2 patient is someone else's
    assert not set(wong.etiology) & {"hemodialysis", "chronic_kidney_disease"}
    assert [str(x) for x in wong.levels] == ["C5", "C6"]

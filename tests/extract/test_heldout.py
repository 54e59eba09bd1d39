"""The held-out set (tests/extract/heldout, gold in bench/data/heldout_gold.jsonl) and the former
blind set (tests/extract/blind, gold in bench/data/blind_gold.jsonl): a floor on per-field agreement
for each, and the traps a careful reader avoids (family, hypothetical, negated facts, other authors'
patients). Both sets have been read while general fixes were chosen (see their READMEs), so they
guard against regressions; they are not blind measures any more.
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
BLIND = Path(__file__).parent / "blind"
BLIND_GOLD = ROOT / "bench" / "data" / "blind_gold.jsonl"
# Held-out: 263/272 (96.7%) when first measured, 271/272 (99.6%) after the blind-set round.
# Former blind set: 123/224 (54.9%) on its single blind measurement, 215/224 (96.0%) after the
# general fixes of that round. Each floor sits a little below, so that a regression of a few
# fields fails while wording changes elsewhere do not.
FLOOR = 0.97
BLIND_FLOOR = 0.93

needs_heldout = pytest.mark.skipif(
    not GOLD.is_file() or not HELDOUT.is_dir(), reason=f"held-out set not found ({GOLD}, {HELDOUT})"
)
needs_blind = pytest.mark.skipif(
    not BLIND_GOLD.is_file() or not BLIND.is_dir(), reason=f"former blind set not found ({BLIND_GOLD}, {BLIND})"
)


@cache
def _cases_in(folder: Path, name: str) -> tuple[Case, ...]:
    path = folder / name
    if not path.is_file():
        pytest.skip(f"text {path} is missing")
    return extract_case(read_document(path)).cases


def _cases(name: str) -> tuple[Case, ...]:
    return _cases_in(HELDOUT, name)


def _gold(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def _case(name: str, patient: int = 1, folder: Path = HELDOUT) -> Case:
    cases = _cases_in(folder, name)
    assert len(cases) >= patient, f"{name}: {len(cases)} case(s), wanted patient {patient}"
    return cases[patient - 1]


def _agreement(gold_path: Path, folder: Path) -> tuple[int, int, list[str]]:
    gold = _gold(gold_path)
    hits = dict.fromkeys(SCORED_FIELDS, 0)
    wrong: list[str] = []
    for g in gold:
        cases = _cases_in(folder, g["file"])
        n = int(g.get("patient") or 1)
        summary = to_summary(cases[n - 1], g["file"]) if len(cases) >= n else None
        for k, (ok, why) in field_agreement(g, summary).items():
            hits[k] += ok
            if not ok:
                wrong.append(f"{g['file']}#{n} {k}: {why}")
    return sum(hits.values()), len(gold) * len(SCORED_FIELDS), wrong


@needs_heldout
def test_per_field_agreement_stays_above_the_floor() -> None:
    total, possible, wrong = _agreement(GOLD, HELDOUT)
    assert total / possible >= FLOOR, f"{total}/{possible} fields agree; disagreeing:\n" + "\n".join(wrong)


@needs_blind
def test_former_blind_set_stays_above_its_floor() -> None:
    total, possible, wrong = _agreement(BLIND_GOLD, BLIND)
    assert total / possible >= BLIND_FLOOR, f"{total}/{possible} fields agree; disagreeing:\n" + "\n".join(wrong)


@needs_blind
def test_former_blind_set_traps() -> None:
    odontoid = _case("tc-odontoid-fracture-octogenarian.txt", folder=BLIND)  # his daughter's arthritis
    assert "rheumatoid_arthritis" not in odontoid.etiology and "conservative" not in odontoid.treatment_codes
    gout = _case("gout-lumbar-facet-dates-singapore.txt", folder=BLIND)  # his mother's haemodialysis
    assert not set(gout.etiology) & {"hemodialysis", "chronic_kidney_disease"}
    sacrum = _case("chondrosarcoma-ilium-s1-dumbbell.txt", folder=BLIND)  # 'posterior iliac crest', radiotherapy on recurrence
    assert "crest" not in sacrum.etiology and not any("radiotherapy" in c for c in sacrum.treatment_codes)
    first, second = _cases_in(BLIND, "cppd-two-patients-neck-pain-fever.txt")  # no case headings
    assert (first.age_years, second.age_years) == (78, 76)


@needs_heldout
def test_the_two_patient_series_gives_two_cases() -> None:
    first, second = _cases("mimic-song-capnon-two-cases.txt")
    assert [str(x) for x in first.levels] == ["T12"]  # T11-12 is the laminectomy, not the lesion
    assert (first.age_years, second.age_years) == (77, 67)


@needs_heldout
def test_family_history_is_not_the_patient() -> None:
    case = _case("tc-patel-craig-2007-c6t2-hd.txt")  # a brother with gout, a mother with hypertension
    assert not any(t.startswith("other:gout") for t in case.etiology)
    observed = {f.label.lower() for f in case.observed}
    assert "hypertension" not in observed and "gout" not in observed


@needs_heldout
def test_hypothetical_treatments_and_levels_are_not_facts() -> None:
    shibuya = _case("tc-shibuya-2006-l3l4-scleroderma.txt")
    assert "L2" not in {str(x) for x in shibuya.levels}
    tan = _case("tc-tan-suresh-2016-paraspinal-ssc.txt")
    assert set(tan.treatment_codes) == {"conservative"}
    child = _case("mimic-ghandhari-2019-osteoid-osteoma-child.txt")
    assert not any("ablation" in c for c in child.treatment_codes)


@needs_heldout
def test_negated_facts_are_excluded() -> None:
    davies = _case("tc-davies-capd-tetraparesis-british.txt")  # never on haemodialysis
    assert "hemodialysis" not in davies.etiology and "trauma" not in davies.etiology
    child = _case("mimic-ghandhari-2019-osteoid-osteoma-child.txt")
    assert "HP:0001945" in {f.hpo_id for f in child.excluded}  # no fever
    longus = _case("mimic-alamoudi-2017-longus-colli.txt")  # no drainage, antibiotics not started
    assert set(longus.treatment_codes) == {"medical_therapy"}


@needs_heldout
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

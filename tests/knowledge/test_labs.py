"""Lab knowledge: names, units, conversion, flags and the calcium-phosphate product."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from calcispine.knowledge import (
    ImpossibleValueError,
    UnknownAnalyteError,
    UnknownUnitError,
    calcium_phosphate_product,
    load_labs,
)
from calcispine.model import Evidence, LabFlag

LABS = load_labs()


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Ca", "calcium"), ("serum calcium", "calcium"), ("P", "phosphate"), ("Pi", "phosphate"),
        ("PO4", "phosphate"), ("phosphorus", "phosphate"), ("inorganic phosphate", "phosphate"),
        ("BUN", "urea_nitrogen"), ("blood urea nitrogen", "urea_nitrogen"), ("urea", "urea_nitrogen"),
        ("Cr", "creatinine"), ("PTH", "pth"), ("iPTH", "pth"), ("intact parathyroid hormone", "pth"),
        ("ALP", "alkaline_phosphatase"), ("alkaline phosphatase", "alkaline_phosphatase"),
        ("uric acid", "uric_acid"), ("urate", "uric_acid"), ("CRP", "crp"), ("C-reactive protein", "crp"),
        ("ESR", "esr"), ("WBC", "wbc"), ("white cell count", "wbc"), ("leucocytes", "wbc"),
        ("25(OH)D", "vitamin_d_25oh"), ("1,25-dihydroxyvitamin D", "vitamin_d_1_25"),
        ("calcitriol", "vitamin_d_1_25"), ("FGF-23", "fgf23"), ("albumin", "albumin"),
        ("Mg", "magnesium"), ("ionised calcium", "ionised_calcium"), ("ionized calcium", "ionised_calcium"),
    ],
)
def test_synonyms_abbreviations_and_british_spellings_find_the_analyte(name: str, key: str) -> None:
    assert LABS.analyte(name).key == key


def test_unknown_analyte_lists_known_ones() -> None:
    with pytest.raises(UnknownAnalyteError) as err:
        LABS.analyte("zinc")
    assert "zinc" in str(err.value) and "calcium" in str(err.value) and "phosphate" in str(err.value)


def test_every_entry_is_cited_and_serum_analytes_carry_loinc() -> None:
    assert LABS.version
    for key, analyte in LABS.analytes.items():
        assert analyte.cite, key
        assert analyte.loinc or analyte.loinc_note, key
    for key in ("calcium", "phosphate", "creatinine", "pth", "alkaline_phosphatase", "crp", "esr", "uric_acid", "igra"):
        assert LABS.analytes[key].loinc, key
    assert LABS.analyte("calcium").loinc == "17861-6"
    assert LABS.analyte("phosphate").loinc == "2777-1"
    assert LABS.analyte("creatinine").loinc == "2160-0"


@pytest.mark.parametrize(
    ("analyte", "value", "unit", "to", "expected"),
    [
        ("calcium", 10.0, "mg/dL", "mmol/L", 10.0 / 4.008),
        ("calcium", 2.5, "mmol/L", "mEq/L", 5.0),
        ("phosphate", 3.097, "mg/dl", "mmol/l", 1.0),
        ("creatinine", 1.0, "mg/dL", "µmol/L", 88.42),
        ("creatinine", 1.0, "mg/dL", "μmol/L", 88.42),
        ("creatinine", 1.0, "mg/dL", "umol/L", 88.42),
        ("BUN", 10.0, "mg/dL", "mmol/L", 3.57),
        ("uric acid", 1.0, "mg/dL", "umol/L", 59.48),
        ("PTH", 100.0, "pg/ml", "pmol/L", 10.6),
        ("PTH", 100.0, "ng/L", "pg/mL", 100.0),
        ("ALP", 120.0, "IU/L", "U/L", 120.0),
        ("CRP", 1.5, "mg/dL", "mg/L", 15.0),
        ("25(OH)D", 10.0, "ng/mL", "nmol/L", 24.96),
        ("WBC", 7500.0, "cells/µL", "x10^9/L", 7.5),
        ("albumin", 40.0, "g/L", "g/dL", 4.0),
    ],
)
def test_conversions_use_the_published_factors(analyte: str, value: float, unit: str, to: str, expected: float) -> None:
    assert LABS.analyte(analyte).convert(value, unit, to) == pytest.approx(expected, rel=1e-12)


def test_unknown_unit_lists_the_accepted_units() -> None:
    with pytest.raises(UnknownUnitError) as err:
        LABS.analyte("calcium").convert(9.0, "g/furlong", "mg/dL")
    message = str(err.value)
    assert "g/furlong" in message and "mg/dL" in message and "mmol/L" in message


@pytest.mark.parametrize(("value", "unit"), [(-1.0, "mg/dL"), (90.0, "mg/dL"), (40.0, "mmol/L")])
def test_impossible_values_name_analyte_value_and_unit(value: float, unit: str) -> None:
    with pytest.raises(ImpossibleValueError) as err:
        LABS.analyte("calcium").normalise(value, unit)
    message = str(err.value)
    assert "calcium" in message and f"{value:g}" in message and unit in message


@pytest.mark.parametrize(
    ("analyte", "value", "unit", "flag"),
    [
        ("phosphorus", 6.7, "mg/dL", LabFlag.INCREASED),
        ("calcium", 8.1, "mg/dL", LabFlag.SLIGHTLY_DECREASED),
        ("calcium", 9.5, "mg/dL", LabFlag.NORMAL),
        ("calcium", 2.3, "mmol/L", LabFlag.NORMAL),
        ("creatinine", 9.3, "mg/dL", LabFlag.INCREASED),
        ("BUN", 37.0, "mg/dL", LabFlag.INCREASED),
        ("phosphate", 0.4, "mmol/L", LabFlag.DECREASED),
    ],
)
def test_flags_against_the_adult_reference_interval(analyte: str, value: float, unit: str, flag: LabFlag) -> None:
    assert LABS.analyte(analyte).flag(value, unit) is flag


def test_measurement_is_normalised_coded_and_flagged() -> None:
    ev = Evidence(10, 25, "Ca 1.8 mmol/L")
    m = LABS.measurement("Ca", 1.8, "mmol/l", evidence=ev)
    assert (m.analyte, m.unit, m.normalised_unit, m.loinc) == ("calcium", "mmol/L", "mg/dL", "17861-6")
    assert m.normalised_value == pytest.approx(1.8 * 4.008)
    assert m.flag is LabFlag.DECREASED and m.evidence == ev


def test_flag_only_measurement_keeps_the_stated_flag() -> None:
    m = LABS.measurement("parathyroid hormone", flag="raised")
    assert m.value is None and m.flag is LabFlag.INCREASED and m.loinc == "2731-8"
    assert LABS.measurement("phosphorus", flag="slightly increased").flag is LabFlag.SLIGHTLY_INCREASED
    assert LABS.measurement("calcium", flag="within normal limits").flag is LabFlag.NORMAL
    with pytest.raises(ValueError, match="give a value"):
        LABS.measurement("calcium")


def test_stated_flag_wins_over_the_computed_one() -> None:
    assert LABS.measurement("calcium", 10.4, "mg/dL", flag="increased").flag is LabFlag.INCREASED


def test_calcium_phosphate_product_in_mg2_per_dl2_with_cited_thresholds() -> None:
    assert calcium_phosphate_product(8.1, "mg/dL", 6.7, "mg/dL") == pytest.approx(54.27)
    si = calcium_phosphate_product(2.5, "mmol/L", 2.0, "mmol/L")
    assert si == pytest.approx(2.5 * 4.008 * 2.0 * 3.097)
    assert {t.key: t.value for t in LABS.caxp_thresholds} == {"kdoqi_target": 55.0, "metastatic_calcification": 70.0}
    assert [t.key for t in LABS.caxp_exceeded(si)] == ["kdoqi_target"]
    assert all(t.cite for t in LABS.caxp_thresholds)


ANALYTE_UNITS = [(key, unit) for key, a in LABS.analytes.items() for unit in a.units]


@given(pair=st.sampled_from(ANALYTE_UNITS), other=st.integers(0, 100), fraction=st.floats(0.0, 1.0))
def test_convert_there_and_back_gives_the_value(pair: tuple[str, str], other: int, fraction: float) -> None:
    key, unit = pair
    analyte = LABS.analytes[key]
    to = analyte.accepted_units[other % len(analyte.accepted_units)]
    value = fraction * analyte.possible.max / analyte.units[unit]
    back = analyte.convert(analyte.convert(value, unit, to), to, unit)
    assert math.isclose(back, value, rel_tol=1e-9, abs_tol=1e-12)


@given(pair=st.sampled_from(ANALYTE_UNITS), fraction=st.floats(0.0, 1.0))
def test_normalise_is_idempotent(pair: tuple[str, str], fraction: float) -> None:
    key, unit = pair
    analyte = LABS.analytes[key]
    value, canonical = analyte.normalise(fraction * analyte.possible.max / analyte.units[unit], unit)
    again, unit_again = analyte.normalise(value, canonical)
    assert unit_again == canonical and math.isclose(again, value, rel_tol=1e-12, abs_tol=1e-12)


@given(spelling=st.sampled_from(["mg/dl", "MG/DL", "mg / dL", "mg/dL "]))
def test_unit_spellings_parse_leniently(spelling: str) -> None:
    assert LABS.analyte("calcium").unit(spelling) == "mg/dL"

"""Cross-tabulations on tables small enough to check by hand."""

from __future__ import annotations

from math import comb

import pytest

from calcispine.cohort import crosstab, fisher_test, wilson
from calcispine.model import Case, Sex, parse_levels


def case(i: int, level: str, tag: str, sex: Sex = Sex.FEMALE) -> Case:
    return Case(id=f"c{i}", levels=parse_levels(level), etiology=(tag,), sex=sex)


def test_two_by_two_matches_the_hypergeometric_sum():
    # dialysis: 3 cervical, 0 not; no cause: 1 cervical, 3 not.  Margins: rows 3/4, cervical 4 of 7.
    cases = [case(i, "C4", "hemodialysis") for i in range(3)]
    cases += [case(3, "C2", "none_reported")] + [case(4 + i, "L4", "none_reported") for i in range(3)]
    tab = crosstab(cases, "etiology", "cervical")
    assert tab.row_labels == ("none_reported", "dialysis")
    assert tab.counts == ((1, 3), (3, 0))

    # P(table with a cervical dialysis cases) = C(4,a) C(3,3-a) / C(7,3); two-sided sums those as unlikely as a=3.
    def p(a: int) -> float:
        return comb(4, a) * comb(3, 3 - a) / comb(7, 3)

    observed = p(3)
    by_hand = sum(p(a) for a in range(0, 4) if p(a) <= observed * (1 + 1e-7))
    assert tab.p_value == pytest.approx(by_hand)
    assert by_hand == pytest.approx(5 / 35)
    assert tab.odds_ratio == 0.0


def test_levels_can_be_chosen_and_others_excluded():
    cases = [case(0, "C4", "hemodialysis"), case(1, "L4", "trauma"), Case(id="x")]
    tab = crosstab(cases, "etiology", "region", row_levels=("dialysis",))
    assert tab.col_labels == ("cervical",) and tab.counts == ((1,),)
    assert tab.excluded == 2
    assert tab.p_value is None


def test_larger_table_uses_a_seeded_monte_carlo_test():
    cases = [case(i, lv, tag) for i, (lv, tag) in enumerate(
        [("C2", "hemodialysis")] * 5 + [("T4", "none_reported")] * 4 + [("L4", "trauma")] * 4 + [("C4", "none_reported")]
    )]
    first = crosstab(cases, "etiology", "region")
    again = crosstab(cases, "etiology", "region")
    assert first.p_value == again.p_value and first.p_value is not None and first.p_value < 0.01
    assert "Monte Carlo" in first.test and first.odds_ratio is None


def test_wilson_interval_and_display():
    w = wilson(5, 14)
    assert (w.low, w.high) == pytest.approx((0.16345, 0.61236), abs=1e-4)
    assert w.display() == "5/14 (36%, 95% CI 16-61%)"
    assert wilson(0, 0).display() == "0/0"


def test_degenerate_tables_are_not_tested():
    assert fisher_test([[3, 0]])[1] is None
    assert fisher_test([[3, 0], [0, 0]])[1] is None


def test_unknown_variable_is_a_clear_error():
    with pytest.raises(ValueError, match="choose one of"):
        crosstab([], "colour", "region")


def test_intervals_at_zero_and_all_are_exact_and_empty_rows_have_no_estimate():
    assert wilson(0, 9).low == 0.0 and wilson(9, 9).high == 1.0
    assert wilson(0, 0).to_dict() == {"k": 0, "n": 0, "estimate": None, "wilson_95": [None, None]}
    d = wilson(9, 9).to_dict()
    assert d["estimate"] == 1.0 and d["wilson_95"][1] == 1.0

"""The level grammar: every notation the corpus uses, clear errors, render/parse round trip."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from calcispine.model import (
    N_LEVELS,
    Level,
    LevelError,
    Region,
    all_levels,
    parse_levels,
    regions_of,
    render_levels,
)


def names(text: str) -> list[str]:
    return [lv.name for lv in parse_levels(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("C1-2", ["C1", "C2"]),
        ("C1-C2", ["C1", "C2"]),
        ("C3/4 and C4/5", ["C3", "C4", "C5"]),
        ("C3/4-C4/5", ["C3", "C4", "C5"]),
        ("L4/L5", ["L4", "L5"]),
        ("L5-S1", ["L5", "S1"]),
        ("C6-T2", ["C6", "C7", "T1", "T2"]),
        ("C3-6", ["C3", "C4", "C5", "C6"]),
        ("C2\u2013C3", ["C2", "C3"]),
        ("T11-T12", ["T11", "T12"]),
        ("L5", ["L5"]),
        ("fourth-fifth cervical", ["C4", "C5"]),
        ("fifth-sixth cervical spine", ["C5", "C6"]),
        ("atlantoaxial", ["C1", "C2"]),
        ("lumbosacral", ["L5", "S1"]),
        ("C4-C5 and C5-C6", ["C4", "C5", "C6"]),
    ],
)
def test_every_corpus_notation_parses_to_ordered_segments(text: str, expected: list[str]) -> None:
    assert names(text) == expected


def test_segments_carry_their_region() -> None:
    levels = parse_levels("C6-T2")
    assert [lv.region for lv in levels] == [Region.CERVICAL, Region.CERVICAL, Region.THORACIC, Region.THORACIC]
    assert regions_of(levels) == (Region.CERVICAL, Region.THORACIC)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("C9", "C9 does not exist"),
        ("T13", "T13 does not exist"),
        ("L6", "L6 does not exist"),
        ("L4-C2", "caudal to cranial"),
        ("", "empty"),
        ("near the hip", "names no vertebral level"),
    ],
)
def test_impossible_levels_are_errors_naming_the_text(text: str, needle: str) -> None:
    with pytest.raises(LevelError) as err:
        parse_levels(text)
    assert needle in str(err.value)
    if text:
        assert repr(text) in str(err.value)


def test_canonical_rendering_joins_runs() -> None:
    assert render_levels(parse_levels("C3/4 and C4/5")) == "C3-C5"
    assert render_levels(parse_levels("C2 and C4-5")) == "C2, C4-C5"
    assert render_levels(()) == ""


def test_prose_t1_weighted_is_not_read_as_a_level_in_lower_case() -> None:
    with pytest.raises(LevelError):
        parse_levels("t1-weighted images")


level_sets = st.sets(st.integers(min_value=0, max_value=N_LEVELS - 1), min_size=1, max_size=12).map(
    lambda idx: tuple(sorted(Level(i) for i in idx))
)


@given(level_sets)
def test_render_then_parse_gives_back_the_same_levels(levels: tuple[Level, ...]) -> None:
    assert parse_levels(render_levels(levels)) == levels


@given(st.sampled_from(all_levels()))
def test_names_round_trip(level: Level) -> None:
    assert Level.from_name(level.name) == level
    assert Level.of(level.region, level.number) == level


@given(st.sampled_from(all_levels()), st.sampled_from(all_levels()))
def test_short_span_form_equals_long_form_within_a_region(a: Level, b: Level) -> None:
    first, last = sorted((a, b))
    long_form = parse_levels(f"{first.name}-{last.name}")
    assert [lv.index for lv in long_form] == list(range(first.index, last.index + 1))
    if first.region == last.region:
        assert parse_levels(f"{first.name}-{last.number}") == long_form
        assert parse_levels(f"{first.name}/{last.number}") == long_form


@given(level_sets)
def test_typed_levels_may_be_lower_case(levels: tuple[Level, ...]) -> None:
    typed = render_levels(levels).lower()
    assert parse_levels(typed, typed=True) == levels
    assert parse_levels("d11 and d12", typed=True) == parse_levels("T11-T12")

"""Property and example tests for the value parsers and the sentence splitter."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calcispine.extract import find_labs, find_levels, parse_ages, parse_follow_up
from calcispine.extract._context import default_context
from calcispine.extract._text import clean, split_sentences

TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300)


def test_ages() -> None:
    assert [a.years for a in parse_ages("a 22-month-old child")] == [1.83]
    assert [a.range_years for a in parse_ages("a woman in her early 50s")] == [(50.0, 53.0)]
    assert [a.range_years for a in parse_ages("in his mid 50s")] == [(54.0, 56.0)]
    assert [a.range_years for a in parse_ages("in her late 50s")] == [(57.0, 59.0)]
    assert [a.range_years for a in parse_ages("a man in his fifties")] == [(50.0, 59.0)]
    assert [a.years for a in parse_ages("An 83 year old female")] == [83.0]


def test_follow_up() -> None:
    def months(t: str) -> list[float]:
        return [f.months for f in parse_follow_up(t)]

    assert months("asymptomatic at the 1-year follow-up") == [12.0]
    assert months("2 years after surgery") == [24.0]
    assert months("CT 7 months after the operation") == [7.0]
    assert months("At most recent follow-up (10 months)") == [10.0]


@given(st.integers(min_value=1, max_value=110), st.sampled_from(["year", "month"]), TEXT, TEXT)
def test_age_value_and_span(n: int, unit: str, before: str, after: str) -> None:
    phrase = f"a {n}-{unit}-old patient"
    text = before + " " + phrase + " " + after
    ages = [a for a in parse_ages(text) if text[a.start:a.end] == f"{n}-{unit}-old"]
    assert ages
    expected = round(n if unit == "year" else n / 12, 2)
    assert ages[0].years == expected


@given(TEXT)
def test_parsers_spans_stay_in_range(text: str) -> None:
    for m in [*parse_ages(text), *parse_follow_up(text), *find_labs(text)]:
        assert 0 <= m.start <= m.end <= len(text)


@given(st.floats(min_value=0.1, max_value=999, allow_nan=False).map(lambda x: round(x, 1)), st.sampled_from(["mg/dL", "mmol/L"]))
def test_lab_value_roundtrip(value: float, unit: str) -> None:
    text = f"Her serum creatinine was {value} {unit} on admission."
    (m,) = find_labs(text)
    assert m.value == value and m.unit == unit and "creatinine" in text[m.start:m.end]


@settings(max_examples=200)
@given(TEXT)
def test_sentence_spans_are_in_range_and_ordered(text: str) -> None:
    spans = split_sentences(text)
    last = 0
    for s, e in spans:
        assert last <= s < e <= len(text)
        assert text[s:e] == text[s:e].strip()
        last = e


def test_sentence_splitter_knows_abbreviations() -> None:
    t = "Dr. Smith saw her (Fig. 1). Values were 37.0 mg/dL, e.g. high. Jones et al. agreed. She improved."
    got = [t[s:e] for s, e in split_sentences(t)]
    assert got == ["Dr. Smith saw her (Fig. 1).", "Values were 37.0 mg/dL, e.g. high.", "Jones et al. agreed.", "She improved."]


def test_a_full_stop_glued_to_the_next_sentence_still_ends_a_sentence() -> None:
    t = "Fusion suits selected cases of decompression.We present a 32-year-old man. See www.example.org/Page."
    got = [t[s:e] for s, e in split_sentences(t)]
    assert got == ["Fusion suits selected cases of decompression.", "We present a 32-year-old man.",
                   "See www.example.org/Page."]


@given(TEXT)
def test_clean_maps_back_to_the_original(text: str) -> None:
    ct, _ = clean(text)
    for i in range(len(ct.text)):
        o = ct.to_original(i)
        assert 0 <= o <= len(text)
        if ct.text[i] not in " \n":
            assert text[o] == ct.text[i]


def test_context_rules() -> None:
    c = default_context()

    def cats(sentence: str, target: str) -> set[str]:
        i = sentence.index(target)
        return set(c.analyse(sentence).categories(i, i + len(target)))

    assert cats("She had no fever.", "fever") == {"NEGATED_EXISTENCE"}
    assert cats("He denied trauma.", "trauma") == {"NEGATED_EXISTENCE"}
    assert cats("A 2-week history of weakness.", "weakness") == set()
    assert cats("His mother had gout.", "gout") == {"FAMILY"}
    assert cats("No fever but neck pain.", "neck pain") == set()
    assert "HYPOTHETICAL" in cats("She was considered for a kidney transplant.", "kidney transplant")


@pytest.mark.parametrize("text, level", [
    ("a lobulated bony tumour along the cervical 4 lamina", "C4"),
    ("the 4th cervical vertebra", "C4"),
    ("a lesion of the lumbar 5 pedicle", "L5"),
])
def test_levels_written_with_the_region_name_are_read(text: str, level: str) -> None:
    assert [str(lv) for m in find_levels(text) for lv in m.levels] == [level]


@pytest.mark.parametrize("text", ["pain in the cervical region for 2 years", "a lumbar 3 cm mass"])
def test_a_region_name_beside_a_number_that_is_no_level_gives_none(text: str) -> None:
    assert find_levels(text) == []


def test_a_teaching_case_patient_field_gives_the_age() -> None:
    assert [a.years for a in parse_ages("Patient\n76 years, female")] == [76.0]
    assert [a.years for a in parse_ages("follow-up at 2 years, then yearly")] == []

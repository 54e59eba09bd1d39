"""Property: a row rendered in the flattened-text form (or TSV) parses back to the same facts."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from calcispine.extract import packaged_table_spec, parse_summary_table
from calcispine.model import Level, Sex, Source, all_levels, render_levels

SPEC = packaged_table_spec("guo-2017-table1")
SOURCE = Source(id="t", authors=("Guo R",), year=2017, kind="summary_table")
CAUSES = sorted(SPEC.legend)
PHRASES = sorted(SPEC.treatments)
LEVELS = all_levels()

authors = st.from_regex(r"[A-Z][a-z]{2,10}(-[A-Z][a-z]{2,8})?", fullmatch=True)
spans = st.tuples(st.integers(0, len(LEVELS) - 1), st.integers(0, 3)).map(
    lambda t: tuple(LEVELS[i] for i in range(t[0], min(t[0] + t[1], len(LEVELS) - 1) + 1))
)
rows = st.fixed_dictionaries({
    "author": authors,
    "ref": st.integers(1, 60),
    "year": st.integers(1900, 2030),
    "sex": st.sampled_from(["M", "F"]),
    "age": st.one_of(st.integers(0, 100).map(str), st.integers(1, 99).map(lambda d: f"{d / 10:.1f}")),
    "levels": spans,
    "causes": st.lists(st.sampled_from(CAUSES), min_size=1, max_size=3, unique=True),
    "treatments": st.lists(st.sampled_from(PHRASES), min_size=1, max_size=4, unique=True),
    "wrap": st.booleans(),
})


def facts(case) -> tuple:
    return (case.cites.first_author, case.cites.year, case.cites.reference, case.sex, case.age_years,
            case.levels, case.etiology, case.treatment_codes)


def expected(row: dict) -> tuple:
    tags: list[str] = []
    for c in row["causes"]:
        tags.extend(t for t in SPEC.legend[c] if t not in tags)
    codes: list[str] = []
    for p in row["treatments"]:
        codes.extend(t for t in SPEC.treatments[p] if t not in codes)
    sex = Sex.MALE if row["sex"] == "M" else Sex.FEMALE
    levels: tuple[Level, ...] = tuple(sorted(row["levels"]))
    return (row["author"], row["year"], str(row["ref"]), sex, float(row["age"]), levels, tuple(tags), tuple(codes))


def flattened(row: dict) -> str:
    treatment = ", ".join(p.capitalize() for p in row["treatments"])
    if row["wrap"] and ", " in treatment:
        head, tail = treatment.split(", ", 1)
        treatment = f"{head},\n{tail}"  # the PDF broke the line after a comma
    return (f"{row['author']} [{row['ref']}] {row['year']} {row['sex']} {row['age']} "
            f"{render_levels(row['levels']).replace(', ', ',')} {', '.join(row['causes'])} {treatment}")


@settings(max_examples=150, deadline=None)
@given(st.lists(rows, min_size=1, max_size=4))
def test_flattened_rows_round_trip(generated):
    text = "Table 1 Summary of reported cases\n\nAuthors and year Sex Age\n\n" + "\n\n".join(map(flattened, generated))
    cases, _ = parse_summary_table(text, fmt="text", spec=SPEC, source=SOURCE)
    assert [facts(c) for c in cases] == [expected(r) for r in generated]


@settings(max_examples=60, deadline=None)
@given(st.lists(rows, min_size=1, max_size=4))
def test_tsv_rows_round_trip(generated):
    header = "author\treference\tyear\tsex\tage\tlocation\tcause\ttreatment"
    lines = [
        f"{r['author']}\t{r['ref']}\t{r['year']}\t{r['sex']}\t{r['age']}\t{render_levels(r['levels'])}\t"
        f"{', '.join(r['causes'])}\t{', '.join(r['treatments'])}"
        for r in generated
    ]
    cases, _ = parse_summary_table("\n".join([header, *lines]), fmt="tsv", spec=SPEC, source=SOURCE)
    assert [facts(c) for c in cases] == [expected(r) for r in generated]

"""``calcispine stats``, ``import-table`` and ``report``: pooled figures, table import, the HTML report."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from calcispine.cohort import (
    PUBLISHED_KEYS,
    VARIABLES,
    CohortSummary,
    CrossTab,
    crosstab,
    diagnosis_filter,
    expand_etiology,
    pool_by_default,
    render_report,
    summarise,
    write_report,
)
from calcispine.extract import (
    TableImportError,
    packaged_table_spec,
    parse_summary_table,
    read_spec_file,
)
from calcispine.extract import load_packaged_table as _load_packaged_table
from calcispine.model import Case, CaseFilter, DataIssue, IssueLevel, Level, Region, Sex, Source, parse_levels

from ._app import app, console, err_console, fail, open_cli_registry

_FORMATS = ("table", "json", "csv", "markdown")
_PACKAGED_REVIEW = "guo-2017-table1"


RegionOpt = Annotated[list[str] | None, typer.Option("--region", help="cervical, thoracic, lumbar or sacral (repeatable).")]
LevelOpt = Annotated[list[str] | None, typer.Option("--level", help="A level or span such as C4 or L4-L5 (repeatable).")]
EtiologyOpt = Annotated[
    list[str] | None,
    typer.Option("--etiology", help="An etiology tag (hemodialysis), group (dialysis) or class (secondary); repeatable."),
]
DiagnosisOpt = Annotated[
    list[str] | None,
    typer.Option("--diagnosis", help="Diagnosis key, e.g. tumoral_calcinosis or capnon (repeatable); 'all' for every "
                                     "diagnosis. stats and report pool tumoral calcinosis unless told otherwise."),
]
SexOpt = Annotated[str | None, typer.Option("--sex", help="female or male.")]
AgeMinOpt = Annotated[float | None, typer.Option("--age-min", help="Youngest age in years.")]
AgeMaxOpt = Annotated[float | None, typer.Option("--age-max", help="Oldest age in years.")]
YearMinOpt = Annotated[int | None, typer.Option("--year-min", help="Earliest publication year.")]
YearMaxOpt = Annotated[int | None, typer.Option("--year-max", help="Latest publication year.")]
SourceOpt = Annotated[
    list[str] | None,
    typer.Option("--source", help="Only this source's cases, exactly as it states them (repeatable)."),
]


def build_filter(
    region: list[str] | None = None,
    level: list[str] | None = None,
    etiology: list[str] | None = None,
    diagnosis: list[str] | None = None,
    sex: str | None = None,
    age_min: float | None = None,
    age_max: float | None = None,
    year_min: int | None = None,
    year_max: int | None = None,
    source: list[str] | None = None,
    *,
    stored_diagnoses: Callable[[], Iterable[str]] = tuple,
) -> CaseFilter:
    """The CLI flags as a :class:`CaseFilter`; ``ValueError`` names the flag and the accepted values.

    ``stored_diagnoses`` gives the diagnosis keys stored, which ``--diagnosis`` accepts besides the
    knowledge base's; ``--diagnosis all`` is no diagnosis filter.
    """
    regions: list[Region] = []
    for r in region or ():
        try:
            regions.append(Region(r.strip().lower()))
        except ValueError:
            raise ValueError(f"--region {r!r}: choose one of {', '.join(x.value for x in Region)}") from None
    levels: list[Level] = []
    for text in level or ():
        try:
            levels.extend(parse_levels(text, typed=True))
        except ValueError as exc:
            raise ValueError(f"--level: {exc}") from None
    try:
        tags = expand_etiology(etiology or ())
    except ValueError as exc:
        raise ValueError(f"--etiology: {exc} (or a group such as dialysis, or a class such as secondary)") from None
    try:
        diagnoses = diagnosis_filter(diagnosis or (), stored_diagnoses)
    except ValueError as exc:
        raise ValueError(f"--diagnosis {exc}") from None
    parsed_sex = None
    if sex is not None:
        parsed_sex = Sex.parse(sex)
        if parsed_sex is Sex.UNKNOWN:
            raise ValueError(f"--sex {sex!r}: choose female or male")
    return CaseFilter(
        regions=tuple(regions), levels=tuple(sorted(set(levels))), etiology=tags,
        diagnosis=diagnoses,
        sex=parsed_sex, age_min=age_min, age_max=age_max, year_min=year_min, year_max=year_max,
        source_ids=tuple(source or ()),
    )


def _stored_diagnoses() -> tuple[str, ...]:
    with open_cli_registry() as reg:
        return reg.diagnosis_keys()


def filter_from_flags(*flags: Any) -> CaseFilter:
    """build_filter with the diagnoses the registry stores; a bad flag is one error line."""
    try:
        return build_filter(*flags, stored_diagnoses=_stored_diagnoses)
    except ValueError as exc:
        raise fail(str(exc)) from None


def pooled_cases(flt: CaseFilter, diagnosis_given: bool) -> tuple[list[Case], dict[str, Source], str | None]:
    """The cases pooled figures count (:func:`pool_by_default` unless --diagnosis was given), with its note."""
    cases, sources = select_cases(flt)
    if diagnosis_given:
        return cases, sources, None
    kept, note = pool_by_default(cases, "--diagnosis all")
    return kept, sources, note


def describe_filter(flt: CaseFilter) -> str:
    parts = []
    for name in ("regions", "levels", "etiology", "diagnosis", "source_ids"):
        values = getattr(flt, name)
        if values:
            parts.append(f"{name}={','.join(str(v) for v in values)}")
    for name in ("sex", "age_min", "age_max", "year_min", "year_max"):
        value = getattr(flt, name)
        if value is not None:
            parts.append(f"{name}={value}")
    return "; ".join(parts) or "all cases"


def select_cases(flt: CaseFilter) -> tuple[list[Case], dict[str, Source]]:
    """Cases from the registry; with sources named, those sources' own records (as each states them)."""
    with open_cli_registry() as reg:
        sources = {s.id: s for s in reg.list_sources()}
        if not flt.source_ids:
            return reg.list_cases(flt), sources
        rest = replace(flt, source_ids=())
        cases: list[Case] = []
        for sid in flt.source_ids:
            try:
                records = reg.records_for_source(sid)
            except KeyError as exc:
                raise fail(str(exc.args[0]) if exc.args else str(exc)) from None
            cases.extend(c for c in records if rest.matches(c, sources))
        return cases, sources


# ------------------------------------------------------------------------------------------------- output


def _flat(data: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.extend(_flat(value, name + "."))
        elif isinstance(value, list):
            out.append((name, "-".join(str(v) for v in value) if all(not isinstance(v, list | dict) for v in value)
                        else json.dumps(value)))
        else:
            out.append((name, value))
    return out


def _show(value: Any) -> str:
    if isinstance(value, list):
        return "-".join(str(v) for v in value)
    return "n/a" if value is None else str(value)


def _stats_rows(summary: CohortSummary) -> list[tuple[str, str]]:
    data = summary.to_dict()
    keys = [*PUBLISHED_KEYS, "sacral", "median_age_years", "parathyroidectomy", "surgical"]
    rows = [(k, _show(data[k])) for k in keys]
    levels = ", ".join(f"{k} {v}" for k, v in data["level_counts"].items() if v)
    rows.append(("level_counts", levels or "none"))
    rows.append(("treatment_counts", ", ".join(f"{k} {v}" for k, v in data["treatment_counts"].items()) or "none"))
    rows.append(("neuro_deficit", ", ".join(f"{k} {v}" for k, v in data["neuro_deficit"].items())))
    rows.append(("outcome_counts", ", ".join(f"{k} {v}" for k, v in data["outcome_counts"].items())))
    return rows


def print_stats_table(summary: CohortSummary, title: str) -> None:
    table = Table(title=title, show_header=True, header_style="bold")
    table.add_column("figure")
    table.add_column("value", overflow="fold")
    for key, value in _stats_rows(summary):
        table.add_row(key, value)
    console.print(table)
    for finding in summary.findings:
        console.print(f"[bold]{finding.title}[/]: {finding.statement}", highlight=False, soft_wrap=True)


def _crosstab_table(tab: CrossTab) -> Table:
    table = Table(title=f"{tab.row} by {tab.col} (n = {tab.n}, excluded {tab.excluded})")
    table.add_column(tab.row)
    for c in tab.col_labels:
        table.add_column(c, justify="right")
    for r, counts in zip(tab.row_labels, tab.counts, strict=True):
        table.add_row(r, *(str(n) for n in counts))
    return table


def _crosstab_text(tab: CrossTab) -> str:
    p = "n/a" if tab.p_value is None else f"{tab.p_value:.4g}"
    return f"{tab.test}: p = {p}"


def render_stats(summary: CohortSummary, fmt: str, tab: CrossTab | None = None) -> str:
    """Machine formats as text (json, csv, markdown); the table format is printed by rich instead."""
    if fmt == "json":
        data = summary.to_dict()
        if tab is not None:
            data["crosstab"] = tab.to_dict()
        return json.dumps(data, indent=2, allow_nan=False)
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        if tab is not None:
            writer.writerow([tab.row, *tab.col_labels])
            for r, counts in zip(tab.row_labels, tab.counts, strict=True):
                writer.writerow([r, *counts])
            return buf.getvalue()
        writer.writerow(["figure", "value"])
        for key, value in _flat({k: v for k, v in summary.to_dict().items() if k != "findings"}):
            writer.writerow([key, "" if value is None else value])
        for f in summary.findings:
            writer.writerow([f"findings.{f.key}.p_value", f.table.p_value])
        return buf.getvalue()
    if fmt == "markdown":
        if tab is not None:
            lines = [f"| {tab.row} | " + " | ".join(tab.col_labels) + " |", "|---" * (len(tab.col_labels) + 1) + "|"]
            lines += [f"| {r} | " + " | ".join(str(n) for n in c) + " |" for r, c in zip(tab.row_labels, tab.counts, strict=True)]
            return "\n".join(lines) + f"\n\n{_crosstab_text(tab)}\n"
        lines = ["| figure | value |", "|---|---|"]
        lines += [f"| {k} | {v} |" for k, v in _stats_rows(summary)]
        lines += ["", *(f"**{f.title}**: {f.statement}" for f in summary.findings)]
        return "\n".join(lines) + "\n"
    raise ValueError(f"--format {fmt!r}: choose one of {', '.join(_FORMATS)}")


def _print_issues(issues: tuple[DataIssue, ...] | list[DataIssue]) -> None:
    for issue in issues:
        style = "red" if issue.level is IssueLevel.ERROR else "yellow" if issue.level is IssueLevel.WARNING else "dim"
        err_console.print(f"[{style}]{escape(str(issue))}[/]", highlight=False, soft_wrap=True)


# ------------------------------------------------------------------------------------------------- commands


@app.command("stats")
def stats_command(
    region: RegionOpt = None,
    level: LevelOpt = None,
    etiology: EtiologyOpt = None,
    diagnosis: DiagnosisOpt = None,
    sex: SexOpt = None,
    age_min: AgeMinOpt = None,
    age_max: AgeMaxOpt = None,
    year_min: YearMinOpt = None,
    year_max: YearMaxOpt = None,
    source: SourceOpt = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, json, csv or markdown.")] = "table",
    by: Annotated[str | None, typer.Option("--by", help=f"Cross-tabulate: rows ({', '.join(VARIABLES)}).")] = None,
    against: Annotated[str | None, typer.Option("--against", help="Cross-tabulate: columns (default region).")] = None,
) -> None:
    """Pooled statistics over any subset of the registry (and a cross-tabulation with Fisher's test)."""
    if fmt not in _FORMATS:
        raise fail(f"--format {fmt!r}: choose one of {', '.join(_FORMATS)}")
    for name in (by, against):
        if name is not None and name not in VARIABLES:
            raise fail(f"--by/--against {name!r}: choose one of {', '.join(VARIABLES)}")
    flt = filter_from_flags(region, level, etiology, diagnosis, sex, age_min, age_max, year_min, year_max, source)
    cases, sources, note = pooled_cases(flt, bool(diagnosis))
    summary = summarise(cases, sources)
    tab = crosstab(cases, by, against or "region") if by else (crosstab(cases, "etiology", against) if against else None)
    if note is not None:
        err_console.print(note, highlight=False, soft_wrap=True)
    if fmt == "table":
        if tab is None:
            print_stats_table(summary, f"Pooled statistics: {describe_filter(flt)} ({summary.cases} cases; "
                                       f"{summary.pooled})")
        else:
            console.print(_crosstab_table(tab))
            console.print(_crosstab_text(tab), highlight=False, soft_wrap=True)
            for r, cols in tab.proportions().items():
                console.print(f"  {r}: " + "; ".join(f"{c} {p.display()}" for c, p in cols.items()), highlight=False,
                              soft_wrap=True)
        return
    typer.echo(render_stats(summary, fmt, tab), nl=False)


@app.command("import-table")
def import_table_command(
    file: Annotated[Path, typer.Argument(help="The table: CSV, TSV, or text with the table flattened in it.")],
    source_id: Annotated[str | None, typer.Option("--source-id", help="Id of the source the rows come from.")] = None,
    spec_path: Annotated[
        Path | None, typer.Option("--spec", help="YAML spec: column mapping, legend, treatment phrases (and source).")
    ] = None,
    fmt: Annotated[str | None, typer.Option("--format", help="csv, tsv or text (default: from the file name).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Parse and report; store nothing.")] = False,
) -> None:
    """Import a literature summary table into the registry: all rows, or nothing if any row is wrong."""
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise fail(f"cannot read {file}: {exc.strerror or exc}") from None
    if b"\x00" in raw[:4096]:
        raise fail(f"{file}: this is not a text table (it holds binary data); give a CSV, TSV or text file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise fail(f"{file}, line {line}: not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the table as UTF-8 "
                   "and import it again") from None
    suffix = file.suffix.lower()
    fmt = fmt or ("csv" if suffix == ".csv" else "tsv" if suffix in (".tsv", ".tab") else "text")
    if fmt not in ("csv", "tsv", "text"):
        raise fail(f"--format {fmt!r}: choose csv, tsv or text")
    spec_source: Source | None
    if spec_path is not None:
        try:
            spec, spec_source = read_spec_file(spec_path)
        except ValueError as exc:
            raise fail(str(exc)) from None
    else:
        review_spec = packaged_table_spec(_PACKAGED_REVIEW)
        marker = review_spec.text_form.start
        if fmt != "text" or not marker or marker not in text:
            raise fail(f"{file}: give --spec SPEC.yaml (the column mapping and legend of this table)")
        spec, spec_source = review_spec, _load_packaged_table(_PACKAGED_REVIEW)[0]
    if spec_source is None and source_id is None:
        raise fail("name the source: --source-id ID (or a 'source:' block in the spec)")
    if spec_source is None:
        source = Source(id=source_id or "", kind="summary_table")
    else:
        source = replace(spec_source, id=source_id) if source_id else spec_source
    try:
        cases, issues = parse_summary_table(text, fmt=fmt, spec=spec, source=source, origin=str(file))  # type: ignore[arg-type]
    except TableImportError as exc:
        _print_issues(exc.issues)
        raise fail(f"{file}: nothing imported ({sum(i.level is IssueLevel.ERROR for i in exc.issues)} error(s))") from None
    _print_issues(issues)
    if dry_run:
        console.print(f"{file}: {len(cases)} rows read as cases of source {source.id} (dry run: nothing stored)",
                      highlight=False, soft_wrap=True)
        return
    from calcispine.registry import Dataset, RegistryError, load_sources

    parents = [s for s in load_sources() if s.id == source.part_of]  # the paper a packaged table belongs to
    try:
        with open_cli_registry() as reg:
            report = reg.import_dataset(Dataset((*parents, source), cases), actor="calcispine import-table")
    except RegistryError as exc:
        _print_issues(list(exc.issues))
        raise fail(str(exc.args[0])) from None
    _print_issues(report.issues)
    console.print(
        f"{file}: {len(cases)} rows of {source.id}: {report.added} added, {report.merged} merged, "
        f"{report.conflicts} conflict(s)",
        highlight=False, soft_wrap=True,
    )


@app.command("report")
def report_command(
    output: Annotated[Path, typer.Option("--output", "-o", help="HTML file to write.")] = Path("calcispine-report.html"),
    region: RegionOpt = None,
    level: LevelOpt = None,
    etiology: EtiologyOpt = None,
    diagnosis: DiagnosisOpt = None,
    sex: SexOpt = None,
    age_min: AgeMinOpt = None,
    age_max: AgeMaxOpt = None,
    year_min: YearMinOpt = None,
    year_max: YearMaxOpt = None,
    source: SourceOpt = None,
) -> None:
    """Print the pooled statistics and write one self-contained HTML report with figures.

    Tumoral calcinosis is pooled unless --diagnosis says otherwise (--diagnosis all pools every
    diagnosis, and the report then names the mix).
    """
    flt = filter_from_flags(region, level, etiology, diagnosis, sex, age_min, age_max, year_min, year_max, source)
    cases, sources, note = pooled_cases(flt, bool(diagnosis))
    summary = summarise(cases, sources)
    subset = describe_filter(flt)
    if note is not None:
        err_console.print(note, highlight=False, soft_wrap=True)
    print_stats_table(summary, f"Pooled statistics: {subset} ({summary.cases} cases; {summary.pooled})")
    with console.status("drawing figures"):
        html = render_report(cases, sources, subset=None if flt.is_empty else subset, summary=summary)
    try:
        path = write_report(output, html)
    except OSError as exc:
        raise fail(f"cannot write {output}: {exc.strerror or exc}") from None
    console.print(f"Report written to {path.resolve()}", highlight=False, soft_wrap=True)

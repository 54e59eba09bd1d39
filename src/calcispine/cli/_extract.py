"""``calcispine extract``: case-report files in, structured cases out (and optionally into the registry)."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from ._app import app, console, err_console, fail, open_cli_registry, settings


class OutputFormat(StrEnum):
    summary = "summary"
    json = "json"
    jsonl = "jsonl"
    phenopacket = "phenopacket"


def _inputs(paths: list[Path]) -> tuple[list[Path], list[str]]:
    from calcispine.extract import SUPPORTED_SUFFIXES

    files: list[Path] = []
    missing: list[str] = []
    for p in paths:
        if p.is_dir():
            files.extend(sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in SUPPORTED_SUFFIXES))
        elif p.is_file():
            files.append(p)
        else:
            missing.append(f"{p}: no such file or folder")
    return files, missing


def _full_json(result: Any) -> dict[str, Any]:
    from calcispine.registry import case_to_dict, source_to_dict

    return {
        "file": result.document.name,
        "source": source_to_dict(result.source),
        "cases": [case_to_dict(c) for c in result.cases],
        "differential": list(result.differential),
        "sections": [s.__dict__ for s in result.sections],
        "issues": [str(i) for i in result.issues],
    }


@app.command("extract")
def extract_command(
    paths: Annotated[list[Path], typer.Argument(help="Report files (.txt, .pdf, PubMed/PMC .xml) or folders of them.")],
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f", help="summary (gold-file keys), json (with evidence), jsonl, phenopacket.")] = OutputFormat.summary,
    add: Annotated[bool, typer.Option("--add", help="Store each case in the registry as needs_review.")] = False,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of standard output.")] = None,
) -> None:
    """Extract the patient record(s) of each case report, every value with its evidence."""
    from calcispine.extract import ReadError, extract_case, read_document, to_summary

    cfg = settings()
    files, failures = _inputs(paths)
    lines: list[str] = []
    results = []
    with Progress(
        TextColumn("[progress.description]{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
        TimeRemainingColumn(), console=err_console, transient=True, disable=len(files) < 2,
    ) as progress:
        task = progress.add_task("extracting", total=len(files))
        for f in files:
            progress.update(task, description=f"extracting {f.name}")
            try:
                res = extract_case(read_document(f, cfg), cfg)
            except ReadError as exc:
                failures.append(str(exc))
                progress.advance(task)
                continue
            except Exception as exc:  # one bad file must not stop a batch
                failures.append(f"{f}: {type(exc).__name__}: {exc}")
                progress.advance(task)
                continue
            progress.advance(task)
            if not res.cases:
                failures.append(f"{f}: no patient described: this does not read as a case report")
                continue
            results.append(res)
            if fmt is OutputFormat.summary:
                lines.extend(json.dumps(to_summary(c, f.name), ensure_ascii=False) for c in res.cases)
            elif fmt is OutputFormat.json:
                lines.append(json.dumps(_full_json(res), ensure_ascii=False, indent=2))
            elif fmt is OutputFormat.jsonl:
                lines.append(json.dumps(_full_json(res), ensure_ascii=False))
            else:
                from calcispine.exchange import case_to_phenopacket, phenopacket_to_json

                for c in res.cases:
                    pp = case_to_phenopacket(c, [res.source], versions=c.versions)
                    lines.append(phenopacket_to_json(pp))
    text = "\n".join(lines) + ("\n" if lines else "")
    if output is not None:
        from calcispine.exchange import atomic_write_text

        atomic_write_text(output, text)
    elif text:
        console.print(text, end="", markup=False, highlight=False, soft_wrap=True)
    if add and results:
        from calcispine.registry import Dataset

        reg = open_cli_registry()
        for res in results:
            try:
                reg.import_dataset(Dataset(sources=(res.source,), records=res.cases,
                                           texts={res.source.id: res.document.text}), actor="extract")
            except Exception as exc:
                failures.append(f"{res.document.name}: not added to the registry: {exc}")
    for msg in failures:
        err_console.print(f"[bold red]error:[/] {msg}", highlight=False, markup=True, soft_wrap=True)
    if failures:
        raise fail(f"{len(failures)} input(s) failed")

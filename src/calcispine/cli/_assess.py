"""`calcispine assess FILE`: the explained differential for one patient."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ._app import app, console, fail


class AssessFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    MARKDOWN = "markdown"


@app.command("assess")
def assess_command(
    file: Annotated[Path, typer.Argument(help="Patient: .yaml (structured findings), .json (Phenopacket) or a report text.")],
    fmt: Annotated[AssessFormat, typer.Option("--format", "-f", help="table, json or markdown.")] = AssessFormat.TABLE,
    top: Annotated[int, typer.Option(help="Candidates explained in detail (table and markdown).")] = 3,
    priors: Annotated[str, typer.Option(help="Pre-test odds: uniform (LIRICAL's convention) or literature.")] = "uniform",
) -> None:
    """Rank the differential of a calcified spinal lesion, with every finding's likelihood ratio and source."""
    from calcispine.assess import AssessInputError, default_assessor, read_patient, to_markdown

    try:
        patient = read_patient(file)
        result = default_assessor(priors).assess(patient)
    except (AssessInputError, ValueError) as exc:
        raise fail(str(exc)) from exc
    if fmt is AssessFormat.JSON:
        typer.echo(json.dumps(result.to_dict(), indent=2, default=str))
        return
    if fmt is AssessFormat.MARKDOWN:
        typer.echo(to_markdown(result, top=top))
        return
    t = Table(title=f"Differential ({result.versions['knowledge_base']}, HPO {result.versions['hpo_release']})")
    for col in ("rank", "diagnosis", "id", "probability"):
        t.add_column(col, justify="right" if col in ("rank", "probability") else "left")
    for i, c in enumerate(result.differential, 1):
        t.add_row(str(i), c.label, c.id or "", f"{c.probability:.3f}")
    console.print(t)
    if result.caution:
        console.print(f"[bold yellow]Caution:[/] {result.caution}")
    for c in result.differential[:top]:
        e = Table(title=f"Why {c.label} ({c.probability:.3f})")
        for col in ("finding", "status", "LR", "freq", "basis", "matched by"):
            e.add_column(col)
        for x in c.explanation:
            e.add_row(x.label, "present" if x.present else "excluded", f"{x.lr:.2f}", f"{x.frequency:.2f}", x.basis,
                      "; ".join(x.matched_by))
        console.print(e)
    n = Table(title="What to check next")
    for col in ("check", "reveals", "bits", "if present", "if absent"):
        n.add_column(col)
    for nc in result.next_checks:
        n.add_row(nc.check, ", ".join(nc.labels), f"{nc.information_gain:.3f}", nc.favours_if_present,
                  nc.favours_if_absent)
    console.print(n)
    et = result.etiology
    console.print(f"[bold]Etiology:[/] {et.etiology_class or 'undecided'}; Boulman: {', '.join(et.boulman) or '-'}")
    for r in et.reasons:
        console.print(f"  - {r}")
    for statement in result.labs.statements:
        console.print(f"  lab: {statement}")
    m = Table(title="Management")
    for col in ("option", "status", "why", "registry patients", "sources"):
        m.add_column(col)
    for o in result.management:
        m.add_row(o.label, o.status, o.reason, str(o.registry_patients), "; ".join(o.citations))
    console.print(m)
    sim = Table(title="Similar published cases")
    for col in ("case", "diagnosis", "score", "why", "source"):
        sim.add_column(col)
    for sc in result.similar_cases:
        sim.add_row(sc.case_id, sc.diagnosis or "", f"{sc.score:.2f}", "; ".join(sc.reasons), ", ".join(sc.citations))
    console.print(sim)

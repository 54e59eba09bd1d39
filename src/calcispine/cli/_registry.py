"""``calcispine registry ...`` and ``calcispine case show``: look into and rebuild the registry."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from calcispine.model import Case, render_levels
from calcispine.registry import Registry, RegistryError, open_registry

from ._app import app, console, fail, settings

registry_app = typer.Typer(help="The registry of published cases: counts, conflicts, rebuild.", no_args_is_help=True)
case_app = typer.Typer(help="One patient of the registry.", no_args_is_help=True)
app.add_typer(registry_app, name="registry")
app.add_typer(case_app, name="case")


def _open(seed: bool = True) -> Registry:
    try:
        return open_registry(settings(), seed=seed)
    except RegistryError as exc:
        raise fail(str(exc)) from exc


@registry_app.command("info")
def info() -> None:
    """Where the registry is and what it holds."""
    with _open() as reg:
        counts = reg.counts()
        table = Table(title="calcispine registry", show_header=False)
        table.add_column("what", style="bold")
        table.add_column("value")
        table.add_row("database", reg.url)
        table.add_row("patients (cases)", str(counts["cases"]))
        table.add_row("  with more than one source", str(counts["multi_source_cases"]))
        table.add_row("per-source records", str(counts["records"]))
        table.add_row("sources (citations)", str(counts["sources"]))
        table.add_row("  sources with records", str(counts["record_sources"]))
        table.add_row("conflicts (open / all)", f"{counts['open_conflicts']} / {counts['conflicts']}")
        table.add_row("audit entries", str(counts["audit_entries"]))
        console.print(table)


@registry_app.command("conflicts")
def conflicts() -> None:
    """Facts on which sources disagree (kept, never silently overwritten)."""
    with _open() as reg:
        rows = reg.conflicts()
        if not rows:
            console.print("No conflicts recorded.")
            return
        table = Table(title=f"{len(rows)} conflict(s)")
        for col in ("case", "field", "what each source says", "status"):
            table.add_column(col)
        for case_id, c in rows:
            says = "\n".join(f"{src}: {val}" for src, val in c.values)
            status = f"resolved ({c.note})" if c.resolved else "open"
            table.add_row(case_id, c.field, says, status)
        console.print(table)


@registry_app.command("reset")
def reset(
    yes: Annotated[bool, typer.Option("--yes", help="Confirm: drop every case, edit and audit entry.")] = False,
) -> None:
    """Rebuild the registry from the embedded data (loses curation and the audit log)."""
    if not yes:
        raise fail("reset deletes every stored case, edit and audit entry; run again with --yes to confirm")
    with _open(seed=False) as reg:
        try:
            report = reg.reset(actor="calcispine registry reset")
        except RegistryError as exc:
            raise fail(str(exc)) from exc
        console.print(f"Registry rebuilt at {reg.url}: {report.added} patients "
                      f"({report.merged} records merged into them, {report.conflicts} conflict(s)).")


def _value(case: Case, name: str) -> str:
    value = getattr(case, name)
    if name == "levels":
        return render_levels(value)
    if name == "age_range_years" and value:
        return f"{value[0]:g}-{value[1]:g}"
    if name in {"findings"}:
        return "; ".join(f"{'NOT ' if f.excluded else ''}{f.label} ({f.hpo_id})" for f in value)
    if name == "treatments":
        return ", ".join(t.code for t in value)
    if name == "measurements":
        return "; ".join(f"{m.analyte} {m.display()}" for m in value)
    if name in {"diagnosis"} and value is not None:
        return f"{value.label} ({value.key})"
    if name == "outcome" and value is not None:
        fu = f", {value.follow_up_months:g} months" if value.follow_up_months is not None else ""
        return f"{value.status or ''} {value.description or ''}{fu}".strip()
    if name == "cites" and value is not None:
        return f"{value.first_author} {value.year or ''}".strip()
    if isinstance(value, tuple):
        return "; ".join(str(v) for v in value)
    if hasattr(value, "value"):
        return str(value.value)
    return "" if value is None else (f"{value:g}" if isinstance(value, float) else str(value))


@case_app.command("show")
def show(case_id: Annotated[str, typer.Argument(help="Case id, e.g. tuy-2008-c2-c3.")]) -> None:
    """A patient's facts, which source stated each, and where sources disagree."""
    with _open() as reg:
        try:
            case = reg.get_case(case_id)
            records = reg.records(case_id)
        except KeyError as exc:
            raise fail(str(exc.args[0])) from exc
        console.print(f"[bold]{case.id}[/]  status: {case.review_status.value}  sources: {', '.join(case.source_ids)}")
        table = Table()
        for col in ("field", "value", "stated by"):
            table.add_column(col)
        conflicted = {c.field for c in case.conflicts}
        for name in ("age_years", "age_range_years", "sex", "levels", "side", "compartments", "diagnosis", "etiology",
                     "findings", "measurements", "treatments", "outcome", "neuro_deficit", "imaging", "pathology",
                     "differential", "cites"):
            text = _value(case, name)
            if not text:
                continue
            who = ", ".join(dict.fromkeys(p.source_id + (f" ({p.locator})" if p.locator else "")
                                          for p in case.provenance_of(name)))
            label = f"[red]{name} ![/]" if name in conflicted else name
            table.add_row(label, text, who)
        console.print(table)
        for c in case.conflicts:
            state = f"resolved: {c.note}" if c.resolved else "open"
            console.print(f"[red]conflict[/] {c.describe()} ({state})")
        console.print(f"{len(records)} per-source record(s): " + ", ".join(f"{r.id}" for r in records))

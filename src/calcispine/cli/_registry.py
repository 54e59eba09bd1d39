"""``calcispine registry ...`` and ``calcispine case show``: look into and rebuild the registry."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from calcispine.model import Provenance, render_levels
from calcispine.registry import RegistryError, ValueSource

from ._app import app, console, fail, open_cli_registry

registry_app = typer.Typer(help="The registry of published cases: counts, conflicts, rebuild.", no_args_is_help=True)
case_app = typer.Typer(help="One patient of the registry.", no_args_is_help=True)
app.add_typer(registry_app, name="registry")
app.add_typer(case_app, name="case")


@registry_app.command("info")
def info() -> None:
    """Where the registry is and what it holds."""
    with open_cli_registry() as reg:
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
    with open_cli_registry() as reg:
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
    empty: Annotated[bool, typer.Option("--empty", help="Leave the registry empty instead of rebuilding the "
                                                         "embedded cases (it stays empty until you import).")] = False,
) -> None:
    """Rebuild the registry from the embedded data, or empty it (loses curation and the audit log)."""
    if not yes:
        raise fail("reset deletes every stored case, edit and audit entry; run again with --yes to confirm")
    with open_cli_registry(seed=False) as reg:
        try:
            report = reg.reset(actor="calcispine registry reset", empty=empty)
        except RegistryError as exc:
            raise fail(str(exc)) from exc
        if empty:
            console.print(f"Registry emptied at {reg.url}: 0 patients; import cases or tables into it.",
                          highlight=False, soft_wrap=True)
            return
        console.print(f"Registry rebuilt at {reg.url}: {report.added} patients "
                      f"({report.merged} records merged into them, {report.conflicts} conflict(s)).",
                      highlight=False, soft_wrap=True)


def _one(name: str, value: Any) -> str:
    """One value of a field as the table shows it."""
    if name == "levels":
        return render_levels(value)
    if name == "age_range_years" and isinstance(value, tuple):
        return f"{value[0]:g}-{value[1]:g}"
    if name == "findings":
        return f"{'NOT ' if value.excluded else ''}{value.label} ({value.hpo_id})"
    if name == "treatments":
        return str(value.code)
    if name == "measurements":
        return f"{value.analyte} {value.display()}"
    if name == "diagnosis" and value is not None:
        return f"{value.label} ({value.key})"
    if name == "outcome" and value is not None:
        fu = f", {value.follow_up_months:g} months" if value.follow_up_months is not None else ""
        return f"{value.status or ''} {value.description or ''}{fu}".strip()
    if name == "cites" and value is not None:
        return f"{value.first_author} {value.year or ''}".strip()
    if hasattr(value, "value"):
        return str(value.value)
    return "" if value is None else (f"{value:g}" if isinstance(value, float) else str(value))


def _who(provenance: tuple[Provenance, ...]) -> str:
    return ", ".join(dict.fromkeys(p.source_id + (f" ({p.locator})" if p.locator else "") for p in provenance))


_SHOWN = ("age_years", "age_range_years", "sex", "levels", "side", "compartments", "diagnosis", "etiology",
          "findings", "measurements", "treatments", "outcome", "neuro_deficit", "imaging", "pathology",
          "differential", "cites")


@case_app.command("show")
def show(case_id: Annotated[str, typer.Argument(help="Case id, e.g. tuy-2008-c2-c3.")]) -> None:
    """A patient's facts, which source stated each value, and where sources disagree.

    Each value is credited only to the sources that state that value: where two sources disagree,
    the one shown is credited to its own source and the conflict line gives what the others say.
    """
    with open_cli_registry() as reg:
        try:
            case = reg.get_case(case_id)
            records = reg.records(case_id)
            values = reg.value_sources(case_id)
        except KeyError as exc:
            raise fail(str(exc.args[0])) from exc
    console.print(f"[bold]{case.id}[/]  status: {case.review_status.value}  sources: {', '.join(case.source_ids)}",
                  highlight=False, soft_wrap=True)
    table = Table()
    for col in ("field", "value", "stated by"):
        table.add_column(col)
    conflicted = {c.field for c in case.conflicts if not c.resolved}
    by_field: dict[str, list[ValueSource]] = {}
    for v in values:
        by_field.setdefault(v.field, []).append(v)
    for name in _SHOWN:
        for i, v in enumerate(by_field.get(name, ())):
            text = _one(name, v.value)
            if not text:
                continue
            label = "" if i else (f"[red]{name} ![/]" if name in conflicted else name)
            table.add_row(label, text, _who(v.provenance))
    console.print(table)
    for c in case.conflicts:
        state = f"resolved: {c.note}" if c.resolved else "open"
        console.print(f"[red]conflict[/] {c.describe()} ({state})", highlight=False, soft_wrap=True)
    console.print(f"{len(records)} per-source record(s): " + ", ".join(f"{r.id}" for r in records),
                  highlight=False, soft_wrap=True)

"""Root Typer app and the options every command shares (--db)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from calcispine import __version__
from calcispine.config import Settings

app = typer.Typer(
    name="calcispine",
    help="The published cases of spinal tumoral calcinosis and its mimics: extract, curate, pool, assess.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = Console()
err_console = Console(stderr=True)


class State:
    settings: Settings | None = None


def _version(value: bool) -> None:
    if value:
        console.print(f"calcispine {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    db: Annotated[
        str | None,
        typer.Option("--db", help="Registry: a SQLite file path or a database URL (env CALCISPINE_DATABASE_URL)."),
    ] = None,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")] = False,
) -> None:
    State.settings = Settings.from_env().with_database(db)


def settings() -> Settings:
    if State.settings is None:
        State.settings = Settings.from_env()
    return State.settings


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print a one-line error to stderr and return the Exit to raise."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code)


def main() -> None:
    from . import _commands  # noqa: F401  registers every sub-command

    app()


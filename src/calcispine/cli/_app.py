"""Root Typer app and the options every command shares (--db, --empty)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

from calcispine import __version__
from calcispine.config import Settings

if TYPE_CHECKING:
    from calcispine.registry import Registry

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
    empty: bool = False


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
    empty: Annotated[
        bool,
        typer.Option("--empty", help="A registry created by this command starts empty (not seeded with the "
                                     "embedded cases); it stays empty until you import."),
    ] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")] = False,
) -> None:
    try:
        State.settings = Settings.from_env().with_database(db)
    except ValueError as exc:
        raise fail(str(exc)) from None
    State.empty = empty


def _sqlite_file(url: str) -> Path | None:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database.startswith((":", "file:")):
        return None
    return Path(parsed.database).expanduser()


def open_cli_registry(*, seed: bool = True) -> Registry:
    """The registry the command works on; a new one is announced on stderr, a bad --db is one error line.

    With ``--empty`` a registry this opens for the first time starts empty (and stays so until an
    import); one that already holds patients is refused, so the flag never hides them.
    """
    from calcispine.registry import RegistryError, open_registry

    path = _sqlite_file(settings().database_url)
    existed = path is None or path.exists()
    try:
        reg = open_registry(settings(), seed=seed and not State.empty)
        if State.empty and reg.is_fresh():
            reg.start_empty(actor="calcispine --empty")
            err_console.print(f"created an empty registry at {reg.url}", highlight=False, soft_wrap=True)
            return reg
    except RegistryError as exc:
        raise fail(str(exc)) from None
    n = reg.count_cases()
    if State.empty and n:
        reg.close()
        raise fail(f"--empty: the registry at {reg.url} already holds {n} patient(s); "
                   "`calcispine registry reset --empty --yes` empties it")
    if not existed:
        what = f"{n} embedded patients" if n else "empty"
        err_console.print(f"created a new registry at {path} ({what})", highlight=False, soft_wrap=True)
    return reg


def settings() -> Settings:
    if State.settings is None:
        State.settings = Settings.from_env()
    return State.settings


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print a one-line error to stderr and return the Exit to raise."""
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def main() -> None:
    from . import _commands  # noqa: F401  registers every sub-command

    app()


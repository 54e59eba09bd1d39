"""``calcispine serve`` (the web app on the registry) and ``calcispine user add|token`` (curator accounts)."""

from __future__ import annotations

import sys
from dataclasses import replace
from typing import TYPE_CHECKING, Annotated

import typer

from ._app import app, console, fail, settings

if TYPE_CHECKING:
    from calcispine.registry import Registry
    from calcispine.web import AccountStore

user_app = typer.Typer(help="Curator accounts of the web app and REST API.", no_args_is_help=True)
app.add_typer(user_app, name="user")


@app.command("serve")
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on (env CALCISPINE_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (env CALCISPINE_PORT).", min=1, max=65535)] = None,
    db: Annotated[str | None, typer.Option("--db", help="Registry: a SQLite file or a database URL.")] = None,
) -> None:
    """Run the web app and REST API on the registry (reading open; writing needs a curator)."""
    import uvicorn

    from calcispine.registry import RegistryError
    from calcispine.web import create_app

    s = settings().with_database(db)
    s = replace(s, host=host or s.host, port=port or s.port)
    try:
        web = create_app(s)
    except RegistryError as exc:
        raise fail(str(exc)) from exc
    shown = f"[{s.host}]" if ":" in s.host else s.host
    console.print(f"calcispine web app on [bold]http://{shown}:{s.port}/[/] (API docs at /api/docs); "
                  f"registry {web.state.ctx.registry.url}. Ctrl+C stops it.", highlight=False)
    uvicorn.run(web, host=s.host, port=s.port, log_level="warning")


def _accounts() -> tuple[Registry, AccountStore]:
    from calcispine.registry import RegistryError, open_registry
    from calcispine.web import AccountStore

    try:
        reg = open_registry(settings())
    except RegistryError as exc:
        raise fail(str(exc)) from exc
    return reg, AccountStore(reg.engine)


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="User name (letters, digits, . _ @ -).")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from standard input.")] = False,
) -> None:
    """Create a curator account (asks for the password unless --password-stdin)."""
    from calcispine.web import AccountError

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt(f"Password for {name}", hide_input=True, confirmation_prompt=True)
    reg, store = _accounts()
    with reg:
        try:
            user = store.add_user(name, password)
        except AccountError as exc:
            raise fail(str(exc)) from exc
    console.print(f"curator [bold]{user.name}[/] added to {reg.url}", highlight=False)


@user_app.command("token")
def user_token(
    name: Annotated[str, typer.Argument(help="An existing user.")],
    label: Annotated[str | None, typer.Option(help="What the token is for.")] = None,
) -> None:
    """Print a new API token for NAME (use it as 'Authorization: Bearer <token>'); only its hash is stored."""
    from calcispine.web import AccountError

    reg, store = _accounts()
    with reg:
        try:
            token = store.new_token(name, label)
        except AccountError as exc:
            raise fail(str(exc)) from exc
    sys.stdout.write(token + "\n")


@user_app.command("list")
def user_list() -> None:
    """The accounts in the registry."""
    reg, store = _accounts()
    with reg:
        for u in store.users():
            console.print(f"{u.name}\t{u.role}", highlight=False)

"""``calcispine serve`` (the web app on the registry) and ``calcispine user add|password|token|list``."""

from __future__ import annotations

import errno
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, Annotated

import typer

from calcispine.config import SettingsError

from ._app import app, console, fail, open_cli_registry, settings

if TYPE_CHECKING:
    from calcispine.web import AccountStore

user_app = typer.Typer(help="Curator accounts of the web app and REST API.", no_args_is_help=True)
app.add_typer(user_app, name="user")


def _listen(host: str, port: int) -> socket.socket:
    """The bound server socket, or a one-line error naming the address and port (before anything is printed)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            message = (f"port {port} on {host} is already in use (another server is listening there); "
                       "stop it or choose another port with --port or CALCISPINE_PORT")
        elif exc.errno == errno.EACCES:
            message = f"not allowed to listen on port {port} of {host}; choose a port above 1023 with --port"
        elif isinstance(exc, socket.gaierror) or exc.errno == errno.EADDRNOTAVAIL:
            message = f"cannot listen on {host!r}: this machine has no such address (set --host or CALCISPINE_HOST)"
        else:
            message = f"cannot listen on {host} port {port}: {exc.strerror or exc}"
        raise fail(message) from exc
    sock.set_inheritable(True)
    return sock


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
    try:
        s = replace(s, host=host or s.host, port=port or s.port)
    except SettingsError as exc:
        raise fail(str(exc)) from exc
    sock = _listen(s.host, s.port)
    try:
        web = create_app(s)
    except RegistryError as exc:
        sock.close()
        raise fail(str(exc)) from exc
    shown = f"[{s.host}]" if ":" in s.host else s.host
    console.print(f"calcispine web app on [bold]http://{shown}:{s.port}/[/] (API docs at /api/docs); "
                  f"registry {web.state.ctx.registry.url}. Ctrl+C stops it.", highlight=False)
    server = uvicorn.Server(uvicorn.Config(web, host=s.host, port=s.port, log_level="warning"))
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()


@contextmanager
def _accounts() -> Iterator[tuple[str, AccountStore]]:
    """The account store of the registry (and its URL, to say where); an account error is one error line."""
    from calcispine.web import AccountError, AccountStore

    with open_cli_registry() as reg:
        try:
            yield reg.url, AccountStore(reg.engine)
        except AccountError as exc:
            raise fail(str(exc)) from exc


PasswordStdinOpt = Annotated[bool, typer.Option("--password-stdin", help="Read the password from standard input.")]


def _read_password(name: str, password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt(f"Password for {name}", hide_input=True, confirmation_prompt=True))


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="User name (letters, digits, . _ @ -).")],
    password_stdin: PasswordStdinOpt = False,
) -> None:
    """Create a curator account (asks for the password unless --password-stdin)."""
    password = _read_password(name, password_stdin)
    with _accounts() as (url, store):
        user = store.add_user(name, password)
    console.print(f"curator [bold]{user.name}[/] added to {url}", highlight=False)


@user_app.command("password")
def user_password(
    name: Annotated[str, typer.Argument(help="An existing user.")],
    password_stdin: PasswordStdinOpt = False,
) -> None:
    """Set a new password for NAME; every web session of NAME ends (API tokens are kept)."""
    password = _read_password(name, password_stdin)
    with _accounts() as (_, store):
        ended = store.set_password(name, password)
    console.print(f"password of [bold]{name}[/] changed; {ended} web session(s) ended", highlight=False)


@user_app.command("token")
def user_token(
    name: Annotated[str, typer.Argument(help="An existing user.")],
    label: Annotated[str | None, typer.Option(help="What the token is for.")] = None,
) -> None:
    """Print a new API token for NAME (use it as 'Authorization: Bearer <token>'); only its hash is stored."""
    with _accounts() as (_, store):
        token = store.new_token(name, label)
    sys.stdout.write(token + "\n")


@user_app.command("list")
def user_list() -> None:
    """The accounts in the registry."""
    with _accounts() as (_, store):
        for u in store.users():
            console.print(f"{u.name}\t{u.role}", highlight=False)

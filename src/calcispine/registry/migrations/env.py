"""Alembic environment: the registry passes its own connection; no alembic.ini is needed."""

from __future__ import annotations

from alembic import context

from calcispine.registry._schema import Base

target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("calcispine runs its migrations through open_registry(), which passes a connection")
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("offline (SQL script) migrations are not supported; use open_registry()")
run_migrations_online()

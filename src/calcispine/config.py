"""One settings object: argument > environment variable > default.

Library code never reads ``os.environ``; only :meth:`Settings.from_env` does, and
the CLI and web app call it once at start.

>>> Settings.from_env({"CALCISPINE_PORT": "8080"}).port
8080
>>> try:
...     Settings.from_env({"CALCISPINE_PORT": "abc"})
... except SettingsError as exc:
...     print(exc)
CALCISPINE_PORT='abc': not a whole number
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path

from platformdirs import user_cache_dir, user_data_dir

__all__ = ["ENV_PREFIX", "Settings", "SettingsError", "default_cache_dir", "default_data_dir", "env_name"]

ENV_PREFIX = "CALCISPINE_"
COOKIE_SECURE_VALUES = ("auto", "true", "false")


def default_data_dir() -> Path:
    return Path(user_data_dir("calcispine", appauthor=False))


def default_cache_dir() -> Path:
    return Path(user_cache_dir("calcispine", appauthor=False))


def env_name(field_name: str) -> str:
    return ENV_PREFIX + field_name.upper()


class SettingsError(ValueError):
    """A setting that cannot be used; the message is one line naming the setting, its value and the problem."""

    def __init__(self, setting: str, value: object, problem: str) -> None:
        super().__init__(f"{setting}={value!r}: {problem}")
        self.setting = setting
        self.value = value
        self.problem = problem


def _problem(name: str, value: object) -> str | None:
    """What is wrong with one setting's value, or None."""
    if name == "cookie_secure" and value not in COOKIE_SECURE_VALUES:
        return f"must be one of {', '.join(COOKIE_SECURE_VALUES)}"
    if name in ("max_upload_bytes", "max_text_chars") and (not isinstance(value, int) or value <= 0):
        return "must be a positive whole number"
    if name == "port" and (not isinstance(value, int) or not 1 <= value <= 65535):
        return "must be a port number from 1 to 65535"
    if name == "host" and not str(value).strip():
        return "must name an address to listen on, such as 127.0.0.1"
    return None


@dataclass(frozen=True)
class Settings:
    """Everything a deployment may set. Environment names are CALCISPINE_<FIELD>."""

    database_url: str = ""
    data_dir: str = ""
    cache_dir: str = ""
    max_upload_bytes: int = 10_000_000
    max_text_chars: int = 2_000_000
    secret_key: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    dask_scheduler: str = ""
    cookie_secure: str = "auto"

    def __post_init__(self) -> None:
        if not self.data_dir:
            object.__setattr__(self, "data_dir", str(default_data_dir()))
        if not self.cache_dir:
            object.__setattr__(self, "cache_dir", str(default_cache_dir()))
        if not self.database_url:
            object.__setattr__(self, "database_url", f"sqlite:///{Path(self.data_dir) / 'registry.sqlite'}")
        for f in fields(self):
            value = getattr(self, f.name)
            problem = _problem(f.name, value)
            if problem is not None:
                raise SettingsError(f.name, value, problem)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Read CALCISPINE_* variables; explicit keyword arguments win over them.

        A bad value raises :class:`SettingsError` naming the environment variable it came from.
        """
        env = os.environ if environ is None else environ
        given = {k: v for k, v in overrides.items() if v is not None}
        values: dict[str, object] = {}
        raw_of: dict[str, str] = {}
        for f in fields(cls):
            raw = env.get(env_name(f.name))
            if raw is None or raw == "" or f.name in given:
                continue
            raw_of[f.name] = raw
            if f.type in ("int", int):
                try:
                    values[f.name] = int(raw.strip())
                except ValueError:
                    raise SettingsError(env_name(f.name), raw, "not a whole number") from None
            else:
                values[f.name] = raw.strip() if f.name == "cookie_secure" else raw
        values.update(given)
        try:
            return cls(**values)  # type: ignore[arg-type]
        except SettingsError as exc:
            if exc.setting in raw_of and exc.setting not in given:
                raise SettingsError(env_name(exc.setting), raw_of[exc.setting], exc.problem) from None
            raise

    def with_database(self, url_or_path: str | Path | None) -> Settings:
        """``--db`` takes a URL or a plain file path (a SQLite file)."""
        if url_or_path is None:
            return self
        text = str(url_or_path)
        url = text if "://" in text else f"sqlite:///{Path(text).expanduser().resolve()}"
        return replace(self, database_url=url)

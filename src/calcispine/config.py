"""One settings object: argument > environment variable > default.

Library code never reads ``os.environ``; only :meth:`Settings.from_env` does, and
the CLI and web app call it once at start.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path

from platformdirs import user_cache_dir, user_data_dir

ENV_PREFIX = "CALCISPINE_"


def default_data_dir() -> Path:
    return Path(user_data_dir("calcispine", appauthor=False))


def default_cache_dir() -> Path:
    return Path(user_cache_dir("calcispine", appauthor=False))


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
        if self.cookie_secure not in ("auto", "true", "false"):
            raise ValueError(f"cookie_secure must be auto, true or false, got {self.cookie_secure!r}")
        if self.max_upload_bytes <= 0:
            raise ValueError(f"max_upload_bytes must be positive, got {self.max_upload_bytes}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Read CALCISPINE_* variables; explicit keyword arguments win over them."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is None or raw == "":
                continue
            if f.type in ("int", int):
                try:
                    values[f.name] = int(raw)
                except ValueError as exc:
                    raise ValueError(f"{ENV_PREFIX}{f.name.upper()}={raw!r} is not an integer") from exc
            else:
                values[f.name] = raw
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]

    def with_database(self, url_or_path: str | Path | None) -> Settings:
        """``--db`` takes a URL or a plain file path (a SQLite file)."""
        if url_or_path is None:
            return self
        text = str(url_or_path)
        url = text if "://" in text else f"sqlite:///{Path(text).expanduser().resolve()}"
        return replace(self, database_url=url)

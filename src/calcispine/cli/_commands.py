"""Imports every command module so that each registers itself on ``app``."""

from __future__ import annotations

from . import (
    _assess,  # noqa: F401
    _cohort,  # noqa: F401
    _exchange,  # noqa: F401
    _extract,  # noqa: F401
    _registry,  # noqa: F401
    _web,  # noqa: F401
)

"""The ``calcispine`` command: a thin shell over the same services the web app calls.

Each sub-command lives in its own module and is registered here, in one place.
"""

from __future__ import annotations

from ._app import app, main

__all__ = ["app", "main"]

"""Reading a packaged YAML file into the pydantic model that validates it."""

from __future__ import annotations

from importlib import resources
from typing import TypeVar

import yaml
from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)


def load_packaged(package: str, name: str, model: type[M]) -> M:
    """``name`` in ``package``, validated by ``model``; a broken file is a ValueError naming it."""
    text = resources.files(package).joinpath(name).read_text(encoding="utf-8")
    try:
        return model.model_validate(yaml.safe_load(text))
    except Exception as exc:  # a packaged file is broken: say which one
        raise ValueError(f"{package.replace('.', '/')}/{name} is invalid: {exc}") from exc

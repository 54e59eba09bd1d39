"""Management options with their conditions and citations, validated at load."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ._differential import Citation

Fact = Literal["neuro_deficit", "progressive_deficit", "instability", "neural_compromise", "uremic", "shpt",
               "alp_raised", "ca_p_raised", "tc_leading", "diagnosis_uncertain"]


class Condition(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)
    all_of: tuple[Fact, ...] = Field(default=(), alias="all")
    any_of: tuple[Fact, ...] = Field(default=(), alias="any")
    none_of: tuple[Fact, ...] = Field(default=(), alias="none")

    def facts(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*self.all_of, *self.any_of, *self.none_of)))


class Option(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    label: str
    when: Condition
    rationale: str
    treatment_codes: tuple[str, ...]
    cite: tuple[str, ...] = Field(min_length=1)


class ManagementKnowledge(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    version: str
    sources: dict[str, Citation]
    options: dict[str, Option]

    @model_validator(mode="after")
    def _cites(self) -> ManagementKnowledge:
        bad = [f"{k}: {c}" for k, o in self.options.items() for c in o.cite if c not in self.sources]
        if bad:
            raise ValueError(f"management options cite unknown sources: {bad}")
        return self


@lru_cache(maxsize=1)
def load_management() -> ManagementKnowledge:
    text = resources.files("calcispine.knowledge").joinpath("management.yaml").read_text(encoding="utf-8")
    try:
        return ManagementKnowledge.model_validate(yaml.safe_load(text))
    except Exception as exc:
        raise ValueError(f"calcispine/knowledge/management.yaml is invalid: {exc}") from exc

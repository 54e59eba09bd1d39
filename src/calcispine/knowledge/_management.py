"""Management options with their conditions and citations, validated at load."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ._differential import Citation
from ._files import load_packaged

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
    return load_packaged("calcispine.knowledge", "management.yaml", ManagementKnowledge)

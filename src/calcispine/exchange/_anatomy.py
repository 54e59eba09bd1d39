"""Uberon body-site terms for vertebral levels (package data ``data/uberon_vertebrae.yaml``), validated once."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field, model_validator

from calcispine.knowledge import load_packaged
from calcispine.model import Level, Region

__all__ = ["SiteTerm", "VertebraTerms", "load_vertebra_terms"]


class SiteTerm(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    id: str = Field(pattern=r"^UBERON:\d{7}$")
    label: str = Field(min_length=1)


class VertebraTerms(BaseModel):
    """Level -> its vertebra, region -> its vertebra class, and the whole column."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    version: str
    citations: dict[str, str]
    levels: dict[str, SiteTerm]
    regions: dict[str, SiteTerm]
    column: SiteTerm

    @model_validator(mode="after")
    def _known_names(self) -> VertebraTerms:
        for name in self.levels:
            Level.from_name(name)  # raises naming the level
        unknown = sorted(set(self.regions) - {r.value for r in Region})
        if unknown:
            raise ValueError(f"regions {unknown} are not spinal regions")
        return self

    def site(self, levels: Sequence[Level]) -> SiteTerm | None:
        """The most precise term that covers every level: the vertebra, else its region, else the column.

        Never a narrower site than the case states: a lesion at C4-C6 is in 'cervical vertebra', not in C4.
        """
        if not levels:
            return None
        if len(levels) == 1 and levels[0].name in self.levels:
            return self.levels[levels[0].name]
        regions = {lv.region.value for lv in levels}
        if len(regions) == 1:
            return self.regions.get(regions.pop(), self.column)
        return self.column

    def level_of(self, term_id: str) -> Level | None:
        """The single level a vertebra term names (None for a region, the column or an unknown term)."""
        for name, term in self.levels.items():
            if term.id == term_id:
                return Level.from_name(name)
        return None


@lru_cache(maxsize=1)
def load_vertebra_terms() -> VertebraTerms:
    return load_packaged("calcispine.data", "uberon_vertebrae.yaml", VertebraTerms)

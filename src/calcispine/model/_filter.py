"""A subset of cases, as users ask for it (CLI flags, web filters, API query)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ._case import Case, ReviewStatus, Sex, Source
from ._levels import Level, Region

OTHER_PREFIX = "other:"
"""A free etiology tag or treatment code is ``other:<text>``; the bare prefix in a filter means any of them."""


@dataclass(frozen=True)
class CaseFilter:
    """Every field narrows the subset; ``None`` or empty means "any".

    ``level`` keeps cases whose span includes that segment; ``region`` those with any
    level in it; ``etiology`` those carrying any of the tags (``dialysis`` style groups
    are expanded by the caller; the bare :data:`OTHER_PREFIX` stands for every free tag);
    years come from the case's sources.
    """

    regions: tuple[Region, ...] = ()
    levels: tuple[Level, ...] = ()
    etiology: tuple[str, ...] = ()
    diagnosis: tuple[str, ...] = ()
    sex: Sex | None = None
    age_min: float | None = None
    age_max: float | None = None
    year_min: int | None = None
    year_max: int | None = None
    source_ids: tuple[str, ...] = ()
    review_status: tuple[ReviewStatus, ...] = ()
    text: str | None = None

    def __post_init__(self) -> None:
        if self.age_min is not None and self.age_max is not None and self.age_min > self.age_max:
            raise ValueError(f"age range {self.age_min}-{self.age_max} is empty: the minimum exceeds the maximum")
        if self.year_min is not None and self.year_max is not None and self.year_min > self.year_max:
            raise ValueError(f"year range {self.year_min}-{self.year_max} is empty: the minimum exceeds the maximum")

    @property
    def is_empty(self) -> bool:
        return self == CaseFilter()

    def takes_tag(self, tag: str) -> bool:
        return tag in self.etiology or (OTHER_PREFIX in self.etiology and tag.startswith(OTHER_PREFIX))

    def matches(self, case: Case, sources: Mapping[str, Source] | None = None) -> bool:
        if self.regions and not set(case.regions) & set(self.regions):
            return False
        if self.levels and not set(case.levels) & set(self.levels):
            return False
        if self.etiology and not any(self.takes_tag(t) for t in case.etiology):
            return False
        if self.diagnosis and (case.diagnosis is None or case.diagnosis.key not in self.diagnosis):
            return False
        if self.sex is not None and case.sex is not self.sex:
            return False
        age = case.age_midpoint
        if self.age_min is not None and (age is None or age < self.age_min):
            return False
        if self.age_max is not None and (age is None or age > self.age_max):
            return False
        if self.source_ids and not set(case.source_ids) & set(self.source_ids):
            return False
        if self.review_status and case.review_status not in self.review_status:
            return False
        if self.year_min is not None or self.year_max is not None:
            years = [sources[s].year for s in case.source_ids if sources and s in sources and sources[s].year]
            if case.cites is not None and case.cites.year:
                years.append(case.cites.year)
            if not years:
                return False
            year = min(y for y in years if y is not None)
            if self.year_min is not None and year < self.year_min:
                return False
            if self.year_max is not None and year > self.year_max:
                return False
        if self.text:
            needle = self.text.lower()
            hay = " ".join(
                [case.id, case.label or "", *case.etiology, *case.imaging, *case.pathology,
                 *(f.label for f in case.findings), case.cites.first_author if case.cites else ""]
            ).lower()
            if needle not in hay:
                return False
        return True

"""Pooled statistics over a set of cases, counted from the data (no stated figures kept anywhere).

Counting conventions follow the review whose figures we reproduce: the region of a case
is the region of its first (most cranial) level; "surgical resection" is a treatment that
includes resection of the mass.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from calcispine.knowledge import load_vocabulary
from calcispine.model import Case, Sex, Source, all_levels

from ._crosstab import CrossTab, crosstab
from ._variables import REGIONS, etiology_category, has_group

#: Keys of the published summary, in the order reviews state them.
PUBLISHED_KEYS: tuple[str, ...] = (
    "cases", "male", "female", "mean_age_years", "age_range_years", "cervical", "thoracic", "lumbar",
    "no_particular_cause", "hyperphosphatemia", "secondary", "trauma_or_surgery", "dialysis_related",
    "osteoarthritis", "seronegative_spondyloarthropathy", "surgical_resection", "renal_transplantation",
)


@dataclass(frozen=True)
class CohortFinding:
    """A named comparison with its test, stated in one sentence."""

    key: str
    title: str
    table: CrossTab
    statement: str

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "title": self.title, "statement": self.statement, **self.table.to_dict()}


@dataclass(frozen=True)
class CohortSummary:
    cases: int
    male: int
    female: int
    sex_unknown: int
    ages: tuple[float, ...]
    region_counts: dict[str, int]
    region_unknown: int
    level_counts: dict[str, int]
    etiology_counts: dict[str, int]
    etiology_class_counts: dict[str, int]
    etiology_by_region: dict[str, dict[str, int]]
    no_particular_cause: int
    hyperphosphatemia: int
    secondary: int
    trauma_or_surgery: int
    dialysis_related: int
    osteoarthritis: int
    seronegative_spondyloarthropathy: int
    treatment_counts: dict[str, int]
    surgical: int
    surgical_resection: int
    renal_transplantation: int
    parathyroidectomy: int
    outcome_counts: dict[str, int]
    neuro_deficit: dict[str, int]
    diagnosis_counts: dict[str, int]
    source_count: int
    year_range: tuple[int, int] | None
    findings: tuple[CohortFinding, ...] = field(default=())

    @property
    def mean_age_years(self) -> float | None:
        return statistics.fmean(self.ages) if self.ages else None

    @property
    def median_age_years(self) -> float | None:
        return statistics.median(self.ages) if self.ages else None

    @property
    def age_range_years(self) -> tuple[float, float] | None:
        return (min(self.ages), max(self.ages)) if self.ages else None

    @property
    def cervical(self) -> int:
        return self.region_counts.get("cervical", 0)

    @property
    def thoracic(self) -> int:
        return self.region_counts.get("thoracic", 0)

    @property
    def lumbar(self) -> int:
        return self.region_counts.get("lumbar", 0)

    @property
    def sacral(self) -> int:
        return self.region_counts.get("sacral", 0)

    @property
    def pooled(self) -> str:
        """What the figures pool, in words: one diagnosis, or a labelled mix (``mixed: 33 tumoral calcinosis, 1 capnon``)."""
        return pooled_label(self.diagnosis_counts)

    @property
    def is_mixed(self) -> bool:
        """More than one stated diagnosis among the cases."""
        return len([k for k, n in self.diagnosis_counts.items() if n and k != NOT_STATED]) > 1

    def finding(self, key: str) -> CohortFinding:
        for f in self.findings:
            if f.key == key:
                return f
        raise KeyError(f"no finding {key!r}; have {', '.join(f.key for f in self.findings) or 'none'}")

    def published(self) -> dict[str, Any]:
        """The figures a review states, under the review's key names (mean age to one decimal)."""
        full = self.to_dict()
        return {k: full[k] for k in PUBLISHED_KEYS}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the published keys first, then everything else."""
        mean, median, rng = self.mean_age_years, self.median_age_years, self.age_range_years
        return {
            "cases": self.cases,
            "male": self.male,
            "female": self.female,
            "mean_age_years": round(mean, 1) if mean is not None else None,
            "age_range_years": [_num(rng[0]), _num(rng[1])] if rng else None,
            "cervical": self.cervical,
            "thoracic": self.thoracic,
            "lumbar": self.lumbar,
            "no_particular_cause": self.no_particular_cause,
            "hyperphosphatemia": self.hyperphosphatemia,
            "secondary": self.secondary,
            "trauma_or_surgery": self.trauma_or_surgery,
            "dialysis_related": self.dialysis_related,
            "osteoarthritis": self.osteoarthritis,
            "seronegative_spondyloarthropathy": self.seronegative_spondyloarthropathy,
            "surgical_resection": self.surgical_resection,
            "renal_transplantation": self.renal_transplantation,
            "sacral": self.sacral,
            "region_unknown": self.region_unknown,
            "sex_unknown": self.sex_unknown,
            "ages_known": len(self.ages),
            "median_age_years": round(median, 1) if median is not None else None,
            "parathyroidectomy": self.parathyroidectomy,
            "surgical": self.surgical,
            "level_counts": dict(self.level_counts),
            "etiology_counts": dict(self.etiology_counts),
            "etiology_class_counts": dict(self.etiology_class_counts),
            "etiology_by_region": {k: dict(v) for k, v in self.etiology_by_region.items()},
            "treatment_counts": dict(self.treatment_counts),
            "outcome_counts": dict(self.outcome_counts),
            "neuro_deficit": dict(self.neuro_deficit),
            "diagnosis_counts": dict(self.diagnosis_counts),
            "pooled": self.pooled,
            "source_count": self.source_count,
            "year_range": list(self.year_range) if self.year_range else None,
            "findings": {f.key: f.to_dict() for f in self.findings},
        }


NOT_STATED = "not stated"


def diagnosis_name(key: str) -> str:
    return key.replace("_", " ")


#: What pooled figures are about unless a diagnosis filter says otherwise.
POOLED_BY_DEFAULT = "tumoral_calcinosis"


def pool_by_default(cases: Iterable[Case], pool_all: str) -> tuple[list[Case], str | None]:
    """The cases pooled figures count when no diagnosis is asked for, and a note of the rest.

    Tumoral calcinosis is pooled, and cases whose sources state no diagnosis stay in (the summary
    labels them); cases stated to have another diagnosis (CAPNON, ...) are left out, and the note
    names them and ``pool_all``, how the caller's user pools every diagnosis.
    """
    kept: list[Case] = []
    left_out: Counter[str] = Counter()
    for c in cases:
        if c.diagnosis is None or c.diagnosis.key == POOLED_BY_DEFAULT:
            kept.append(c)
        else:
            left_out[c.diagnosis.key] += 1
    if not left_out:
        return kept, None
    listed = ", ".join(f"{n} {diagnosis_name(k)}" for k, n in sorted(left_out.items()))
    return kept, (f"Pooled: {diagnosis_name(POOLED_BY_DEFAULT)}; {left_out.total()} case(s) of another diagnosis "
                  f"left out ({listed}); {pool_all} pools every diagnosis.")


def pooled_label(diagnosis_counts: Mapping[str, int]) -> str:
    """``tumoral calcinosis`` when the cases share one diagnosis, else every diagnosis with its count.

    Cases whose source states no diagnosis are named as such beside the one diagnosis.
    """
    present = [(k, n) for k, n in diagnosis_counts.items() if n and k != NOT_STATED]
    unstated = diagnosis_counts.get(NOT_STATED, 0)
    if not present:
        return f"{unstated} case(s) with no stated diagnosis" if unstated else "no cases"
    if len(present) == 1:
        label = diagnosis_name(present[0][0])
    else:
        label = "mixed: " + ", ".join(f"{n} {diagnosis_name(k)}" for k, n in present)
    return f"{label} ({unstated} with no stated diagnosis)" if unstated else label


def _num(x: float) -> float | int:
    return int(x) if float(x).is_integer() else x


def _count_where(cases: list[Case], pred: Any) -> int:
    return sum(1 for c in cases if pred(c))


def dialysis_by_region(cases: Iterable[Case]) -> CohortFinding:
    """Are dialysis-related cases more often cervical than cases with no particular cause?"""
    table = crosstab(
        [c for c in cases if etiology_category(c) in ("dialysis", "none_reported")],
        "etiology", "cervical",
        row_levels=("dialysis", "none_reported"), col_levels=("cervical", "not cervical"),
    )
    d, np_ = table.proportion("dialysis", "cervical"), table.proportion("none_reported", "cervical")
    p = "not testable" if table.p_value is None else f"p = {table.p_value:.4f}"
    statement = (
        f"Dialysis-related cases sit at the cervical spine in {d.display()}; cases with no particular cause "
        f"in {np_.display()} ({p}, {table.test})."
    )
    return CohortFinding("dialysis_by_region", "Dialysis-related vs no particular cause: cervical or not", table, statement)


def summarise(cases: Iterable[Case], sources: Mapping[str, Source] | Iterable[Source] | None = None) -> CohortSummary:
    """Pooled figures over ``cases``; ``sources`` (by id) adds the publication-year range."""
    cases = list(cases)
    vocab = load_vocabulary()
    by_id: dict[str, Source] = {}
    if isinstance(sources, Mapping):
        by_id = dict(sources)
    elif sources is not None:
        by_id = {s.id: s for s in sources}

    ages = tuple(sorted(a for a in (c.age_midpoint for c in cases) if a is not None))
    regions = Counter(c.region.value for c in cases if c.region is not None)
    levels = {lv.name: _count_where(cases, lambda c, lv=lv: lv in c.levels) for lv in all_levels()}

    etiology = Counter(t for c in cases for t in dict.fromkeys(c.etiology))
    classes = Counter(vocab.etiology_class(c.etiology) or "unknown" for c in cases)
    by_region: dict[str, dict[str, int]] = {}
    for c in cases:
        cat = etiology_category(c) or "unknown"
        reg = c.region.value if c.region else "unknown"
        by_region.setdefault(cat, dict.fromkeys((*REGIONS, "unknown"), 0))[reg] += 1

    treatments = Counter(code for c in cases for code in dict.fromkeys(c.treatment_codes))
    surgical_codes = {k for k, v in vocab.treatment.items() if v.surgical}
    outcomes = Counter((c.outcome.status if c.outcome and c.outcome.status else "not reported") for c in cases)
    neuro = Counter({True: "deficit", False: "no deficit", None: "not reported"}[c.neuro_deficit] for c in cases)
    diagnoses = Counter(c.diagnosis.key if c.diagnosis else NOT_STATED for c in cases)

    years = [y for c in cases for y in _years(c, by_id)]
    findings = (dialysis_by_region(cases),)
    return CohortSummary(
        cases=len(cases),
        male=_count_where(cases, lambda c: c.sex is Sex.MALE),
        female=_count_where(cases, lambda c: c.sex is Sex.FEMALE),
        sex_unknown=_count_where(cases, lambda c: c.sex is Sex.UNKNOWN),
        ages=ages,
        region_counts={r: regions.get(r, 0) for r in REGIONS},
        region_unknown=_count_where(cases, lambda c: c.region is None),
        level_counts=levels,
        etiology_counts=dict(etiology.most_common()),
        etiology_class_counts=dict(classes.most_common()),
        etiology_by_region=by_region,
        no_particular_cause=etiology.get("none_reported", 0),
        hyperphosphatemia=etiology.get("hyperphosphatemia", 0),
        secondary=classes.get("secondary", 0),
        trauma_or_surgery=_count_where(cases, lambda c: has_group(c, "trauma_or_surgery")),
        dialysis_related=_count_where(cases, lambda c: has_group(c, "dialysis")),
        osteoarthritis=etiology.get("osteoarthritis", 0),
        seronegative_spondyloarthropathy=etiology.get("seronegative_spondyloarthropathy", 0),
        treatment_counts=dict(treatments.most_common()),
        surgical=_count_where(cases, lambda c: bool(set(c.treatment_codes) & surgical_codes)),
        surgical_resection=treatments.get("resection", 0),
        renal_transplantation=treatments.get("renal_transplant", 0),
        parathyroidectomy=treatments.get("parathyroidectomy", 0),
        outcome_counts=dict(outcomes.most_common()),
        neuro_deficit={k: neuro.get(k, 0) for k in ("deficit", "no deficit", "not reported")},
        diagnosis_counts=dict(diagnoses.most_common()),
        source_count=len({s for c in cases for s in c.source_ids}),
        year_range=(min(years), max(years)) if years else None,
        findings=findings,
    )


def _years(case: Case, sources: Mapping[str, Source]) -> list[int]:
    """Publication year of the cited report, else of the earliest source."""
    if case.cites is not None and case.cites.year:
        return [case.cites.year]
    ys = [sources[s].year for s in case.source_ids if s in sources and sources[s].year is not None]
    return [min(y for y in ys if y is not None)] if ys else []


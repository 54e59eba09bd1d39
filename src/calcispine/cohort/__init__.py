"""Evidence synthesis: pooled statistics, cross-tabulations and figures over any set of cases."""

from ._crosstab import CrossTab, Proportion, crosstab, fisher_test, wilson
from ._figures import (
    BUILDERS,
    figure_age_distribution,
    figure_data,
    figure_dialysis_finding,
    figure_etiology_by_region,
    figure_outcomes,
    figure_png,
    figure_spine_levels,
    figure_svg,
    figure_treatments,
)
from ._report import case_citation, render_report, write_report
from ._summary import (
    POOLED_BY_DEFAULT,
    PUBLISHED_KEYS,
    CohortFinding,
    CohortSummary,
    dialysis_by_region,
    pool_by_default,
    pooled_label,
    summarise,
)
from ._variables import ALL_DIAGNOSES, VARIABLES, diagnosis_filter, etiology_category, expand_etiology, known_diagnoses

__all__ = [
    "ALL_DIAGNOSES",
    "BUILDERS",
    "POOLED_BY_DEFAULT",
    "PUBLISHED_KEYS",
    "VARIABLES",
    "CohortFinding",
    "CohortSummary",
    "CrossTab",
    "Proportion",
    "crosstab",
    "dialysis_by_region",
    "etiology_category",
    "diagnosis_filter",
    "expand_etiology",
    "figure_age_distribution",
    "figure_data",
    "figure_dialysis_finding",
    "figure_etiology_by_region",
    "figure_outcomes",
    "figure_png",
    "figure_spine_levels",
    "figure_svg",
    "figure_treatments",
    "known_diagnoses",
    "case_citation",
    "fisher_test",
    "pool_by_default",
    "pooled_label",
    "render_report",
    "summarise",
    "wilson",
    "write_report",
]

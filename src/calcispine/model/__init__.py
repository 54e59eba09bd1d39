"""The domain model every part of calcispine shares: pure, imports nothing heavy."""

from ._case import (
    CASE_FIELDS,
    DOI_PATTERN,
    OUTCOME_STATUSES,
    Case,
    Conflict,
    Diagnosis,
    Evidence,
    Finding,
    LabFlag,
    Measurement,
    Outcome,
    OutcomeStatus,
    Provenance,
    ReviewStatus,
    Sex,
    Side,
    Source,
    SourceRef,
    Treatment,
)
from ._filter import OTHER_PREFIX, CaseFilter
from ._issues import DataIssue, IssueLevel, Notepad
from ._levels import (
    N_LEVELS,
    Level,
    LevelError,
    Region,
    all_levels,
    level_range,
    parse_levels,
    regions_of,
    render_levels,
)

__all__ = [
    "CASE_FIELDS", "DOI_PATTERN", "OTHER_PREFIX", "OUTCOME_STATUSES", "OutcomeStatus", "Case", "CaseFilter", "Conflict", "DataIssue", "Diagnosis", "Evidence", "Finding",
    "IssueLevel", "LabFlag", "Level", "LevelError", "Measurement", "N_LEVELS", "Notepad",
    "Outcome", "Provenance", "Region", "ReviewStatus", "Sex", "Side", "Source", "SourceRef",
    "Treatment", "all_levels", "level_range", "parse_levels", "regions_of", "render_levels",
]

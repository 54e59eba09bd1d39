"""The knowledge files extraction reads (extract_rules, context_rules, diagnoses), validated once at load.

They live with the other knowledge files so that the assessment, the cohort statistics and the
exchange formats read the diagnosis list and the ConText rules without going through extraction.
"""

from __future__ import annotations

import re
from functools import cached_property, lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from ._files import load_packaged

SectionKind = Literal[
    "front", "abstract", "background", "case", "discussion", "conclusion",
    "references", "legend", "table", "acknowledgements", "other",
]
ContextCategory = Literal["NEGATED_EXISTENCE", "HISTORICAL", "FAMILY", "HYPOTHETICAL", "POSSIBLE", "PSEUDO"]


def _compiles(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"pattern {pattern!r} is not a valid regular expression: {exc}") from exc
    return pattern


class _Entry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    cite: tuple[str, ...]

    @field_validator("cite")
    @classmethod
    def _cited(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        if not v:
            raise ValueError("every rule needs at least one citation")
        return v


class _PatternEntry(_Entry):
    pattern: str
    _ok = field_validator("pattern")(_compiles)


class Heading(_PatternEntry):
    kind: SectionKind
    # A part of the case narrative (History, Examination, Outcome ...): case kind unless it
    # falls under a Discussion, Conclusion or References heading, whose kind it then takes.
    part: bool = False
    # A one-word heading read only on a line of its own or before ':' / '.', never before a capital.
    line_only: bool = False


class Furniture(_PatternEntry):
    where: Literal["start", "search"]


class PhraseRule(_PatternEntry):
    hpo: str
    label: str | None = None
    # The phrase is not this finding in a sentence matching this (a mass 'MRI showed' is imaging).
    unless: str | None = None
    _ok_unless = field_validator("unless")(lambda v: v if v is None else _compiles(v))


class TagRule(_PatternEntry):
    tag: str
    implies: tuple[str, ...] = ()
    # The mention is not this tag when the text before it in the sentence matches (e.g. the
    # dialysis a patient is switched *to* is a treatment, not the cause).
    not_after: str | None = None
    _ok_not_after = field_validator("not_after")(lambda v: v if v is None else _compiles(v))


class CodeRule(_PatternEntry):
    """A treatment; ``code: other`` tags ``other:<name>`` (or ``other:<words matched>``)."""

    code: str
    name: str | None = None
    # The sentence must also match this (drugs count when given, not when a symptom 'eased after' them).
    requires: str | None = None
    # ... and must not match this (a collar worn after the operation is not conservative care).
    unless: str | None = None
    _ok_requires = field_validator("requires", "unless")(lambda v: v if v is None else _compiles(v))


class LevelAnatomy(_PatternEntry):
    """An anatomical name that fixes vertebral levels: the odontoid is C2, the atlas C1."""

    levels: str


class LabelRule(_PatternEntry):
    label: str


class StatusRule(_PatternEntry):
    status: str


class TermSet(_Entry):
    terms: tuple[str, ...]
    exclude: tuple[str, ...] = ()


def _cites(model: BaseModel) -> list[tuple[str, tuple[str, ...]]]:
    out: list[tuple[str, tuple[str, ...]]] = []
    for name, value in model:
        items = value if isinstance(value, tuple | list) else (value,)
        for item in items:
            if isinstance(item, _Entry):
                out.append((f"{name}: {getattr(item, 'pattern', getattr(item, 'terms', ''))}", item.cite))
    return out


class ExtractRules(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    version: str
    citations: dict[str, str]
    headings: tuple[Heading, ...]
    furniture: tuple[Furniture, ...]
    legend: str
    patient_anchors: tuple[_PatternEntry, ...]
    other_work: str
    generic: str
    narrative: str
    phrases: tuple[PhraseRule, ...]
    symptom_roots: TermSet
    neuro_roots: TermSet
    neuro_positive: str
    neuro_negative: str
    neuro_cite: tuple[str, ...]
    etiology: tuple[TagRule, ...]
    comorbidities: tuple[LabelRule, ...]
    treatments: tuple[CodeRule, ...]
    level_anatomy: tuple[LevelAnatomy, ...]
    level_not_lesion_before: str
    level_not_lesion_after: str
    discussion_anchor: str
    compartments: tuple[LabelRule, ...]
    side_anatomy: str
    side_limb: str
    imaging_cues: str
    pathology_cues: str
    outcome_cues: str
    outcome_status: tuple[StatusRule, ...]

    _ok = field_validator(
        "legend", "other_work", "generic", "narrative", "neuro_positive", "neuro_negative",
        "side_anatomy", "side_limb", "imaging_cues", "pathology_cues", "outcome_cues",
        "level_not_lesion_before", "level_not_lesion_after", "discussion_anchor",
    )(_compiles)

    @model_validator(mode="after")
    def _check(self) -> ExtractRules:
        cited = [*_cites(self), ("neuro", self.neuro_cite)]
        for owner, cites in cited:
            missing = [c for c in cites if c not in self.citations]
            if missing:
                raise ValueError(f"rule {owner!r} cites unknown {missing}")
        from calcispine.knowledge import load_vocabulary

        vocab = load_vocabulary()
        for t in self.treatments:
            if t.code != "other":
                vocab.check_treatment(t.code)
        for e in self.etiology:
            vocab.check_etiology(e.tag)
            for implied in e.implies:
                vocab.check_etiology(implied)
        from calcispine.model import LevelError, parse_levels

        for la in self.level_anatomy:
            try:
                parse_levels(la.levels)
            except LevelError as exc:
                raise ValueError(f"level_anatomy {la.pattern!r}: {exc}") from exc
        return self


class ContextTrigger(_Entry):
    phrase: str
    category: ContextCategory
    direction: Literal["forward", "backward", "bidirectional"]
    scope: int | None = None
    # names what the lesion was taken for ('mimicking', 'first treated as'): the assessment skips what it governs
    lookalike: bool = False


class ContextRules(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    version: str
    citations: dict[str, str]
    default_scope: int
    triggers: tuple[ContextTrigger, ...]
    terminations: tuple[str, ...]
    termination_cite: tuple[str, ...]

    @model_validator(mode="after")
    def _check(self) -> ContextRules:
        for t in self.triggers:
            missing = [c for c in t.cite if c not in self.citations]
            if missing:
                raise ValueError(f"context trigger {t.phrase!r} cites unknown {missing}")
        return self


class DiagnosisEntry(_Entry):
    label: str
    patterns: tuple[str, ...]
    abbreviations: tuple[str, ...] = ()
    mondo: str | None = None
    orpha: str | None = None
    omim: str | None = None
    # The entity a flat summary names it by (a subtype is reported as its entity: HFTC as tumoral calcinosis).
    reported_as: str | None = None

    @field_validator("patterns")
    @classmethod
    def _ok(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_compiles(p) for p in v)


class DiagnosisRules(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    version: str
    citations: dict[str, str]
    diagnoses: dict[str, DiagnosisEntry]

    @model_validator(mode="after")
    def _check(self) -> DiagnosisRules:
        for key, d in self.diagnoses.items():
            missing = [c for c in d.cite if c not in self.citations]
            if missing:
                raise ValueError(f"diagnosis {key!r} cites unknown {missing}")
            if d.reported_as is not None and d.reported_as not in self.diagnoses:
                raise ValueError(f"diagnosis {key!r} is reported as unknown entry {d.reported_as!r}")
        return self

    @cached_property
    def regex(self) -> re.Pattern[str]:
        parts = []
        for key, d in self.diagnoses.items():
            alts = "|".join(d.patterns)
            parts.append(f"(?P<{key}>{alts})")
        return re.compile(r"\b(?:" + "|".join(parts) + r")\b", re.IGNORECASE)


@lru_cache(maxsize=1)
def load_extract_rules() -> ExtractRules:
    return load_packaged("calcispine.knowledge", "extract_rules.yaml", ExtractRules)


@lru_cache(maxsize=1)
def load_context_rules() -> ContextRules:
    return load_packaged("calcispine.knowledge", "context_rules.yaml", ContextRules)


@lru_cache(maxsize=1)
def load_diagnoses() -> DiagnosisRules:
    return load_packaged("calcispine.knowledge", "diagnoses.yaml", DiagnosisRules)


def rule_versions() -> dict[str, str]:
    return {
        "extract_rules": load_extract_rules().version,
        "context_rules": load_context_rules().version,
        "diagnoses": load_diagnoses().version,
    }

"""The differential-diagnosis knowledge base (entities, features, frequencies), validated at load."""

from __future__ import annotations

import re
from collections.abc import Collection
from functools import cached_property, lru_cache
from importlib import resources
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Basis = Literal["reported", "verbal", "estimate", "registry"]
Source = Literal["history", "site", "imaging", "pathology"]
ALL_SOURCES: tuple[Source, ...] = ("history", "site", "imaging", "pathology")
_HPO_ID = re.compile(r"^HP:\d{7}$")


class Citation(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    citation: str
    pmid: str | None = None
    doi: str | None = None
    note: str | None = None

    @field_validator("pmid")
    @classmethod
    def _digits(cls, v: str | None) -> str | None:
        if v is not None and not v.isdigit():
            raise ValueError(f"PMID {v!r} must be digits only")
        return v

    @property
    def identified(self) -> bool:
        return bool(self.pmid or self.doi)

    def short(self) -> str:
        ident = f"PMID {self.pmid}" if self.pmid else (f"doi:{self.doi}" if self.doi else "no PMID/DOI")
        return f"{self.citation} [{ident}]"


class Feature(BaseModel):
    """Something a clinician can observe or exclude about the patient.

    ``given`` names a finding this one can only occur with (the dens is only involved when C1 is):
    when that finding is present, the score uses this one's frequency conditional on it, so the
    shared information is not counted twice. ``implies`` lists findings that are present whenever
    this one is (dialysis means chronic kidney disease), so they are never read as absent.
    ``veto`` patterns stop a phrase from showing this feature (T2 signal of the cord is not the
    lesion's); ``unless`` names features that, read from the same phrase, overrule this one
    ("hypointense on T1 and hyperintense on T2" is not a lesion dark on both). ``absent_phrases``
    show the feature absent without naming it (an extradural mass is not intradural); a plain
    mention of the feature still wins ("intradural and extradural"). ``hpo_exact`` matches only
    the listed HPO terms, not their descendants (a subcutaneous calcification is an ectopic
    calcification, but not the spinal lesion).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")
    label: str
    hpo: tuple[str, ...] = ()
    hpo_exact: bool = False
    group: str | None = None
    given: str | None = None
    implies: tuple[str, ...] = ()
    default_frequency: float = Field(gt=0.0, lt=1.0)
    phrases: tuple[str, ...] = ()
    veto: tuple[str, ...] = ()
    absent_phrases: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()
    sources: tuple[Source, ...] = ALL_SOURCES
    check: str | None = None
    cite: tuple[str, ...]
    note: str | None = None

    @field_validator("hpo")
    @classmethod
    def _hpo_ids(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        bad = [t for t in v if not _HPO_ID.match(t)]
        if bad:
            raise ValueError(f"not HPO ids: {bad}")
        return v

    @field_validator("phrases", "veto", "absent_phrases")
    @classmethod
    def _compiles(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for p in v:
            try:
                re.compile(p)
            except re.error as exc:
                raise ValueError(f"phrase pattern {p!r} is not a valid regular expression: {exc}") from exc
        return v

    @cached_property
    def patterns(self) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(p) for p in self.phrases)

    @cached_property
    def veto_patterns(self) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(p) for p in self.veto)

    @cached_property
    def absent_patterns(self) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(p) for p in self.absent_phrases)

    def matches_hpo(self, ancestors_or_self: frozenset[str], term: str) -> bool:
        """Whether an observed term (with its ancestors) shows this feature."""
        if self.hpo_exact:
            return term in self.hpo
        return any(h in ancestors_or_self for h in self.hpo)


class Frequency(BaseModel):
    """How often a feature occurs in one entity, and on what evidence."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)
    f: float = Field(gt=0.0, lt=1.0)
    b: Basis
    c: tuple[str, ...]
    note: str | None = None


class Prior(BaseModel):
    """Pre-test frequency class of an entity in the knowledge base's stated context, and how it was derived."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)
    frequency_class: str = Field(alias="class")
    basis: str = Field(min_length=1)
    c: tuple[str, ...]


class Presentation(BaseModel):
    """One clinical presentation of an entity, scored as its own candidate under the entity's name.

    Naive-Bayes products assume findings independent given the diagnosis; an entity with distinct
    presentations (crowned dens versus a ligamentum-flavum mass) breaks that, so each presentation
    gets its own frequencies (its ``features`` override the entity's) and a ``share`` of the
    entity's pre-test probability.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")
    label: str
    share: float = Field(gt=0.0, le=1.0)
    basis: str = Field(min_length=1)
    c: tuple[str, ...]
    features: dict[str, Frequency] = Field(default_factory=dict)


class Entity(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    label: str
    aliases: tuple[str, ...] = ()
    ids: dict[str, str | tuple[str, ...]] = Field(default_factory=dict)
    ids_cite: tuple[str, ...] = ()
    ids_note: str | None = None
    registry_estimated: bool = False
    registry_prior_strength: float | None = Field(default=None, ge=0.0)
    registry_prior_basis: str | None = None
    cite: tuple[str, ...]
    typical_age: str
    typical_sites: tuple[str, ...]
    prior: Prior
    features: dict[str, Frequency]
    presentations: dict[str, Presentation] = Field(default_factory=dict)
    registry_keep_literature: dict[str, str] = Field(default_factory=dict)

    def identifiers(self) -> tuple[str, ...]:
        out: list[str] = []
        for v in self.ids.values():
            out.extend([v] if isinstance(v, str) else v)
        return tuple(out)

    @property
    def primary_id(self) -> str | None:
        ids = self.identifiers()
        return ids[0] if ids else None


class KnowledgeBase(BaseModel):
    """Versioned differential knowledge; every frequency cites at least one identified source."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    version: str
    verbal_scale: dict[str, float]
    prior_strength: float = Field(ge=0.0)
    prior_context: str = Field(min_length=1)
    prior_classes: dict[str, float]
    sources: dict[str, Citation]
    features: dict[str, Feature]
    entities: dict[str, Entity]
    region_words: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    region_words_cite: tuple[str, ...] = ()

    @field_validator("region_words")
    @classmethod
    def _region_patterns(cls, v: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        for key, pats in v.items():
            for p in pats:
                try:
                    re.compile(p)
                except re.error as exc:
                    raise ValueError(f"region_words {key}: {p!r} is not a valid regular expression: {exc}") from exc
        return v

    @cached_property
    def region_patterns(self) -> tuple[tuple[str, re.Pattern[str]], ...]:
        """(region feature, pattern) in the file's order, cranial first."""
        return tuple((k, re.compile("|".join(f"(?:{p})" for p in pats), re.IGNORECASE))
                     for k, pats in self.region_words.items() if pats)

    @model_validator(mode="after")
    def _consistent(self) -> KnowledgeBase:
        problems: list[str] = []

        def cites(where: str, keys: tuple[str, ...], need_identified: bool) -> None:
            missing = [k for k in keys if k not in self.sources]
            if missing:
                problems.append(f"{where} cites unknown source(s) {missing}")
            elif need_identified and not any(self.sources[k].identified for k in keys):
                problems.append(f"{where} cites no source with a PMID or DOI ({', '.join(keys)})")
            if not keys:
                problems.append(f"{where} has no citation")

        for key, feat in self.features.items():
            cites(f"feature {key}", feat.cite, need_identified=False)
            if feat.given is not None and (feat.given not in self.features or feat.given == key):
                problems.append(f"feature {key}: given {feat.given!r} is not another feature")
            bad = [i for i in feat.implies if i not in self.features or i == key]
            if bad:
                problems.append(f"feature {key}: implies {bad}, which are not other features")
            bad = [i for i in feat.unless if i not in self.features or i == key]
            if bad:
                problems.append(f"feature {key}: unless {bad}, which are not other features")
        groups: dict[str, list[str]] = {}
        for key, feat in self.features.items():
            if feat.group:
                groups.setdefault(feat.group, []).append(key)
        bad_regions = [k for k in self.region_words if self.features.get(k) is None or self.features[k].group != "region"]
        if bad_regions:
            problems.append(f"region_words: {bad_regions} are not region features")
        if self.region_words:
            cites("region_words", self.region_words_cite, need_identified=False)
        if any(w <= 0 for w in self.prior_classes.values()):
            problems.append("prior_classes: every class weight must be positive")
        scale = sorted(set(self.verbal_scale.values()))

        def frequencies(where: str, table: dict[str, Frequency]) -> None:
            for fkey, fr in table.items():
                if fkey not in self.features:
                    problems.append(f"{where} lists unknown feature {fkey!r}")
                cites(f"{where} feature {fkey}", fr.c, need_identified=True)
                if fr.b == "verbal" and fr.f not in scale:
                    problems.append(f"{where} feature {fkey}: basis verbal but {fr.f:g} is not on verbal_scale "
                                    f"({', '.join(f'{v:g}' for v in scale)}); use the step or basis estimate")

        for ekey, ent in self.entities.items():
            cites(f"entity {ekey}", ent.cite, need_identified=True)
            cites(f"entity {ekey} prior", ent.prior.c, need_identified=True)
            if ent.prior.frequency_class not in self.prior_classes:
                problems.append(f"entity {ekey}: prior class {ent.prior.frequency_class!r} is not one of "
                                f"{', '.join(self.prior_classes)}")
            for fkey in ent.registry_keep_literature:
                if fkey not in self.features:
                    problems.append(f"entity {ekey}: registry_keep_literature names unknown feature {fkey!r}")
            if ent.ids:
                cites(f"entity {ekey} identifiers", ent.ids_cite, need_identified=False)
            frequencies(f"entity {ekey}", ent.features)
            if ent.registry_prior_strength is not None and not ent.registry_prior_basis:
                problems.append(f"entity {ekey}: registry_prior_strength needs a registry_prior_basis saying why")
            if ent.presentations:
                if ent.registry_estimated:
                    problems.append(f"entity {ekey}: registry estimates are not supported for an entity with "
                                    "presentations")
                total_share = sum(p.share for p in ent.presentations.values())
                if not 0.99 <= total_share <= 1.01:
                    problems.append(f"entity {ekey}: presentation shares sum to {total_share:.2f}, not 1")
            for pkey, pres in ent.presentations.items():
                cites(f"entity {ekey} presentation {pkey}", pres.c, need_identified=True)
                frequencies(f"entity {ekey} presentation {pkey}", pres.features)
            if problems:
                continue
            keys: tuple[str | None, ...] = tuple(ent.presentations) or (None,)
            for unit in keys:
                where = f"entity {ekey}" + (f" presentation {unit}" if unit else "")
                for fkey, feat in self.features.items():  # listed figures only; defaults are clamped
                    if feat.given is not None and self.entry(ekey, fkey, unit) is not None and \
                            self.frequency(ekey, fkey, unit) > self.frequency(ekey, feat.given, unit) + 1e-9:
                        problems.append(f"{where}: {fkey} ({self.frequency(ekey, fkey, unit):g}) is more frequent "
                                        f"than {feat.given} ({self.frequency(ekey, feat.given, unit):g}), which it "
                                        "cannot occur without")
                for gname, members in groups.items():
                    own = dict(ent.features)
                    if unit:
                        own.update(ent.presentations[unit].features)
                    if any(m in own for m in members):
                        total = sum(self.frequency(ekey, m, unit) for m in members)
                        if not 0.9 <= total <= 1.1:
                            problems.append(f"{where}: {gname} frequencies sum to {total:.2f}, not about 1")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def prior_weight(self, entity: str) -> float:
        return self.prior_classes[self.entities[entity].prior.frequency_class]

    def prior_strength_of(self, entity: str) -> float:
        """How many cases the literature figures of a registry-estimated entity count for."""
        own = self.entities[entity].registry_prior_strength
        return self.prior_strength if own is None else own

    def conditional_frequency(self, entity: str, feature: str, presentation: str | None,
                              present: Collection[str]) -> float:
        """Frequency of ``feature`` given the findings present: conditional on its ``given`` when that is present."""
        f = self.frequency(entity, feature, presentation)
        given = self.features[feature].given
        if given is not None and given in present:
            g = self.frequency(entity, given, presentation)
            return min(f / g, 0.995) if g > 0 else f
        return f

    def entry(self, entity: str, feature: str, presentation: str | None = None) -> Frequency | None:
        """The listed frequency (the presentation's over the entity's), or None for the feature default."""
        ent = self.entities[entity]
        if presentation is not None:
            fr = ent.presentations[presentation].features.get(feature)
            if fr is not None:
                return fr
        return ent.features.get(feature)

    def frequency(self, entity: str, feature: str, presentation: str | None = None) -> float:
        """Frequency of ``feature`` in one presentation, or (``presentation=None``) in the entity as a whole.

        For an entity with presentations the whole-entity figure is the share-weighted mixture.
        """
        ent = self.entities[entity]
        if presentation is None and ent.presentations:
            return sum(p.share * self.frequency(entity, feature, k) for k, p in ent.presentations.items())
        fr = self.entry(entity, feature, presentation)
        return fr.f if fr is not None else self.features[feature].default_frequency

    @cached_property
    def units(self) -> tuple[tuple[str, str | None], ...]:
        """The scored candidates: (entity, presentation) pairs, presentation None for a single-form entity."""
        out: list[tuple[str, str | None]] = []
        for key in sorted(self.entities):
            ent = self.entities[key]
            out.extend([(key, p) for p in sorted(ent.presentations)] or [(key, None)])
        return tuple(out)

    def unit_label(self, entity: str, presentation: str | None) -> str:
        ent = self.entities[entity]
        return ent.presentations[presentation].label if presentation is not None else ent.label

    def share(self, entity: str, presentation: str | None) -> float:
        return self.entities[entity].presentations[presentation].share if presentation is not None else 1.0

    @cached_property
    def groups(self) -> dict[str, tuple[str, ...]]:
        out: dict[str, list[str]] = {}
        for key, feat in self.features.items():
            if feat.group:
                out.setdefault(feat.group, []).append(key)
        return {g: tuple(v) for g, v in out.items()}

    def entity_for(self, text: str) -> str | None:
        """The entity whose key, label or alias names ``text`` (case-insensitive), longest alias first."""
        t = text.strip().lower()
        if t in self.entities:
            return t
        best: tuple[int, str] | None = None
        for key, ent in self.entities.items():
            for alias in (ent.label.lower(), *[a.lower() for a in ent.aliases]):
                if (alias == t or alias in t) and (best is None or len(alias) > best[0]):
                    best = (len(alias), key)
        return best[1] if best else None

    def with_frequencies(self, entity: str, updates: dict[str, Frequency]) -> KnowledgeBase:
        """A copy with some of one entity's frequencies replaced (used for registry estimates)."""
        ent = self.entities[entity]
        feats = {**ent.features, **updates}
        new_ent = ent.model_copy(update={"features": feats})
        return self.model_copy(update={"entities": {**self.entities, entity: new_ent}})


def parse_knowledge(text: str, name: str = "differential.yaml") -> KnowledgeBase:
    try:
        return KnowledgeBase.model_validate(yaml.safe_load(text))
    except Exception as exc:
        raise ValueError(f"knowledge file {name} is invalid: {exc}") from exc


@lru_cache(maxsize=1)
def load_differential() -> KnowledgeBase:
    text = resources.files("calcispine.knowledge").joinpath("differential.yaml").read_text(encoding="utf-8")
    return parse_knowledge(text, "calcispine/knowledge/differential.yaml")

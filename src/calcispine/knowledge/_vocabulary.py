"""Tag vocabularies (etiology, treatment) loaded from versioned YAML and validated once."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, model_validator

from calcispine.model import OTHER_PREFIX

from ._files import load_packaged

EtiologyClass = Literal["primary_normophosphatemic", "primary_hyperphosphatemic", "secondary"]
BoulmanCategory = Literal["metastatic", "tumoral", "dystrophic", "calciphylaxis", "idiopathic"]


class EtiologyTag(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    label: str
    cls: EtiologyClass
    boulman: BoulmanCategory
    group: str | None = None
    #: Something done to the patient (dialysis, an operation), not a condition they have.
    action: bool = False
    cite: tuple[str, ...]


class TreatmentCode(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    label: str
    surgical: bool
    #: Done on the spine itself: the lesion's site is its body site.
    spinal: bool = False
    maxo: str | None = None
    maxo_label: str | None = None
    cite: tuple[str, ...]


class Vocabulary(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    version: str
    citations: dict[str, str]
    etiology: dict[str, EtiologyTag]
    other_class: EtiologyClass
    treatment: dict[str, TreatmentCode]

    @model_validator(mode="before")
    @classmethod
    def _rename_class(cls, data: dict) -> dict:
        for tag in data.get("etiology", {}).values():
            if isinstance(tag, dict) and "class" in tag:
                tag["cls"] = tag.pop("class")
        return data

    @model_validator(mode="after")
    def _citations_exist(self) -> Vocabulary:
        for section in (self.etiology, self.treatment):
            for key, entry in section.items():
                missing = [c for c in entry.cite if c not in self.citations]
                if missing:
                    raise ValueError(f"vocabulary entry {key!r} cites unknown {missing}")
        return self

    def check_etiology(self, tag: str) -> str:
        """Return the tag if known (or other:<text>), else raise naming the accepted ones."""
        if tag in self.etiology or (tag.startswith(OTHER_PREFIX) and len(tag) > len(OTHER_PREFIX)):
            return tag
        raise ValueError(f"unknown etiology tag {tag!r}; accepted: {', '.join(self.etiology)} or other:<text>")

    def check_treatment(self, code: str) -> str:
        if code in self.treatment or (code.startswith(OTHER_PREFIX) and len(code) > len(OTHER_PREFIX)):
            return code
        raise ValueError(f"unknown treatment code {code!r}; accepted: {', '.join(self.treatment)} or other:<text>")

    def etiology_class(self, tags: tuple[str, ...] | list[str]) -> EtiologyClass | None:
        """Smack's class of a tag set: any secondary cause wins, then hyperphosphatemia."""
        if not tags:
            return None
        classes = {self.etiology[t].cls if t in self.etiology else self.other_class for t in tags}
        for c in ("secondary", "primary_hyperphosphatemic", "primary_normophosphatemic"):
            if c in classes:
                return c
        return None


@lru_cache(maxsize=1)
def load_vocabulary() -> Vocabulary:
    return load_packaged("calcispine.knowledge", "vocabulary.yaml", Vocabulary)

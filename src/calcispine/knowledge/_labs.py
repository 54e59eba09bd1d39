"""Lab analytes: names, LOINC codes, unit conversion, reference flags, calcium-phosphate product.

Everything numeric lives in ``labs.yaml`` (versioned, cited); this module only validates it
once and answers questions about it. Reports write units loosely (mg/dl, µmol/L, μmol/l,
x10^9/L), so unit and analyte names are matched after a lenient normalisation.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from calcispine.model import Evidence, LabFlag, Measurement

from ._files import load_packaged


class UnknownAnalyteError(LookupError):
    """An analyte name that no entry of labs.yaml knows."""


class UnknownUnitError(ValueError):
    """A unit the analyte cannot be measured in (or a typing error)."""


class ImpossibleValueError(ValueError):
    """A negative value, or one no living patient has."""


def normalise_unit(text: str) -> str:
    """Lenient form of a unit for matching: case, micro signs, spaces and powers unified.

    >>> normalise_unit("µmol/L") == normalise_unit("umol/l") == normalise_unit("μmol / L")
    True
    >>> normalise_unit("x 10*9/L") == normalise_unit("10^9/l")
    True
    """
    t = text.strip().lower()
    t = t.replace("µ", "u").replace("μ", "u").replace("mcg", "ug").replace("mcmol", "umol")
    t = t.replace("×", "x").replace("**", "^").replace("*", "^").replace("³", "3").replace("²", "2")
    t = re.sub(r"\s+", "", t)
    t = re.sub(r"litres?|liters?", "l", t)
    t = re.sub(r"(?<=10)e(?=\d)", "^", t)
    t = re.sub(r"^x(?=10)", "", t)
    t = t.replace("/hours", "/h").replace("/hour", "/h").replace("/hr", "/h")
    return t


def normalise_name(text: str) -> str:
    """Lenient form of an analyte name: lower case, punctuation and dashes to single spaces."""
    t = text.strip().lower().replace("µ", "u").replace("μ", "u")
    t = re.sub(r"[^0-9a-z]+", " ", t)
    return t.strip()


_PREFIXES = ("serum ", "plasma ", "blood ", "s ", "p ", "total ")


def _factor(raw: float | int | str) -> float:
    if isinstance(raw, int | float):
        return float(raw)
    m = re.fullmatch(r"\s*([0-9.]+)\s*/\s*([0-9.]+)\s*", raw)
    if not m:
        raise ValueError(f"conversion factor {raw!r} is neither a number nor 'a/b'")
    return float(m.group(1)) / float(m.group(2))


class ReferenceInterval(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    low: float
    high: float
    unit: str
    cite: tuple[str, ...]

    @model_validator(mode="after")
    def _ordered(self) -> ReferenceInterval:
        if not 0 <= self.low <= self.high:
            raise ValueError(f"reference interval {self.low}-{self.high} {self.unit} is not ordered")
        return self


class PossibleRange(BaseModel):
    """Plausibility bounds in the canonical unit."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    max: float
    min: float = 0.0
    cite: tuple[str, ...]


class Analyte(BaseModel):
    """One serum analyte with its names, codes, units and reference interval.

    A test reported only as positive/negative or normal (an antibody, a culture, a blood count
    panel) has no canonical unit, no units and no reference interval.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")
    key: str
    label: str
    synonyms: tuple[str, ...]
    loinc: str | None
    loinc_label: str | None
    # Why an analyte has no LOINC code (none verified); required when loinc is null.
    loinc_note: str | None = None
    canonical_unit: str | None
    units: dict[str, float] = Field(default_factory=dict)
    reference: ReferenceInterval | None
    possible: PossibleRange | None = None
    cite: tuple[str, ...]
    slight_margin: float = 0.1
    _unit_index: dict[str, str] = PrivateAttr(default_factory=dict)

    @field_validator("units", mode="before")
    @classmethod
    def _parse_factors(cls, raw: dict[str, Any]) -> dict[str, float]:
        return {str(u): _factor(f) for u, f in raw.items()}

    @field_validator("loinc")
    @classmethod
    def _loinc_form(cls, code: str | None) -> str | None:
        if code is not None and not re.fullmatch(r"\d{1,6}-\d", code):
            raise ValueError(f"{code!r} is not a LOINC code of the form 12345-6")
        return code

    @property
    def qualitative(self) -> bool:
        """Reported as a result (positive, negative, normal), never as a number."""
        return self.canonical_unit is None

    @model_validator(mode="after")
    def _consistent(self) -> Analyte:
        if self.loinc is None and not self.loinc_note:
            raise ValueError(f"{self.key}: give a LOINC code, or a loinc_note saying why there is none")
        if self.canonical_unit is None:
            if self.units or self.reference is not None or self.possible is not None:
                raise ValueError(f"{self.key}: a test without a canonical unit takes no units, reference or bounds")
            return self
        if self.possible is None:
            raise ValueError(f"{self.key}: a measured analyte needs plausibility bounds ('possible')")
        if self.units.get(self.canonical_unit) != 1.0:
            raise ValueError(f"{self.key}: canonical unit {self.canonical_unit!r} must be listed with factor 1")
        for unit, factor in self.units.items():
            if not (factor > 0 and math.isfinite(factor)):
                raise ValueError(f"{self.key}: factor {factor} for {unit!r} must be positive")
            norm = normalise_unit(unit)
            if norm in self._unit_index and self.units[self._unit_index[norm]] != factor:
                raise ValueError(f"{self.key}: units {unit!r} and {self._unit_index[norm]!r} read alike but differ")
            self._unit_index.setdefault(norm, unit)
        if self.reference is not None and normalise_unit(self.reference.unit) not in self._unit_index:
            raise ValueError(f"{self.key}: reference unit {self.reference.unit!r} is not an accepted unit")
        return self

    @property
    def accepted_units(self) -> tuple[str, ...]:
        return tuple(self.units)

    def unit(self, text: str) -> str:
        """The accepted spelling of a unit as written in a report; unknown -> error listing the accepted ones."""
        found = self._unit_index.get(normalise_unit(text)) if text else None
        if found is None:
            raise UnknownUnitError(
                f"unit {text!r} is not accepted for {self.label}; accepted: {', '.join(self.accepted_units)}"
            )
        return found

    def _check(self, value: float, unit: str) -> float:
        """Canonical value after checking it is possible."""
        if not isinstance(value, int | float) or math.isnan(value) or math.isinf(value):
            raise ImpossibleValueError(f"{self.label}: {value!r} {unit} is not a number")
        if value < 0:
            raise ImpossibleValueError(f"{self.label}: {value:g} {unit} is negative, which no concentration can be")
        canonical = value * self.units[self.unit(unit)]
        if self.possible is None:
            raise ValueError(f"{self.label} is reported as a result such as positive or normal, not as a number")
        slack = 1e-9 * max(abs(self.possible.max), 1.0)  # a bound reached through a conversion factor
        if not self.possible.min - slack <= canonical <= self.possible.max + slack:
            raise ImpossibleValueError(
                f"{self.label}: {value:g} {unit} ({canonical:g} {self.canonical_unit}) is outside what a patient can have "
                f"({self.possible.min:g}-{self.possible.max:g} {self.canonical_unit}); check the value and the unit"
            )
        return canonical

    def convert(self, value: float, from_unit: str, to_unit: str) -> float:
        """``value`` in ``from_unit`` expressed in ``to_unit``.

        >>> round(load_labs().analyte("Ca").convert(2.5, "mmol/L", "mg/dL"), 3)
        10.02
        """
        canonical = self._check(value, from_unit)
        return canonical / self.units[self.unit(to_unit)]

    def normalise(self, value: float, unit: str) -> tuple[float, str]:
        """The value in the canonical unit (idempotent)."""
        if self.canonical_unit is None:
            raise ValueError(f"{self.label} is reported as a result such as positive or normal, not as a number")
        return self._check(value, unit), self.canonical_unit

    def reference_canonical(self) -> tuple[float, float] | None:
        if self.reference is None:
            return None
        f = self.units[self.unit(self.reference.unit)]
        return self.reference.low * f, self.reference.high * f

    def flag(self, value: float, unit: str) -> LabFlag:
        """Normal, (slightly) increased or (slightly) decreased against the adult reference interval."""
        canonical = self._check(value, unit)
        ref = self.reference_canonical()
        if ref is None:
            raise LookupError(f"no reference interval is recorded for {self.label}; give the flag the report states")
        low, high = ref
        if canonical > high:
            return LabFlag.SLIGHTLY_INCREASED if canonical <= high * (1 + self.slight_margin) else LabFlag.INCREASED
        if canonical < low:
            return LabFlag.SLIGHTLY_DECREASED if canonical >= low * (1 - self.slight_margin) else LabFlag.DECREASED
        return LabFlag.NORMAL


class CaPThreshold(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    key: str
    value: float
    meaning: str
    cite: tuple[str, ...]


class CaPProduct(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    unit: str
    thresholds: tuple[CaPThreshold, ...]


class LabKnowledge(BaseModel):
    """The validated contents of labs.yaml."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    version: str
    citations: dict[str, str]
    slight_margin: float = Field(ge=0, lt=1)
    slight_margin_cite: tuple[str, ...]
    analytes: dict[str, Analyte]
    flag_words: dict[str, LabFlag]
    calcium_phosphate_product: CaPProduct
    _names: dict[str, str] = PrivateAttr(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _fill_keys(cls, data: dict[str, Any]) -> dict[str, Any]:
        margin = data.get("slight_margin", 0.1)
        for key, entry in data.get("analytes", {}).items():
            if isinstance(entry, dict):
                entry.setdefault("key", key)
                entry.setdefault("slight_margin", margin)
        return data

    @model_validator(mode="after")
    def _index(self) -> LabKnowledge:
        cited: list[tuple[str, tuple[str, ...]]] = [("slight_margin", self.slight_margin_cite)]
        for key, a in self.analytes.items():
            cited.append((key, a.cite))
            if a.possible is not None:
                cited.append((key, a.possible.cite))
            if a.reference is not None:
                cited.append((key, a.reference.cite))
            for name in (key, a.label, *a.synonyms):
                norm = normalise_name(name)
                other = self._names.get(norm)
                if other is not None and other != key:
                    raise ValueError(f"analyte name {name!r} is claimed by both {other!r} and {key!r}")
                self._names[norm] = key
        cited += [(t.key, t.cite) for t in self.calcium_phosphate_product.thresholds]
        for owner, cites in cited:
            if not cites:
                raise ValueError(f"lab entry {owner!r} has no citation")
            missing = [c for c in cites if c not in self.citations]
            if missing:
                raise ValueError(f"lab entry {owner!r} cites unknown {missing}")
        return self

    def analyte(self, name: str) -> Analyte:
        """Look an analyte up by key, label or synonym (BUN, iPTH, phosphorus, Ca, ...)."""
        norm = normalise_name(name or "")
        key = self._names.get(norm)
        if key is None:
            for prefix in _PREFIXES:
                if norm.startswith(prefix) and norm[len(prefix):] in self._names:
                    key = self._names[norm[len(prefix):]]
                    break
        if key is None:
            raise UnknownAnalyteError(f"unknown analyte {name!r}; known: {', '.join(self.analytes)}")
        return self.analytes[key]

    def knows(self, name: str) -> bool:
        try:
            self.analyte(name)
        except LookupError:
            return False
        return True

    def parse_flag(self, text: str | LabFlag) -> LabFlag:
        """A flag as reports write it ("raised", "within normal limits", "mildly elevated")."""
        if isinstance(text, LabFlag):
            return text
        norm = normalise_name(text)
        for candidate in (norm, norm.replace(" ", "_")):
            try:
                return LabFlag(candidate.replace("_", " "))
            except ValueError:
                pass
        if norm in self.flag_words:
            return self.flag_words[norm]
        raise ValueError(f"lab flag {text!r} is not one of {', '.join(f.value for f in LabFlag)} or a known synonym")

    def measurement(
        self,
        analyte: str,
        value: float | None = None,
        unit: str | None = None,
        flag: LabFlag | str | None = None,
        evidence: Evidence | None = None,
        result: str | None = None,
    ) -> Measurement:
        """A model Measurement with analyte key, LOINC, normalised value and a flag.

        A stated flag wins over the computed one (the report's laboratory knows its own range).
        ``result`` is a result in words (a titre, an organism grown), with or without a flag.
        """
        a = self.analyte(analyte)
        stated = self.parse_flag(flag) if flag is not None else None
        if value is None:
            if stated is None and not result:
                raise ValueError(f"measurement of {a.label}: give a value with a unit, or a flag such as 'increased'")
            return Measurement(analyte=a.key, flag=stated, loinc=a.loinc, evidence=evidence, result=result or None)
        if a.qualitative:
            raise ValueError(f"{a.label} is reported as a result such as positive, negative or normal, not as {value:g}")
        if unit is None:
            if value < 0:
                raise ImpossibleValueError(f"{a.label}: {value:g} is negative, which no concentration can be")
            return Measurement(analyte=a.key, value=float(value), flag=stated, loinc=a.loinc, evidence=evidence)
        written = a.unit(unit)
        normalised, canonical_unit = a.normalise(value, written)
        computed = a.flag(value, written) if a.reference is not None else None
        return Measurement(
            analyte=a.key,
            value=float(value),
            unit=written,
            normalised_value=normalised,
            normalised_unit=canonical_unit,
            flag=stated or computed,
            loinc=a.loinc,
            evidence=evidence,
        )

    @property
    def caxp_thresholds(self) -> tuple[CaPThreshold, ...]:
        return self.calcium_phosphate_product.thresholds

    def calcium_phosphate_product_of(self, ca_value: float, ca_unit: str, p_value: float, p_unit: str) -> float:
        """Total calcium x phosphate, both in mg/dL, in mg2/dL2."""
        ca = self.analytes["calcium"].convert(ca_value, ca_unit, "mg/dL")
        p = self.analytes["phosphate"].convert(p_value, p_unit, "mg/dL")
        return ca * p

    def caxp_exceeded(self, product: float) -> tuple[CaPThreshold, ...]:
        """The thresholds a calcium-phosphate product (mg2/dL2) is above."""
        return tuple(t for t in self.caxp_thresholds if product > t.value)


@lru_cache(maxsize=1)
def load_labs() -> LabKnowledge:
    """The packaged lab knowledge, validated once."""
    return load_packaged("calcispine.knowledge", "labs.yaml", LabKnowledge)


def calcium_phosphate_product(ca_value: float, ca_unit: str, p_value: float, p_unit: str) -> float:
    """Calcium x phosphate product in mg2/dL2 (K/DOQI 2003 target < 55; 70 commonly taken as metastatic risk).

    >>> round(calcium_phosphate_product(8.1, "mg/dL", 6.7, "mg/dL"), 2)
    54.27
    >>> round(calcium_phosphate_product(2.5, "mmol/L", 2.0, "mmol/L"), 1)
    62.1
    """
    return load_labs().calcium_phosphate_product_of(ca_value, ca_unit, p_value, p_unit)

"""Versioned knowledge files (vocabularies, differential features, management rules, extraction and
ConText rules, the diagnosis list), validated at load."""

from ._differential import Citation, Entity, Feature, Frequency, KnowledgeBase, load_differential, parse_knowledge
from ._extraction import (
    ContextRules,
    SectionKind,
    load_context_rules,
    load_diagnoses,
    load_extract_rules,
    rule_versions,
)
from ._files import load_packaged
from ._labs import (
    Analyte,
    CaPThreshold,
    ImpossibleValueError,
    LabKnowledge,
    ReferenceInterval,
    UnknownAnalyteError,
    UnknownUnitError,
    calcium_phosphate_product,
    load_labs,
    normalise_unit,
)
from ._management import ManagementKnowledge, Option, load_management
from ._vocabulary import OTHER_PREFIX, EtiologyTag, TreatmentCode, Vocabulary, load_vocabulary

__all__ = [
    "OTHER_PREFIX", "Analyte", "CaPThreshold", "ContextRules", "SectionKind", "EtiologyTag", "ImpossibleValueError", "LabKnowledge",
    "ReferenceInterval", "TreatmentCode", "UnknownAnalyteError", "UnknownUnitError", "Vocabulary",
    "calcium_phosphate_product", "load_labs", "load_vocabulary", "normalise_unit",
    "Citation", "Entity", "Feature", "Frequency", "KnowledgeBase", "ManagementKnowledge", "Option",
    "load_context_rules", "load_diagnoses", "load_differential", "load_extract_rules", "load_management",
    "load_packaged", "parse_knowledge", "rule_versions",
]

"""Assess a new patient: explained differential, next checks, TC etiology, labs, management, similar cases."""

from ._api import Assessment, Assessor, ManagementOption, assess, default_assessor, informative_findings
from ._estimates import EstimatedEntry, estimate_from_registry
from ._etiology import EtiologyAssessment, LabInterpretation
from ._evidence import Evidence, LabReading, derive_evidence
from ._input import (
    AssessInputError,
    LabInput,
    PatientInput,
    blank_diagnosis_names,
    diagnosis_names,
    patient_from_case,
    patient_from_mapping,
    patient_from_phenopacket,
    patient_from_yaml,
    read_patient,
    suggest_labels,
)
from ._next import NextCheck, next_checks
from ._ontology import OntologyView, default_ontology
from ._render import to_markdown
from ._scoring import Candidate, FindingLR, pretest_probabilities, score
from ._similar import CaseProfile, SimilarCase, SimilarityIndex

__all__ = [
    "AssessInputError", "Assessment", "Assessor", "Candidate", "CaseProfile", "EstimatedEntry", "EtiologyAssessment",
    "Evidence", "FindingLR", "LabInput", "LabInterpretation", "LabReading", "ManagementOption", "NextCheck",
    "OntologyView", "PatientInput", "SimilarCase", "SimilarityIndex", "assess", "blank_diagnosis_names", "default_assessor",
    "default_ontology", "derive_evidence", "diagnosis_names", "estimate_from_registry", "informative_findings", "next_checks", "patient_from_case",
    "patient_from_mapping", "patient_from_phenopacket", "patient_from_yaml", "pretest_probabilities",
    "read_patient", "score", "suggest_labels", "to_markdown",
]

"""assess(): one patient in, an explained differential, etiology, labs, checks, management and similar cases out."""

from __future__ import annotations

import gc
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

from calcispine.knowledge import LabKnowledge, Vocabulary, load_context_rules, load_labs, load_vocabulary
from calcispine.knowledge._differential import KnowledgeBase, load_differential
from calcispine.knowledge._management import ManagementKnowledge, load_management
from calcispine.model import Case

from ._estimates import EstimatedEntry, entity_of_case, estimate_from_registry
from ._etiology import EtiologyAssessment, LabInterpretation, assess_etiology, interpret_labs
from ._evidence import NOT_IN_HISTORY, Evidence, derive_evidence
from ._input import PatientInput, patient_from_case
from ._next import NextCheck, next_checks
from ._ontology import OntologyView, default_ontology
from ._scoring import Candidate, pretest_probabilities, score
from ._similar import CaseProfile, SimilarCase, SimilarityIndex, case_outcome, profile_terms, term_label, term_weight

TC = "tumoral_calcinosis"
UNCERTAIN_BELOW = 0.9


@dataclass(frozen=True)
class ManagementOption:
    key: str
    label: str
    status: str  # indicated | not indicated | unknown
    reason: str
    rationale: str
    citations: tuple[str, ...]
    registry_patients: int
    registry_outcomes: tuple[str, ...]


@dataclass(frozen=True)
class Assessment:
    patient_id: str | None
    differential: tuple[Candidate, ...]
    evidence: Evidence
    next_checks: tuple[NextCheck, ...]
    etiology: EtiologyAssessment
    labs: LabInterpretation
    management: tuple[ManagementOption, ...]
    similar_cases: tuple[SimilarCase, ...]
    registry_estimates: tuple[EstimatedEntry, ...]
    versions: dict[str, str] = field(default_factory=dict)
    citations: dict[str, str] = field(default_factory=dict)
    caution: str | None = None
    finding_labels: dict[str, str] = field(default_factory=dict)

    @property
    def top(self) -> Candidate:
        return self.differential[0]

    def rank_of(self, entity: str) -> int:
        """Rank of the entity's best-placed candidate (an entity with presentations has several)."""
        for i, c in enumerate(self.differential, 1):
            if c.entity == entity:
                return i
        raise KeyError(entity)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: differential in rank order as {diagnosis, id, probability, explanation}."""
        return {
            "patient_id": self.patient_id,
            "differential": [
                {
                    "diagnosis": c.label, "key": c.entity, "presentation": c.presentation,
                    "id": c.id, "identifiers": list(c.identifiers),
                    "probability": round(c.probability, 6), "pretest": round(c.pretest, 6),
                    "explanation": [
                        {"feature": x.feature, "label": x.label, "status": "present" if x.present else "excluded",
                         "lr": round(x.lr, 4), "lr_vs_others": round(x.lr_vs_others, 4),
                         "frequency": round(x.frequency, 4), "background": round(x.background, 4),
                         "basis": x.basis, "note": x.note, "matched_by": list(x.matched_by),
                         "citations": [self.citations.get(k, k) for k in x.cites]}
                        for x in c.explanation
                    ],
                }
                for c in self.differential
            ],
            "caution": self.caution,
            "findings": {"present": {k: list(v) for k, v in self.evidence.present.items()},
                         "absent": {k: list(v) for k, v in self.evidence.absent.items()},
                         "labels": dict(self.finding_labels),
                         "notes": list(self.evidence.notes)},
            "etiology": asdict(self.etiology),
            "labs": {
                "readings": [asdict(r) for r in self.labs.readings],
                "ca_p_product_mg2_dl2": self.labs.ca_p_product,
                "ca_p_thresholds_exceeded": list(self.labs.ca_p_thresholds_exceeded),
                "hyperphosphatemia": self.labs.hyperphosphatemia,
                "secondary_hyperparathyroidism": self.labs.secondary_hyperparathyroidism,
                "alkaline_phosphatase_raised": self.labs.alkaline_phosphatase_raised,
                "statements": list(self.labs.statements),
            },
            "next_checks": [asdict(n) for n in self.next_checks],
            "management": [asdict(m) for m in self.management],
            "similar_cases": [asdict(s) for s in self.similar_cases],
            "registry_estimates": [asdict(e) for e in self.registry_estimates],
            "versions": dict(self.versions),
        }


# Fewer findings than this beyond age, sex, level and plain neck or back pain, and the ranking says
# little: on published reports that thin, the truth comes first in well under half (bench/assess_eval.py
# prints the figure by depth of evidence).
SPARSE_FINDINGS = 2
_BACKGROUND_GROUPS = ("age", "sex", "region")
_BACKGROUND_FEATURES = ("multilevel", "axial_pain")


def informative_findings(ev: Evidence, kb: KnowledgeBase) -> tuple[str, ...]:
    """The findings beyond age, sex, level and plain neck or back pain, present or explicitly ruled out
    ('no nidus on CT'): what can tell lesions apart. A history feature absent only because the history
    given does not name it does not count."""
    def told(k: str) -> bool:
        return kb.features[k].group not in _BACKGROUND_GROUPS and k not in _BACKGROUND_FEATURES

    ruled_out = [k for k, why in ev.absent.items() if told(k) and any(w != NOT_IN_HISTORY for w in why)]
    return tuple(k for k in ev.present if told(k)) + tuple(ruled_out)


def sparse_caution(ev: Evidence, kb: KnowledgeBase) -> str | None:
    """A warning when the evidence is too thin for the ranking to mean much, naming what is there."""
    told = informative_findings(ev, kb)
    if len(told) >= SPARSE_FINDINGS:
        return None
    if told:
        one = kb.features[told[0]].label
        known = f"Only one finding ({'' if told[0] in ev.present else 'no '}{one}) is known"
    else:
        known = "No finding is known"
    return (f"{known} beyond age, sex, level and pain: the ranking mostly reflects in whom and where each "
            "lesion occurs. Imaging and histology in words, or the next checks listed, would separate the "
            "candidates.")


PRIOR_MODES = ("uniform", "literature")
"""uniform: LIRICAL's convention, equal pre-test odds for every candidate (default); literature: the
knowledge base's cited frequency classes, whose population (all calcified spinal lesions) is broader
than a lobulated periarticular mass, so they are offered, not imposed."""


class Assessor:
    """Holds the knowledge, ontology and registry with their precomputed parts; assess() is then fast."""

    def __init__(self, knowledge: KnowledgeBase | None = None, registry_cases: Sequence[Case] | None = None,
                 ontology: OntologyView | None = None, labs: LabKnowledge | None = None,
                 vocabulary: Vocabulary | None = None, management: ManagementKnowledge | None = None,
                 priors: str = "uniform") -> None:
        if priors not in PRIOR_MODES:
            raise ValueError(f"priors {priors!r}: choose one of {', '.join(PRIOR_MODES)}")
        self.kb = knowledge or load_differential()
        self.priors = priors
        self.ontology = ontology or default_ontology()
        self.labs = labs or load_labs()
        self.vocabulary = vocabulary or load_vocabulary()
        self.management = management or load_management()
        # the ConText rules read the report and the look-alike cues of every phrase: the assessment rests on them
        self.context_rules = load_context_rules()
        self.cases: tuple[Case, ...] = tuple(registry_cases if registry_cases is not None else _embedded_cases())
        self._case_evidence: dict[str, Evidence] = {}
        self._case_entity = {c.id: entity_of_case(c, self.kb) for c in self.cases}
        for c in self.cases:
            self._case_evidence[c.id] = self._evidence(patient_from_case(c))
        self._estimates: dict[str | None, tuple[KnowledgeBase, tuple[EstimatedEntry, ...]]] = {}
        self.index = SimilarityIndex([self.profile_of_case(c) for c in self.cases],
                                     term_weight(self.ontology, self.kb), term_label(self.ontology, self.kb))

    def _evidence(self, patient: PatientInput) -> Evidence:
        return derive_evidence(patient, self.kb, self.ontology, self.labs)

    def profile_of_case(self, case: Case) -> CaseProfile:
        ev = self._case_evidence[case.id]
        tags = tuple(t for t in case.etiology if t != "none_reported")
        return CaseProfile(
            case_id=case.id, terms=profile_terms(ev, self.ontology), age=case.age_midpoint,
            levels=tuple(lv.index for lv in case.levels),
            etiology=self.vocabulary.etiology_class(tags) if tags else None,
            diagnosis=case.diagnosis.label if case.diagnosis else None,
            citations=case.source_ids, treatments=case.treatment_codes, outcome=case_outcome(case),
        )

    def knowledge_for(self, exclude: str | None = None) -> tuple[KnowledgeBase, tuple[EstimatedEntry, ...]]:
        if exclude not in self._estimates:
            self._estimates[exclude] = estimate_from_registry(
                self.kb, self.cases, lambda c: self._case_evidence[c.id], exclude=exclude)
        return self._estimates[exclude]

    def assess(self, patient: PatientInput, exclude: str | None = None, similar: int = 5) -> Assessment:
        patient = patient.check_terms(self.ontology)
        kb, estimates = self.knowledge_for(exclude)
        ev = self._evidence(patient)
        diff = score(ev, kb, pretest_probabilities(kb, uniform=self.priors == "uniform"))
        known = set(ev.present) | set(ev.absent)
        checks = next_checks(diff, kb, known, present=set(ev.present))
        renal = "dialysis" in ev.present or "chronic_kidney_disease" in ev.present
        labs = interpret_labs(ev, self.labs, renal)
        etiology = assess_etiology(patient, ev, self.vocabulary, labs)
        query = CaseProfile(
            case_id=patient.id or "patient", terms=profile_terms(ev, self.ontology), age=patient.age_years,
            levels=tuple(lv.index for lv in ev.levels), etiology=etiology.etiology_class,
        )
        sims = self.index.search(query, k=similar, exclude=exclude)
        mgmt = self._management(patient, ev, diff, etiology, labs, exclude)
        cites = {k: s.short() for k, s in kb.sources.items()}
        cites.update({k: s.short() for k, s in self.management.sources.items()})
        versions = {
            "knowledge_base": kb.version, "management": self.management.version, "labs": self.labs.version,
            "context_rules": self.context_rules.version,
            "vocabulary": self.vocabulary.version, "hpo_release": self.ontology.release, "priors": self.priors,
        }
        return Assessment(patient.id, diff, ev, checks, etiology, labs, mgmt, sims, estimates, versions, cites,
                          caution=sparse_caution(ev, kb),
                          finding_labels={k: kb.features[k].label for k in (*ev.present, *ev.absent)})

    def _management(self, patient: PatientInput, ev: Evidence, diff: tuple[Candidate, ...],
                    etiology: EtiologyAssessment, labs: LabInterpretation,
                    exclude: str | None) -> tuple[ManagementOption, ...]:
        deficit = ev.status("neurological_deficit")
        compromise: bool | None = deficit
        if any(t in ev.hpo_terms for t in ("HP:0002176", "HP:0003416")):
            compromise = True
        facts: dict[str, bool | None] = {
            "neuro_deficit": deficit,
            "progressive_deficit": patient.progressive_deficit if patient.progressive_deficit is not None
            else (False if deficit is False else None),
            "instability": patient.instability,
            "neural_compromise": compromise,
            "uremic": etiology.uremic,
            "shpt": labs.secondary_hyperparathyroidism,
            "alp_raised": labs.alkaline_phosphatase_raised,
            "ca_p_raised": (labs.ca_p_product > 55.0) if labs.ca_p_product is not None else None,
            "tc_leading": diff[0].entity == TC,
            "diagnosis_uncertain": diff[0].probability < UNCERTAIN_BELOW,
        }
        kb_cases = [c for c in self.cases if c.id != exclude]
        lead = diff[0].entity
        out = []
        for key, opt in self.management.options.items():
            w = opt.when
            unknown = [f for f in w.facts() if facts.get(f) is None]
            ok_all = all(facts.get(f) for f in w.all_of)
            ok_any = (not w.any_of) or any(facts.get(f) for f in w.any_of)
            ok_none = not any(facts.get(f) for f in w.none_of)
            if ok_all and ok_any and ok_none and not (w.none_of and any(facts.get(f) is None for f in w.none_of)):
                status, reason = "indicated", "condition met: " + _describe(w.all_of, w.any_of, w.none_of)
            elif unknown and not any(facts.get(f) is False for f in w.all_of) and \
                    not any(facts.get(f) for f in w.none_of):
                status, reason = "unknown", "needs: " + ", ".join(unknown)
            else:
                status, reason = "not indicated", "condition not met: " + _describe(w.all_of, w.any_of, w.none_of)
            treated = [c for c in kb_cases if self._case_entity[c.id] == lead
                       and any(t in opt.treatment_codes for t in c.treatment_codes)]
            outcomes = tuple(f"{c.id}: {case_outcome(c)}" for c in treated if case_outcome(c))[:5]
            out.append(ManagementOption(key, opt.label, status, reason, opt.rationale,
                                        tuple(self.management.sources[c].short() for c in opt.cite),
                                        len(treated), outcomes))
        order = {"indicated": 0, "unknown": 1, "not indicated": 2}
        return tuple(sorted(out, key=lambda m: (order[m.status], m.key)))


def _describe(all_of: tuple[str, ...], any_of: tuple[str, ...], none_of: tuple[str, ...]) -> str:
    parts = []
    if all_of:
        parts.append(" and ".join(all_of))
    if any_of:
        parts.append("any of " + ", ".join(any_of))
    if none_of:
        parts.append("none of " + ", ".join(none_of))
    return "; ".join(parts)


@lru_cache(maxsize=1)
def _embedded_cases() -> tuple[Case, ...]:
    from calcispine.registry import embedded_dataset, merge_records

    ds = embedded_dataset()
    return tuple(merge_records(ds.records, ds.sources).cases)


@lru_cache(maxsize=1)
def default_assessor(priors: str = "uniform") -> Assessor:
    """The shared assessor; what it loads lives as long as the process.

    Its ontology, registry and knowledge are hundreds of thousands of long-lived objects; left in
    the cyclic garbage collector they make every full collection cost ~100 ms, which then lands on
    an unlucky assessment. They are moved out of the collector's sight once, after loading
    (``gc.freeze``); reference counting still frees anything that is dropped.
    """
    assessor = Assessor(priors=priors)
    gc.collect()
    gc.freeze()
    return assessor


def assess(patient: PatientInput, *, knowledge: KnowledgeBase | None = None,
           registry_cases: Sequence[Case] | None = None) -> Assessment:
    """Assess one patient (pure: the same input gives the same assessment)."""
    if knowledge is None and registry_cases is None:
        return default_assessor().assess(patient)
    return Assessor(knowledge=knowledge, registry_cases=registry_cases).assess(patient)

"""Case <-> GA4GH Phenopacket v2, built with the ``phenopackets`` protobuf classes.

Every fact goes where Phenopacket v2 has a place for it, so other tools can read it:

* sex, age (``subject``); HPO features with ``excluded`` and their evidence;
* measurements with a LOINC assay wherever the lab knowledge base has the analyte's code (one
  code per analyte, whatever name the paper used), else one local id per analyte;
* the diagnosis as a disease with its MONDO/ORPHA/OMIM term (the case's own, else the knowledge
  base's), laterality, and the lesion's site as ``primary_site`` (Uberon: the vertebra for one
  level, else the region's vertebra class, else the vertebral column: never narrower than stated);
* etiology: predisposing conditions as further diseases (CKD, scleroderma, ...), dialysis and
  prior surgery as medical actions, each with a ``calcispine.etiology`` code and its label;
* treatments as MAxO-coded procedures (body site for spinal surgery), each with the diagnosis as
  ``treatment_target`` and the outcome status as ``response_to_treatment``;
* the citing sources as external references.

What Phenopacket has no exact place for (the full level span, provenance, conflicts, review
status, spans of evidence, per-source records, ...) travels in one namespaced external reference
of the MetaData, ``calcispine:case``, whose description is JSON; reading a calcispine file takes
the rest from it, so ``case_from_phenopacket(case_to_phenopacket(case)) == case``. A foreign
Phenopacket (no extension) is read from the standard fields alone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import phenopackets as pps
from google.protobuf import json_format
from google.protobuf.timestamp_pb2 import Timestamp

from calcispine import __version__
from calcispine.knowledge import load_differential, load_labs, load_vocabulary
from calcispine.model import (
    Case,
    Diagnosis,
    Evidence,
    Finding,
    LabFlag,
    Level,
    Measurement,
    Outcome,
    Sex,
    Side,
    Source,
    Treatment,
)
from calcispine.registry import Dataset, record_source

from ._anatomy import SiteTerm, load_vertebra_terms
from ._codec import case_from_dict, case_to_dict, decode_field, encode_field, source_from_dict, source_to_dict
from ._dataset import to_dataset
from ._io import atomic_write_text

__all__ = [
    "EXTENSION_ID", "PhenopacketError", "case_from_phenopacket", "case_to_phenopacket", "knowledge_ids",
    "phenopacket_to_json", "read_phenopacket", "read_phenopackets", "read_phenopackets_dataset",
    "read_phenopackets_records", "records_from_phenopacket", "sources_from_phenopacket", "write_phenopackets",
]

EXTENSION_ID = "calcispine:case"
EXTENSION_SCHEMA = "calcispine.case-extension/1"
SCHEMA_VERSION = "2.0"
LOCAL = "calcispine"  # prefix of local codes where no ontology term exists
AUTHOR_STATEMENT = pps.OntologyClass(id="ECO:0000033", label="author statement supported by traceable reference")

_SEX_TO = {Sex.FEMALE: pps.FEMALE, Sex.MALE: pps.MALE, Sex.UNKNOWN: pps.UNKNOWN_SEX}
_SEX_FROM = {pps.FEMALE: Sex.FEMALE, pps.MALE: Sex.MALE}
_SIDE_TO = {
    Side.LEFT: ("HP:0012835", "Left"), Side.RIGHT: ("HP:0012834", "Right"), Side.BILATERAL: ("HP:0012832", "Bilateral"),
}
_SIDE_FROM = {hp: side for side, (hp, _) in _SIDE_TO.items()}
# Case fields with no Phenopacket home: they ride in the extension whole.
_EXTENSION_FIELDS = (
    "label", "levels", "compartments", "etiology", "comorbidities", "imaging", "pathology", "differential",
    "neuro_deficit", "cites", "provenance", "conflicts", "review_status", "outcome", "versions",
)


class PhenopacketError(ValueError):
    """A Phenopacket file or message that calcispine cannot read; the message names it."""


_RESOURCES: tuple[tuple[str, str, str, str, str], ...] = (
    # key in versions, id, name, url, iri prefix
    ("hpo", "hp", "human phenotype ontology", "http://purl.obolibrary.org/obo/hp.owl", "http://purl.obolibrary.org/obo/HP_"),
    ("maxo", "maxo", "Medical Action Ontology", "http://purl.obolibrary.org/obo/maxo.owl",
     "http://purl.obolibrary.org/obo/MAXO_"),
    ("mondo", "mondo", "Mondo Disease Ontology", "http://purl.obolibrary.org/obo/mondo.owl",
     "http://purl.obolibrary.org/obo/MONDO_"),
    ("loinc", "loinc", "Logical Observation Identifiers Names and Codes", "https://loinc.org", "https://loinc.org/"),
    ("eco", "eco", "Evidence & Conclusion Ontology", "http://purl.obolibrary.org/obo/eco.owl",
     "http://purl.obolibrary.org/obo/ECO_"),
    ("ucum", "ucum", "Unified Code for Units of Measure", "https://ucum.org", "https://ucum.org/"),
    ("uberon", "uberon", "Uber-anatomy ontology", "http://purl.obolibrary.org/obo/uberon.owl",
     "http://purl.obolibrary.org/obo/UBERON_"),
    ("orpha", "orpha", "Orphanet Rare Disease Ontology", "http://www.orphadata.org/data/ORDO/ordo_orphanet.owl",
     "http://www.orpha.net/ORDO/Orphanet_"),
    ("omim", "omim", "Online Mendelian Inheritance in Man", "https://www.omim.org", "https://www.omim.org/entry/"),
)
_PREFIX = {"hpo": "HP", "maxo": "MAXO", "mondo": "MONDO", "loinc": "LOINC", "eco": "ECO", "ucum": "UCUM",
           "uberon": "UBERON", "orpha": "ORPHA", "omim": "OMIM"}
_LOCAL_URL = "https://github.com/calcispine/calcispine#local-codes"


# -- age ---------------------------------------------------------------------------

def age_to_iso(years: float) -> str:
    """Years as an ISO 8601 duration in whole years and months (22 months -> P1Y10M)."""
    months = round(years * 12)
    y, m = divmod(months, 12)
    if y and m:
        return f"P{y}Y{m}M"
    if m:
        return f"P{m}M"
    return f"P{y}Y"


_ISO = re.compile(r"P(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T.*)?")


def iso_to_years(text: str) -> float:
    m = _ISO.fullmatch(text.strip())
    if not m or not any(m.groups()):
        raise PhenopacketError(f"age {text!r} is not an ISO 8601 duration such as P55Y or P1Y10M")
    y, mo, w, d = (float(g) if g else 0.0 for g in m.groups())
    return y + mo / 12 + (w * 7 + d) / 365.25


# -- building ----------------------------------------------------------------------

def _oc(id_: str, label: str | None) -> pps.OntologyClass:
    return pps.OntologyClass(id=id_, label=label or "")


def _local(kind: str, key: str) -> str:
    return f"{LOCAL}.{kind}:{key}"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "unnamed"


_EVIDENCE_KEYS = ("start", "end", "text", "sentence", "section", "rule")


def _evidence_json(e: Evidence) -> dict[str, Any]:
    return {k: getattr(e, k) for k in _EVIDENCE_KEYS if getattr(e, k) is not None}


def _source_reference(source: Source) -> pps.ExternalReference:
    if source.pmid:
        ref = pps.ExternalReference(id=f"PMID:{source.pmid}", reference=f"https://pubmed.ncbi.nlm.nih.gov/{source.pmid}")
    elif source.doi:
        ref = pps.ExternalReference(id=f"DOI:{source.doi}", reference=f"https://doi.org/{source.doi}")
    else:
        ref = pps.ExternalReference(id=_local("source", source.id))
    ref.description = source.citation()
    return ref


def _feature(f: Finding, ref: pps.ExternalReference | None) -> tuple[pps.PhenotypicFeature, dict[str, Any]]:
    feature = pps.PhenotypicFeature(type=_oc(f.hpo_id, f.label), excluded=f.excluded)
    extra: dict[str, Any] = {}
    if f.evidence is not None:
        feature.description = f.evidence.sentence or f.evidence.text
        reference = pps.ExternalReference()
        if ref is not None:
            reference.CopyFrom(ref)
        reference.description = f.evidence.text
        feature.evidence.append(pps.Evidence(evidence_code=AUTHOR_STATEMENT, reference=reference))
        extra["evidence"] = _evidence_json(f.evidence)
    for flag in ("historical", "family", "hypothetical"):
        if getattr(f, flag):
            extra[flag] = True
    return feature, extra


def _measurement(m: Measurement) -> tuple[pps.Measurement, dict[str, Any]]:
    """LOINC assay where the knowledge base knows the analyte's code; one local id per analyte otherwise."""
    labs = load_labs()
    known = labs.analyte(m.analyte) if labs.knows(m.analyte) else None
    label = known.label if known is not None else m.analyte
    loinc = m.loinc or (known.loinc if known is not None else None)
    if loinc:
        name = known.loinc_label if known is not None and known.loinc == loinc and known.loinc_label else label
        assay = _oc(f"LOINC:{loinc}", name)
    else:
        assay = _oc(_local("analyte", known.key if known is not None else _slug(m.analyte)), label)
    out = pps.Measurement(assay=assay, description=m.display())
    if m.value is not None:
        quantity = pps.Quantity(value=m.value)
        if m.unit:
            quantity.unit.CopyFrom(_oc(f"UCUM:{m.unit}", m.unit))
        out.value.quantity.CopyFrom(quantity)
    else:
        flag = m.flag or (LabFlag.POSITIVE if m.result else LabFlag.NORMAL)
        out.value.ontology_class.CopyFrom(_oc(_local("flag", flag.value.replace(" ", "_")), flag.value))
    extra: dict[str, Any] = {"analyte": m.analyte}
    if loinc != m.loinc:
        extra["loinc"] = m.loinc  # the code came from the knowledge base, not from the record
    if m.result:
        extra["result"] = m.result
        out.description = m.result
        if m.flag is None:
            extra["no_flag"] = True
    for name in ("normalised_value", "normalised_unit"):
        if getattr(m, name) is not None:
            extra[name] = getattr(m, name)
    if m.value is not None and m.flag is not None:
        extra["flag"] = m.flag.value
    if m.evidence is not None:
        extra["evidence"] = _evidence_json(m.evidence)
    return out, extra


def _action(t: Treatment) -> tuple[pps.MedicalAction, dict[str, Any]]:
    vocab = load_vocabulary()
    entry = vocab.treatment.get(t.code)
    if t.maxo_id:
        label = entry.maxo_label if entry is not None and entry.maxo == t.maxo_id and entry.maxo_label else t.label
        code = _oc(t.maxo_id, label or t.code)
    else:
        code = _oc(_local("treatment", t.code), t.label or t.code)
    action = pps.MedicalAction(procedure=pps.Procedure(code=code))
    extra: dict[str, Any] = {"code": t.code}
    if t.label != (code.label or None):
        extra["label"] = t.label
    if t.evidence is not None:
        extra["evidence"] = _evidence_json(t.evidence)
    return action, extra


def knowledge_ids(key: str) -> dict[str, str | None]:
    """MONDO/ORPHA/OMIM ids the knowledge base gives a diagnosis key (diagnoses.yaml, else the differential)."""
    from calcispine.knowledge import load_diagnoses

    ids: dict[str, str | None] = {"mondo": None, "orpha": None, "omim": None}
    entry = load_diagnoses().diagnoses.get(key)
    if entry is not None:
        ids.update(mondo=entry.mondo, orpha=entry.orpha, omim=entry.omim)
    if not any(ids.values()):
        entity = load_differential().entities.get(key)
        for name in ids:
            value = entity.ids.get(name) if entity is not None else None
            ids[name] = value if isinstance(value, str) or value is None else (value[0] if value else None)
    return ids


def _disease_term(d: Diagnosis) -> pps.OntologyClass:
    own = next((i for i in (d.mondo, d.orpha, d.omim) if i), None)
    if own is None:
        known = knowledge_ids(d.key)
        own = next((known[k] for k in ("mondo", "orpha", "omim") if known[k]), None)
    return _oc(own or _local("diagnosis", d.key), d.label)


def _disease(d: Diagnosis, side: Side | None, site: SiteTerm | None) -> tuple[pps.Disease, dict[str, Any]]:
    disease = pps.Disease(term=_disease_term(d))
    if side in _SIDE_TO:
        disease.laterality.CopyFrom(_oc(*_SIDE_TO[side]))
    if site is not None:
        disease.primary_site.CopyFrom(_oc(site.id, site.label))
    return disease, {"key": d.key, "mondo": d.mondo, "orpha": d.orpha, "omim": d.omim}


def _etiology_label(tag: str) -> str:
    entry = load_vocabulary().etiology.get(tag)
    return entry.label if entry is not None else tag.removeprefix("other:")


def _etiology_entries(tags: Sequence[str]) -> tuple[list[pps.Disease], list[pps.MedicalAction]]:
    """Predisposing conditions as diseases; dialysis and prior surgery as the actions they are."""
    diseases: list[pps.Disease] = []
    actions: list[pps.MedicalAction] = []
    vocab = load_vocabulary().etiology
    for tag in tags:
        if tag == "none_reported":
            continue
        code = _oc(_local("etiology", tag), _etiology_label(tag))
        if tag in vocab and vocab[tag].action:
            actions.append(pps.MedicalAction(procedure=pps.Procedure(code=code)))
        else:
            diseases.append(pps.Disease(term=code))
    ckd = next((d.term for d in diseases if d.term.id == _local("etiology", "chronic_kidney_disease")), None)
    if ckd is not None:
        for a in actions:
            if a.procedure.code.id.endswith(("hemodialysis", "peritoneal_dialysis")):
                a.treatment_target.CopyFrom(ckd)
    return diseases, actions


def _response(outcome: Outcome | None) -> pps.OntologyClass | None:
    if outcome is None or not outcome.status:
        return None
    return _oc(_local("outcome", _slug(outcome.status)), outcome.status)


def _local_prefixes(message: Any) -> set[str]:
    """Every ``calcispine.<kind>`` prefix of an ontology class id anywhere in the message."""
    found: set[str] = set()
    for field, value in message.ListFields():
        values = value if field.is_repeated else [value]
        for v in values:
            if field.type != field.TYPE_MESSAGE:
                continue
            if isinstance(v, pps.OntologyClass):
                if v.id.startswith(f"{LOCAL}."):
                    found.add(v.id.split(":", 1)[0])
            else:
                found |= _local_prefixes(v)
    return found


def _as_source_map(sources: Mapping[str, Source] | Iterable[Source] | None) -> dict[str, Source]:
    if sources is None:
        return {}
    if isinstance(sources, Mapping):
        return dict(sources)
    return {s.id: s for s in sources}


def case_to_phenopacket(
    case: Case,
    sources: Mapping[str, Source] | Iterable[Source] | None = None,
    *,
    versions: Mapping[str, str] | None = None,
    created: datetime | None = None,
    records: Sequence[Case] = (),
) -> pps.Phenopacket:
    """A Phenopacket v2 message for one case; ``versions`` names the ontology releases used (hpo, maxo, ...).

    ``records`` (the per-source versions a registry merged into this patient) ride in the
    extension so that an import rebuilds the same patient, conflicts included.
    """
    source_map = _as_source_map(sources)
    versions = {**case.versions, **(versions or {})}
    cited = [source_map[s] for s in case.source_ids if s in source_map]
    first_ref = _source_reference(cited[0]) if cited else None
    packet = pps.Phenopacket(id=case.id)
    packet.subject.id = case.id
    packet.subject.sex = _SEX_TO[case.sex]
    age_exact: dict[str, Any] = {}
    if case.age_years is not None:
        iso = age_to_iso(case.age_years)
        packet.subject.time_at_last_encounter.age.iso8601duration = iso
        if iso_to_years(iso) != case.age_years:
            age_exact["age_years"] = case.age_years
    if case.age_range_years is not None:
        lo, hi = case.age_range_years
        if case.age_years is not None:  # a single age fills the one time element; the range rides along
            age_exact["age_range_years"] = [lo, hi]
        else:
            rng = packet.subject.time_at_last_encounter.age_range
            rng.start.iso8601duration, rng.end.iso8601duration = age_to_iso(lo), age_to_iso(hi)
            if (iso_to_years(age_to_iso(lo)), iso_to_years(age_to_iso(hi))) != (lo, hi):
                age_exact["age_range_years"] = [lo, hi]

    items: dict[str, list[dict[str, Any]]] = {"findings": [], "measurements": [], "treatments": []}
    for f in case.findings:
        feature, extra = _feature(f, first_ref)
        packet.phenotypic_features.append(feature)
        items["findings"].append(extra)
    for m in case.measurements:
        measurement, extra = _measurement(m)
        packet.measurements.append(measurement)
        items["measurements"].append(extra)
    site = load_vertebra_terms().site(case.levels)
    diagnosis_extra: dict[str, Any] | None = None
    if case.diagnosis is not None:
        disease, diagnosis_extra = _disease(case.diagnosis, case.side, site)
        packet.diseases.append(disease)
    response = _response(case.outcome)
    treatments = load_vocabulary().treatment
    for t in case.treatments:
        action, extra = _action(t)
        if t.code in treatments and treatments[t.code].spinal and site is not None:
            action.procedure.body_site.CopyFrom(_oc(site.id, site.label))
        if case.diagnosis is not None:
            action.treatment_target.CopyFrom(packet.diseases[0].term)
        if response is not None:
            action.response_to_treatment.CopyFrom(response)
        packet.medical_actions.append(action)
        items["treatments"].append(extra)
    etiology_diseases, etiology_actions = _etiology_entries(case.etiology)
    packet.diseases.extend(etiology_diseases)
    packet.medical_actions.extend(etiology_actions)

    extension: dict[str, Any] = {"schema": EXTENSION_SCHEMA, "source_ids": list(case.source_ids), **age_exact}
    for name in _EXTENSION_FIELDS:
        value = encode_field(name, getattr(case, name))
        if value not in (None, [], {}):
            extension[name] = value
    if case.side is not None:
        extension["side"] = case.side.value
    if diagnosis_extra is not None:
        extension["diagnosis"] = diagnosis_extra
    extension["items"] = {k: v for k, v in items.items() if any(v)} or None
    extension["sources"] = [source_to_dict(s) for s in cited] or None
    extension["records"] = [case_to_dict(r) for r in records] or None
    extension = {k: v for k, v in extension.items() if v is not None}

    meta = packet.meta_data
    stamp = Timestamp()
    stamp.FromDatetime((created or datetime.now(UTC)).replace(tzinfo=None))
    meta.created.CopyFrom(stamp)
    meta.created_by = f"calcispine {versions.get('calcispine', __version__)}"
    meta.phenopacket_schema_version = SCHEMA_VERSION
    for key, rid, name, url, iri in _RESOURCES:
        meta.resources.append(pps.Resource(
            id=rid, name=name, url=url, version=versions.get(key, "unknown"), namespace_prefix=_PREFIX[key],
            iri_prefix=iri,
        ))
    for prefix in sorted(_local_prefixes(packet)):
        meta.resources.append(pps.Resource(
            id=prefix, name=f"calcispine local codes ({prefix.split('.', 1)[1]}) where no ontology term exists",
            url=_LOCAL_URL, version=__version__, namespace_prefix=prefix, iri_prefix=f"{_LOCAL_URL}/{prefix}/",
        ))
    for s in cited:
        meta.external_references.append(_source_reference(s))
    meta.external_references.append(pps.ExternalReference(
        id=EXTENSION_ID, reference="https://github.com/calcispine/calcispine#phenopacket-extension",
        description=json.dumps(extension, ensure_ascii=False, sort_keys=True),
    ))
    return packet


# -- reading -----------------------------------------------------------------------

def _extension(packet: pps.Phenopacket) -> dict[str, Any]:
    for ref in packet.meta_data.external_references:
        if ref.id == EXTENSION_ID:
            try:
                data = json.loads(ref.description)
            except json.JSONDecodeError as exc:
                raise PhenopacketError(f"phenopacket {packet.id}: the {EXTENSION_ID} extension is not JSON: {exc}") from exc
            if not isinstance(data, dict):
                raise PhenopacketError(f"phenopacket {packet.id}: the {EXTENSION_ID} extension is not an object")
            return data
    return {}


def _item(extras: Mapping[str, Any], kind: str, index: int) -> dict[str, Any]:
    seq = extras.get("items", {}).get(kind) or []
    return dict(seq[index]) if index < len(seq) and seq[index] else {}


def _evidence_from(data: Any) -> Evidence | None:
    if data is None:
        return None
    if not isinstance(data, Mapping) or set(data) - set(_EVIDENCE_KEYS):
        raise PhenopacketError(f"evidence {data!r} is not an object with keys {', '.join(_EVIDENCE_KEYS)}")
    return Evidence(**{k: data[k] for k in _EVIDENCE_KEYS if k in data})


def _finding_from(feature: pps.PhenotypicFeature, extra: Mapping[str, Any]) -> Finding:
    evidence = _evidence_from(extra.get("evidence"))
    if evidence is None and feature.evidence and feature.evidence[0].reference.description:
        text = feature.evidence[0].reference.description
        evidence = Evidence(0, len(text), text, sentence=feature.description or None)
    return Finding(
        hpo_id=feature.type.id, label=feature.type.label, excluded=feature.excluded, evidence=evidence,
        historical=bool(extra.get("historical")), family=bool(extra.get("family")),
        hypothetical=bool(extra.get("hypothetical")),
    )


def _measurement_from(m: pps.Measurement, extra: Mapping[str, Any]) -> Measurement:
    assay = m.assay
    code = assay.id.split(":", 1)[1] if assay.id.startswith("LOINC:") else None
    loinc = extra.get("loinc", code)
    analyte = extra.get("analyte")
    if analyte is None:
        prefix = _local("analyte", "")
        by_loinc = {a.loinc: a.key for a in load_labs().analytes.values() if a.loinc}
        if code is not None and code in by_loinc:
            analyte = by_loinc[code]
        else:
            analyte = assay.id[len(prefix):] if assay.id.startswith(prefix) else assay.label or assay.id
    value = unit = None
    flag: LabFlag | None = LabFlag(extra["flag"]) if extra.get("flag") else None
    if m.value.HasField("quantity"):
        value = m.value.quantity.value
        unit = m.value.quantity.unit.label or (m.value.quantity.unit.id.split(":", 1)[-1] or None)
    elif m.value.HasField("ontology_class"):
        flag = load_labs().parse_flag(m.value.ontology_class.label or m.value.ontology_class.id.split(":")[-1])
    if extra.get("no_flag"):
        flag = None
    return Measurement(
        analyte=analyte, value=value, unit=unit, normalised_value=extra.get("normalised_value"),
        normalised_unit=extra.get("normalised_unit"), flag=flag, loinc=loinc,
        evidence=_evidence_from(extra.get("evidence")), result=extra.get("result"),
    )


def _treatment_from(action: pps.MedicalAction, extra: Mapping[str, Any]) -> Treatment:
    code = action.procedure.code if action.HasField("procedure") else action.therapeutic_regimen.ontology_class
    maxo = code.id if code.id.startswith("MAXO:") else None
    local = _local("treatment", "")
    key = extra.get("code") or (code.id[len(local):] if code.id.startswith(local) else f"other:{code.label or code.id}")
    label = extra.get("label", code.label or None)
    return Treatment(code=key, label=label, maxo_id=maxo, evidence=_evidence_from(extra.get("evidence")))


def _diagnosis_from(disease: pps.Disease, extra: Mapping[str, Any]) -> Diagnosis:
    term = disease.term
    ids = {"mondo": None, "orpha": None, "omim": None}
    for name, prefix in (("mondo", "MONDO:"), ("orpha", "ORPHA:"), ("omim", "OMIM:")):
        if term.id.upper().startswith(prefix):
            ids[name] = term.id
    if "key" in extra:  # a calcispine file: the case's own ids, not the term chosen for the exchange
        ids = {k: extra.get(k) for k in ids}
    local = _local("diagnosis", "")
    key = extra.get("key") or (term.id[len(local):] if term.id.startswith(local) else term.id)
    return Diagnosis(key=key, label=term.label, **ids)


def _action_code(action: pps.MedicalAction) -> pps.OntologyClass:
    if action.HasField("procedure"):
        return action.procedure.code
    if action.HasField("treatment"):
        return action.treatment.agent
    return action.therapeutic_regimen.ontology_class


def _standard_extras(packet: pps.Phenopacket, diseases: Sequence[pps.Disease],
                     actions: Sequence[pps.MedicalAction]) -> dict[str, Any]:
    """Levels, etiology and outcome of a Phenopacket without the calcispine extension."""
    out: dict[str, Any] = {}
    if diseases and diseases[0].HasField("primary_site"):
        level: Level | None = load_vertebra_terms().level_of(diseases[0].primary_site.id)
        if level is not None:
            out["levels"] = (level,)
    prefix = _local("etiology", "")
    terms = [d.term for d in packet.diseases] + [_action_code(a) for a in packet.medical_actions]
    tags = [t.id[len(prefix):] for t in terms if t.id.startswith(prefix)]
    if tags:
        out["etiology"] = tuple(dict.fromkeys(tags))
    response = next((a.response_to_treatment for a in actions if a.HasField("response_to_treatment")), None)
    if response is not None and response.label:
        out["outcome"] = Outcome(status=response.label)
    return out


def case_from_phenopacket(packet: pps.Phenopacket) -> Case:
    """The Case a Phenopacket describes (any Phenopacket; the calcispine extension restores the rest)."""
    ext = _extension(packet)
    fields: dict[str, Any] = {"id": packet.id or packet.subject.id}
    if not fields["id"]:
        raise PhenopacketError("phenopacket has neither an id nor a subject id")
    fields["sex"] = _SEX_FROM.get(packet.subject.sex, Sex.UNKNOWN)
    when = packet.subject.time_at_last_encounter
    if "age_years" in ext:
        fields["age_years"] = float(ext["age_years"])
    elif when.HasField("age"):
        fields["age_years"] = iso_to_years(when.age.iso8601duration)
    if "age_range_years" in ext:
        lo, hi = ext["age_range_years"]
        fields["age_range_years"] = (float(lo), float(hi))
    elif when.HasField("age_range"):
        fields["age_range_years"] = (
            iso_to_years(when.age_range.start.iso8601duration), iso_to_years(when.age_range.end.iso8601duration),
        )
    fields["source_ids"] = tuple(ext.get("source_ids", ()))
    fields["findings"] = tuple(
        _finding_from(f, _item(ext, "findings", i)) for i, f in enumerate(packet.phenotypic_features)
    )
    fields["measurements"] = tuple(
        _measurement_from(m, _item(ext, "measurements", i)) for i, m in enumerate(packet.measurements)
    )
    etiology_prefix = _local("etiology", "")
    actions = [a for a in packet.medical_actions if not _action_code(a).id.startswith(etiology_prefix)]
    fields["treatments"] = tuple(_treatment_from(a, _item(ext, "treatments", i)) for i, a in enumerate(actions))
    side = Side(ext["side"]) if "side" in ext else None
    diseases = [d for d in packet.diseases if not d.term.id.startswith(etiology_prefix)]
    if diseases:
        disease = diseases[0]
        fields["diagnosis"] = _diagnosis_from(disease, ext.get("diagnosis", {}))
        if side is None and disease.HasField("laterality"):
            side = _SIDE_FROM.get(disease.laterality.id)
    fields["side"] = side
    for name in _EXTENSION_FIELDS:
        fields[name] = decode_field(name, ext.get(name))
    if not ext:  # a foreign Phenopacket: what the standard fields say about site, causes and outcome
        fields.update(_standard_extras(packet, diseases, actions))
    try:
        return Case(**fields)
    except ValueError as exc:
        raise PhenopacketError(f"phenopacket {fields['id']}: {exc}") from exc


def sources_from_phenopacket(packet: pps.Phenopacket) -> tuple[Source, ...]:
    """The sources the calcispine extension carries (none for a foreign Phenopacket)."""
    return tuple(source_from_dict(d) for d in _extension(packet).get("sources", ()))


def records_from_phenopacket(packet: pps.Phenopacket) -> tuple[Case, ...]:
    """The per-source records the calcispine extension carries (none unless exported with them)."""
    return tuple(case_from_dict(d) for d in _extension(packet).get("records", ()))


# -- files -------------------------------------------------------------------------

def phenopacket_to_json(packet: pps.Phenopacket) -> str:
    return json_format.MessageToJson(packet, indent=2, ensure_ascii=False) + "\n"


def _file_name(case_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", case_id).strip("._") or "case"


def write_phenopackets(
    cases: Iterable[Case],
    sources: Mapping[str, Source] | Iterable[Source] | None,
    directory: str | Path,
    *,
    versions: Mapping[str, str] | None = None,
    records: Mapping[str, Sequence[Case]] | None = None,
) -> list[Path]:
    """One ``<case id>.json`` per case, each written atomically; returns the paths.

    ``records`` maps a case id to the per-source records it was merged from.
    """
    source_map = _as_source_map(sources)
    out = Path(directory)
    written: list[Path] = []
    seen: set[str] = set()
    for case in cases:
        name = _file_name(case.id)
        if name in seen:
            raise ValueError(f"cases {case.id!r} and another map to the same file name {name}.json")
        seen.add(name)
        packet = case_to_phenopacket(case, source_map, versions=versions, records=(records or {}).get(case.id, ()))
        text = phenopacket_to_json(packet)
        written.append(atomic_write_text(out / f"{name}.json", text))
    return written


def read_phenopacket(path: str | Path) -> pps.Phenopacket:
    """Parse one Phenopacket JSON file; a clear error names the file when it does not parse."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PhenopacketError(f"{p}: cannot read the file: {exc}") from exc
    try:
        return json_format.Parse(text, pps.Phenopacket())
    except json_format.ParseError as exc:
        raise PhenopacketError(f"{p}: not a GA4GH Phenopacket v2 JSON file: {exc}") from exc


def read_phenopackets(directory: str | Path) -> tuple[list[Case], list[Source]]:
    """Every ``*.json`` Phenopacket in a directory (sorted), as cases and the sources they carry."""
    cases, sources, _ = read_phenopackets_records(directory)
    return cases, sources


def read_phenopackets_records(directory: str | Path) -> tuple[list[Case], list[Source], list[Case]]:
    """As :func:`read_phenopackets`, plus the per-source records the files carry."""
    cases, sources, records, _ = _read_directory(directory)
    return cases, sources, records


def read_phenopackets_dataset(directory: str | Path) -> Dataset:
    """A directory of Phenopackets as the registry's import unit, each patient with the records it carries."""
    cases, sources, records, membership = _read_directory(directory)
    return to_dataset(cases, sources, records, membership)


def _read_directory(
    directory: str | Path,
) -> tuple[list[Case], list[Source], list[Case], dict[str, list[tuple[str, str]]]]:
    d = Path(directory)
    if not d.is_dir():
        raise PhenopacketError(f"{d}: not a directory of Phenopacket JSON files")
    cases: list[Case] = []
    records: list[Case] = []
    membership: dict[str, list[tuple[str, str]]] = {}
    sources: dict[str, Source] = {}
    for path in sorted(d.glob("*.json")):
        packet = read_phenopacket(path)
        try:
            case = case_from_phenopacket(packet)
            carried = records_from_phenopacket(packet)
        except ValueError as exc:
            raise PhenopacketError(f"{path}: {exc}") from exc
        cases.append(case)
        records.extend(carried)
        if carried:
            membership[case.id] = [(record_source(r), r.id) for r in carried]
        for s in sources_from_phenopacket(packet):
            sources.setdefault(s.id, s)
    return cases, list(sources.values()), records, membership

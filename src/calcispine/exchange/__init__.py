"""Case exchange: GA4GH Phenopacket v2, flat CSV and full-fidelity JSONL; files written atomically."""

from ._anatomy import VertebraTerms, load_vertebra_terms
from ._csv import CSV_COLUMNS, read_csv, read_csv_dataset, write_csv
from ._dataset import records_of, to_dataset
from ._io import atomic_write_text
from ._jsonl import read_jsonl, read_jsonl_dataset, read_jsonl_records, write_jsonl
from ._phenopacket import (
    EXTENSION_ID,
    PhenopacketError,
    age_to_iso,
    case_from_phenopacket,
    case_to_phenopacket,
    iso_to_years,
    knowledge_ids,
    phenopacket_to_json,
    read_phenopacket,
    read_phenopackets,
    read_phenopackets_dataset,
    read_phenopackets_records,
    records_from_phenopacket,
    sources_from_phenopacket,
    write_phenopackets,
)

__all__ = [
    "CSV_COLUMNS", "EXTENSION_ID", "PhenopacketError", "VertebraTerms", "age_to_iso", "atomic_write_text",
    "case_from_phenopacket", "case_to_phenopacket", "iso_to_years", "knowledge_ids", "load_vertebra_terms",
    "phenopacket_to_json", "read_csv", "read_csv_dataset", "read_jsonl", "read_jsonl_dataset", "read_jsonl_records",
    "read_phenopacket", "read_phenopackets", "read_phenopackets_dataset", "read_phenopackets_records",
    "records_from_phenopacket", "records_of", "sources_from_phenopacket", "to_dataset", "write_csv", "write_jsonl",
    "write_phenopackets",
]

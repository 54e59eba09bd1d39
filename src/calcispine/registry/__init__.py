"""The registry: a deduplicated, audited database of published cases (SQLite by default, PostgreSQL by URL).

>>> from calcispine.registry import merge_records, embedded_dataset
>>> ds = embedded_dataset()
>>> len(merge_records(ds.records, ds.sources).cases)
34
"""

from ._checks import finding_problems
from ._codec import case_from_dict, case_to_dict, decode_field, encode_field, source_from_dict, source_to_dict
from ._dataset import Dataset, DatasetError, ExportedCase, embedded_dataset, load_corpus_cases, load_sources
from ._merge import (
    MergeResult,
    ValueSource,
    combine_records,
    merge_records,
    record_locator,
    record_source,
    same_patient,
    value_provenance,
)
from ._registry import (
    EDITABLE_FIELDS,
    AuditEntry,
    ImportReport,
    Registry,
    RegistryError,
    SourceConflictError,
    migrate,
    open_registry,
)
from ._schema import Base

__all__ = [
    "EDITABLE_FIELDS", "AuditEntry", "Base", "Dataset", "DatasetError", "ExportedCase", "ImportReport", "MergeResult",
    "Registry", "RegistryError", "SourceConflictError", "ValueSource", "case_from_dict", "case_to_dict",
    "combine_records", "decode_field", "embedded_dataset", "encode_field", "finding_problems", "load_corpus_cases",
    "load_sources", "merge_records", "migrate", "open_registry", "record_locator", "record_source", "same_patient",
    "source_from_dict", "source_to_dict", "value_provenance",
]

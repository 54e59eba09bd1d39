"""Extraction: case-report text and literature summary tables -> structured cases."""

from ._api import extract_file, summarise_file
from ._context import ContextEngine, SentenceContext, default_context, lookalike_context
from ._document import (
    SUPPORTED_SUFFIXES,
    Document,
    ReadError,
    document_from_text,
    one_newline,
    read_document,
    sniff_format,
)
from ._extractor import ExtractionResult, NotACaseReportError, SectionInfo, extract_case
from ._parsers import find_labs, find_levels, parse_ages, parse_follow_up
from ._summary import (
    SCORED_FIELDS,
    SUMMARY_KEYS,
    field_agreement,
    lab_name,
    lab_value,
    phrase_coverage,
    phrases_agree,
    to_summary,
)
from ._table import (
    TableFormat,
    TableImportError,
    load_packaged_table,
    packaged_table_spec,
    packaged_tables,
    parse_summary_table,
)
from ._table_spec import TableSpec, load_spec_document, read_spec_file

__all__ = [
    "SCORED_FIELDS",
    "SUMMARY_KEYS",
    "SUPPORTED_SUFFIXES",
    "ContextEngine",
    "Document",
    "ExtractionResult",
    "NotACaseReportError",
    "ReadError",
    "SectionInfo",
    "SentenceContext",
    "default_context",
    "lookalike_context",
    "document_from_text",
    "extract_case",
    "extract_file",
    "field_agreement",
    "find_labs",
    "find_levels",
    "lab_name",
    "lab_value",
    "parse_ages",
    "parse_follow_up",
    "phrase_coverage",
    "phrases_agree",
    "one_newline",
    "read_document",
    "sniff_format",
    "summarise_file",
    "to_summary",
    "TableFormat",
    "TableImportError",
    "TableSpec",
    "load_packaged_table",
    "load_spec_document",
    "packaged_table_spec",
    "packaged_tables",
    "parse_summary_table",
    "read_spec_file",
]

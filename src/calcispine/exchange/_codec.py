"""The registry's lossless Case/Source <-> JSON codec, shared by JSONL and the Phenopacket extension."""

from __future__ import annotations

from calcispine.registry import (
    case_from_dict,
    case_to_dict,
    decode_field,
    encode_field,
    source_from_dict,
    source_to_dict,
)

__all__ = ["case_from_dict", "case_to_dict", "decode_field", "encode_field", "source_from_dict", "source_to_dict"]

"""The same services the CLI calls, wired for the web: cached where the registry has not changed."""

from __future__ import annotations

import dataclasses
import re
import tempfile
import threading
from pathlib import Path
from typing import Any

from calcispine.model import Case

from ._core import CaseQuery, ClientError, WebContext

__all__ = ["ALLOWED_UPLOADS", "assessor", "cohort_summary", "extract_text", "extract_upload", "invalidate",
           "one_newline"]

#: Upload types the Extract page takes: by extension, each checked against the file's first bytes.
ALLOWED_UPLOADS = {".txt": "text", ".pdf": "pdf", ".xml": "xml"}
_LOCK = threading.Lock()


def invalidate(ctx: WebContext) -> None:
    """Forget what was derived from the registry (after any write)."""
    with _LOCK:
        ctx.cache.clear()


def assessor(ctx: WebContext) -> Any:
    """An Assessor over the registry's current cases, built once per registry state."""
    from calcispine.assess import Assessor

    with _LOCK:
        hit = ctx.cache.get("assessor")
        if hit is None:
            hit = Assessor(registry_cases=ctx.registry.list_cases())
            ctx.cache["assessor"] = hit
        return hit


def cohort_summary(ctx: WebContext, query: CaseQuery) -> tuple[Any, list[Case], str | None]:
    """Pooled figures of a query as the CLI's ``stats`` gives them: tumoral calcinosis unless a
    diagnosis is chosen; the note names the cases left out."""
    from calcispine.cohort import pool_by_default, summarise

    cases = ctx.registry.list_cases(query.to_filter(ctx))
    note = None
    if not any(d.strip() for d in query.diagnosis):
        cases, note = pool_by_default(cases, "diagnosis 'all' (every diagnosis)")
    return summarise(cases, ctx.registry.list_sources()), cases, note


def _extract_api() -> tuple[Any, Any, Any]:
    """extract_case, read_document and Document, from the public API when exported (else its modules)."""
    import calcispine.extract as ex

    if hasattr(ex, "extract_case") and hasattr(ex, "read_document"):
        return ex.extract_case, ex.read_document, ex.Document
    from calcispine.extract import Document, extract_case, read_document

    return extract_case, read_document, Document


def one_newline(text: str) -> str:
    """Line ends as LF only, as a form gives text back (browsers send CRLF), so evidence offsets survive a round trip."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def extract_text(ctx: WebContext, text: str, name: str = "pasted text") -> Any:
    if not text.strip():
        raise ClientError("the text is empty: paste a case report or choose a file")
    if len(text) > ctx.settings.max_text_chars:
        raise ClientError(f"the text has {len(text):,} characters, over the limit of {ctx.settings.max_text_chars:,}",
                          413)
    extract_case, _, document = _extract_api()
    return extract_case(document(text=text, name=name), ctx.settings)


def _sniff(data: bytes) -> str:
    if data[:5] == b"%PDF-":
        return "pdf"
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith((b"<?xml", b"<!DOCTYPE", b"<article", b"<Pubmed", b"<PubmedArticle")):
        return "xml"
    if b"\x00" in data[:4096]:
        return "binary"
    return "text"


def extract_upload(ctx: WebContext, filename: str, data: bytes) -> Any:
    """A PDF, XML or text upload within the size limit; anything else is refused before it is read."""
    limit = ctx.settings.max_upload_bytes
    if len(data) > limit:
        raise ClientError(f"{filename}: {len(data):,} bytes is over the upload limit of {limit:,}", 413)
    if not data:
        raise ClientError(f"{filename}: the file is empty")
    ext = Path(filename).suffix.lower()
    if ext not in ALLOWED_UPLOADS:
        raise ClientError(f"{filename}: only {', '.join(ALLOWED_UPLOADS)} files are accepted", 415)
    kind = _sniff(data)
    if kind != ALLOWED_UPLOADS[ext]:
        raise ClientError(f"{filename}: the name says {ALLOWED_UPLOADS[ext]} but the content looks like {kind}", 415)
    extract_case, read_document, _ = _extract_api()
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(filename).name)[-100:] or f"upload{ext}"
    with tempfile.TemporaryDirectory(prefix="calcispine-upload-") as tmp:
        path = Path(tmp) / safe
        path.write_bytes(data)
        try:
            doc = read_document(path, ctx.settings)
        except ValueError as exc:
            raise ClientError(str(exc).replace(str(path), filename)) from exc
    return extract_case(dataclasses.replace(doc, text=one_newline(doc.text)), ctx.settings)

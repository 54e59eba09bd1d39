"""The same services the CLI calls, wired for the web: cached where the registry has not changed."""

from __future__ import annotations

import re
import tempfile
import threading
from pathlib import Path
from typing import Any

from calcispine.model import Case

from ._core import CaseQuery, ClientError, WebContext

__all__ = ["ALLOWED_UPLOADS", "assessor", "cohort_summary", "extract_text", "extract_upload", "invalidate"]

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
        cases, note = pool_by_default(cases, "diagnosis=all ('every diagnosis' in the filters)")
    return summarise(cases, ctx.registry.list_sources()), cases, note


def extract_text(ctx: WebContext, text: str, name: str = "pasted text") -> Any:
    if not text.strip():
        raise ClientError("the text is empty: paste a case report or choose a file")
    if len(text) > ctx.settings.max_text_chars:
        raise ClientError(f"the text has {len(text):,} characters, over the limit of {ctx.settings.max_text_chars:,}",
                          413)
    from calcispine.extract import Document, extract_case

    return extract_case(Document(text=text, name=name), ctx.settings)


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
    from calcispine.extract import extract_case, read_document, sniff_format

    kind = sniff_format(data)
    if kind != ALLOWED_UPLOADS[ext]:
        raise ClientError(f"{filename}: the name says {ALLOWED_UPLOADS[ext]} but the content looks like {kind}", 415)
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(filename).name)[-100:] or f"upload{ext}"
    with tempfile.TemporaryDirectory(prefix="calcispine-upload-") as tmp:
        path = Path(tmp) / safe
        path.write_bytes(data)
        try:
            doc = read_document(path, ctx.settings)
        except ValueError as exc:
            raise ClientError(str(exc).replace(str(path), filename)) from exc
    return extract_case(doc, ctx.settings)

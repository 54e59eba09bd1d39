"""Extract page: paste a report or upload a PDF/XML/TXT file, see the case with its evidence, correct and save it."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from calcispine.registry import Dataset, RegistryError, case_from_dict, case_to_dict, source_from_dict, source_to_dict

from ._core import ClientError, Ctx, WebContext, check_csrf, require_curator_session, session_user
from ._editing import EDIT_FIELDS, edit_values, parse_edit
from ._render import case_rows, evidence_spans, highlight
from ._services import ALLOWED_UPLOADS, extract_text, extract_upload, invalidate

router = APIRouter(tags=["pages"], include_in_schema=False)


def _page(request: Request, ctx: WebContext, status: int = 200, **values: Any) -> Response:
    context: dict[str, Any] = {"title": "Extract", "text": "", "result": None, "error": None, "fields": EDIT_FIELDS,
                               "accept": ",".join(ALLOWED_UPLOADS), "limit_mb": ctx.settings.max_upload_bytes / 1e6}
    context.update(values)
    return ctx.templates.TemplateResponse(request, "extract.html", context, status_code=status)


@router.get("/extract")
def extract_page(request: Request, ctx: Ctx) -> Response:
    return _page(request, ctx)


async def _read_upload(upload: UploadFile, limit: int) -> bytes:
    """At most ``limit`` + 1 bytes, so an oversized file is refused without being held whole."""
    data = await upload.read(limit + 1)
    await upload.close()
    return data


@router.post("/extract")
async def extract_submit(request: Request, ctx: Ctx) -> Response:
    limit = ctx.settings.max_upload_bytes
    declared = int(request.headers.get("content-length") or 0)
    if declared > limit + 1_000_000:
        return _page(request, ctx, 413, error=f"the upload is {declared:,} bytes, over the limit of {limit:,}")
    form = await request.form(max_files=1, max_fields=20, max_part_size=max(limit, 1024 * 1024) + 1)
    check_csrf(request, str(form.get("csrf_token") or ""))
    text = str(form.get("text") or "")
    upload = form.get("file")
    try:
        if isinstance(upload, UploadFile) and upload.filename:
            data = await _read_upload(upload, limit)
            result = extract_upload(ctx, upload.filename, data)
        else:
            result = extract_text(ctx, text)
    except ClientError as exc:
        return _page(request, ctx, exc.status_code, text=text, error=str(exc))
    doc_text = result.document.text
    sources = {result.source.id: result.source}
    views = []
    for case in result.cases:
        views.append({
            "case": case, "rows": case_rows(case, sources), "highlighted": highlight(doc_text, evidence_spans(case)),
            "values": edit_values(case), "case_json": json.dumps(case_to_dict(case)),
        })
    user = session_user(request)
    return _page(request, ctx, text=text if text else doc_text, result=result, views=views, source_text=doc_text,
                 source_json=json.dumps(source_to_dict(result.source)), can_save=bool(user and user.is_curator),
                 issues=[str(i) for i in result.issues])


@router.post("/extract/save")
async def extract_save(request: Request, ctx: Ctx) -> Response:
    user = require_curator_session(request)
    form = await request.form(max_files=0, max_fields=40)
    check_csrf(request, str(form.get("csrf_token") or ""))
    try:
        case = case_from_dict(json.loads(str(form.get("case_json") or "{}")))
        source = source_from_dict(json.loads(str(form.get("source_json") or "{}")))
        current = edit_values(case)
        d = case_to_dict(case)
        for name, _, _ in EDIT_FIELDS:
            if name not in form:
                continue
            text = str(form.get(name) or "").replace("\r\n", "\n").strip()
            if text != current.get(name, ""):
                value = parse_edit(name, text)
                if value in (None, []):
                    d.pop(name, None)
                else:
                    d[name] = value
        corrected = case_from_dict({**d, "source_ids": [source.id], "review_status": "needs_review"})
        source_text = str(form.get("source_text") or "").replace("\r\n", "\n")
        if len(source_text) > ctx.settings.max_text_chars:
            raise ValueError(f"the source text has {len(source_text):,} characters, over the limit of "
                             f"{ctx.settings.max_text_chars:,}")
        texts = {source.id: source_text} if source_text.strip() else {}
        report = ctx.registry.import_dataset(Dataset(sources=(source,), records=(corrected,), texts=texts),
                                             actor=user.name)
    except (ValueError, RegistryError) as exc:
        raise ClientError(f"the case was not saved: {exc}") from exc
    invalidate(ctx)
    target = report.case_ids[0] if report.case_ids else ""
    return RedirectResponse(f"/cases/{target}" if target else "/cases?status=needs_review", status_code=303)

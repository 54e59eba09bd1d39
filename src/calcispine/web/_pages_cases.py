"""Registry pages: the filtered, sorted, paged list; one case with its evidence, sources, conflicts and history."""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response

from calcispine.model import Case, ReviewStatus, Source, render_levels
from calcispine.registry import RegistryError

from ._core import PAGE_SIZES, SORTS, ClientError, Ctx, Filter, check_csrf, require_curator_session
from ._editing import EDIT_FIELDS, OUTCOME_STATUSES, diagnosis_options, edit_values, parse_edits
from ._render import age_text, case_rows, evidence_spans, highlight, short_citation
from ._services import invalidate

router = APIRouter(tags=["pages"], include_in_schema=False)

#: Allowed review moves: forward one step, or back to needs_review to reopen.
STATUS_MOVES: dict[ReviewStatus, tuple[ReviewStatus, ...]] = {
    ReviewStatus.NEEDS_REVIEW: (ReviewStatus.REVIEWED,),
    ReviewStatus.REVIEWED: (ReviewStatus.PUBLISHED, ReviewStatus.NEEDS_REVIEW),
    ReviewStatus.PUBLISHED: (ReviewStatus.NEEDS_REVIEW,),
}


def case_summary(case: Case, sources: dict[str, Source]) -> dict[str, Any]:
    """What one row of the list shows."""
    cite = case.label or (f"{case.cites.first_author} {case.cites.year or ''}".strip() if case.cites else None)
    if not cite and case.source_ids:
        cite = short_citation(sources.get(case.source_ids[0]), case.source_ids[0])
    return {
        "id": case.id, "citation": cite or case.id, "age": age_text(case), "sex": case.sex.value,
        "levels": render_levels(case.levels) if case.levels else "", "etiology": ", ".join(case.etiology),
        "diagnosis": case.diagnosis.label if case.diagnosis else "", "status": case.review_status.value,
        "sources": len(case.source_ids), "conflicts": sum(1 for c in case.conflicts if not c.resolved),
    }


@router.get("/")
def home() -> Response:
    return RedirectResponse("/cases", status_code=307)


@router.get("/cases")
def list_page(
    request: Request, ctx: Ctx, flt: Filter,
    sort: Annotated[str, Query()] = "id",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 25,
) -> Response:
    if sort not in SORTS:
        sort = "id"
    error = None
    try:
        case_filter = flt.to_filter(ctx)
        total = ctx.registry.count_cases(case_filter)
        cases = ctx.registry.list_cases(case_filter, limit=per_page, offset=(page - 1) * per_page, sort=sort)
    except (ClientError, ValueError) as exc:  # a filter the user typed that cannot be read: say so, list nothing
        error, total, cases = str(exc), 0, []
    sources = {s.id: s for s in ctx.registry.list_sources()}
    pages = max(1, math.ceil(total / per_page))
    return ctx.templates.TemplateResponse(request, "cases.html", {
        "rows": [case_summary(c, sources) for c in cases], "total": total, "page": page, "pages": pages,
        "per_page": per_page, "sort": sort, "sorts": SORTS, "page_sizes": PAGE_SIZES, "flt": flt, "error": error,
        "qs": flt.query_string(sort=sort if sort != "id" else None, per_page=per_page if per_page != 25 else None),
        "filter_qs": flt.query_string(), "statuses": [s.value for s in ReviewStatus],
    }, status_code=400 if error else 200)


def _load(ctx: Ctx, case_id: str) -> Case:
    try:
        return ctx.registry.get_case(case_id)
    except KeyError as exc:
        raise HTTPException(status_code=404, detail=str(exc).strip("'\"")) from exc


def edit_form_context(values: dict[str, str]) -> dict[str, Any]:
    """What ``_edit_fields.html`` needs besides the values."""
    return {"fields": EDIT_FIELDS, "values": values, "diagnoses": diagnosis_options(),
            "outcome_statuses": OUTCOME_STATUSES}


@router.get("/cases/{case_id}/edit")
def edit_page(request: Request, ctx: Ctx, case_id: str) -> Response:
    require_curator_session(request)
    case = _load(ctx, case_id)
    return ctx.templates.TemplateResponse(request, "case_edit.html", {
        "case": case, "error": None, **edit_form_context(edit_values(case))})


@router.post("/cases/{case_id}/edit")
async def edit_submit(request: Request, ctx: Ctx, case_id: str) -> Response:
    user = require_curator_session(request)
    form = await request.form(max_files=0, max_fields=60)
    check_csrf(request, str(form.get("csrf_token") or ""))
    case = _load(ctx, case_id)
    submitted = {f.name: str(form.get(f.name) or "") for f in EDIT_FIELDS if f.name in form}
    try:
        changes = parse_edits(submitted, case)
        if changes:
            ctx.registry.update_case(case_id, changes, actor=user.name)
    except (ValueError, RegistryError) as exc:
        return ctx.templates.TemplateResponse(request, "case_edit.html", {
            "case": case, "error": str(exc), **edit_form_context({**edit_values(case), **submitted})},
            status_code=422)
    invalidate(ctx)
    return RedirectResponse(f"/cases/{case_id}?saved={len(changes)}", status_code=303)


@router.post("/cases/{case_id}/status")
def status_submit(
    request: Request, ctx: Ctx, case_id: str,
    status: Annotated[str, Form()], csrf_token: Annotated[str, Form()] = "",
) -> Response:
    user = require_curator_session(request)
    check_csrf(request, csrf_token)
    case = _load(ctx, case_id)
    try:
        target = ReviewStatus(status)
    except ValueError as exc:
        raise HTTPException(status_code=422, detail=f"review status {status!r} is not one of "
                            f"{', '.join(s.value for s in ReviewStatus)}") from exc
    if target not in STATUS_MOVES[case.review_status]:
        raise HTTPException(status_code=409, detail=f"a case cannot move from {case.review_status.value} to {target.value}")
    ctx.registry.set_review_status(case_id, target, actor=user.name)
    invalidate(ctx)
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


@router.get("/cases/{case_id}")
def case_page(request: Request, ctx: Ctx, case_id: str) -> Response:
    case = _load(ctx, case_id)
    sources = {s.id: s for s in ctx.registry.list_sources()}
    records = ctx.registry.records(case_id)
    audit = list(reversed(ctx.registry.audit_log(case_id)))
    case_sources = [sources[s] for s in case.source_ids if s in sources]
    parents = {s.part_of: sources[s.part_of] for s in case_sources if s.part_of and s.part_of in sources}
    texts = []
    for r in records:
        if not r.source_ids:
            continue
        sid = r.source_ids[0]
        text = ctx.registry.source_text(sid)
        if text:
            texts.append((short_citation(sources.get(sid), sid), highlight(text, evidence_spans(r))))
    return ctx.templates.TemplateResponse(request, "case.html", {
        "case": case, "rows": case_rows(case, sources), "sources": case_sources, "parents": parents,
        "records": [(r, short_citation(sources.get(r.source_ids[0]) if r.source_ids else None, r.id)) for r in records],
        "source_texts": texts, "audit": audit, "moves": [m.value for m in STATUS_MOVES[case.review_status]],
        "saved": request.query_params.get("saved"),
        "title": case.label or case.id,
    })

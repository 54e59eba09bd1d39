"""Cohort page: pooled figures of the current filter, each figure as SVG or PNG and its data as CSV."""

from __future__ import annotations

import csv
import io
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from calcispine.model import ReviewStatus

from ._core import ClientError, Ctx, Filter, WebContext
from ._services import cohort_summary

router = APIRouter(tags=["pages"], include_in_schema=False)

#: Figures shown on the page, in order, with their captions.
FIGURES: tuple[tuple[str, str], ...] = (
    ("spine_levels", "Cases at each vertebral level, drawn along the spine (darker = more cases)"),
    ("age_distribution", "Age at presentation"),
    ("etiology_by_region", "Etiology by region of the spine. A case with more than one cause is drawn once, as "
     "'several causes', so a cause's bar can be shorter than its count above, which counts such a case under each "
     "of its causes"),
    ("treatments", "Treatments (a case can have several)"),
    ("outcomes", "Outcome after treatment, as the reports state it"),
    ("dialysis_finding", "Dialysis-related cases along the spine compared with cases of no particular cause"),
)
_NAMES = {name for name, _ in FIGURES}


def _summary(ctx: WebContext, flt: Filter) -> Any:
    key = ("summary", flt)
    hit = ctx.cache.get(str(key))
    if hit is None:
        hit = cohort_summary(ctx, flt)
        ctx.cache[str(key)] = hit
    return hit


@router.get("/cohort")
def cohort_page(request: Request, ctx: Ctx, flt: Filter) -> Response:
    context: dict[str, Any] = {"flt": flt, "filter_qs": flt.query_string(), "title": "Cohort", "error": None,
                               "statuses": [s.value for s in ReviewStatus]}
    try:
        summary, _, note = _summary(ctx, flt)
    except ClientError as exc:  # the same answer as the registry page gives for a filter it cannot read
        context.update(error=str(exc), s={}, n=0, figures=(), finding=None, note=None)
        return ctx.templates.TemplateResponse(request, "cohort.html", context, status_code=exc.status_code)
    context.update(s=summary.to_dict(), n=summary.cases, figures=FIGURES if summary.cases else (),
                   finding=next(iter(summary.findings), None), note=note)
    return ctx.templates.TemplateResponse(request, "cohort.html", context)


@router.get("/cohort/figure/{name}.{fmt}")
def cohort_figure(ctx: Ctx, flt: Filter, name: str, fmt: str, download: int = 0) -> Response:
    from calcispine.cohort import figure_png, figure_svg

    if name not in _NAMES or fmt not in ("svg", "png"):
        raise HTTPException(status_code=404, detail=f"no figure {name}.{fmt}; figures: {', '.join(sorted(_NAMES))}"
                            " as .svg or .png")
    key = str(("figure", name, fmt, flt))
    body = ctx.cache.get(key)
    if body is None:
        summary, _, _ = _summary(ctx, flt)
        body = figure_svg(name, summary).encode("utf-8") if fmt == "svg" else figure_png(name, summary)
        ctx.cache[key] = body
    media = "image/svg+xml" if fmt == "svg" else "image/png"
    disposition = "attachment" if download else "inline"
    return Response(body, media_type=media, headers={
        "Content-Disposition": f'{disposition}; filename="calcispine-{name}.{fmt}"', "Cache-Control": "no-cache"})


@router.get("/cohort/data/{name}.csv")
def cohort_data(ctx: Ctx, flt: Filter, name: str) -> Response:
    if name not in _NAMES:
        raise HTTPException(status_code=404, detail=f"no figure {name}; figures: {', '.join(sorted(_NAMES))}")
    from calcispine.cohort import figure_data

    summary, cases, _ = _summary(ctx, flt)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(figure_data(name, summary, cases))
    return Response(buf.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="calcispine-{name}.csv"'})

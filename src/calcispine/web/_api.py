"""REST API under /api: cases (list, get, create, update, review status, audit), extract, stats, assess, HPO."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Response
from pydantic import ValidationError

from calcispine.model import ReviewStatus, parse_levels
from calcispine.registry import Dataset, RegistryError, case_from_dict, case_to_dict, source_from_dict

from ._accounts import User
from ._core import ClientError, Ctx, Filter, bearer_curator, validation_message
from ._editing import diagnosis_json, measurement_json
from ._pages_cases import STATUS_MOVES, case_summary
from ._schemas import (
    AssessIn,
    AssessOut,
    AuditOut,
    CaseCreate,
    CaseFields,
    CaseListOut,
    CaseOut,
    CaseSummaryOut,
    CreateOut,
    ErrorOut,
    ExtractIn,
    ExtractOut,
    HpoTermOut,
    IssueOut,
    SortKey,
    StatusIn,
)
from ._services import assessor, cohort_summary, extract_text, invalidate

_ERR = {"model": ErrorOut}
router = APIRouter(prefix="/api", responses={400: {**_ERR, "description": "bad input, named"}})
Curator = Annotated[User, Depends(bearer_curator)]
AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {**_ERR, "description": "no or unknown bearer token"}, 403: {**_ERR, "description": "not a curator"},
}


def case_out(case: Any) -> CaseOut:
    return CaseOut.model_validate(case_to_dict(case))


def _fields_json(fields: CaseFields, only_set: bool) -> dict[str, Any]:
    """API fields -> the registry's JSON form of each field; ValueError names the field."""
    data = fields.model_dump(exclude_unset=only_set, exclude_none=not only_set)
    out: dict[str, Any] = {}
    for name, value in data.items():
        if name == "levels" and value is not None:
            try:
                levels = {lv for text in value for lv in parse_levels(text, typed=True)}
            except ValueError as exc:
                raise ClientError(f"levels: {exc}") from exc
            out[name] = [lv.name for lv in sorted(levels)]
        elif name == "treatments" and value is not None:
            out[name] = [{k: v for k, v in t.items() if v is not None} for t in value]
        elif name == "findings" and value is not None:
            out[name] = [{k: v for k, v in f.items() if v not in (None, False)} for f in value]
        elif name == "diagnosis" and value is not None:
            out[name] = _checked("diagnosis", diagnosis_json, value)
        elif name == "measurements" and value is not None:
            out[name] = [_checked(f"measurements: {m['analyte']}", measurement_json, **m) for m in value]
        elif name == "outcome" and value is not None:
            kept = {k: v for k, v in value.items() if v is not None}
            out[name] = kept or None
        elif name == "age_range_years" and value is not None:
            if value[0] > value[1]:
                raise ClientError(f"age_range_years: {value[0]:g}-{value[1]:g} is not a range from low to high")
            out[name] = list(value)
        else:
            out[name] = value
    return out


def _checked(what: str, build: Any, *args: Any, **kwargs: Any) -> Any:
    """``build(*args, **kwargs)``, its refusal as a 400 naming ``what``."""
    try:
        return build(*args, **kwargs)
    except (ValueError, LookupError) as exc:
        raise ClientError(f"{what}: {str(exc).strip(chr(39) + chr(34))}") from exc


@router.get("/cases", response_model=CaseListOut, tags=["cases"])
def list_cases(
    ctx: Ctx, flt: Filter,
    sort: SortKey = "id",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> CaseListOut:
    """Cases matching the filter (same filters as the registry page), one summary row each."""
    case_filter = flt.to_filter(ctx)
    total = ctx.registry.count_cases(case_filter)
    cases = ctx.registry.list_cases(case_filter, limit=limit, offset=offset, sort=sort)
    sources = {s.id: s for s in ctx.registry.list_sources()}
    return CaseListOut(total=total, limit=limit, offset=offset, items=[_summary_out(c, sources) for c in cases])


def _summary_out(case: Any, sources: dict[str, Any]) -> CaseSummaryOut:
    row = {k: v for k, v in case_summary(case, sources).items() if k != "age"}
    return CaseSummaryOut.model_validate({**row, "age_years": case.age_years, "age_range_years": case.age_range_years})


def _get(ctx: Ctx, case_id: str) -> Any:
    try:
        return ctx.registry.get_case(case_id)
    except KeyError as exc:
        raise HTTPException(status_code=404, detail=str(exc).strip("'\"")) from exc


@router.get("/cases/{case_id}", response_model=CaseOut, tags=["cases"], responses={404: {**_ERR, "description": "no such case"}})
def get_case(ctx: Ctx, case_id: str) -> CaseOut:
    """One patient with every value's provenance and the conflicts between its sources."""
    return case_out(_get(ctx, case_id))


@router.get("/cases/{case_id}/audit", response_model=list[AuditOut], tags=["cases"],
            responses={404: {**_ERR, "description": "no such case"}})
def case_audit(ctx: Ctx, case_id: str) -> list[AuditOut]:
    """Who changed what on this case, when, with the values before and after."""
    _get(ctx, case_id)
    return [AuditOut.model_validate(e, from_attributes=True) for e in ctx.registry.audit_log(case_id)]


@router.post("/cases", response_model=CreateOut, status_code=201, tags=["cases"],
             responses={**AUTH_RESPONSES, 404: {**_ERR, "description": "no such source"}})
def create_case(ctx: Ctx, body: CaseCreate, user: Curator) -> CreateOut:
    """Add a record (stored as needs_review); a record of an already stored patient merges into it."""
    if (body.source is None) == (body.source_id is None):
        raise ClientError("give either 'source' (a new citation) or 'source_id' (a stored one)")
    try:
        if body.source is not None:
            source = source_from_dict(body.source.model_dump(exclude_none=True, exclude_defaults=False))
            sources: tuple[Any, ...] = (source,)
        else:
            source = ctx.registry.get_source(str(body.source_id))
            sources = ()
        record = case_from_dict({**_fields_json(body.case, only_set=False), "id": body.record_id,
                                 "source_ids": [source.id]})
        report = ctx.registry.import_dataset(Dataset(sources=sources, records=(record,)), actor=user.name)
    except KeyError as exc:
        raise ClientError(str(exc).strip("'\""), 404) from exc
    except (ValueError, RegistryError) as exc:
        raise ClientError(str(exc)) from exc
    invalidate(ctx)
    return CreateOut(case_ids=list(report.case_ids), added=report.added, merged=report.merged,
                     conflicts=report.conflicts, issues=[str(i) for i in report.issues])


@router.patch("/cases/{case_id}", response_model=CaseOut, tags=["cases"],
              responses={**AUTH_RESPONSES, 404: {**_ERR, "description": "no such case"}})
def update_case(ctx: Ctx, case_id: str, body: CaseFields, user: Curator) -> CaseOut:
    """Correct fields of a case; audited (who, when, before, after) and kept across later imports."""
    _get(ctx, case_id)
    changes = _fields_json(body, only_set=True)
    if not changes:
        raise ClientError("nothing to change: send at least one field")
    try:
        updated = ctx.registry.update_case(case_id, changes, actor=user.name)
    except (ValueError, RegistryError) as exc:
        raise ClientError(str(exc)) from exc
    invalidate(ctx)
    return case_out(updated)


@router.put("/cases/{case_id}/status", response_model=CaseOut, tags=["cases"],
            responses={**AUTH_RESPONSES, 404: {**_ERR, "description": "no such case"}, 409: {**_ERR, "description": "move not allowed"}})
def set_status(ctx: Ctx, case_id: str, body: StatusIn, user: Curator) -> CaseOut:
    """Move a case needs_review -> reviewed -> published (or reopen it to needs_review)."""
    case = _get(ctx, case_id)
    target = ReviewStatus(body.status)
    if target not in STATUS_MOVES[case.review_status]:
        raise HTTPException(status_code=409, detail=f"a case cannot move from {case.review_status.value} to {target.value}")
    updated = ctx.registry.set_review_status(case_id, target, actor=user.name)
    invalidate(ctx)
    return case_out(updated)


@router.get("/stats", tags=["cohort"])
def stats(ctx: Ctx, flt: Filter) -> dict[str, Any]:
    """Pooled statistics of the cases matching the filter, as ``calcispine stats --format json`` gives them:
    tumoral calcinosis unless a diagnosis is chosen (``diagnosis=all`` pools every one); ``note`` names
    the cases left out, when any are."""
    summary, _, note = cohort_summary(ctx, flt)
    result: dict[str, Any] = summary.to_dict()
    if note is not None:
        result["note"] = note
    return result


@router.post("/extract", response_model=ExtractOut, tags=["extract"],
             responses={413: {**_ERR, "description": "text too long"}})
def extract(ctx: Ctx, body: ExtractIn) -> ExtractOut:
    """A case report's text -> the cases it describes, every value with its evidence. Nothing is stored."""
    result = extract_text(ctx, body.text, body.name)
    return ExtractOut(
        cases=[case_out(c) for c in result.cases],
        issues=[IssueOut(level=str(getattr(i.level, "value", i.level)), where=str(getattr(i, "where", "")),
                         message=str(getattr(i, "message", i)), hint=getattr(i, "hint", None)) for i in result.issues],
        differential=list(result.differential),
        source={k: v for k, v in vars(result.source).items() if v not in (None, ())},
    )


@router.post("/assess", response_model=AssessOut, tags=["assess"])
def assess(ctx: Ctx, body: AssessIn) -> AssessOut:
    """A new patient -> explained differential, next checks, etiology, labs, management and similar cases."""
    from calcispine.assess import PatientInput

    try:
        patient = PatientInput(**body.model_dump(exclude_none=True))
        result = assessor(ctx).assess(patient)
    except ValidationError as exc:
        raise ClientError(validation_message(exc)) from exc
    except ValueError as exc:
        raise ClientError(str(exc)) from exc
    return AssessOut.model_validate(result.to_dict())


@router.get("/hpo", response_model=list[HpoTermOut], tags=["assess"])
def hpo_search(response: Response, q: Annotated[str, Query(max_length=100)] = "",
               limit: Annotated[int, Query(ge=1, le=50)] = 12) -> list[HpoTermOut]:
    """HPO terms whose label or exact synonym starts with ``q`` (for autocomplete), or the term with id ``q``."""
    from calcispine.ontology import get_hpo

    hpo = get_hpo()
    text = q.strip()
    response.headers["Cache-Control"] = "max-age=3600"
    if text.upper().startswith("HP:"):
        tid = hpo.resolve(text.upper())
        return [HpoTermOut(id=tid, label=hpo.label(tid))] if tid else []
    return [HpoTermOut(id=i, label=label) for i, label in hpo.search(text, limit=limit)] if len(text) >= 2 else []

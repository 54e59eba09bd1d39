"""Assess page: a new patient's findings, age, sex, levels, labs and history -> the explained assessment."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError

from calcispine.knowledge import load_labs, load_vocabulary

from ._core import Ctx
from ._services import assessor

router = APIRouter(tags=["pages"], include_in_schema=False)

LAB_ROWS = 4


def _terms(values: list[str] | None) -> list[str]:
    """HPO ids from repeated fields or comma/newline-separated text; labels are looked up."""
    from calcispine.ontology import get_hpo

    out: list[str] = []
    for raw in values or []:
        for part in raw.replace("\n", ",").split(","):
            text = part.strip()
            if not text:
                continue
            token = text.split()[0].rstrip(":;") if text.upper().startswith("HP:") else text
            if token.upper().startswith("HP:"):
                out.append(token.upper())
            else:
                hits = get_hpo().search(text, limit=1)
                if not hits:
                    raise ValueError(f"no HPO term is called {text!r}; type a few letters and choose from the list")
                out.append(hits[0][0])
    return list(dict.fromkeys(out))


def _options() -> dict[str, Any]:
    labs = load_labs()
    vocab = load_vocabulary()
    return {
        "analytes": [(k, a.label, list(a.units)) for k, a in labs.analytes.items()],
        "history_tags": [(k, e.label) for k, e in vocab.etiology.items() if k != "none_reported"],
    }


@router.get("/assess")
def assess_page(
    request: Request, ctx: Ctx,
    observed: Annotated[list[str] | None, Query()] = None,
    excluded: Annotated[list[str] | None, Query()] = None,
    age: Annotated[str, Query(max_length=10)] = "",
    sex: Annotated[str, Query(max_length=10)] = "",
    levels: Annotated[str, Query(max_length=100)] = "",
    history: Annotated[list[str] | None, Query()] = None,
    lab_analyte: Annotated[list[str] | None, Query()] = None,
    lab_value: Annotated[list[str] | None, Query()] = None,
    lab_unit: Annotated[list[str] | None, Query()] = None,
    neuro: Annotated[str, Query(max_length=10)] = "",
    go: Annotated[str, Query(max_length=5)] = "",
) -> Response:
    from calcispine.assess import LabInput, PatientInput
    from calcispine.ontology import get_hpo

    labs_in = list(zip(lab_analyte or [], lab_value or [], lab_unit or [], strict=False))
    form = {"observed": observed or [], "excluded": excluded or [], "age": age, "sex": sex, "levels": levels,
            "history": history or [], "labs": labs_in + [("", "", "")] * max(0, LAB_ROWS - len(labs_in)),
            "neuro": neuro}
    context: dict[str, Any] = {"title": "Assess", "form": form, "result": None, "error": None, **_options()}
    hpo = get_hpo()
    if go:
        try:
            obs, exc = _terms(observed), _terms(excluded)
            labs = []
            for analyte, value, unit in labs_in:
                if analyte.strip() and value.strip():
                    labs.append(LabInput(analyte=analyte, value=float(value), unit=unit or None))
            patient = PatientInput(
                age_years=float(age) if age.strip() else None, sex=sex or None,
                levels=tuple(x for x in [levels.strip()] if x), observed=tuple(obs), excluded=tuple(exc),
                labs=tuple(labs), history=tuple(h for h in history or [] if h),
                neuro_deficit={"yes": True, "no": False}.get(neuro),
            )
            result = assessor(ctx).assess(patient)
            context["result"] = result.to_dict()
            context["chosen"] = [(t, hpo.label(t), "observed") for t in patient.observed] + \
                [(t, hpo.label(t), "excluded") for t in patient.excluded]
        except (ValidationError, ValueError) as err:
            context["error"] = str(err)
            return ctx.templates.TemplateResponse(request, "assess.html", context, status_code=422)
    else:
        context["chosen"] = []
    return ctx.templates.TemplateResponse(request, "assess.html", context)

"""Assess page: a new patient's findings, age, sex, levels, labs and history -> the explained assessment."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from calcispine.knowledge import load_labs, load_vocabulary

from ._core import Ctx, validation_message
from ._schemas import FREE_TEXT_LINES
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


def _page(request: Request, ctx: Ctx, form: dict[str, Any], status: int = 200, **values: Any) -> Response:
    context: dict[str, Any] = {"title": "Assess", "form": form, "result": None, "error": None, "chosen": [],
                               **_options(), **values}
    response = ctx.templates.TemplateResponse(request, "assess.html", context, status_code=status)
    response.headers["Cache-Control"] = "no-store"  # a patient's details are not kept by the browser or a proxy
    return response


# The free-text boxes of the form, each read as one phrase per line.
FREE_TEXT = ("imaging", "pathology", "clinical")


def _lines(name: str, text: str) -> tuple[str, ...]:
    lines = tuple(line.strip() for line in text.splitlines() if line.strip())
    if len(lines) > FREE_TEXT_LINES:
        raise ValueError(f"{name}: {len(lines)} lines; at most {FREE_TEXT_LINES} (one finding a line)")
    return lines


def _blank_form() -> dict[str, Any]:
    return {"observed": [], "excluded": [], "age": "", "sex": "", "levels": "", "history": [],
            "labs": [("", "", "")] * LAB_ROWS, "neuro": "", **dict.fromkeys(FREE_TEXT, "")}


@router.get("/assess")
def assess_page(request: Request, ctx: Ctx) -> Response:
    """The empty form; it posts, so a patient's age, labs and history stay out of URLs and browser history."""
    return _page(request, ctx, _blank_form())


@router.post("/assess")
async def assess_submit(request: Request, ctx: Ctx) -> Response:
    from calcispine.assess import LabInput, PatientInput
    from calcispine.ontology import get_hpo

    data = await request.form(max_files=0, max_fields=200)

    def one(name: str, limit: int) -> str:
        return str(data.get(name) or "")[:limit]

    def many(name: str, limit: int = 2000) -> list[str]:
        return [str(v)[:limit] for v in data.getlist(name)][:100]

    observed, excluded, history = many("observed", 20_000), many("excluded", 20_000), many("history", 100)
    age, sex, levels, neuro = one("age", 10), one("sex", 10), one("levels", 100), one("neuro", 10)
    labs_in = list(zip(many("lab_analyte", 100), many("lab_value", 30), many("lab_unit", 30), strict=False))
    text = {name: one(name, 20_000) for name in FREE_TEXT}
    form = {"observed": observed, "excluded": excluded, "age": age, "sex": sex, "levels": levels,
            "history": history, "labs": labs_in + [("", "", "")] * max(0, LAB_ROWS - len(labs_in)), "neuro": neuro,
            **text}
    hpo = get_hpo()
    try:
        obs, exc = _terms(observed), _terms(excluded)
        labs = []
        for analyte, value, unit in labs_in:
            if analyte.strip() and value.strip():
                try:
                    number = float(value)
                except ValueError as err:
                    raise ValueError(f"lab {analyte}: {value!r} is not a number") from err
                labs.append(LabInput(analyte=analyte, value=number, unit=unit or None))
        try:
            years = float(age) if age.strip() else None
        except ValueError as err:
            raise ValueError(f"age: {age!r} is not a number of years") from err
        patient = PatientInput(
            age_years=years, sex=sex or None,
            levels=tuple(x for x in [levels.strip()] if x), observed=tuple(obs), excluded=tuple(exc),
            labs=tuple(labs), history=tuple(h for h in history if h),
            neuro_deficit={"yes": True, "no": False}.get(neuro),
            imaging=_lines("imaging", text["imaging"]), pathology=_lines("pathology", text["pathology"]),
            clinical=_lines("clinical", text["clinical"]),
        )
        result = assessor(ctx).assess(patient)
    except ValidationError as err:
        return _page(request, ctx, form, 422, error=validation_message(err))
    except ValueError as err:
        return _page(request, ctx, form, 422, error=str(err))
    chosen = [(t, hpo.label(t), "observed") for t in patient.observed] + \
        [(t, hpo.label(t), "excluded") for t in patient.excluded]
    return _page(request, ctx, form, result=result.to_dict(), chosen=chosen)


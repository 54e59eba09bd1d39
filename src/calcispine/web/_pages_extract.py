"""Extract page: paste a report or upload a PDF/XML/TXT file, see the case with its evidence, correct and save it.

Saving asks for the report's citation (a new one, or a source already stored) and first
checks the registry for the same patient with the registry's own deduplication: a patient
the record would be merged into is said so; a likely duplicate it would not be merged with
(same paper, or same age, sex and levels) must be confirmed before a second patient is stored.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from calcispine.model import DOI_PATTERN, Case, Source, render_levels
from calcispine.registry import Dataset, RegistryError, case_from_dict, case_to_dict, source_from_dict, source_to_dict

from ._core import ClientError, Ctx, WebContext, check_csrf, require_curator_session, session_user
from ._editing import EDIT_FIELDS, OUTCOME_STATUSES, diagnosis_options, edit_values, parse_edits
from ._render import age_text, case_rows, evidence_spans, highlight, short_citation
from ._services import ALLOWED_UPLOADS, extract_text, extract_upload, invalidate

router = APIRouter(tags=["pages"], include_in_schema=False)

#: The citation inputs of the save form (``cite_source`` picks a stored source instead).
CITE_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("authors", "Authors", "family name and initials, separated by semicolons: Tuy BE; John TK"),
    ("year", "Year", "e.g. 2008"),
    ("title", "Title", ""),
    ("journal", "Journal", ""),
    ("pmid", "PMID", "digits only"),
    ("doi", "DOI", "e.g. 10.1000/xyz123"),
)
WHY = {
    "merges": "the registry's deduplication will merge this record into that patient, as another source of it "
              "(facts that disagree are kept as conflicts)",
    "same_paper": "a patient of the same paper with compatible facts: saving stores a second patient",
    "same_facts": "the same age, sex and levels: if it is that patient, choose its source as the citation "
                  "so the two are merged",
}


def _page(request: Request, ctx: WebContext, status: int = 200, **values: Any) -> Response:
    context: dict[str, Any] = {
        "title": "Extract", "text": "", "views": None, "error": None, "fields": EDIT_FIELDS,
        "diagnoses": diagnosis_options(), "outcome_statuses": OUTCOME_STATUSES, "cite_fields": CITE_FIELDS,
        "accept": ",".join(ALLOWED_UPLOADS), "limit_mb": ctx.settings.max_upload_bytes / 1e6,
    }
    context.update(values)
    if context.get("can_save"):  # the save form offers every stored source as the citation
        context["stored_sources"] = [(s.id, s.citation()) for s in ctx.registry.list_sources()]
    return ctx.templates.TemplateResponse(request, "extract.html", context, status_code=status)


@router.get("/extract")
def extract_page(request: Request, ctx: Ctx) -> Response:
    return _page(request, ctx)


async def _read_upload(upload: UploadFile, limit: int) -> bytes:
    """At most ``limit`` + 1 bytes, so an oversized file is refused without being held whole."""
    data = await upload.read(limit + 1)
    await upload.close()
    return data


def _cite_values(source: Source) -> dict[str, str]:
    return {"source": "", "authors": "; ".join(source.authors), "year": str(source.year or ""),
            "title": source.title or "", "journal": source.journal or "", "pmid": source.pmid or "",
            "doi": source.doi or ""}


def _duplicates(ctx: WebContext, records: Sequence[Case], source: Source) -> list[list[dict[str, str]]]:
    """For each record, the stored patients it probably is, as the page lists them."""
    sources = {s.id: s for s in ctx.registry.list_sources()}
    out = []
    for hits in ctx.registry.likely_duplicates(records, source):
        shown = []
        for case_id, why in hits:
            case = ctx.registry.get_case(case_id)
            first = case.source_ids[0] if case.source_ids else case_id
            age = age_text(case)
            facts = ", ".join(x for x in (case.sex.value if case.sex.value != "unknown" else "",
                                          age and f"{age} years", render_levels(case.levels) if case.levels else "") if x)
            cited = ", ".join(f"{short_citation(sources.get(sid), sid)} ({sid})" for sid in case.source_ids)
            shown.append({"case_id": case_id, "name": case.label or short_citation(sources.get(first), first),
                          "facts": facts, "why": why, "explained": WHY[why], "sources": cited})
        out.append(shown)
    return out


def _similar_sources(ctx: WebContext, source: Source) -> list[tuple[str, str]]:
    """Stored sources a typed citation seems to name (same PMID, DOI, or first author and year)."""
    hits = []
    for s in ctx.registry.list_sources():
        if s.id != source.id and not s.part_of and source.same_paper(s):
            hits.append((s.id, s.citation()))
    return hits


def _view(ctx: WebContext, case: Case, source: Source, text: str, values: Mapping[str, str],
          cite: Mapping[str, str], duplicates: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "case": case, "rows": case_rows(case, {source.id: source}), "highlighted": highlight(text, evidence_spans(case)),
        "values": values, "case_json": json.dumps(case_to_dict(case)), "cite": cite, "duplicates": duplicates,
    }


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
            shown = ""  # the textarea keeps what was pasted, not the text of a file
        else:
            result = extract_text(ctx, text)
            shown = result.document.text
    except ClientError as exc:
        return _page(request, ctx, exc.status_code, text=text, error=str(exc))
    doc_text = result.document.text
    cite = _cite_values(result.source)
    views = [_view(ctx, case, result.source, doc_text, edit_values(case), cite, dups)
             for case, dups in zip(result.cases, _duplicates(ctx, result.cases, result.source), strict=True)]
    user = session_user(request)
    return _page(request, ctx, text=shown, views=views, source_text=doc_text,
                 source_json=json.dumps(source_to_dict(result.source)), can_save=bool(user and user.is_curator),
                 issues=[str(i) for i in result.issues])


def _authors(text: str) -> tuple[str, ...]:
    parts = re.split(r"[;\n]" if ";" in text or "\n" in text else ",", text)
    return tuple(p.strip() for p in parts if p.strip())


def _saved_source(ctx: WebContext, doc: Source, cite: Mapping[str, str], text: str) -> Source:
    """The source the record is saved under: its own id (per text), citing a stored source or the one typed."""
    fields: dict[str, Any]
    chosen = cite.get("source", "").strip()
    if chosen:
        try:
            parent = ctx.registry.get_source(chosen)
        except KeyError as exc:
            raise ValueError(str(exc).strip("'\"")) from exc
        parent = ctx.registry.get_source(parent.part_of) if parent.part_of else parent
        fields = {k: getattr(parent, k) for k in ("authors", "year", "title", "journal", "volume", "issue", "pages",
                                                  "pmid", "doi")}
        fields.update(kind="extracted_text", part_of=parent.id)
    else:
        year = cite.get("year", "").strip()
        if year and not year.isdigit():
            raise ValueError(f"citation: year {year!r} is not a year such as 2008")
        doi = cite.get("doi", "").strip() or None
        if doi is not None and not re.match(DOI_PATTERN, doi):
            raise ValueError(f"citation: DOI {doi!r} does not look like 10.xxxx/yyyy")
        fields = {"authors": _authors(cite.get("authors", "")), "year": int(year) if year else None,
                  "title": cite.get("title", "").strip() or None, "journal": cite.get("journal", "").strip() or None,
                  "pmid": cite.get("pmid", "").strip() or None, "doi": doi, "kind": doc.kind, "part_of": None}
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]
    try:
        draft = Source(id=f"doc:{digest}", note=doc.note, **fields)
    except ValueError as exc:
        raise ValueError(f"citation: {exc}") from exc
    name = " ".join(str(x) for x in (draft.first_author or "", draft.year or "") if x)
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or doc.id.split(":", 1)[-1]
    return replace(draft, id=f"doc:{slug}-{digest}")


def _moved(case: Case, old: str, new: str) -> Case:
    """The record as stated by the saved source (its provenance follows it)."""
    provenance = tuple((f, replace(p, source_id=new) if p.source_id == old else p) for f, p in case.provenance)
    return case.with_changes(source_ids=(new,), provenance=provenance)


def _form_values(form: FormData, prefix: str, names: list[str]) -> dict[str, str]:
    return {n: str(form.get(prefix + n) or "") for n in names if prefix + n in form}


@router.post("/extract/save")
async def extract_save(request: Request, ctx: Ctx) -> Response:
    user = require_curator_session(request)
    form = await request.form(max_files=0, max_fields=60)
    check_csrf(request, str(form.get("csrf_token") or ""))
    try:
        case = case_from_dict(json.loads(str(form.get("case_json") or "{}")))
        doc = source_from_dict(json.loads(str(form.get("source_json") or "{}")))
    except (ValueError, TypeError) as exc:
        raise ClientError(f"the case was not saved: the form's case data cannot be read ({exc})") from exc
    from calcispine.extract import one_newline  # lazy: the extraction package is loaded on first use

    source_text = one_newline(str(form.get("source_text") or ""))
    submitted = _form_values(form, "", [f.name for f in EDIT_FIELDS])
    cite = {**_cite_values(doc), **_form_values(form, "cite_", ["source", *(n for n, _, _ in CITE_FIELDS)])}

    def again(status: int, error: str | None, duplicates: list[dict[str, str]], similar: list[tuple[str, str]]) -> Response:
        view = _view(ctx, case, doc, source_text, {**edit_values(case), **submitted}, cite, duplicates)
        view["similar_sources"] = similar
        return _page(request, ctx, status, text=source_text, views=[view], source_text=source_text,
                     source_json=json.dumps(source_to_dict(doc)), can_save=True, issues=[], error=error,
                     confirm=bool(duplicates or similar))

    try:
        if len(source_text) > ctx.settings.max_text_chars:
            raise ValueError(f"the source text has {len(source_text):,} characters, over the limit of "
                             f"{ctx.settings.max_text_chars:,}")
        d = case_to_dict(case)
        for name, value in parse_edits(submitted, case).items():
            if value in (None, []):
                d.pop(name, None)
            else:
                d[name] = value
        source = _saved_source(ctx, doc, cite, source_text or case.id)
        if submitted.get("label", "").strip() == edit_values(case)["label"] and source.first_author:
            d["label"] = f"{source.first_author} {source.year or ''}".strip()  # as the registry names cases
        record = _moved(case_from_dict({**d, "review_status": "needs_review"}), doc.id, source.id)
        duplicates = [x for x in _duplicates(ctx, [record], source)[0] if x["why"] != "merges"]
        similar = [] if cite.get("source") else _similar_sources(ctx, source)
        if (duplicates or similar) and form.get("confirm") != "1":
            return again(409, None, duplicates, similar)
        texts = {source.id: source_text} if source_text.strip() else {}
        report = ctx.registry.import_dataset(Dataset(sources=(source,), records=(record,), texts=texts),
                                             actor=user.name)
    except (ValueError, RegistryError) as exc:
        return again(422, f"the case was not saved: {exc}", [], [])
    invalidate(ctx)
    if not report.case_ids:
        said = "; ".join(str(i) for i in report.issues) or "the registry added nothing"
        return again(409, f"nothing was saved: {said}", [], [])
    return RedirectResponse(f"/cases/{report.case_ids[0]}", status_code=303)


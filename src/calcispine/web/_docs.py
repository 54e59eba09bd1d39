"""The API's own documentation page, served offline: Swagger UI from an installed package, no CDN."""

from __future__ import annotations

from functools import cache
from importlib import resources
from importlib.util import find_spec
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ._core import Ctx

__all__ = ["DOCS_ASSETS_URL", "router", "swagger_assets"]

DOCS_ASSETS_URL = "/api/docs/assets"
#: The files the page loads, all from the package ``fastapi-offline`` (Swagger UI 5, Apache-2.0).
SWAGGER_FILES = ("swagger-ui-bundle.js", "swagger-ui.css")

router = APIRouter(include_in_schema=False)


@cache
def swagger_assets() -> Path | None:
    """The folder holding Swagger UI's bundle, or None when the package is not installed (looked up once)."""
    if find_spec("fastapi_offline") is None:
        return None
    folder = Path(str(resources.files("fastapi_offline") / "static"))
    return folder if all((folder / name).is_file() for name in SWAGGER_FILES) else None


@router.get("/api/docs")
def api_docs(request: Request, ctx: Ctx) -> Response:
    return ctx.templates.TemplateResponse(request, "api_docs.html", {
        "title": "REST API", "assets": DOCS_ASSETS_URL if swagger_assets() is not None else None,
        "openapi_url": request.app.openapi_url,
    })

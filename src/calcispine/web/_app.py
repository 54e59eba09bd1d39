"""The app factory: one FastAPI app per registry, with a router per resource."""

from __future__ import annotations

import ipaddress
import os
import secrets
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException
from starlette.middleware.sessions import SessionMiddleware

from calcispine import __version__
from calcispine.config import Settings
from calcispine.registry import Registry, open_registry

from . import _api, _docs, _pages_assess, _pages_auth, _pages_cases, _pages_cohort, _pages_extract
from ._accounts import SESSION_LIFETIME, AccountStore
from ._core import SESSION_COOKIE, STATIC, TEMPLATES, ClientError, WebContext, csrf_token, session_user

__all__ = ["create_app", "load_secret_key"]

SESSION_MAX_AGE = int(SESSION_LIFETIME.total_seconds())


def load_secret_key(settings: Settings) -> str:
    """The configured key, else one generated once and kept (mode 0600) in the data directory."""
    if settings.secret_key:
        return settings.secret_key
    path = Path(settings.data_dir) / "web-secret-key"
    if path.is_file():
        key = path.read_text(encoding="utf-8").strip()
        if len(key) >= 32:
            return key
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".secret.", suffix=".tmp")
    try:
        os.chmod(tmp, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(key)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return key


def _is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def secure_cookies(settings: Settings) -> bool:
    """``auto``: the Secure flag everywhere except a plain-http server on the loopback interface."""
    if settings.cookie_secure == "auto":
        return not _is_loopback(settings.host)
    return settings.cookie_secure == "true"


def _templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES))
    env = templates.env
    env.autoescape = True  # every value from papers and users is escaped, in every template
    env.globals["version"] = __version__
    env.filters["show"] = show_value

    def _context(request: Request) -> dict[str, Any]:
        return {"current_user": session_user(request), "csrf_token": csrf_token(request)}

    templates.context_processors.append(_context)
    return templates


def show_value(value: Any) -> str:
    """A stored JSON value as a person reads it (lists joined, objects by their label or code)."""
    if value is None or value == []:
        return "(empty)"
    if isinstance(value, list):
        return "; ".join(show_value(v) for v in value)
    if isinstance(value, dict):
        for key in ("label", "code", "status", "analyte", "first_author"):
            if key in value:
                return str(value[key])
        return ", ".join(f"{k}: {show_value(v)}" for k, v in value.items())
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api") or "application/json" in request.headers.get("accept", "")


def create_app(settings: Settings, registry: Registry | None = None) -> FastAPI:
    """The web app and REST API over the registry at ``settings.database_url`` (opened, migrated, seeded)."""
    reg = registry if registry is not None else open_registry(settings)
    owns_registry = registry is None
    ctx = WebContext(settings=settings, registry=reg, accounts=AccountStore(reg.engine), templates=_templates(),
                     secure_cookies=secure_cookies(settings), secret_key=load_secret_key(settings))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        if owns_registry:
            reg.close()

    app = FastAPI(
        title="calcispine",
        version=__version__,
        description="Published cases of spinal tumoral calcinosis and its mimics: browse, extract, pool, assess.",
        lifespan=lifespan,
        docs_url=None,  # served by _docs from packaged assets, so the page works offline
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.ctx = ctx
    app.add_middleware(SessionMiddleware, secret_key=ctx.secret_key, session_cookie=SESSION_COOKIE,
                       max_age=SESSION_MAX_AGE, same_site="lax", https_only=ctx.secure_cookies)

    @app.middleware("http")
    async def _headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
            "script-src 'self'; frame-ancestors 'none'; form-action 'self'")
        return response

    @app.exception_handler(ClientError)
    async def _client_error(request: Request, exc: ClientError) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": str(exc)}, status_code=exc.status_code)
        return ctx.templates.TemplateResponse(request, "error.html", {"status": exc.status_code, "message": str(exc)},
                                              status_code=exc.status_code)

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> Response:
        """Also the router's own 404 and 405, so an unknown page is an HTML page like every other error."""
        if _wants_json(request):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        message = exc.detail
        if exc.status_code == 404 and message == "Not Found":
            message = f"there is no page at {request.url.path}"
        return ctx.templates.TemplateResponse(request, "error.html", {"status": exc.status_code, "message": message},
                                              status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        errors = [{"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
                  for e in exc.errors()]
        if _wants_json(request):
            return JSONResponse({"detail": errors}, status_code=422)
        message = "; ".join(f"{'.'.join(str(x) for x in e['loc'][1:])}: {e['msg']}" for e in errors)
        return ctx.templates.TemplateResponse(request, "error.html", {"status": 422, "message": message},
                                              status_code=422)

    @app.get("/favicon.ico", include_in_schema=False)
    def _favicon() -> Response:
        return FileResponse(STATIC / "favicon.ico", media_type="image/x-icon",
                            headers={"Cache-Control": "max-age=86400"})

    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    assets = _docs.swagger_assets()
    if assets is not None:
        app.mount(_docs.DOCS_ASSETS_URL, StaticFiles(directory=str(assets)), name="docs-assets")
    for module in (_pages_cases, _pages_auth, _pages_cohort, _pages_extract, _pages_assess, _docs, _api):
        app.include_router(module.router)
    return app

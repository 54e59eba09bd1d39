"""Log in and out: a signed, HttpOnly, SameSite session cookie; failed logins are counted and limited."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from ._accounts import RateLimited
from ._core import Ctx, check_csrf, client_ip

router = APIRouter(tags=["pages"], include_in_schema=False)


def _safe_next(target: str) -> str:
    """Only same-site paths, so the login form cannot be used to redirect elsewhere."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/cases"


@router.get("/login")
def login_page(request: Request, ctx: Ctx, next: str = "/cases") -> Response:
    return ctx.templates.TemplateResponse(request, "login.html", {"next": _safe_next(next), "error": None,
                                                                  "title": "Log in"})


@router.post("/login")
def login_submit(
    request: Request, ctx: Ctx,
    username: Annotated[str, Form(max_length=100)], password: Annotated[str, Form(max_length=1000)],
    csrf_token: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/cases",
) -> Response:
    check_csrf(request, csrf_token)
    target = _safe_next(next)
    try:
        user = ctx.accounts.authenticate(username.strip(), password, client_ip(request))
    except RateLimited as exc:
        return ctx.templates.TemplateResponse(request, "login.html", {"next": target, "error": str(exc),
                                                                      "title": "Log in"}, status_code=429)
    if user is None:
        return ctx.templates.TemplateResponse(request, "login.html", {
            "next": target, "error": "user name or password is wrong", "title": "Log in"}, status_code=401)
    request.session.clear()
    request.session["user"] = user.name
    request.session["csrf"] = secrets.token_urlsafe(32)  # a new token for the new session
    return RedirectResponse(target, status_code=303)


@router.post("/logout")
def logout(request: Request, csrf_token: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf_token)
    request.session.clear()
    return RedirectResponse("/cases", status_code=303)

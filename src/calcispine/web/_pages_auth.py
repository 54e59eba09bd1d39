"""Log in and out, change a password: sessions live on the server; failed logins are counted and limited.

A browser that logs in successfully also gets a signed, long-lived device cookie for that
user. Its later tries are limited on their own failures only, so nobody else's wrong
passwords can lock the curator out of her own browser (see ``_accounts``).
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeSerializer

from ._accounts import AccountError, RateLimited
from ._core import Ctx, WebContext, check_csrf, client_ip, require_curator_session, start_session

router = APIRouter(tags=["pages"], include_in_schema=False)

DEVICE_COOKIE = "calcispine_device"
DEVICE_MAX_AGE = 180 * 24 * 60 * 60


def _safe_next(target: str) -> str:
    """Only same-site paths, so the login form cannot be used to redirect elsewhere."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/cases"


def _signer(ctx: WebContext) -> URLSafeSerializer:
    return URLSafeSerializer(ctx.secret_key, salt="calcispine-device")


def trusted_device(request: Request, ctx: WebContext, name: str) -> str | None:
    """The id of this browser's device cookie when it was issued for ``name``, else None."""
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return None
    try:
        data = _signer(ctx).loads(raw)
    except BadSignature:
        return None
    if isinstance(data, dict) and data.get("user") == name and isinstance(data.get("device"), str):
        return str(data["device"])
    return None


def _set_device(response: Response, ctx: WebContext, name: str, device: str | None) -> None:
    value = _signer(ctx).dumps({"user": name, "device": device or secrets.token_urlsafe(16)})
    response.set_cookie(DEVICE_COOKIE, value, max_age=DEVICE_MAX_AGE, httponly=True, samesite="strict",
                        secure=ctx.secure_cookies)


def _login_form(request: Request, ctx: Ctx, target: str, error: str | None, status: int = 200,
                headers: dict[str, str] | None = None) -> Response:
    return ctx.templates.TemplateResponse(request, "login.html", {"next": target, "error": error, "title": "Log in"},
                                          status_code=status, headers=headers)


@router.get("/login")
def login_page(request: Request, ctx: Ctx, next: str = "/cases") -> Response:
    return _login_form(request, ctx, _safe_next(next), None)


@router.post("/login")
def login_submit(
    request: Request, ctx: Ctx,
    username: Annotated[str, Form(max_length=100)], password: Annotated[str, Form(max_length=1000)],
    csrf_token: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/cases",
) -> Response:
    check_csrf(request, csrf_token)
    target = _safe_next(next)
    name = username.strip()
    device = trusted_device(request, ctx, name)
    try:
        user = ctx.accounts.authenticate(name, password, client_ip(request), device=device)
    except RateLimited as exc:
        return _login_form(request, ctx, target, str(exc), 429, {"Retry-After": str(exc.retry_after)})
    if user is None:
        return _login_form(request, ctx, target, "user name or password is wrong", 401)
    start_session(request, user)
    response = RedirectResponse(target, status_code=303)
    _set_device(response, ctx, user.name, device)
    return response


@router.post("/logout")
def logout(request: Request, ctx: Ctx, csrf_token: Annotated[str, Form()] = "") -> Response:
    """Ends the session on the server too: a copy of the old cookie no longer logs anyone in."""
    check_csrf(request, csrf_token)
    sid = request.session.get("sid")
    if isinstance(sid, str):
        ctx.accounts.end_session(sid)
    request.session.clear()
    return RedirectResponse("/cases", status_code=303)


def _account_page(request: Request, ctx: Ctx, status: int = 200, **values: object) -> Response:
    context: dict[str, object] = {"title": "Account", "error": None, "changed": False, **values}
    return ctx.templates.TemplateResponse(request, "account.html", context, status_code=status)


@router.get("/account")
def account_page(request: Request, ctx: Ctx) -> Response:
    require_curator_session(request)
    return _account_page(request, ctx, changed=request.query_params.get("changed") == "1")


@router.post("/account/password")
def change_password(
    request: Request, ctx: Ctx,
    current: Annotated[str, Form(max_length=1000)], new: Annotated[str, Form(max_length=1000)],
    confirm: Annotated[str, Form(max_length=1000)], csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """A new password ends every session of the user; this browser gets a fresh one."""
    user = require_curator_session(request)
    check_csrf(request, csrf_token)
    if new != confirm:
        return _account_page(request, ctx, 422, error="the new password and its confirmation differ")
    try:
        checked = ctx.accounts.authenticate(user.name, current, client_ip(request),
                                            device=trusted_device(request, ctx, user.name))
        if checked is None:
            return _account_page(request, ctx, 401, error="the current password is wrong")
        ctx.accounts.set_password(user.name, new)
    except RateLimited as exc:
        return _account_page(request, ctx, 429, error=str(exc))
    except AccountError as exc:
        return _account_page(request, ctx, 422, error=str(exc))
    start_session(request, checked)
    return RedirectResponse("/account?changed=1", status_code=303)

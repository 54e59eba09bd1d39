"""What every router shares: the app's services, the current user, CSRF, and filters from query strings."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError

from calcispine.config import Settings
from calcispine.model import CaseFilter, Region, ReviewStatus, Sex, parse_levels
from calcispine.registry import Registry

from ._accounts import AccountStore, User

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"
SESSION_COOKIE = "calcispine_session"
CSRF_FIELD = "csrf_token"
PAGE_SIZES = (10, 25, 50, 100)
SORTS = ("id", "-id", "age", "-age", "year", "-year", "sex", "region", "review_status")


@dataclass
class WebContext:
    """The services one app instance holds, built once by ``create_app``."""

    settings: Settings
    registry: Registry
    accounts: AccountStore
    templates: Jinja2Templates
    secure_cookies: bool
    secret_key: str = ""
    cache: dict[str, Any] = field(default_factory=dict)


def web_context(request: Request) -> WebContext:
    ctx: WebContext = request.app.state.ctx
    return ctx


Ctx = Annotated[WebContext, Depends(web_context)]


def validation_message(err: ValidationError) -> str:
    """Pydantic's errors as one line a person reads: the field, then what is wrong with it."""
    parts = []
    for e in err.errors():
        loc = ".".join(str(x) for x in e.get("loc", ()))
        msg = str(e.get("msg", "")).removeprefix("Value error, ")
        parts.append(f"{loc}: {msg}" if loc and not msg.startswith(f"{loc}:") else msg)
    return "; ".join(parts)


class ClientError(Exception):
    """Bad input from a form, query string or request body; the message says what and why (400 unless said)."""

    def __init__(self, message: str, status_code: int = 400) -> None:
        super().__init__(message)
        self.status_code = status_code


# -- users and CSRF ------------------------------------------------------------------------------


def session_user(request: Request) -> User | None:
    """The logged-in user of the browser session, looked up on the server (so logout really ends it)."""
    sid = request.session.get("sid")
    if not isinstance(sid, str):
        return None
    if "calcispine.user" in request.scope:
        cached: User | None = request.scope["calcispine.user"]
        return cached
    user = web_context(request).accounts.session_user(sid)
    if user is None:
        request.session.pop("sid", None)
    request.scope["calcispine.user"] = user
    return user


def start_session(request: Request, user: User) -> None:
    """Log this browser in as ``user``: a fresh server-side session and a fresh CSRF token."""
    request.session.clear()
    request.session["sid"] = web_context(request).accounts.start_session(user.name)
    request.session["csrf"] = secrets.token_urlsafe(32)
    request.scope["calcispine.user"] = user


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def check_csrf(request: Request, submitted: str | None) -> None:
    expected = request.session.get("csrf")
    if not isinstance(expected, str) or not submitted or not secrets.compare_digest(expected, submitted):
        raise HTTPException(status_code=403, detail="the form's security token is missing or stale; reload the page and try again")


def require_curator_session(request: Request) -> User:
    user = session_user(request)
    if user is None:
        raise HTTPException(status_code=401, detail="log in as a curator to change the registry")
    if not user.is_curator:
        raise HTTPException(status_code=403, detail=f"{user.name} is not a curator")
    return user


#: The API's security scheme as the OpenAPI schema states it; our own dependency gives the 401s.
BEARER = HTTPBearer(
    scheme_name="curatorToken", auto_error=False,
    description="A curator's API token: `calcispine user token NAME` prints one (only its hash is stored).",
)


def bearer_curator(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)] = None,
) -> User:
    """API writes: ``Authorization: Bearer <token>`` of a curator."""
    token = credentials.credentials.strip() if credentials is not None else ""
    if not token:
        raise HTTPException(status_code=401, detail="API writes need 'Authorization: Bearer <token>' "
                            "(create one with `calcispine user token NAME`)", headers={"WWW-Authenticate": "Bearer"})
    user = web_context(request).accounts.user_for_token(token)
    if user is None:
        raise HTTPException(status_code=401, detail="the API token is unknown or revoked",
                            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    if not user.is_curator:
        raise HTTPException(status_code=403, detail=f"{user.name} is not a curator")
    return user


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


# -- filters ---------------------------------------------------------------------------------------

def stored_diagnoses(ctx: WebContext) -> tuple[str, ...]:
    """Diagnosis keys stored on a case or a record (cached until the next write)."""
    hit = ctx.cache.get("stored_diagnoses")
    if hit is None:
        hit = ctx.registry.diagnosis_keys()
        ctx.cache["stored_diagnoses"] = hit
    keys: tuple[str, ...] = hit
    return keys


@dataclass(frozen=True)
class CaseQuery:
    """A registry subset as the list page, the cohort page and the API take it from the query string."""

    region: tuple[str, ...] = ()
    level: str = ""
    etiology: tuple[str, ...] = ()
    diagnosis: tuple[str, ...] = ()
    sex: str = ""
    age_min: float | None = None
    age_max: float | None = None
    year_min: int | None = None
    year_max: int | None = None
    status: tuple[str, ...] = ()
    q: str = ""

    def to_filter(self, ctx: WebContext) -> CaseFilter:
        """The domain filter; a diagnosis must be one the knowledge base names or one ``ctx`` stores."""
        from calcispine.cohort import diagnosis_filter, expand_etiology

        try:
            wanted = diagnosis_filter(self.diagnosis, lambda: stored_diagnoses(ctx))
        except ValueError as exc:
            raise ClientError(f"diagnosis {exc}") from exc

        try:
            regions = tuple(Region(r) for r in self.region if r)
        except ValueError as exc:
            raise ClientError(f"region: {exc}; choose from {', '.join(r.value for r in Region)}") from exc
        try:
            levels = parse_levels(self.level, typed=True) if self.level.strip() else ()
        except ValueError as exc:
            raise ClientError(f"level {self.level!r}: {exc}") from exc
        try:
            etiology = expand_etiology([e for e in self.etiology if e]) if any(self.etiology) else ()
        except ValueError as exc:
            raise ClientError(f"etiology: {exc}") from exc
        try:
            sex = Sex.parse(self.sex) if self.sex else None
            status = tuple(ReviewStatus(s) for s in self.status if s)
        except ValueError as exc:
            raise ClientError(str(exc)) from exc
        try:
            return CaseFilter(
                regions=regions, levels=levels, etiology=etiology,
                diagnosis=wanted, sex=None if sex is Sex.UNKNOWN else sex,
                age_min=self.age_min, age_max=self.age_max, year_min=self.year_min, year_max=self.year_max,
                review_status=status, text=self.q.strip() or None,
            )
        except ValueError as exc:
            raise ClientError(str(exc)) from exc

    def query_string(self, **extra: object) -> str:
        """This filter as a query string (for links that keep it: paging, sorting, cohort, CSV)."""
        from urllib.parse import urlencode

        return urlencode(self.pairs(**extra))

    def pairs(self, **extra: object) -> list[tuple[str, object]]:
        pairs: list[tuple[str, object]] = []
        for name in ("region", "etiology", "diagnosis", "status"):
            pairs.extend((name, v) for v in getattr(self, name) if v)
        for name in ("level", "sex", "age_min", "age_max", "year_min", "year_max", "q"):
            v = getattr(self, name)
            if v not in (None, ""):
                pairs.append((name, v))
        pairs.extend((k, v) for k, v in extra.items() if v not in (None, ""))
        return pairs

    @property
    def is_empty(self) -> bool:
        return self == CaseQuery()


def case_query(
    region: Annotated[list[str] | None, Query(description="cervical, thoracic, lumbar or sacral (repeatable)")] = None,
    level: Annotated[str, Query(max_length=100, description="levels such as C2, C3-C4 or L4/L5")] = "",
    etiology: Annotated[list[str] | None, Query(description="etiology tag, group (dialysis) or class (secondary)")] = None,
    diagnosis: Annotated[list[str] | None, Query(description="diagnosis key")] = None,
    sex: Annotated[str, Query(max_length=10, description="female or male")] = "",
    age_min: Annotated[float | None, Query(ge=0, le=120)] = None,
    age_max: Annotated[float | None, Query(ge=0, le=120)] = None,
    year_min: Annotated[int | None, Query(ge=1800, le=2100)] = None,
    year_max: Annotated[int | None, Query(ge=1800, le=2100)] = None,
    status: Annotated[list[str] | None, Query(description="needs_review, reviewed or published")] = None,
    q: Annotated[str, Query(max_length=200, description="free-text search")] = "",
) -> CaseQuery:
    return CaseQuery(
        region=tuple(region or ()), level=level, etiology=tuple(etiology or ()), diagnosis=tuple(diagnosis or ()),
        sex=sex, age_min=age_min, age_max=age_max, year_min=year_min, year_max=year_max,
        status=tuple(status or ()), q=q,
    )


Filter = Annotated[CaseQuery, Depends(case_query)]

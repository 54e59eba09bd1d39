"""Curator accounts: argon2 password hashes, API tokens and web sessions stored as hashes, rate-limited logins.

The tables live on the registry's declarative metadata (one schema for SQLite and
PostgreSQL); the Alembic revisions ``w001_accounts`` and ``w002_sessions`` create them.

Failed logins are limited per client address and name, per address across names (password
spraying) and per name across addresses. None of these limits applies to a browser that has
logged in as that user before (it holds a signed device cookie and has its own limit), so
anonymous requests can slow a curator down on a new device but never lock her out of her own.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import (
    Boolean,
    DateTime,
    Engine,
    ForeignKey,
    Index,
    Integer,
    String,
    and_,
    delete,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from calcispine.registry import Base

__all__ = [
    "AccountError", "AccountStore", "ApiTokenRow", "LoginAttemptRow", "RateLimited", "User", "UserRow",
    "WebSessionRow",
]

CURATOR = "curator"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")
MIN_PASSWORD = 8
TOKEN_PREFIX = "cs_"
FAILURE_WINDOW = timedelta(minutes=15)
#: Failed logins allowed inside the window: for one name from one address (or from one trusted device),
MAX_FAILURES = 5
#: from one address whatever the name (password spraying),
MAX_FAILURES_PER_CLIENT = 20
#: and for one name from all addresses together (a distributed attack; trusted devices are exempt).
MAX_FAILURES_PER_NAME = 50
SESSION_LIFETIME = timedelta(hours=8)


class UserRow(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    __table_args__ = (Index("ux_users_name", "name", unique=True),)


class ApiTokenRow(Base):
    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(Integer, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    label: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked: Mapped[bool] = mapped_column(Boolean)
    __table_args__ = (Index("ux_api_tokens_hash", "token_hash", unique=True),)


class LoginAttemptRow(Base):
    __tablename__ = "login_attempts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100))
    ip: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    success: Mapped[bool] = mapped_column(Boolean)
    #: the trusted device the attempt came from (see the module docstring), else None
    device: Mapped[str | None] = mapped_column(String(64), nullable=True)
    __table_args__ = (Index("ix_login_attempts_name_ip_at", "name", "ip", "at"),
                      Index("ix_login_attempts_ip_at", "ip", "at"), Index("ix_login_attempts_name_at", "name", "at"))


class WebSessionRow(Base):
    """A logged-in browser: the cookie holds a random id whose hash is here, so the server can end it."""

    __tablename__ = "web_sessions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(Integer, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    __table_args__ = (Index("ux_web_sessions_hash", "token_hash", unique=True),)


class AccountError(ValueError):
    """An account operation that was refused; the message says why."""


class RateLimited(AccountError):
    """Too many failed logins; ``retry_after`` is how many seconds until the next try is taken."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class User:
    name: str
    role: str

    @property
    def is_curator(self) -> bool:
        return self.role == CURATOR


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def _check_password(name: str, password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password for {name} is too short: at least {MIN_PASSWORD} characters")


def hash_token(token: str) -> str:
    """Tokens are long random strings, so one SHA-256 is enough; the token itself is never stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class AccountStore:
    """Users, tokens and login attempts in the registry's database."""

    def __init__(self, engine: Engine, hasher: PasswordHasher | None = None) -> None:
        self.engine = engine
        self.hasher = hasher or PasswordHasher()
        # verifying an unknown user still costs one hash, so timing does not reveal who exists
        self._dummy_hash = self.hasher.hash(secrets.token_hex(16))

    def add_user(self, name: str, password: str, role: str = CURATOR) -> User:
        if not NAME_RE.match(name):
            raise AccountError(f"user name {name!r}: use letters, digits, '.', '_', '@' or '-' (at most 100)")
        _check_password(name, password)
        with Session(self.engine) as s, s.begin():
            if s.scalar(select(UserRow.id).where(UserRow.name == name)) is not None:
                raise AccountError(f"user {name!r} already exists")
            s.add(UserRow(name=name, password_hash=self.hasher.hash(password), role=role, active=True,
                          created_at=_now()))
        return User(name, role)

    def get_user(self, name: str) -> User | None:
        with Session(self.engine) as s:
            row = s.scalar(select(UserRow).where(UserRow.name == name, UserRow.active.is_(True)))
            return User(row.name, row.role) if row is not None else None

    def users(self) -> list[User]:
        with Session(self.engine) as s:
            return [User(r.name, r.role) for r in s.scalars(select(UserRow).order_by(UserRow.name))]

    def _failures(self, s: Session, *where: Any) -> tuple[int, datetime | None]:
        """Failed attempts matching ``where`` inside the window, and when the oldest of them was."""
        since = _now() - FAILURE_WINDOW
        count, oldest = s.execute(
            select(func.count(), func.min(LoginAttemptRow.at)).where(
                LoginAttemptRow.success.is_(False), LoginAttemptRow.at >= since, *where)
        ).one()
        return int(count or 0), _aware(oldest) if oldest is not None else None

    def _check_limits(self, s: Session, name: str, ip: str, device: str | None) -> None:
        limits: list[tuple[tuple[ColumnElement[bool], ...], int, str]]
        if device is not None:
            limits = [((LoginAttemptRow.name == name, LoginAttemptRow.device == device), MAX_FAILURES,
                       f"too many failed logins for {name!r} from this browser")]
        else:
            untrusted = LoginAttemptRow.device.is_(None)
            limits = [
                ((LoginAttemptRow.ip == ip, untrusted), MAX_FAILURES_PER_CLIENT,
                 "too many failed logins from this address"),
                ((LoginAttemptRow.name == name, LoginAttemptRow.ip == ip, untrusted), MAX_FAILURES,
                 f"too many failed logins for {name!r} from this address"),
                ((LoginAttemptRow.name == name, untrusted), MAX_FAILURES_PER_NAME,
                 f"too many failed logins for {name!r} from browsers it has not logged in from before "
                 f"(a browser that has logged in as {name} is not limited by this)"),
            ]
        for where, limit, message in limits:
            count, oldest = self._failures(s, *where)
            if count >= limit and oldest is not None:
                wait = max(1, int((oldest + FAILURE_WINDOW - _now()).total_seconds()) + 1)
                minutes = -(-wait // 60)
                raise RateLimited(f"{message}; try again in {minutes} minute{'' if minutes == 1 else 's'}", wait)

    def authenticate(self, name: str, password: str, ip: str, device: str | None = None) -> User | None:
        """The user when the password matches; None when not; RateLimited after too many failures.

        ``device`` is the id of a trusted device cookie for ``name`` (checked by the caller): such a
        browser is limited on its own failures only, so nobody else's failures can lock it out.
        """
        name = name[:100]
        ip = ip[:64]
        device = device[:64] if device else None
        with Session(self.engine) as s, s.begin():
            self._check_limits(s, name, ip, device)
            row = s.scalar(select(UserRow).where(UserRow.name == name, UserRow.active.is_(True)))
            ok = False
            try:
                ok = self.hasher.verify(row.password_hash if row else self._dummy_hash, password) and row is not None
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                ok = False
            s.add(LoginAttemptRow(name=name, ip=ip, at=_now(), success=ok, device=device))
            if ok and row is not None:
                if self.hasher.check_needs_rehash(row.password_hash):
                    row.password_hash = self.hasher.hash(password)
                same_client = LoginAttemptRow.device == device if device else LoginAttemptRow.ip == ip
                s.execute(delete(LoginAttemptRow).where(
                    or_(LoginAttemptRow.at < _now() - FAILURE_WINDOW,
                        and_(LoginAttemptRow.name == name, same_client))))
                return User(row.name, row.role)
            return None

    def set_password(self, name: str, password: str) -> int:
        """A new password for ``name``; every web session of the user ends. Returns how many ended."""
        _check_password(name, password)
        with Session(self.engine) as s, s.begin():
            row = s.scalar(select(UserRow).where(UserRow.name == name))
            if row is None:
                raise AccountError(f"no user {name!r}; create one with `calcispine user add {name}`")
            row.password_hash = self.hasher.hash(password)
            ended = s.execute(delete(WebSessionRow).where(WebSessionRow.user_id == row.id))
            return int(getattr(ended, "rowcount", 0) or 0)

    # -- web sessions ---------------------------------------------------------------------------

    def start_session(self, name: str, lifetime: timedelta = SESSION_LIFETIME) -> str:
        """A new session id for ``name`` (for the signed cookie); only its hash is stored."""
        token = secrets.token_urlsafe(32)
        now = _now()
        with Session(self.engine) as s, s.begin():
            row = s.scalar(select(UserRow).where(UserRow.name == name, UserRow.active.is_(True)))
            if row is None:
                raise AccountError(f"no active user {name!r}")
            s.execute(delete(WebSessionRow).where(WebSessionRow.expires_at < now))
            s.add(WebSessionRow(user_id=row.id, token_hash=hash_token(token), created_at=now,
                                expires_at=now + lifetime))
        return token

    def session_user(self, token: str) -> User | None:
        """The user of a live session; None once it was ended, has expired or the user was deactivated."""
        if not token or len(token) > 200:
            return None
        with Session(self.engine) as s:
            hit = s.execute(
                select(WebSessionRow.expires_at, UserRow.name, UserRow.role)
                .join(UserRow, UserRow.id == WebSessionRow.user_id)
                .where(WebSessionRow.token_hash == hash_token(token), UserRow.active.is_(True))
            ).first()
        if hit is None or _aware(hit.expires_at) <= _now():
            return None
        return User(hit.name, hit.role)

    def end_session(self, token: str) -> None:
        with Session(self.engine) as s, s.begin():
            s.execute(delete(WebSessionRow).where(WebSessionRow.token_hash == hash_token(token)))

    def new_token(self, name: str, label: str | None = None) -> str:
        """A fresh API token for ``name``; only its hash is stored, so this is the one time it is seen."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with Session(self.engine) as s, s.begin():
            row = s.scalar(select(UserRow).where(UserRow.name == name, UserRow.active.is_(True)))
            if row is None:
                raise AccountError(f"no user {name!r}; create one with `calcispine user add {name}`")
            s.add(ApiTokenRow(user_id=row.id, token_hash=hash_token(token), label=label, created_at=_now(),
                              last_used_at=None, revoked=False))
        return token

    def user_for_token(self, token: str) -> User | None:
        if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            return None
        with Session(self.engine) as s, s.begin():
            hit = s.execute(
                select(ApiTokenRow, UserRow).join(UserRow, UserRow.id == ApiTokenRow.user_id).where(
                    ApiTokenRow.token_hash == hash_token(token), ApiTokenRow.revoked.is_(False),
                    UserRow.active.is_(True))
            ).first()
            if hit is None:
                return None
            tok, user = hit
            last = tok.last_used_at
            if last is None or _now() - _aware(last) > timedelta(minutes=1):
                tok.last_used_at = _now()
            return User(user.name, user.role)

    def revoke_tokens(self, name: str) -> int:
        with Session(self.engine) as s, s.begin():
            row = s.scalar(select(UserRow).where(UserRow.name == name))
            if row is None:
                raise AccountError(f"no user {name!r}")
            toks = list(s.scalars(select(ApiTokenRow).where(ApiTokenRow.user_id == row.id,
                                                            ApiTokenRow.revoked.is_(False))))
            for t in toks:
                t.revoked = True
            return len(toks)

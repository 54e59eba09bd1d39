"""Curator accounts: users with argon2 password hashes, API tokens stored as hashes, rate-limited logins.

The tables live on the registry's declarative metadata (one schema for SQLite and
PostgreSQL); the Alembic revision ``w001_accounts`` creates them.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Boolean, DateTime, Engine, ForeignKey, Index, Integer, String, delete, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from calcispine.registry import Base

__all__ = [
    "AccountError", "AccountStore", "ApiTokenRow", "LoginAttemptRow", "RateLimited", "User", "UserRow",
]

CURATOR = "curator"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")
MIN_PASSWORD = 8
TOKEN_PREFIX = "cs_"
#: Failed logins allowed per user and address inside the window before further tries are refused.
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)


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
    __table_args__ = (Index("ix_login_attempts_name_ip_at", "name", "ip", "at"),)


class AccountError(ValueError):
    """An account operation that was refused; the message says why."""


class RateLimited(AccountError):
    """Too many failed logins for this user from this address."""


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
        if len(password) < MIN_PASSWORD:
            raise AccountError(f"the password for {name} is too short: at least {MIN_PASSWORD} characters")
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

    def _recent_failures(self, s: Session, name: str, ip: str) -> int:
        since = _now() - FAILURE_WINDOW
        return int(s.scalar(
            select(func.count()).select_from(LoginAttemptRow).where(
                LoginAttemptRow.name == name, LoginAttemptRow.ip == ip,
                LoginAttemptRow.success.is_(False), LoginAttemptRow.at >= since)
        ) or 0)

    def authenticate(self, name: str, password: str, ip: str) -> User | None:
        """The user when the password matches; None when not; RateLimited after too many failures."""
        name = name[:100]
        ip = ip[:64]
        with Session(self.engine) as s, s.begin():
            if self._recent_failures(s, name, ip) >= MAX_FAILURES:
                raise RateLimited(f"too many failed logins for {name!r}; try again in {FAILURE_WINDOW.seconds // 60} minutes")
            row = s.scalar(select(UserRow).where(UserRow.name == name, UserRow.active.is_(True)))
            ok = False
            try:
                ok = self.hasher.verify(row.password_hash if row else self._dummy_hash, password) and row is not None
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                ok = False
            s.add(LoginAttemptRow(name=name, ip=ip, at=_now(), success=ok))
            if ok and row is not None:
                if self.hasher.check_needs_rehash(row.password_hash):
                    row.password_hash = self.hasher.hash(password)
                s.execute(delete(LoginAttemptRow).where(
                    LoginAttemptRow.name == name, LoginAttemptRow.at < _now() - FAILURE_WINDOW))
                return User(row.name, row.role)
            return None

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

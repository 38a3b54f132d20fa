"""Browser sessions: a random key in an HttpOnly cookie, only its hash in ``web_sessions``,
and a per-session token that every form and htmx request sends back (CSRF).

Page handlers take the signed-in reader as the ``viewer`` dependency; without a live session
it raises ``SignInRequired``, which the pages answer with a redirect to the sign-in form.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Any, Protocol

import asyncpg
import msgspec
from asyncpg import Connection, Record
from litestar import Request
from litestar.di import NamedDependency

from matchmaker.accounts.guards import is_staff
from matchmaker.accounts.schemas import User
from matchmaker.db.queries import load
from matchmaker.errors import Forbidden, MatchmakerError

COOKIE = "mm_session"
LIFETIME = timedelta(hours=12)
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


class SessionQueries(Protocol):
    """``sql/queries/sessions.sql``."""

    async def open_session(self, conn: Connection, *, key_hash: bytes, user_id: int, token_version: int,
                           csrf_token: str, seconds: float) -> str: ...
    async def read_session(self, conn: Connection, *, key_hash: bytes) -> Record | None: ...
    async def close_session(self, conn: Connection, *, key_hash: bytes) -> str: ...


sessions_sql: SessionQueries = load("sessions", SessionQueries)
#: The request's connection, in its transaction (``matchmaker.app``'s ``db``).
Db = NamedDependency[asyncpg.Connection]


class SignInRequired(MatchmakerError):
    status = 401
    title = "Sign in required"


class Viewer(msgspec.Struct, frozen=True):
    """Who reads a page: the user, their organisation, and their session's form token."""

    user: User
    csrf_token: str
    organisation_name: str | None
    organisation_kind: str | None

    @property
    def role(self) -> str:
        return self.user.role


def _hash(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


async def open_session(conn: asyncpg.Connection, user_id: int, token_version: int) -> str:
    """A new session for the user; returns the key for the cookie."""
    key = secrets.token_urlsafe(32)
    await sessions_sql.open_session(conn, key_hash=_hash(key), user_id=user_id, token_version=token_version,
                                    csrf_token=secrets.token_urlsafe(32), seconds=LIFETIME.total_seconds())
    return key


async def close_session(conn: asyncpg.Connection, key: str) -> None:
    await sessions_sql.close_session(conn, key_hash=_hash(key))


async def provide_viewer(request: Request[Any, Any, Any], db: Db) -> Viewer:
    """The signed-in reader of a page, or ``SignInRequired``."""
    key = request.cookies.get(COOKIE)
    row = await sessions_sql.read_session(db, key_hash=_hash(key)) if key else None
    if row is None:
        raise SignInRequired("sign in to see this page")
    fields = dict(row)
    return Viewer(user=msgspec.convert({k: fields.pop(k) for k in ("id", "email", "role", "organisation_id",
                                                                    "created_at")}, User), **fields)


def check_csrf(request: Request[Any, Any, Any], viewer: Viewer, sent: str | None) -> None:
    """A change is accepted only with the session's token, in the form or the htmx header."""
    token = sent or request.headers.get(CSRF_HEADER) or ""
    if not hmac.compare_digest(token.encode(), viewer.csrf_token.encode()):
        raise Forbidden("this form has expired: reload the page and try again")


def require_role(viewer: Viewer, *roles: str) -> None:
    if viewer.role not in roles:
        raise Forbidden("this page is for another role")


def require_staff(viewer: Viewer) -> None:
    """Coordinators and administrators only."""
    if not is_staff(viewer.user):
        raise Forbidden("this page is for coordinators")

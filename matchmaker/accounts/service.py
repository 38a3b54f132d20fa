"""Account use cases: create users, read the caller (signing in: ``matchmaker.accounts.signin``)."""

from __future__ import annotations

import asyncpg
import msgspec

from matchmaker.accounts.passwords import hash_password
from matchmaker.accounts.queries import accounts_sql
from matchmaker.accounts.schemas import User, UserCreate
from matchmaker.errors import Conflict, InvalidInput, NotFound
from matchmaker.vocabulary import FUNDER_KINDS, STATE_KINDS

# Which organisations each role may belong to (coordinators and admins: any, or none).
_ROLE_KINDS = {"state": STATE_KINDS, "donor": FUNDER_KINDS}


async def create_user(conn: asyncpg.Connection, data: UserCreate) -> User:
    email = data.email.strip().lower()
    if data.role in _ROLE_KINDS and data.organisation_id is None:
        raise InvalidInput("organisation_id", f"a {data.role} user must belong to an organisation")
    if data.organisation_id is not None:
        kind = await accounts_sql.organisation_kind(conn, id=data.organisation_id)
        if kind is None:
            raise InvalidInput("organisation_id", f"organisation {data.organisation_id} does not exist")
        if data.role in _ROLE_KINDS and kind not in _ROLE_KINDS[data.role]:
            allowed = ", ".join(sorted(_ROLE_KINDS[data.role]))
            raise InvalidInput(
                "organisation_id", f"a {data.role} user belongs to an organisation of kind {allowed}, not {kind}"
            )
    row = await accounts_sql.insert_user(
        conn, email=email, password_hash=hash_password(data.password), role=data.role, organisation_id=data.organisation_id
    )
    if row is None:
        raise Conflict(f"a user with email {email!r} already exists")
    return msgspec.convert(dict(row), User)


async def get_user(conn: asyncpg.Connection, user_id: int) -> User | None:
    row = await accounts_sql.get_user(conn, id=user_id)
    return msgspec.convert(dict(row), User) if row else None


async def set_active(conn: asyncpg.Connection, user_id: int, active: bool) -> User:
    row = await accounts_sql.set_active(conn, id=user_id, active=active)
    if row is None:
        raise NotFound(f"user {user_id} does not exist")
    return msgspec.convert(dict(row), User)


async def revoke_tokens(conn: asyncpg.Connection, user_id: int) -> None:
    """Every token issued to the user so far stops working (signing out everywhere)."""
    await accounts_sql.revoke_tokens(conn, id=user_id)

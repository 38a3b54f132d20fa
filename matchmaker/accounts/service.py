"""Account use cases: create users, read the caller (signing in: ``matchmaker.accounts.signin``)."""

from __future__ import annotations

import asyncpg
import msgspec

from matchmaker.accounts.passwords import hash_password
from matchmaker.accounts.schemas import User, UserCreate
from matchmaker.db.queries import queries
from matchmaker.errors import Conflict, InvalidInput, NotFound
from matchmaker.organisations.service import get_organisation
from matchmaker.vocabulary import FUNDER_KINDS, STATE_KINDS

# Which organisations each role may belong to (coordinators and admins: any, or none).
_ROLE_KINDS = {"state": STATE_KINDS, "donor": FUNDER_KINDS}


async def create_user(conn: asyncpg.Connection, data: UserCreate) -> User:
    email = data.email.strip().lower()
    if data.role in _ROLE_KINDS:
        if data.organisation_id is None:
            raise InvalidInput("organisation_id", f"a {data.role} user must belong to an organisation")
        try:
            organisation = await get_organisation(conn, data.organisation_id)
        except NotFound as exc:
            raise InvalidInput("organisation_id", exc.detail) from exc
        if organisation.kind not in _ROLE_KINDS[data.role]:
            allowed = ", ".join(sorted(_ROLE_KINDS[data.role]))
            raise InvalidInput(
                "organisation_id", f"a {data.role} user belongs to an organisation of kind {allowed}, not {organisation.kind}"
            )
    elif data.organisation_id is not None:
        await get_organisation(conn, data.organisation_id)
    row = await queries.insert_user(
        conn, email=email, password_hash=hash_password(data.password), role=data.role, organisation_id=data.organisation_id
    )
    if row is None:
        raise Conflict(f"a user with email {email!r} already exists")
    return msgspec.convert(dict(row), User)


async def get_user(conn: asyncpg.Connection, user_id: int) -> User | None:
    row = await queries.get_user(conn, id=user_id)
    return msgspec.convert(dict(row), User) if row else None


async def set_active(conn: asyncpg.Connection, user_id: int, active: bool) -> User:
    row = await queries.set_active(conn, id=user_id, active=active)
    if row is None:
        raise NotFound(f"user {user_id} does not exist")
    return msgspec.convert(dict(row), User)


async def revoke_tokens(conn: asyncpg.Connection, user_id: int) -> None:
    """Every token issued to the user so far stops working (signing out everywhere)."""
    await queries.revoke_tokens(conn, id=user_id)

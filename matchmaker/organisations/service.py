"""Organisation use cases: list, read, create."""

from __future__ import annotations

import asyncpg
import msgspec

from matchmaker.accounts.schemas import User
from matchmaker.db.queries import fetch_all, queries
from matchmaker.errors import Conflict, Forbidden, InvalidInput, NotFound
from matchmaker.organisations.schemas import Organisation, OrganisationCreate
from matchmaker.schemas import Page, check_country, decode_cursor, page


async def get_organisation(conn: asyncpg.Connection, organisation_id: int) -> Organisation:
    row = await queries.get_organisation(conn, id=organisation_id)
    if row is None:
        raise NotFound(f"organisation {organisation_id} does not exist")
    return msgspec.convert(dict(row), Organisation)


async def list_organisations(
    conn: asyncpg.Connection, *, kind: str | None, country: str | None, q: str | None, limit: int, cursor: str | None
) -> Page[Organisation]:
    rows = await fetch_all(queries.list_organisations(
        conn, kind=kind, country=country, q=q, after_id=decode_cursor(cursor), lim=limit + 1
    ))
    return page([msgspec.convert(dict(r), Organisation) for r in rows], limit)


async def create_organisation(conn: asyncpg.Connection, data: OrganisationCreate) -> Organisation:
    check_country("country", data.country)
    check_country("origin_country", data.origin_country)
    row = await queries.insert_organisation(conn, **msgspec.structs.asdict(data))
    if row is None:
        raise Conflict(f"an organisation named {data.name!r} or with that external_id already exists")
    return msgspec.convert(dict(row), Organisation)


async def organisation_for_new(
    conn: asyncpg.Connection, user: User, requested_id: int | None, kinds: frozenset[str], what: str
) -> Organisation:
    """The organisation a new need or offer belongs to: the caller's own, or (staff) the one named."""
    if user.role in ("state", "donor"):
        if requested_id is not None and requested_id != user.organisation_id:
            raise Forbidden(f"you can only post {what} for your own organisation")
        assert user.organisation_id is not None
        return await get_organisation(conn, user.organisation_id)
    if requested_id is None:
        raise InvalidInput("organisation_id", f"coordinators and admins name the organisation the {what.rstrip('s')} belongs to")
    try:
        organisation = await get_organisation(conn, requested_id)
    except NotFound as exc:
        raise InvalidInput("organisation_id", exc.detail) from exc
    if organisation.kind not in kinds:
        raise InvalidInput("organisation_id", f"a {organisation.kind} cannot post {what}")
    return organisation


async def resolve_organisation(conn: asyncpg.Connection, reference: str) -> int:
    """An organisation's id from its id or its key (``external_id``, e.g. ``sen-dpaf``)."""
    row = await queries.get_organisation_by_external_id(conn, external_id=reference)
    if row is not None:
        return row["id"]
    if reference.isdigit():
        return (await get_organisation(conn, int(reference))).id
    raise NotFound(f"no organisation with the id or key {reference!r}")

"""Organisation use cases: list, read, create, update."""

from __future__ import annotations

from typing import Any

import asyncpg
import msgspec

from matchmaker import audit
from matchmaker.accounts.guards import ensure_member_or_staff
from matchmaker.accounts.schemas import User
from matchmaker.db.queries import fetch_all
from matchmaker.errors import Conflict, Forbidden, InvalidInput, NotFound
from matchmaker.organisations.queries import organisations_sql
from matchmaker.organisations.schemas import Organisation, OrganisationCreate, OrganisationUpdate
from matchmaker.patching import patch_changes
from matchmaker.rules import Checks
from matchmaker.schemas import Page, decode_cursor, page
from matchmaker.vocabulary import STATE_KINDS


async def get_organisation(conn: asyncpg.Connection, organisation_id: int) -> Organisation:
    row = await organisations_sql.get_organisation(conn, id=organisation_id)
    if row is None:
        raise NotFound(f"organisation {organisation_id} does not exist")
    return msgspec.convert(dict(row), Organisation)


async def list_organisations(
    conn: asyncpg.Connection, *, kind: str | None, country: str | None, q: str | None, limit: int, cursor: str | None
) -> Page[Organisation]:
    rows = await fetch_all(organisations_sql.list_organisations(
        conn, kind=kind, country=country, q=q, after_id=decode_cursor(cursor), lim=limit + 1
    ))
    return page([msgspec.convert(dict(r), Organisation) for r in rows], limit)


async def create_organisation(conn: asyncpg.Connection, data: OrganisationCreate,
                              actor: User | None = None) -> Organisation:
    """Register an organisation; one registered through the API is audited as ``actor``'s act
    (set-up from the command line and demo data is not an event of the marketplace)."""
    checks = Checks()
    checks.fields(msgspec.structs.asdict(data))
    checks.done()
    row = await organisations_sql.insert_organisation(conn, **msgspec.structs.asdict(data))
    if row is None:
        raise Conflict(f"an organisation named {data.name!r} or with that external_id already exists")
    organisation = msgspec.convert(dict(row), Organisation)
    if actor is not None:
        await audit.record(
            conn, actor_id=actor.id, entity="organisation", entity_id=organisation.id, action="created",
            changes={"name": organisation.name, "kind": organisation.kind}, organisation_ids=[organisation.id],
        )
    return organisation


async def update_organisation(conn: asyncpg.Connection, user: User, organisation_id: int,
                              patch: OrganisationUpdate) -> Organisation:
    """Members and staff edit an organisation; every change is audited (and re-ranks its offers)."""
    row = await organisations_sql.lock_organisation(conn, id=organisation_id)
    if row is None:
        raise NotFound(f"organisation {organisation_id} does not exist")
    ensure_member_or_staff(user, organisation_id, "this organisation")
    changes = patch_changes(patch)
    if "kind" in changes and (changes["kind"] in STATE_KINDS) != (row["kind"] in STATE_KINDS):
        raise InvalidInput("kind", f"a {row['kind']} stays a {'state body' if row['kind'] in STATE_KINDS else 'funder'}: "
                                   "its users' roles depend on it")
    checks = Checks()
    checks.fields(changes)
    checks.done()
    current = dict(row)
    merged: dict[str, Any] = {k: changes.get(k, current[k]) for k in ("name", "kind", "country", "origin_country", "external_id")}
    try:
        await organisations_sql.update_organisation(conn, id=organisation_id, **merged)
    except asyncpg.UniqueViolationError as exc:
        raise Conflict(f"another organisation has that name or external_id ({merged['name']!r})") from exc
    await audit.record(conn, actor_id=user.id, entity="organisation", entity_id=organisation_id, action="updated",
                       changes=audit.diff(current, changes), organisation_ids=[organisation_id])
    return await get_organisation(conn, organisation_id)


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
    row = await organisations_sql.get_organisation_by_external_id(conn, external_id=reference)
    if row is not None:
        return row["id"]
    if reference.isdigit():
        return (await get_organisation(conn, int(reference))).id
    raise NotFound(f"no organisation with the id or key {reference!r}")

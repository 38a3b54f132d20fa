"""Capacity-need use cases: post, read, search, update — each change audited."""

from __future__ import annotations

import asyncpg
import msgspec

from matchmaker import audit
from matchmaker.accounts.guards import ensure_member_or_staff
from matchmaker.accounts.schemas import User
from matchmaker.db.queries import fetch_all
from matchmaker.errors import Conflict, NotFound
from matchmaker.language import detect_language
from matchmaker.needs.queries import needs_sql
from matchmaker.needs.schemas import Need, NeedCreate, NeedUpdate
from matchmaker.organisations.service import organisation_for_new
from matchmaker.patching import check_frozen, derived_status, patch_changes
from matchmaker.rules import Checks, check_amount
from matchmaker.schemas import Page
from matchmaker.search.concepts import document_concepts
from matchmaker.search.query import Search
from matchmaker.vocabulary import STATE_KINDS

# The columns a PATCH may write (everything stored but identity, money committed and timestamps).
_WRITABLE = (
    "reference", "title", "description", "language", "country", "gcm_objectives", "capacity_areas",
    "resource_types", "sectors", "amount", "currency", "deadline", "status",
)


async def get_need(conn: asyncpg.Connection, need_id: int) -> Need:
    row = await needs_sql.get_need(conn, id=need_id)
    if row is None:
        raise NotFound(f"need {need_id} does not exist")
    return msgspec.convert(dict(row), Need)


async def get_needs(conn: asyncpg.Connection, need_ids: list[int]) -> dict[int, Need]:
    rows = await fetch_all(needs_sql.get_needs_by_ids(conn, ids=need_ids))
    return {r["id"]: msgspec.convert(dict(r), Need) for r in rows}


async def list_needs(
    conn: asyncpg.Connection, *, limit: int, cursor: str | None = None, q: str | None = None,
    organisation_id: int | None = None, country: str | None = None, region: str | None = None,
    gcm_objective: int | None = None, capacity_area: str | None = None, resource_type: str | None = None,
    status: str | None = None,
) -> Page[Need]:
    """Needs passing every filter given (``None``: any), newest first, or by relevance to ``q``."""
    search = Search(q, cursor)
    rows = await fetch_all(needs_sql.list_needs(
        conn, organisation_id=organisation_id, country=country, region=region, gcm_objective=gcm_objective,
        capacity_area=capacity_area, resource_type=resource_type, status=status, **search.params(), lim=limit + 1,
    ))
    return search.page([msgspec.convert(dict(r), Need) for r in rows], limit)


async def create_need(conn: asyncpg.Connection, user: User, data: NeedCreate) -> Need:
    organisation = await organisation_for_new(conn, user, data.organisation_id, STATE_KINDS, "needs")
    fields = msgspec.structs.asdict(data)
    checks = Checks()
    checks.fields(fields)
    checks(check_amount, "amount", data.amount, data.currency)
    checks.done()
    del fields["organisation_id"]
    fields["language"] = data.language or detect_language(f"{data.title} {data.description}")
    need_id = await needs_sql.insert_need(
        conn, organisation_id=organisation.id, concepts=document_concepts(data.title, data.description), **fields
    )
    if need_id is None:
        raise Conflict(f"your organisation already has a need with reference {data.reference!r}")
    await audit.record(
        conn, actor_id=user.id, entity="need", entity_id=need_id, action="created",
        changes={"title": data.title, "amount": data.amount, "currency": data.currency},
        organisation_ids=[organisation.id],
    )
    return await get_need(conn, need_id)


async def update_need(conn: asyncpg.Connection, user: User, need_id: int, patch: NeedUpdate) -> Need:
    row = await needs_sql.lock_need(conn, id=need_id)
    if row is None:
        raise NotFound(f"need {need_id} does not exist")
    ensure_member_or_staff(user, row["organisation_id"], "this need")
    changes = patch_changes(patch)
    check_frozen(user, "need", row["committed"], changes, row, ("country", "resource_types"))
    merged = {k: changes.get(k, row[k]) for k in _WRITABLE}
    checks = Checks()
    checks.fields(changes)
    checks(check_amount, "amount", merged["amount"], merged["currency"])
    if row["committed"] > 0 and merged["currency"] != row["currency"]:
        checks.add("currency", "cannot change the currency once part of the need is committed")
    if merged["amount"] < row["committed"]:
        checks.add("amount", f"cannot be below what is already committed ({row['committed']:,.2f} {row['currency']})")
    checks.done()
    merged["status"] = derived_status(merged["status"], row["committed"], merged["amount"], "funded")
    concepts = document_concepts(merged["title"], merged["description"])
    try:
        await needs_sql.update_need(conn, id=need_id, concepts=concepts, **merged)
    except asyncpg.UniqueViolationError as exc:
        raise Conflict(f"your organisation already has a need with reference {merged['reference']!r}") from exc
    await audit.record(
        conn, actor_id=user.id, entity="need", entity_id=need_id, action="updated",
        changes=audit.diff(dict(row), changes), organisation_ids=[row["organisation_id"]],
    )
    return await get_need(conn, need_id)

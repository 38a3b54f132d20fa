"""Funding-offer use cases: publish, read, search, update — each change audited."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import asyncpg
import msgspec

from matchmaker import audit
from matchmaker.accounts.guards import ensure_member_or_staff
from matchmaker.accounts.schemas import User
from matchmaker.db.queries import fetch_all
from matchmaker.errors import Conflict, InvalidInput, NotFound
from matchmaker.language import detect_language
from matchmaker.offers.queries import offers_sql
from matchmaker.offers.schemas import Offer, OfferCreate, OfferUpdate
from matchmaker.organisations.service import organisation_for_new
from matchmaker.patching import check_frozen, derived_status, patch_changes
from matchmaker.rules import Checks, check_amount
from matchmaker.schemas import Page
from matchmaker.search.concepts import document_concepts
from matchmaker.search.query import Search
from matchmaker.vocabulary import FUNDER_KINDS

_WRITABLE = (
    "reference", "title", "description", "language", "gcm_objectives", "capacity_areas", "resource_types",
    "sectors", "countries", "regions", "is_global", "budget", "currency", "min_amount", "max_amount",
    "deadline", "status",
)


def _columns(fields: dict[str, Any]) -> dict[str, Any]:
    """Struct fields to query parameters (``global`` is a Python keyword, ``is_global`` in SQL)."""
    fields = dict(fields)
    if "global_" in fields:
        fields["is_global"] = fields.pop("global_")
    return fields


def _check_offer(offer: dict[str, Any], committed: Decimal = Decimal(0)) -> None:
    """Every rule an offer (as it will be stored) breaks, at once."""
    checks = Checks()
    checks.fields(offer)
    for field in ("budget", "min_amount", "max_amount"):
        checks(check_amount, field, offer[field], offer["currency"])
    if not (offer["is_global"] or offer["countries"] or offer["regions"]):
        checks.add("countries", "say where the offer may be spent: countries, regions, or global")
    low, high, budget = offer["min_amount"], offer["max_amount"], offer["budget"]
    if low is not None and high is not None and low > high:
        checks.add("max_amount", "must not be below min_amount")
    if low is not None and low > budget:
        checks.add("min_amount", "must not exceed the budget")
    if budget < committed:
        checks.add("budget", f"cannot be below what is already committed ({committed:,.2f} {offer['currency']})")
    checks.done()


async def get_offer(conn: asyncpg.Connection, offer_id: int) -> Offer:
    row = await offers_sql.get_offer(conn, id=offer_id)
    if row is None:
        raise NotFound(f"offer {offer_id} does not exist")
    return msgspec.convert(dict(row), Offer)


async def get_offers(conn: asyncpg.Connection, offer_ids: list[int]) -> dict[int, Offer]:
    rows = await fetch_all(offers_sql.get_offers_by_ids(conn, ids=offer_ids))
    return {r["id"]: msgspec.convert(dict(r), Offer) for r in rows}


async def list_offers(
    conn: asyncpg.Connection, *, limit: int, cursor: str | None = None, q: str | None = None,
    organisation_id: int | None = None, kind: str | None = None, country: str | None = None,
    region: str | None = None, gcm_objective: int | None = None, capacity_area: str | None = None,
    resource_type: str | None = None, status: str | None = None,
) -> Page[Offer]:
    """Offers passing every filter given (``None``: any), newest first, or by relevance to ``q``."""
    search = Search(q, cursor)
    rows = await fetch_all(offers_sql.list_offers(
        conn, organisation_id=organisation_id, kind=kind, country=country, region=region, gcm_objective=gcm_objective,
        capacity_area=capacity_area, resource_type=resource_type, status=status, **search.params(), lim=limit + 1,
    ))
    return search.page([msgspec.convert(dict(r), Offer) for r in rows], limit)


async def create_offer(conn: asyncpg.Connection, user: User, data: OfferCreate) -> Offer:
    organisation = await organisation_for_new(conn, user, data.organisation_id, FUNDER_KINDS, "offers")
    fields = _columns(msgspec.structs.asdict(data))
    del fields["organisation_id"]
    fields["language"] = data.language or detect_language(f"{data.title} {data.description}")
    _check_offer(fields)
    offer_id = await offers_sql.insert_offer(
        conn, organisation_id=organisation.id, concepts=document_concepts(data.title, data.description), **fields
    )
    if offer_id is None:
        raise Conflict(f"your organisation already has an offer with reference {data.reference!r}")
    await audit.record(
        conn, actor_id=user.id, entity="offer", entity_id=offer_id, action="created",
        changes={"title": data.title, "budget": data.budget, "currency": data.currency},
        organisation_ids=[organisation.id],
    )
    return await get_offer(conn, offer_id)


async def update_offer(conn: asyncpg.Connection, user: User, offer_id: int, patch: OfferUpdate) -> Offer:
    row = await offers_sql.lock_offer(conn, id=offer_id)
    if row is None:
        raise NotFound(f"offer {offer_id} does not exist")
    ensure_member_or_staff(user, row["organisation_id"], "this offer")
    current = _columns({**dict(row), "global_": row["global"]})
    changes = _columns(patch_changes(patch))
    check_frozen(user, "offer", row["committed"], changes, current,
                 ("countries", "regions", "is_global", "resource_types"))
    if "currency" in changes and row["committed"] > 0 and changes["currency"] != row["currency"]:
        raise InvalidInput("currency", "cannot change the currency once part of the offer is committed")
    merged = {k: changes.get(k, current[k]) for k in _WRITABLE}
    merged["status"] = derived_status(merged["status"], row["committed"], merged["budget"], "exhausted")
    _check_offer(merged, committed=row["committed"])
    concepts = document_concepts(merged["title"], merged["description"])
    try:
        await offers_sql.update_offer(conn, id=offer_id, concepts=concepts, **merged)
    except asyncpg.UniqueViolationError as exc:
        raise Conflict(f"your organisation already has an offer with reference {merged['reference']!r}") from exc
    await audit.record(
        conn, actor_id=user.id, entity="offer", entity_id=offer_id, action="updated",
        changes=audit.diff(current, changes), organisation_ids=[row["organisation_id"]],
    )
    return await get_offer(conn, offer_id)

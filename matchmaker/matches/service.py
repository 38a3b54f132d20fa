"""Match use cases: propose, read, list, and move along the workflow (``ledger``: its steps
and what each does to budgets) — every step audited.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, TypeVar

import asyncpg
import msgspec

from matchmaker import audit
from matchmaker.accounts.guards import is_staff
from matchmaker.accounts.schemas import User
from matchmaker.db.queries import fetch_all
from matchmaker.errors import Conflict, Forbidden, InvalidInput, NotFound
from matchmaker.matches.ledger import STEPS, check_deadline, check_ticket, convert
from matchmaker.matches.queries import matches_sql
from matchmaker.matches.schemas import LedgerEntry, LedgerLine, Match, MatchCreate, MatchDetail
from matchmaker.needs.service import get_need
from matchmaker.offers.service import get_offer
from matchmaker.rules import Checks, check_amount
from matchmaker.schemas import Page, decode_cursor, page

T = TypeVar("T")


def _visible_to(user: User, match: Match) -> bool:
    return is_staff(user) or user.organisation_id in (match.need_organisation_id, match.offer_organisation_id)


async def get_match(conn: asyncpg.Connection, user: User, match_id: int) -> MatchDetail:
    row = await matches_sql.get_match(conn, id=match_id)
    match = msgspec.convert(dict(row), Match) if row else None
    # Matches are between two organisations: to anyone else they do not exist.
    if match is None or not _visible_to(user, match):
        raise NotFound(f"match {match_id} does not exist")
    ledger = [msgspec.convert(dict(r), LedgerEntry) for r in await fetch_all(matches_sql.match_ledger(conn, match_id=match_id))]
    return MatchDetail(**msgspec.structs.asdict(match), history=await audit.history(conn, "match", match_id, user), ledger=ledger)


async def _visible_page(conn: asyncpg.Connection, user: User, query: Any, kind: type[T], limit: int,
                        cursor: str | None, filters: dict[str, Any]) -> Page[T]:
    """A page of a list of the matches' world, newest first: staff see all, others their organisation's."""
    scope = None if is_staff(user) else user.organisation_id
    rows = await fetch_all(query(conn, **filters, organisation_id=scope, before_id=decode_cursor(cursor), lim=limit + 1))
    return page([msgspec.convert(dict(r), kind) for r in rows], limit)


async def list_matches(
    conn: asyncpg.Connection, user: User, *, limit: int, cursor: str | None = None, status: str | None = None,
    need_id: int | None = None, offer_id: int | None = None,
) -> Page[Match]:
    """The matches ``user`` may see passing the filters given (``None``: any), newest first."""
    return await _visible_page(conn, user, matches_sql.list_matches, Match, limit, cursor,
                               {"status": status, "need_id": need_id, "offer_id": offer_id})


async def list_ledger(
    conn: asyncpg.Connection, user: User, *, limit: int, cursor: str | None, **filters: Any
) -> Page[LedgerLine]:
    """Ledger entries of the matches the caller may see (filters ``match_id``, ``need_id``, ``offer_id``, ``kind``)."""
    return await _visible_page(conn, user, matches_sql.list_ledger, LedgerLine, limit, cursor, filters)


async def propose_match(conn: asyncpg.Connection, user: User, data: MatchCreate, score: float | None = None) -> MatchDetail:
    checks = Checks()
    checks.fields({"currency": data.currency})
    checks(check_amount, "amount", data.amount, data.currency)
    checks.done()
    try:
        need = await get_need(conn, data.need_id)
        offer = await get_offer(conn, data.offer_id)
    except NotFound as exc:
        raise InvalidInput("need_id" if "need" in exc.detail else "offer_id", exc.detail) from exc
    allowed = is_staff(user) or (
        (user.role == "donor" and user.organisation_id == offer.organisation_id)
        or (user.role == "state" and user.organisation_id == need.organisation_id)
    )
    if not allowed:
        raise Forbidden("donors propose for their own offers, states for their own needs")
    for what, obj in (("need", need), ("offer", offer)):
        if obj.status != "open":
            raise Conflict(f"the {what} is {obj.status}, not open", field=f"{what}_id", current_status=obj.status)
        check_deadline(what, obj.deadline)
        if data.resource_type not in obj.resource_types:
            raise InvalidInput("resource_type", f"the {what} does not cover {data.resource_type}")
    in_offer_currency = await convert(conn, data.amount, data.currency, offer.currency)
    check_ticket(in_offer_currency, msgspec.structs.asdict(offer))
    in_need_currency = await convert(conn, data.amount, data.currency, need.currency)
    remaining = need.amount - need.committed
    if in_need_currency > remaining:
        raise InvalidInput("amount", f"more than the need still asks ({remaining:,.2f} {need.currency})")
    match_id = await matches_sql.insert_match(
        conn, need_id=need.id, offer_id=offer.id, resource_type=data.resource_type, amount=data.amount,
        currency=data.currency, note=data.note, score=score, proposed_by=user.id,
    )
    if match_id is None:
        blocking = await matches_sql.open_proposal(conn, need_id=need.id, offer_id=offer.id,
                                               resource_type=data.resource_type)
        raise Conflict(f"match {blocking} already proposes this need and offer for {data.resource_type}: "
                       "decide or withdraw it first", match_id=blocking)
    await audit.record(
        conn, actor_id=user.id, entity="match", entity_id=match_id, action="proposed",
        changes={"amount": data.amount, "currency": data.currency, "resource_type": data.resource_type},
        reason=data.note or None, organisation_ids=[need.organisation_id, offer.organisation_id],
    )
    return await get_match(conn, user, match_id)


async def transition(
    conn: asyncpg.Connection, user: User, match_id: int, action: str,
    reason: str | None, amount: Decimal | None = None,
) -> MatchDetail:
    """Move a match one step along the workflow; 409 (naming the current state) when it cannot."""
    detail = await get_match(conn, user, match_id)  # 404 for those who may not see it
    step = STEPS[action]
    if step.staff_only and not is_staff(user):
        raise Forbidden(f"only coordinators {action} matches")
    if action == "withdraw" and user.id != detail.proposed_by:
        raise Forbidden("only the proposer withdraws a proposal")
    match = await matches_sql.lock_match(conn, id=match_id)
    assert match is not None  # read just above, and matches are never deleted
    if match["status"] not in step.starts:
        raise Conflict(
            f"match {match_id} is {match['status']}: it cannot be {step.target} "
            f"(only from {', '.join(sorted(step.starts))})",
            current_status=match["status"],
        )
    moved: Decimal = match["amount"]
    if amount is not None and action == "approve":  # approving part of what was proposed
        check_amount("amount", amount, match["currency"])
        if amount > moved:
            raise InvalidInput("amount", f"cannot approve more than proposed ({moved:,.2f} {match['currency']})")
        moved = amount
    if step.effect is not None:
        await step.effect(conn, user, match, moved)
    await matches_sql.set_match_status(conn, id=match_id, status=step.target, amount=moved)
    changes: dict[str, list[Any]] = {"status": [match["status"], step.target]}
    if moved != match["amount"]:
        changes["amount"] = [match["amount"], moved]
    await audit.record(
        conn, actor_id=user.id, entity="match", entity_id=match_id, action=step.target, changes=changes,
        reason=reason, organisation_ids=[detail.need_organisation_id, detail.offer_organisation_id],
    )
    return await get_match(conn, user, match_id)

"""The approval workflow: propose, decide, disburse — every step audited, every commitment in the ledger.

States: ``proposed`` → ``approved`` | ``rejected`` | ``withdrawn``; ``approved`` →
``disbursed`` → ``completed``, or ``approved`` → ``cancelled`` (which releases the commitment).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import asyncpg
import msgspec

from matchmaker import audit, rates
from matchmaker.accounts.guards import is_staff
from matchmaker.accounts.schemas import User
from matchmaker.db.queries import fetch_all, queries
from matchmaker.errors import Conflict, Forbidden, InvalidInput, NotFound
from matchmaker.matches.schemas import LedgerEntry, Match, MatchCreate, MatchDetail
from matchmaker.needs.service import get_need
from matchmaker.offers.service import get_offer
from matchmaker.schemas import Page, check_amount, check_currency, decode_cursor, page

# action -> (states it may start from, state it leads to, whether only staff may take it)
TRANSITIONS: dict[str, tuple[frozenset[str], str, bool]] = {
    "approve": (frozenset({"proposed"}), "approved", True),
    "reject": (frozenset({"proposed"}), "rejected", True),
    "withdraw": (frozenset({"proposed"}), "withdrawn", False),
    "disburse": (frozenset({"approved"}), "disbursed", True),
    "complete": (frozenset({"disbursed"}), "completed", True),
    "cancel": (frozenset({"approved"}), "cancelled", True),
}


async def _convert(conn: asyncpg.Connection, amount: Decimal | float, from_currency: str, to_currency: str) -> Decimal:
    if from_currency == to_currency:
        return Decimal(str(amount))
    return Decimal(str(await queries.convert_amount(
        conn, amount=amount, from_currency=from_currency, to_currency=to_currency, on_day=date.today()
    )))


def _visible_to(user: User, match: Match) -> bool:
    return is_staff(user) or user.organisation_id in (match.need_organisation_id, match.offer_organisation_id)


async def get_match(conn: asyncpg.Connection, user: User, match_id: int) -> MatchDetail:
    row = await queries.get_match(conn, id=match_id)
    match = msgspec.convert(dict(row), Match) if row else None
    # Matches are between two organisations: to anyone else they do not exist.
    if match is None or not _visible_to(user, match):
        raise NotFound(f"match {match_id} does not exist")
    ledger = [msgspec.convert(dict(r), LedgerEntry) for r in await fetch_all(queries.match_ledger(conn, match_id=match_id))]
    return MatchDetail(**msgspec.structs.asdict(match), history=await audit.history(conn, "match", match_id, user), ledger=ledger)


async def list_matches(
    conn: asyncpg.Connection, user: User, *, limit: int, cursor: str | None, **filters: object
) -> Page[Match]:
    scope = None if is_staff(user) else user.organisation_id
    rows = await fetch_all(queries.list_matches(
        conn, **filters, organisation_id=scope, before_id=decode_cursor(cursor), lim=limit + 1
    ))
    return page([msgspec.convert(dict(r), Match) for r in rows], limit)


async def propose_match(conn: asyncpg.Connection, user: User, data: MatchCreate, score: float | None = None) -> MatchDetail:
    check_currency("currency", data.currency)
    check_amount("amount", data.amount, data.currency)
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
        _check_deadline(what, obj.deadline)
        if data.resource_type not in obj.resource_types:
            raise InvalidInput("resource_type", f"the {what} does not cover {data.resource_type}")
    in_offer_currency = await _convert(conn, data.amount, data.currency, offer.currency)
    _check_ticket(in_offer_currency, msgspec.structs.asdict(offer))
    in_need_currency = await _convert(conn, data.amount, data.currency, need.currency)
    remaining = Decimal(str(need.amount)) - Decimal(str(need.committed))
    if in_need_currency > remaining:
        raise InvalidInput("amount", f"more than the need still asks ({remaining:,.2f} {need.currency})")
    match_id = await queries.insert_match(
        conn, need_id=need.id, offer_id=offer.id, resource_type=data.resource_type, amount=data.amount,
        currency=data.currency, note=data.note, score=score, proposed_by=user.id,
    )
    if match_id is None:
        blocking = await queries.open_proposal(conn, need_id=need.id, offer_id=offer.id,
                                               resource_type=data.resource_type)
        raise Conflict(f"match {blocking} already proposes this need and offer for {data.resource_type}: "
                       "decide or withdraw it first", match_id=blocking)
    await audit.record(
        conn, actor_id=user.id, entity="match", entity_id=match_id, action="proposed",
        changes={"amount": data.amount, "currency": data.currency, "resource_type": data.resource_type},
        reason=data.note or None, organisation_ids=[need.organisation_id, offer.organisation_id],
    )
    return await get_match(conn, user, match_id)


async def _commit(conn: asyncpg.Connection, user: User, match: asyncpg.Record, amount: Decimal) -> None:
    """Commit ``amount`` of both budgets, or refuse with 409 if either would be overcommitted."""
    need = await queries.lock_need_budget(conn, id=match["need_id"])
    offer = await queries.lock_offer_budget(conn, id=match["offer_id"])
    need_delta = await _convert(conn, amount, match["currency"], need["currency"])
    offer_delta = await _convert(conn, amount, match["currency"], offer["currency"])
    for what, row, delta in (("offer", offer, offer_delta), ("need", need, need_delta)):
        if row["status"] == "closed":
            raise Conflict(f"the {what} is closed", current_status=row["status"])
        _check_deadline(what, row["deadline"])
        if delta > Decimal(str(row["remaining"])):
            raise Conflict(
                f"approving {delta:,.2f} {row['currency']} would overcommit the {what}: "
                f"{row['remaining']:,.2f} {row['currency']} remain",
                field="amount", remaining=row["remaining"], currency=row["currency"],
            )
    _check_ticket(offer_delta, offer)
    await _ledger(conn, user, match, "commitment", amount, need_delta, offer_delta)


def _check_deadline(what: str, deadline: date | None) -> None:
    if deadline is not None and deadline < date.today():
        raise Conflict(f"the {what}'s deadline ({deadline.isoformat()}) has passed", field=f"{what}_id")


def _check_ticket(in_offer_currency: Decimal, offer: Any) -> None:
    """One commitment stays within the offer's ticket size (``offer``: its row or Struct)."""
    low, high, currency = offer["min_amount"], offer["max_amount"], offer["currency"]
    if low is not None and in_offer_currency < Decimal(str(low)):
        raise InvalidInput("amount", f"below the offer's smallest ticket ({low:,.2f} {currency})")
    if high is not None and in_offer_currency > Decimal(str(high)):
        raise InvalidInput("amount", f"above the offer's largest ticket ({high:,.2f} {currency})")


async def _ledger(
    conn: asyncpg.Connection, user: User, match: asyncpg.Record, kind: str,
    amount: Decimal, need_delta: Decimal, offer_delta: Decimal,
) -> None:
    await rates.warn_if_stale(conn, date.today())
    await queries.insert_ledger_entry(
        conn, match_id=match["id"], need_id=match["need_id"], offer_id=match["offer_id"], kind=kind,
        resource_type=match["resource_type"], amount=amount, currency=match["currency"],
        need_delta=need_delta, offer_delta=offer_delta, actor_id=user.id,
    )
    if need_delta or offer_delta:
        await queries.apply_commitment(
            conn, need_id=match["need_id"], offer_id=match["offer_id"], need_delta=need_delta, offer_delta=offer_delta
        )


async def transition(
    conn: asyncpg.Connection, user: User, match_id: int, action: str,
    reason: str | None, amount: Decimal | None = None,
) -> MatchDetail:
    """Move a match one step along the workflow; 409 (naming the current state) when it cannot."""
    detail = await get_match(conn, user, match_id)  # 404 for those who may not see it
    starts, target, staff_only = TRANSITIONS[action]
    if staff_only and not is_staff(user):
        raise Forbidden(f"only coordinators {action} matches")
    if action == "withdraw" and user.id != detail.proposed_by:
        raise Forbidden("only the proposer withdraws a proposal")
    match = await queries.lock_match(conn, id=match_id)
    if match["status"] not in starts:
        raise Conflict(
            f"match {match_id} is {match['status']}: it cannot be {target} (only from {', '.join(sorted(starts))})",
            current_status=match["status"],
        )
    committed = Decimal(str(match["amount"]))
    if action == "approve":
        if amount is not None:
            check_amount("amount", amount, match["currency"])
            if amount > committed:
                raise InvalidInput("amount", f"cannot approve more than proposed ({committed:,.2f} {match['currency']})")
            committed = amount
        await _commit(conn, user, match, committed)
    elif action == "cancel":
        held = await queries.match_commitment(conn, match_id=match_id)
        await _ledger(conn, user, match, "release", committed, -Decimal(str(held["need_delta"])),
                      -Decimal(str(held["offer_delta"])))
    elif action == "disburse":
        await _ledger(conn, user, match, "disbursement", committed, Decimal(0), Decimal(0))
    await queries.set_match_status(conn, id=match_id, status=target, amount=committed)
    changes = {"status": [match["status"], target]}
    if committed != Decimal(str(match["amount"])):
        changes["amount"] = [match["amount"], committed]
    await audit.record(
        conn, actor_id=user.id, entity="match", entity_id=match_id, action=target, changes=changes, reason=reason,
        organisation_ids=[detail.need_organisation_id, detail.offer_organisation_id],
    )
    return await get_match(conn, user, match_id)

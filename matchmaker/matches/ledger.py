"""The workflow's steps and what each does to budgets: one table, one effect per step.

States: ``proposed`` → ``approved`` | ``rejected`` | ``withdrawn``; ``approved`` →
``disbursed`` → ``completed``, or ``approved`` → ``cancelled``. Approving commits the amount
on both sides (refused with 409 when either would be overcommitted); cancelling releases
exactly what the match holds; disbursing records the payment. Every effect is a ledger
entry, written in the transaction that moves the match.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

import asyncpg

from matchmaker import rates
from matchmaker.accounts.schemas import User
from matchmaker.errors import Conflict, InvalidInput
from matchmaker.matches.queries import matches_sql

# (connection, actor, the locked match row, the amount it moves)
Effect = Callable[[asyncpg.Connection, User, asyncpg.Record, Decimal], Awaitable[None]]


async def convert(conn: asyncpg.Connection, amount: Decimal, from_currency: str, to_currency: str) -> Decimal:
    if from_currency == to_currency:
        return amount
    converted: Decimal = await matches_sql.convert_amount(
        conn, amount=amount, from_currency=from_currency, to_currency=to_currency, on_day=date.today()
    )
    return converted


def check_deadline(what: str, deadline: date | None) -> None:
    if deadline is not None and deadline < date.today():
        raise Conflict(f"the {what}'s deadline ({deadline.isoformat()}) has passed", field=f"{what}_id")


def check_ticket(in_offer_currency: Decimal, offer: Any) -> None:
    """One commitment stays within the offer's ticket size (``offer``: its row or Struct)."""
    low, high, currency = offer["min_amount"], offer["max_amount"], offer["currency"]
    if low is not None and in_offer_currency < low:
        raise InvalidInput("amount", f"below the offer's smallest ticket ({low:,.2f} {currency})")
    if high is not None and in_offer_currency > high:
        raise InvalidInput("amount", f"above the offer's largest ticket ({high:,.2f} {currency})")


async def _entry(conn: asyncpg.Connection, user: User, match: asyncpg.Record, kind: str,
                 amount: Decimal, need_delta: Decimal, offer_delta: Decimal) -> None:
    await rates.warn_if_stale(conn, date.today())
    await matches_sql.insert_ledger_entry(
        conn, match_id=match["id"], need_id=match["need_id"], offer_id=match["offer_id"], kind=kind,
        resource_type=match["resource_type"], amount=amount, currency=match["currency"],
        need_delta=need_delta, offer_delta=offer_delta, actor_id=user.id,
    )
    if need_delta or offer_delta:
        await matches_sql.apply_commitment(
            conn, need_id=match["need_id"], offer_id=match["offer_id"], need_delta=need_delta, offer_delta=offer_delta
        )


async def commit(conn: asyncpg.Connection, user: User, match: asyncpg.Record, amount: Decimal) -> None:
    """Commit ``amount`` of both budgets, or refuse with 409 if either would be overcommitted."""
    need = await matches_sql.lock_need_budget(conn, id=match["need_id"])
    offer = await matches_sql.lock_offer_budget(conn, id=match["offer_id"])
    assert need is not None and offer is not None  # a match's need and offer are never deleted
    need_delta = await convert(conn, amount, match["currency"], need["currency"])
    offer_delta = await convert(conn, amount, match["currency"], offer["currency"])
    for what, row, delta in (("offer", offer, offer_delta), ("need", need, need_delta)):
        if row["status"] == "closed":
            raise Conflict(f"the {what} is closed", current_status=row["status"])
        check_deadline(what, row["deadline"])
        if delta > row["remaining"]:
            raise Conflict(
                f"approving {delta:,.2f} {row['currency']} would overcommit the {what}: "
                f"{row['remaining']:,.2f} {row['currency']} remain",
                field="amount", side=what, requested=delta, remaining=row["remaining"], currency=row["currency"],
            )
    check_ticket(offer_delta, offer)
    await _entry(conn, user, match, "commitment", amount, need_delta, offer_delta)


async def release(conn: asyncpg.Connection, user: User, match: asyncpg.Record, amount: Decimal) -> None:
    """Give back exactly what the match holds, whatever the rates did since."""
    held = await matches_sql.match_commitment(conn, match_id=match["id"])
    await _entry(conn, user, match, "release", amount, -held["need_delta"], -held["offer_delta"])


async def disburse(conn: asyncpg.Connection, user: User, match: asyncpg.Record, amount: Decimal) -> None:
    """The payment is recorded; the commitment it pays stays where it is."""
    await _entry(conn, user, match, "disbursement", amount, Decimal(0), Decimal(0))


class Step(NamedTuple):
    starts: frozenset[str]
    target: str
    staff_only: bool
    effect: Effect | None


STEPS: dict[str, Step] = {
    "approve": Step(frozenset({"proposed"}), "approved", True, commit),
    "reject": Step(frozenset({"proposed"}), "rejected", True, None),
    "withdraw": Step(frozenset({"proposed"}), "withdrawn", False, None),
    "disburse": Step(frozenset({"approved"}), "disbursed", True, disburse),
    "complete": Step(frozenset({"disbursed"}), "completed", True, None),
    "cancel": Step(frozenset({"approved"}), "cancelled", True, release),
}

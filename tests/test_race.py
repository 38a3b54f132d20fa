"""Hundreds of concurrent approvals on a few contested offers and needs: none overcommits, none fails with 5xx."""

import asyncio
import collections
from decimal import Decimal

import msgspec
import pytest

from matchmaker.accounts.service import get_user
from matchmaker.matches.schemas import MatchCreate
from matchmaker.matches.service import propose_match
from matchmaker.needs.schemas import NeedCreate
from matchmaker.needs.service import create_need
from matchmaker.offers.schemas import OfferCreate
from matchmaker.offers.service import create_offer
from matchmaker.schemas import convert_input
from tests.factories import need_body, offer_body

OFFERS, BUDGET = 4, 100_000
BIG_NEEDS, SMALL_NEEDS, SMALL_AMOUNT = 48, 2, 30_000
TICKET = 10_000


@pytest.fixture
def settings(settings):
    return msgspec.structs.replace(settings, pool_size=20)


async def test_concurrent_approvals_never_overcommit(api, db):
    coordinator = await get_user(db, api.world["users"]["coordinator"])
    async with db.transaction():
        offers = [
            await create_offer(db, coordinator, convert_input(offer_body(
                budget=BUDGET, min_amount=None, max_amount=None, organisation_id=api.org("nordic")), OfferCreate))
            for _ in range(OFFERS)
        ]
        needs = [
            await create_need(db, coordinator, convert_input(need_body(
                amount=SMALL_AMOUNT if i < SMALL_NEEDS else 1_000_000, currency="USD",
                organisation_id=api.org("senegal")), NeedCreate))
            for i in range(SMALL_NEEDS + BIG_NEEDS)
        ]
        matches = [
            await propose_match(db, coordinator, MatchCreate(
                need_id=n.id, offer_id=o.id, amount=Decimal(TICKET), currency="USD", resource_type="financial"))
            for n in needs for o in offers
        ]

    responses = await asyncio.gather(*(
        api.post(f"/api/v1/matches/{m.id}/approve", json={"reason": "race"}) for m in matches
    ))
    statuses = collections.Counter(r.status_code for r in responses)
    print(f"\nrace: {len(responses)} concurrent approvals -> {dict(statuses)}")
    assert set(statuses) <= {200, 409}, [r.text for r in responses if r.status_code not in (200, 409)][:3]

    offer_sums = await db.fetch(
        """select o.id, o.budget, o.committed, coalesce(sum(l.offer_delta), 0) as ledger
           from offers o left join ledger_entries l on l.offer_id = o.id group by o.id""")
    need_sums = await db.fetch(
        """select n.id, n.amount, n.committed, coalesce(sum(l.need_delta), 0) as ledger
           from needs n left join ledger_entries l on l.need_id = n.id group by n.id""")
    for row in [*offer_sums, *need_sums]:
        assert row["committed"] == row["ledger"]
    for row in offer_sums:
        assert row["committed"] == BUDGET  # demand far exceeds supply: every offer ends fully committed
    small = [r for r in need_sums if r["amount"] == SMALL_AMOUNT]
    # Three of a small need's four proposals fit; how many it gets depends on which offers run out first.
    assert all(0 <= r["committed"] <= SMALL_AMOUNT for r in small)
    assert await db.fetchval("select count(*) from needs where committed > amount") == 0
    approved = await db.fetchval("select count(*) from matches where status = 'approved'")
    assert approved == statuses[200] == OFFERS * BUDGET // TICKET
    assert await db.fetchval("select count(*) from ledger_entries") == approved
    print(f"race: approved {approved}, refused {statuses[409]}, offers committed "
          f"{[r['committed'] for r in offer_sums]} of {BUDGET}, small needs {[r['committed'] for r in small]}")

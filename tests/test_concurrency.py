"""Many callers at once on a small pool: no request waits on a second connection, a saturated
pool answers 503 with ``Retry-After`` instead of hanging, and ranked pages are reused until
what they were computed from changes."""

import asyncio
import itertools
import random

import pytest

from matchmaker.settings import Settings
from tests.conftest import settled
from tests.factories import need_body, offer_body
from tests.test_matches import propose

POOL = 2
PAGES = ((2, 0), (5, 0), (2, 2))  # (limit, offset): first pages and a second one
CALLERS = 4 * POOL


@pytest.fixture
def settings(dsn, tmp_path) -> Settings:
    return Settings(database_url=dsn, data_dir=tmp_path, secret_key="test-secret-key-0123456789abcdef",
                    token_minutes=60, pool_size=POOL, pool_timeout=0.5)


async def _world(api, app, needs=CALLERS // 2, offers=2):
    made_needs = [(await api.post("/api/v1/needs", as_user="state", json=need_body(title=f"Border need {i}"))).json()
                  for i in range(needs)]
    made_offers = [(await api.post("/api/v1/offers", as_user="donor", json=offer_body(title=f"Border offer {i}"))).json()
                   for i in range(offers)]
    await settled(app)
    return made_needs, made_offers


async def test_ranking_and_proposing_at_four_times_the_pool_size_all_finish(api, app):
    needs, offers = await _world(api, app)
    calls = []
    for i in range(CALLERS):  # cold rankings of distinct needs and offers, and the same ones at once
        calls.append(api.get(f"/api/v1/needs/{needs[i % len(needs)]['id']}/matches"))
        calls.append(api.get(f"/api/v1/offers/{offers[i % len(offers)]['id']}/opportunities"))
    pairs = list(itertools.product(needs, offers))[:CALLERS]
    calls += [propose(api, need, offer, as_user="coordinator") for need, offer in pairs]
    # Before requests took one connection each, this deadlocked: every request held one and waited for another.
    responses = await asyncio.wait_for(asyncio.gather(*calls), timeout=60)
    assert sorted({r.status_code for r in responses}) in ([200, 201], [200, 201, 503])
    assert all(r.headers.get("retry-after") for r in responses if r.status_code == 503)
    ranked = [r.json()["items"] for r in responses if r.request.method == "GET" and r.status_code == 200]
    assert ranked and all(items for items in ranked)  # every need and offer here has an eligible partner
    assert sum(r.status_code == 201 for r in responses) >= CALLERS // 2


async def test_a_saturated_pool_answers_503_with_retry_after_and_recovers(api, app):
    needs, _ = await _world(api, app, needs=1, offers=1)
    pool = app.state.database.pool
    held = [await pool.acquire() for _ in range(POOL)]
    try:
        for url, as_user in ((f"/api/v1/needs/{needs[0]['id']}/matches", "coordinator"), ("/api/v1/needs", "state"),
                             ("/health", None)):
            r = await asyncio.wait_for(api.get(url, as_user=as_user), timeout=10)
            assert r.status_code == 503, (url, r.text)
            assert int(r.headers["retry-after"]) >= 1
        problem = (await api.get("/api/v1/needs")).json()
        assert problem["status"] == 503 and "busy" in problem["detail"]
    finally:
        for conn in held:
            await pool.release(conn)
    assert (await api.get(f"/api/v1/needs/{needs[0]['id']}/matches")).status_code == 200
    assert (await api.get("/health", as_user=None)).status_code == 200


async def test_a_ranked_page_is_reused_until_its_data_changes(api, app):
    needs, offers = await _world(api, app, needs=1, offers=1)
    ranking, need_id, offer_id = app.state.ranking, needs[0]["id"], offers[0]["id"]
    first = await ranking.offers_for_need(need_id, 20)
    assert await ranking.offers_for_need(need_id, 20) is first  # served again, not recomputed
    opportunities = await ranking.needs_for_offer(offer_id, 20)
    assert await ranking.needs_for_offer(offer_id, 20) is opportunities

    # A proposal changes neither side's indexed document: the pages stay.
    assert (await propose(api, needs[0], offers[0])).status_code == 201
    await settled(app)
    assert await ranking.offers_for_need(need_id, 20) is first
    assert await ranking.needs_for_offer(offer_id, 20) is opportunities

    # A change to the offer reaches both pages that show it.
    r = await api.patch(f"/api/v1/offers/{offer_id}", as_user="donor", json={"title": "Renamed border offer"})
    assert r.status_code == 200, r.text
    await settled(app)
    again = await ranking.offers_for_need(need_id, 20)
    assert again is not first and again.page.items[0].offer.title == "Renamed border offer"
    assert await ranking.needs_for_offer(offer_id, 20) is not opportunities
    # A change to another need leaves this need's page alone (it ranks offers, not needs).
    other = (await api.post("/api/v1/needs", as_user="state", json=need_body(title="Another need"))).json()
    await settled(app)
    assert other["id"] != need_id and await ranking.offers_for_need(need_id, 20) is again


@pytest.mark.parametrize("seed", [3, 4])
async def test_kept_pages_always_equal_fresh_ones_through_a_run_of_changes(api, app, seed):
    """Judging a change keeps only pages it cannot alter: after each round of changes, every
    page served (kept or not) equals one computed afresh."""
    rng = random.Random(seed)
    ranking = app.state.ranking
    needs, offers = await _world(api, app, needs=4, offers=4)
    regions, objectives = ["Africa", "Americas", "Europe"], [[11], [11, 1], [2], [23]]
    for _ in range(6):
        for need, offer, (limit, offset) in itertools.product(needs, offers, PAGES):
            await ranking.offers_for_need(need["id"], limit, offset=offset)
            await ranking.needs_for_offer(offer["id"], limit, offset)
        for _ in range(4):
            change = rng.choice(["offer", "new offer", "need", "match"])
            if change == "offer":
                body = {"regions": [rng.choice(regions)], "gcm_objectives": rng.choice(objectives)}
                r = await api.patch(f"/api/v1/offers/{rng.choice(offers)['id']}", as_user="donor", json=body)
            elif change == "new offer":
                r = await api.post("/api/v1/offers", as_user="donor", json=offer_body(
                    title=f"Offer {len(offers)}", regions=[rng.choice(regions)], gcm_objectives=rng.choice(objectives)))
                offers.append(r.json())
            elif change == "need":
                r = await api.patch(f"/api/v1/needs/{rng.choice(needs)['id']}", as_user="state",
                                    json={"gcm_objectives": rng.choice(objectives), "amount": rng.choice([50_000, 900_000])})
            else:
                r = await propose(api, rng.choice(needs), rng.choice(offers), amount=rng.choice([20_000, 60_000]))
                if r.status_code == 201:
                    r = await api.post(f"/api/v1/matches/{r.json()['id']}/approve", json={"reason": "fits"})
            assert r.status_code in (200, 201, 409, 422), r.text
        await settled(app)
        for need, (limit, offset) in itertools.product(needs, PAGES):
            kept = await ranking.offers_for_need(need["id"], limit, offset=offset)
            _same(kept, await ranking._offers_page(need["id"], limit, None, offset), "offer")
        for offer, (limit, offset) in itertools.product(offers, PAGES):
            kept = await ranking.needs_for_offer(offer["id"], limit, offset)
            _same(kept, await ranking._needs_page(offer["id"], limit, {}, offset), "need")


def _same(kept, fresh, side):
    """The same documents in the same order, as they stand now, with the same scores (to float
    rounding: the scores of one pair computed beside different others differ in the 8th digit)."""
    assert kept.page.next_cursor == fresh.page.next_cursor
    assert kept.page.excluded == fresh.page.excluded  # a list's exclusion counts follow every change too
    kept, fresh = kept.page.items, fresh.page.items
    assert [(getattr(i, side).id, getattr(i, side).committed) for i in kept] == \
           [(getattr(i, side).id, getattr(i, side).committed) for i in fresh]
    assert [i.score for i in kept] == pytest.approx([i.score for i in fresh], abs=1e-6)

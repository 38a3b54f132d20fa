"""Rules the data keeps whoever asks: lists are sets, amounts fit their currency, nothing is
committed past a deadline or outside an offer's ticket size."""

import pytest

from tests.factories import need_body, offer_body
from tests.test_matches import make_pair, propose, step


def _field(r):
    assert r.status_code == 422, r.text
    return r.json()["errors"][0]["field"]


async def test_lists_with_an_entry_twice_are_refused(api):
    r = await api.post("/api/v1/needs", as_user="state", json=need_body(gcm_objectives=[8] + [8] * 22))
    assert _field(r) == "gcm_objectives[1]"
    r = await api.post("/api/v1/offers", as_user="donor", json=offer_body(regions=[], countries=["SEN", "MLI", "SEN"]))
    assert _field(r) == "countries[2]"
    need = (await api.post("/api/v1/needs", as_user="state", json=need_body())).json()
    r = await api.patch(f"/api/v1/needs/{need['id']}", as_user="state", json={"resource_types": ["training", "training"]})
    assert _field(r) == "resource_types[1]"


@pytest.mark.parametrize(("amount", "currency"), [("100.005", "USD"), (0.5, "JPY"), ("250000.1", "XOF")])
async def test_amounts_finer_than_their_currency_are_refused_not_rounded(api, amount, currency):
    r = await api.post("/api/v1/needs", as_user="state", json=need_body(amount=amount, currency=currency))
    assert _field(r) == "amount" and currency in r.json()["errors"][0]["message"]


async def test_whole_yen_and_cents_are_kept_exactly(api):
    r = await api.post("/api/v1/needs", as_user="state", json=need_body(amount=1500000, currency="JPY"))
    assert r.status_code == 201 and float(r.json()["amount"]) == 1500000
    r = await api.post("/api/v1/needs", as_user="state", json=need_body(amount="100.25", currency="USD"))
    assert r.status_code == 201 and float(r.json()["amount"]) == 100.25


async def test_nothing_is_proposed_or_approved_past_a_deadline(api, db):
    need, offer = await make_pair(api)
    match = (await propose(api, need, offer)).json()
    await db.execute("update offers set deadline = current_date - 1 where id = $1", offer["id"])
    r = await step(api, match["id"], "approve")
    assert r.status_code == 409 and "deadline" in r.json()["detail"]
    other = (await api.post("/api/v1/needs", as_user="state", json=need_body(title="Another need"))).json()
    r = await propose(api, other, offer)
    assert r.status_code == 409 and "offer's deadline" in r.json()["detail"]


async def test_an_approval_stays_within_the_offers_ticket_size(api):
    need, offer = await make_pair(api, offer={"min_amount": 10000, "max_amount": 500000})
    match = (await propose(api, need, offer, amount=50000)).json()
    r = await step(api, match["id"], "approve", amount="0.01")
    assert _field(r) == "amount" and "smallest ticket" in r.json()["errors"][0]["message"]
    assert (await step(api, match["id"], "approve", amount=20000)).status_code == 200


@pytest.mark.parametrize("field", ["title", "description", "reference"])
async def test_a_nul_character_is_refused_naming_the_field(api, field):
    r = await api.post("/api/v1/needs", as_user="state", json=need_body(**{field: "Border\x00 management"}))
    assert _field(r) == field
    assert "postgres" not in r.text.lower()


async def test_status_follows_the_ledger_owners_only_open_or_close(api):
    need, offer = await make_pair(api, need={"amount": 100000, "currency": "USD"})
    url = f"/api/v1/needs/{need['id']}"
    assert _field(await api.patch(url, as_user="state", json={"status": "funded"})) == "status"
    assert (await api.patch(f"/api/v1/offers/{offer['id']}", as_user="donor", json={"status": "exhausted"})).status_code == 422
    match = (await propose(api, need, offer, amount=40000)).json()
    assert (await step(api, match["id"], "approve")).status_code == 200
    r = await api.patch(url, as_user="state", json={"amount": 40000})  # down to what is committed
    assert r.status_code == 200 and r.json()["status"] == "funded"
    r = await api.patch(url, as_user="state", json={"status": "closed"})
    assert r.json()["status"] == "closed"
    r = await api.patch(url, as_user="state", json={"status": "open"})  # reopened: still fully committed
    assert r.json()["status"] == "funded"
    r = await api.patch(url, as_user="state", json={"amount": 90000, "status": "open"})
    assert r.json()["status"] == "open"


async def test_what_an_approval_relied_on_changes_only_by_a_coordinators_hand(api):
    need, offer = await make_pair(api)
    match = (await propose(api, need, offer)).json()
    body = {"country": "MLI"}
    assert (await api.patch(f"/api/v1/needs/{need['id']}", as_user="state", json=body)).status_code == 200  # nothing committed yet
    assert (await step(api, match["id"], "approve")).status_code == 200
    r = await api.patch(f"/api/v1/needs/{need['id']}", as_user="state", json={"resource_types": ["training"]})
    assert r.status_code == 409 and r.json()["field"] == "resource_types"
    r = await api.patch(f"/api/v1/offers/{offer['id']}", as_user="donor", json={"regions": ["Asia"]})
    assert r.status_code == 409 and r.json()["field"] == "regions"
    r = await api.patch(f"/api/v1/offers/{offer['id']}", as_user="donor", json={"title": "Renamed facility"})
    assert r.status_code == 200  # the rest stays the owner's
    r = await api.patch(f"/api/v1/needs/{need['id']}", as_user="coordinator", json={"country": "SEN"})
    assert r.status_code == 200 and r.json()["country"] == "SEN"


@pytest.mark.parametrize("amount", [" 5 ", "1_000", "1e2", "NaN", "+5", "5.", "-5", "0x10", True])
async def test_an_amount_string_is_digits_with_an_optional_decimal_part(api, amount):
    r = await api.post("/api/v1/needs", as_user="state", json=need_body(amount=amount, currency="USD"))
    assert _field(r) == "amount", r.text


async def test_amounts_as_numbers_and_as_decimal_strings_are_the_same(api):
    for amount in (1000.5, "1000.50", 1e3):
        r = await api.post("/api/v1/needs", as_user="state", json=need_body(title=f"Need of {amount}", amount=amount,
                                                                           currency="USD"))
        assert r.status_code == 201, r.text


async def test_a_proposal_asks_no_more_than_the_need_and_a_second_one_names_the_first(api):
    need, offer = await make_pair(api, need={"amount": 85_000_000, "currency": "XOF"},
                                  offer={"currency": "XOF", "budget": 900_000_000, "min_amount": None, "max_amount": None})
    r = await propose(api, need, offer, amount=90_000_000, currency="XOF")
    assert _field(r) == "amount" and "85,000,000" in r.json()["errors"][0]["message"]
    first = (await propose(api, need, offer, amount=40_000_000, currency="XOF")).json()
    r = await propose(api, need, offer, amount=10_000_000, currency="XOF")
    assert r.status_code == 409 and r.json()["match_id"] == first["id"] and str(first["id"]) in r.json()["detail"]

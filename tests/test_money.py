"""Money is exact from the database to the JSON: amounts are numbers with their decimal digits."""

import json
from decimal import Decimal

from tests.factories import need_body, offer_body


def exact(response):
    assert response.status_code in (200, 201), response.text
    return json.loads(response.text, parse_float=Decimal)


async def test_amounts_travel_as_exact_decimal_numbers(api):
    r = await api.post("/api/v1/needs", as_user="state", json=need_body(amount="250000.10", currency="USD"))
    need = exact(r)
    assert '"amount":250000.10' in r.text  # the cents as stored, not a float's shortest form
    assert need["amount"] == Decimal("250000.10") and need["remaining"] == Decimal("250000.10")
    offer = exact(await api.post("/api/v1/offers", as_user="donor",
                                 json=offer_body(budget="1000.00", min_amount=None, max_amount=None)))
    for _ in range(3):
        proposed = exact(await api.post("/api/v1/matches", as_user="donor", json={
            "need_id": need["id"], "offer_id": offer["id"], "amount": "0.10", "currency": "USD",
            "resource_type": "financial"}))
        approved = exact(await api.post(f"/api/v1/matches/{proposed['id']}/approve", json={"reason": "fits"}))
        assert approved["ledger"][0]["need_delta"] == Decimal("0.10")
    # Three tenths are three tenths, not 0.30000000000000004.
    need = exact(await api.get(f"/api/v1/needs/{need['id']}"))
    assert need["committed"] == Decimal("0.30") and need["remaining"] == Decimal("249999.80")
    offer = exact(await api.get(f"/api/v1/offers/{offer['id']}"))
    assert offer["committed"] == Decimal("0.30") and offer["remaining"] == Decimal("999.70")
    events = exact(await api.get("/api/v1/events", params={"entity": "match"}))
    assert {e["changes"].get("amount") for e in events["items"] if e["action"] == "proposed"} == {Decimal("0.10")}


async def test_a_replayed_response_is_the_same_exact_text(api):
    need = exact(await api.post("/api/v1/needs", as_user="state", json=need_body(currency="USD")))
    offer = exact(await api.post("/api/v1/offers", as_user="donor", json=offer_body()))
    body = {"need_id": need["id"], "offer_id": offer["id"], "amount": "12345.67", "currency": "USD",
            "resource_type": "financial"}
    first = await api.post("/api/v1/matches", as_user="donor", json=body, headers={"Idempotency-Key": "k1"})
    again = await api.post("/api/v1/matches", as_user="donor", json=body, headers={"Idempotency-Key": "k1"})
    assert first.status_code == again.status_code == 201
    assert '"amount":12345.67' in again.text and exact(again) == exact(first)

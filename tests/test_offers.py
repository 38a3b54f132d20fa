"""Funding offers: who publishes and edits them, and the rules of a partial update."""

import pytest

from tests.factories import offer_body


@pytest.mark.parametrize("user, status", [("donor", 201), ("donor_b", 201), ("state", 403), (None, 401)])
async def test_funders_publish_offers(api, user, status):
    r = await api.post("/api/v1/offers", as_user=user, json=offer_body())
    assert r.status_code == status, r.text
    if status == 201:
        offer = r.json()
        assert offer["organisation_id"] == api.org("nordic" if user == "donor" else "diaspora")
        assert offer["committed"] == 0 and offer["remaining"] == offer["budget"] == 1_000_000
        assert offer["global"] is False and offer["regions"] == ["Africa"]


async def test_diaspora_offer_shows_its_origin(api):
    offer = (await api.post("/api/v1/offers", as_user="donor_b", json=offer_body(regions=[], countries=["FRA"]))).json()
    assert offer["organisation_kind"] == "diaspora_organisation"
    assert offer["origin_country"] == "SEN"


async def test_owner_and_coordinator_edit_offers_others_cannot(api):
    offer = (await api.post("/api/v1/offers", as_user="donor", json=offer_body())).json()
    url = f"/api/v1/offers/{offer['id']}"
    for user, status in (("donor_b", 403), ("state", 403), (None, 401)):
        assert (await api.patch(url, as_user=user, json={"budget": 1})).status_code == status
    r = await api.patch(url, as_user="donor", json={"global": True, "regions": [], "max_amount": None})
    assert r.status_code == 200, r.text
    assert r.json()["global"] is True and r.json()["max_amount"] is None
    assert r.json()["min_amount"] == offer["min_amount"]
    r = await api.patch(url, as_user="coordinator", json={"status": "closed"})
    assert r.json()["status"] == "closed"


async def test_patch_keeps_the_offer_consistent(api):
    offer = (await api.post("/api/v1/offers", as_user="donor", json=offer_body())).json()
    url = f"/api/v1/offers/{offer['id']}"
    r = await api.patch(url, as_user="donor", json={"min_amount": 600_000})  # above the max of 500 000
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "max_amount"
    r = await api.patch(url, as_user="donor", json={"regions": []})  # nowhere left to spend it
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "countries"
    assert (await api.get(url)).json() == offer

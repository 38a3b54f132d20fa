"""Funding gaps: requested, committed and missing amounts in USD across currencies and resource types."""

import pytest

from tests.factories import need_body, offer_body
from tests.test_matches import propose, step


async def _rates(db):
    rows = await db.fetch("select code, usd_rate(code, current_date) as units_per_usd from currencies")
    return {r["code"]: float(r["units_per_usd"]) for r in rows if r["units_per_usd"] is not None}


async def _gaps(api, by):
    r = await api.get("/api/v1/stats/funding-gaps", params={"by": by})
    assert r.status_code == 200, r.text
    return {row["key"]: row for row in r.json()["items"]}


async def test_funding_gap_arithmetic_across_currencies(api, db):
    rates = await _rates(db)
    eur = (await api.post("/api/v1/needs", as_user="state", json=need_body(
        amount=100_000, currency="EUR", gcm_objectives=[11], capacity_areas=["border_management"],
        resource_types=["financial", "training"]))).json()
    xof = (await api.post("/api/v1/needs", as_user="state_b", json=need_body(
        country="MEX", amount=30_000_000, currency="XOF", gcm_objectives=[11, 14], capacity_areas=[],
        resource_types=["training"]))).json()
    offer = (await api.post("/api/v1/offers", as_user="donor", json=offer_body(
        resource_types=["financial", "training"], budget=500_000, min_amount=None, max_amount=None,
        regions=[], **{"global": True}))).json()
    money = (await propose(api, eur, offer, amount=40_000, currency="USD")).json()
    assert (await step(api, money["id"], "approve")).status_code == 200
    course = (await propose(api, xof, offer, amount=10_000, currency="USD", resource_type="training")).json()
    assert (await step(api, course["id"], "approve")).status_code == 200

    eur_usd, xof_usd = 100_000 / rates["EUR"], 30_000_000 / rates["XOF"]
    objective = await _gaps(api, "gcm_objective")
    assert objective[11]["needs"] == 2 and objective[14]["needs"] == 1
    assert objective[11]["requested_usd"] == pytest.approx(eur_usd + xof_usd, abs=0.05)
    assert objective[11]["committed_usd"] == pytest.approx(50_000, abs=0.05)
    assert objective[11]["gap_usd"] == pytest.approx(eur_usd + xof_usd - 50_000, abs=0.05)
    assert objective[11]["committed_financial_usd"] == pytest.approx(40_000, abs=0.05)
    assert objective[11]["committed_non_financial_usd"] == pytest.approx(10_000, abs=0.05)
    assert objective[14]["committed_usd"] == pytest.approx(10_000, abs=0.05)

    region = await _gaps(api, "region")
    assert set(region) == {"Africa", "Americas"}
    assert region["Africa"]["gap_usd"] == pytest.approx(eur_usd - 40_000, abs=0.05)

    resource = await _gaps(api, "resource_type")
    assert resource["financial"]["requested_usd"] == pytest.approx(eur_usd, abs=0.05)
    assert resource["financial"]["committed_usd"] == pytest.approx(40_000, abs=0.05)
    assert resource["training"]["requested_usd"] == pytest.approx(eur_usd + xof_usd, abs=0.05)
    assert resource["training"]["committed_usd"] == pytest.approx(10_000, abs=0.05)

    area = await _gaps(api, "capacity_area")
    assert set(area) == {"border_management", "unspecified"}

    # Cancelling releases the commitment: the gap grows back.
    assert (await step(api, money["id"], "cancel")).status_code == 200
    assert (await _gaps(api, "region"))["Africa"]["committed_usd"] == 0


async def test_closed_needs_leave_the_figures(api):
    need = (await api.post("/api/v1/needs", as_user="state", json=need_body())).json()
    assert (await _gaps(api, "region"))["Africa"]["needs"] == 1
    await api.patch(f"/api/v1/needs/{need['id']}", as_user="state", json={"status": "closed"})
    assert await _gaps(api, "region") == {}


async def test_unknown_dimension_is_rejected(api):
    r = await api.get("/api/v1/stats/funding-gaps", params={"by": "colour"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "by"


async def test_gaps_by_country_and_rows_labelled_for_people(api):
    await api.post("/api/v1/needs", as_user="state", json=need_body(amount=100000, currency="USD"))
    rows = (await api.get("/api/v1/stats/funding-gaps", params={"by": "country"})).json()["items"]
    assert [(r["key"], r["label"], r["gap_usd"]) for r in rows] == [("SEN", "Senegal", 100000.0)]
    labels = {r["key"]: r["label"] for r in (await api.get("/api/v1/stats/funding-gaps")).json()["items"]}
    assert labels[11].startswith("11. ") and "border" in labels[11].lower()
    areas = (await api.get("/api/v1/stats/funding-gaps", params={"by": "capacity_area"})).json()["items"]
    assert "Border management" in {r["label"] for r in areas}

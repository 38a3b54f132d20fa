"""Funding rounds through the API: create, solve, review, adjust, commit through the ledger, export, events."""

import csv
import io

from tests.factories import need_body, offer_body


async def make_needs_and_offers(api, needs, offers):
    """``needs``: (country, amount) pairs (USD); ``offers``: (budget, min, max) triples (USD, Africa and the Americas)."""
    made_needs = []
    for country, amount in needs:
        owner = "state" if country == "SEN" else "state_b"
        r = await api.post("/api/v1/needs", as_user=owner, json=need_body(country=country, amount=amount, currency="USD"))
        assert r.status_code == 201, r.text
        made_needs.append(r.json())
    made_offers = []
    for budget, low, high in offers:
        r = await api.post("/api/v1/offers", as_user="donor", json=offer_body(
            budget=budget, min_amount=low, max_amount=high, regions=["Africa", "Americas"]))
        assert r.status_code == 201, r.text
        made_offers.append(r.json())
    return made_needs, made_offers


async def test_a_round_from_creation_to_export(api, db):
    needs, offers = await make_needs_and_offers(
        api, [("SEN", 100_000), ("SEN", 60_000), ("MEX", 80_000)], [(150_000, 10_000, None), (50_000, None, None)])
    body = {"name": "Call 2027", "opens_on": "2027-01-01", "closes_on": "2027-03-31",
            "offer_ids": [o["id"] for o in offers],
            "rules": {"regions": {"Americas": {"min": 0.3}}, "max_country_share": 0.75, "partial": False}}
    r = await api.post("/api/v1/rounds", json=body)
    assert r.status_code == 201, r.text
    rnd = r.json()
    assert r.headers["location"] == f"/api/v1/rounds/{rnd['id']}"
    assert rnd["status"] == "draft" and rnd["rules"]["regions"]["Americas"]["min"] == 0.3

    r = await api.post(f"/api/v1/rounds/{rnd['id']}/solve", json={"time_limit": 5})
    assert r.status_code == 201, r.text
    proposal = r.json()
    assert proposal["status"] == "optimal", proposal
    assert proposal["allocated_usd"] <= 200_000
    americas = next(s for s in proposal["by_region"] if s["key"] == "Americas")
    assert americas["share"] >= 0.3 - 1e-6 and americas["min"] == 0.3
    per_need = {}
    for a in proposal["allocations"]:
        per_need[a["need_id"]] = per_need.get(a["need_id"], 0) + a["amount"]
    assert all(per_need[n["id"]] == n["amount"] for n in needs if n["id"] in per_need)  # funded whole
    assert "breaks" in proposal["greedy"]

    r = await api.post(f"/api/v1/rounds/{rnd['id']}/commit", json={"reason": "board decision"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "committed" and r.json()["committed_proposal_id"] == proposal["id"]
    approved = await db.fetch("select need_id, offer_id, amount, status from matches order by id")
    assert len(approved) == len(proposal["allocations"]) and {m["status"] for m in approved} == {"approved"}
    assert await db.fetchval("select count(*) from offers where committed > budget") == 0
    assert await db.fetchval("select sum(committed) from offers") == sum(a["amount"] for a in proposal["allocations"])

    r = await api.get(f"/api/v1/rounds/{rnd['id']}/export.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == len(approved) and all(row["match_id"] for row in rows)

    events = (await api.get("/api/v1/events?entity=round")).json()["items"]
    assert [e["action"] for e in events] == ["created", "solved", "committed"]
    assert events[0]["subject"] == "Call 2027"
    again = await api.post(f"/api/v1/rounds/{rnd['id']}/commit", json={"reason": "twice"})
    assert again.status_code == 409

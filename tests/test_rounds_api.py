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
    for a in proposal["allocations"]:  # each pair explained as the need's ranked offers explain it
        assert a["explanation"] and abs(sum(f["contribution"] for f in a["explanation"]) - a["score"]) < 1e-3
        assert a["label"]["level"] in ("strong", "good", "fair", "weak")

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


async def _round(api, offers, **extra):
    body = {"name": extra.pop("name", "Round"), "opens_on": "2027-01-01", "closes_on": "2027-03-31",
            "offer_ids": [o["id"] for o in offers], **extra}
    r = await api.post("/api/v1/rounds", json=body)
    assert r.status_code == 201, r.text
    return r.json()


async def test_a_commit_racing_an_approval_never_overcommits(api, db):
    import asyncio

    needs, offers = await make_needs_and_offers(api, [("SEN", 60_000), ("MEX", 60_000), ("SEN", 50_000)],
                                                [(100_000, None, None)])
    outsider, offer = needs[2], offers[0]
    match = (await api.post("/api/v1/matches", json={
        "need_id": outsider["id"], "offer_id": offer["id"], "amount": 50_000, "currency": "USD",
        "resource_type": "financial"})).json()
    rnd = await _round(api, offers, excluded=[{"need_id": outsider["id"], "offer_id": offer["id"]}])
    proposal = (await api.post(f"/api/v1/rounds/{rnd['id']}/solve", json={})).json()
    assert proposal["allocated_usd"] == 100_000  # the whole budget, which the approval also wants half of

    approval, commit = await asyncio.gather(
        api.post(f"/api/v1/matches/{match['id']}/approve", json={"reason": "first come"}),
        api.post(f"/api/v1/rounds/{rnd['id']}/commit", json={"reason": "board"}))
    assert sorted([approval.status_code, commit.status_code]) == [200, 409], (approval.text, commit.text)
    row = await db.fetchrow("select budget, committed from offers where id = $1", offer["id"])
    assert row["committed"] <= row["budget"]
    from_round = await db.fetchval("select count(*) from matches where note like 'Funding round%'")
    if commit.status_code == 409:  # all or nothing: no match of the round is left behind
        assert from_round == 0 and row["committed"] == 50_000
        assert (await api.get(f"/api/v1/rounds/{rnd['id']}")).json()["status"] == "draft"
        assert "overcommit" in commit.json()["detail"]
    else:
        assert from_round == len(proposal["allocations"]) and row["committed"] == 100_000
    assert await db.fetchval("select count(*) from ledger_entries") == (1 if commit.status_code == 409 else from_round)


async def test_an_approval_before_the_commit_refuses_the_whole_round(api, db):
    needs, offers = await make_needs_and_offers(api, [("SEN", 60_000), ("MEX", 60_000)], [(100_000, None, None)])
    rnd = await _round(api, offers)
    await api.post(f"/api/v1/rounds/{rnd['id']}/solve", json={})
    match = (await api.post("/api/v1/matches", json={
        "need_id": needs[0]["id"], "offer_id": offers[0]["id"], "amount": 10_000, "currency": "USD",
        "resource_type": "financial"})).json()
    assert (await api.post(f"/api/v1/matches/{match['id']}/approve", json={"reason": "ok"})).status_code == 200
    r = await api.post(f"/api/v1/rounds/{rnd['id']}/commit", json={"reason": "board"})
    assert r.status_code == 409, r.text
    assert await db.fetchval("select count(*) from matches") == 1
    assert await db.fetchval("select committed from offers") == 10_000


async def test_coordinators_adjust_a_round_and_solve_again(api):
    needs, offers = await make_needs_and_offers(
        api, [("SEN", 50_000), ("MEX", 50_000), ("SEN", 30_000)], [(80_000, None, None), (40_000, None, None)])
    rnd = await _round(api, offers, rules={"objectives": {"11": {"min": 0.5}}})
    assert rnd["rules"]["objectives"] == {"11": {"min": 0.5, "max": 1.0}}
    first = (await api.post(f"/api/v1/rounds/{rnd['id']}/solve", json={})).json()
    pin = {"need_id": needs[2]["id"], "offer_id": offers[1]["id"], "amount": 12_345.67}
    banned = {"need_id": needs[0]["id"], "offer_id": offers[0]["id"]}
    r = await api.patch(f"/api/v1/rounds/{rnd['id']}", json={"pins": [pin], "excluded": [banned]})
    assert r.status_code == 200, r.text
    stale = await api.post(f"/api/v1/rounds/{rnd['id']}/commit", json={"reason": "x", "proposal_id": first["id"]})
    assert stale.status_code == 409 and "solve it again" in stale.json()["detail"]
    second = (await api.post(f"/api/v1/rounds/{rnd['id']}/solve", json={})).json()
    given = {(a["need_id"], a["offer_id"]): a["amount"] for a in second["allocations"]}
    assert given[(pin["need_id"], pin["offer_id"])] == 12_345.67
    assert (banned["need_id"], banned["offer_id"]) not in given
    read = await api.get(f"/api/v1/rounds/{rnd['id']}/proposals/{first['id']}")
    assert read.status_code == 200 and read.json()["id"] == first["id"]
    assert (await api.get(f"/api/v1/rounds/{rnd['id']}")).json()["latest_proposal_id"] == second["id"]
    events = [e["action"] for e in (await api.get("/api/v1/events?entity=round")).json()["items"]]
    assert events == ["created", "solved", "updated", "solved"]


async def test_an_infeasible_round_says_which_rule_blocks(api):
    needs, offers = await make_needs_and_offers(api, [("SEN", 20_000), ("MEX", 100_000)], [(100_000, None, None)])
    rnd = await _round(api, offers, rules={"regions": {"Africa": {"min": 0.5}}, "min_spend": 0.8})
    proposal = (await api.post(f"/api/v1/rounds/{rnd['id']}/solve", json={})).json()
    assert proposal["status"] == "infeasible" and proposal["allocations"] == []
    assert [(b["rule"], b["subject"], b["by_usd"]) for b in proposal["blocking"]] == [("region_min", "Africa", 20_000)]
    r = await api.post(f"/api/v1/rounds/{rnd['id']}/commit", json={"reason": "no"})
    assert r.status_code == 409 and "infeasible" in r.json()["detail"]


async def test_only_coordinators_run_rounds_and_bad_rounds_are_refused_field_by_field(api):
    _, offers = await make_needs_and_offers(api, [], [(100_000, None, None)])
    body = {"name": "Call", "opens_on": "2027-03-01", "closes_on": "2027-01-01", "offer_ids": [offers[0]["id"], 999_999],
            "rules": {"regions": {"Africa": {"min": 0.7, "max": 0.5}}}}
    assert (await api.post("/api/v1/rounds", as_user="donor", json=body)).status_code == 403
    assert (await api.get("/api/v1/rounds", as_user="state")).status_code == 403
    r = await api.post("/api/v1/rounds", json=body)
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"closes_on", "offer_ids", "rules.regions.Africa"}
    r = await api.post("/api/v1/rounds", json={**body, "rules": {"regions": {"Atlantis": {"min": 0.1}}}})
    assert r.status_code == 422
    ok = await _round(api, offers, name="Call")
    assert (await api.post("/api/v1/rounds", json={**body, "closes_on": "2027-04-01", "offer_ids": [offers[0]["id"]],
                                                   "rules": {}})).status_code == 409  # the name is taken
    assert (await api.get("/api/v1/rounds")).json()["items"][0]["id"] == ok["id"]
    assert (await api.get(f"/api/v1/rounds/{ok['id']}/export.csv")).status_code == 409
    assert (await api.get("/api/v1/rounds/424242")).status_code == 404


async def test_amounts_are_exact_in_the_needs_currencies(api, db):
    euros = (await api.post("/api/v1/needs", as_user="state", json=need_body(amount="123456.78", currency="EUR"))).json()
    yen = (await api.post("/api/v1/needs", as_user="state_b", json=need_body(country="MEX", amount=9_876_543,
                                                                            currency="JPY"))).json()
    offer = (await api.post("/api/v1/offers", as_user="donor", json=offer_body(
        budget=1_000_000, currency="GBP", min_amount=None, max_amount=None, regions=["Africa", "Americas"]))).json()
    rnd = await _round(api, [offer], rules={"partial": False})
    proposal = (await api.post(f"/api/v1/rounds/{rnd['id']}/solve", json={})).json()
    given = {a["need_id"]: (a["amount"], a["currency"]) for a in proposal["allocations"]}
    assert given == {euros["id"]: (123456.78, "EUR"), yen["id"]: (9_876_543, "JPY")}  # each whole, to the cent or yen
    assert (await api.post(f"/api/v1/rounds/{rnd['id']}/commit", json={"reason": "exact"})).status_code == 200
    rows = await db.fetch("select amount, committed, status from needs order by id")
    assert [(r["committed"] == r["amount"], r["status"]) for r in rows] == [(True, "funded"), (True, "funded")]
    spent = await db.fetchval("select sum(offer_delta) from ledger_entries")
    assert spent == await db.fetchval("select committed from offers") <= 1_000_000

"""The approval workflow: who may do what, every transition, the ledger, idempotent retries."""

import pytest

from matchmaker.matches.ledger import STEPS
from tests.factories import need_body, offer_body

STATES = ["proposed", "approved", "rejected", "withdrawn", "disbursed", "completed", "cancelled"]
# How to bring a fresh proposal to each state (as the coordinator, the withdrawal as its proposer).
PATHS = {
    "proposed": [],
    "approved": ["approve"],
    "rejected": ["reject"],
    "withdrawn": ["withdraw"],
    "disbursed": ["approve", "disburse"],
    "completed": ["approve", "disburse", "complete"],
    "cancelled": ["approve", "cancel"],
}


async def make_pair(api, need=None, offer=None):
    n = await api.post("/api/v1/needs", as_user="state", json=need_body(**(need or {})))
    o = await api.post("/api/v1/offers", as_user="donor", json=offer_body(**(offer or {})))
    assert n.status_code == 201 and o.status_code == 201, (n.text, o.text)
    return n.json(), o.json()


async def propose(api, need, offer, as_user="coordinator", amount=50000, currency="USD", headers=None, **extra):
    body = {"need_id": need["id"], "offer_id": offer["id"], "amount": amount, "currency": currency,
            "resource_type": "financial", "note": "good fit", **extra}
    return await api.post("/api/v1/matches", as_user=as_user, json=body, headers=headers or {})


async def step(api, match_id, action, as_user="coordinator", headers=None, **body):
    return await api.post(f"/api/v1/matches/{match_id}/{action}", as_user=as_user,
                          json={"reason": f"{action} for the test", **body}, headers=headers or {})


async def bring_to(api, state):
    need, offer = await make_pair(api)
    match = (await propose(api, need, offer)).json()
    for action in PATHS[state]:
        r = await step(api, match["id"], action)
        assert r.status_code == 200, r.text
    return match["id"]


@pytest.mark.parametrize("user, offer_owner, need_owner, status", [
    ("donor", "donor", "state", 201),        # a donor for its own offer
    ("donor_b", "donor", "state", 403),      # not its offer
    ("state", "donor", "state", 201),        # a state for its own need
    ("state_b", "donor", "state", 403),      # not its need
    ("coordinator", "donor", "state", 201),
    ("admin", "donor", "state", 201),
    (None, "donor", "state", 401),
])
async def test_who_may_propose(api, user, offer_owner, need_owner, status):
    need, offer = await make_pair(api)
    r = await propose(api, need, offer, as_user=user)
    assert r.status_code == status, r.text
    if status == 201:
        match = r.json()
        assert match["status"] == "proposed"
        assert match["proposed_by"] == api.world["users"][user]
        assert [h["action"] for h in match["history"]] == ["proposed"]


@pytest.mark.parametrize("start", STATES)
@pytest.mark.parametrize("action", list(STEPS))
async def test_every_transition_from_every_state(api, db, start, action):
    match_id = await bring_to(api, start)
    starts, target, staff_only, _ = STEPS[action]
    # The coordinator proposed, so the coordinator is also the one who may withdraw.
    r = await step(api, match_id, action)
    if start in starts:
        assert r.status_code == 200, r.text
        assert r.json()["status"] == target
        assert r.json()["history"][-1]["action"] == target
        assert r.json()["history"][-1]["reason"] == f"{action} for the test"
    else:
        assert r.status_code == 409, r.text
        assert r.json()["current_status"] == start
        assert start in r.json()["detail"]
        assert (await api.get(f"/api/v1/matches/{match_id}")).json()["status"] == start


@pytest.mark.parametrize("action", list(STEPS))
@pytest.mark.parametrize("user", ["state", "donor", "state_b", "donor_b"])
async def test_non_staff_cannot_decide(api, action, user):
    need, offer = await make_pair(api)
    match = (await propose(api, need, offer, as_user="donor")).json()
    r = await step(api, match["id"], action, as_user=user)
    involved = user in ("state", "donor")
    if action == "withdraw" and user == "donor":
        assert r.status_code == 200  # the proposer withdraws its own proposal
    elif not STEPS[action].staff_only and involved:
        assert r.status_code == 403  # withdraw: not the proposer
    elif STEPS[action].staff_only and user in ("state", "donor", "state_b", "donor_b"):
        assert r.status_code in (403, 404)
    if not involved and action == "withdraw":
        assert r.status_code == 404  # not their match: it does not exist for them


async def test_matches_are_private_to_the_two_organisations(api):
    need, offer = await make_pair(api)
    match = (await propose(api, need, offer)).json()
    for user in ("state", "donor", "coordinator", "admin"):
        assert (await api.get(f"/api/v1/matches/{match['id']}", as_user=user)).status_code == 200
        assert [m["id"] for m in (await api.get("/api/v1/matches", as_user=user)).json()["items"]] == [match["id"]]
    for user in ("state_b", "donor_b"):
        assert (await api.get(f"/api/v1/matches/{match['id']}", as_user=user)).status_code == 404
        assert (await api.get("/api/v1/matches", as_user=user)).json()["items"] == []


async def test_proposal_rules(api):
    need, offer = await make_pair(api)
    r = await propose(api, need, offer, resource_type="volunteers")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "resource_type"
    r = await propose(api, need, offer, amount=5)  # below the offer's smallest ticket
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "amount"
    r = await propose(api, need, offer, amount=900_000)  # above its largest ticket
    assert r.status_code == 422
    r = await api.post("/api/v1/matches", json={"need_id": 999999, "offer_id": offer["id"], "amount": 1,
                                                "currency": "USD", "resource_type": "financial"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "need_id"
    assert (await propose(api, need, offer)).status_code == 201
    assert (await propose(api, need, offer)).status_code == 409  # one open proposal per pair


async def test_approval_commits_and_cancel_releases(api, db):
    need, offer = await make_pair(api, need={"amount": 100000, "currency": "USD"}, offer={"budget": 80000})
    match = (await propose(api, need, offer, amount=60000)).json()
    r = await step(api, match["id"], "approve", amount="50000")
    assert r.status_code == 200, r.text
    assert r.json()["amount"] == 50000
    assert [e["kind"] for e in r.json()["ledger"]] == ["commitment"]
    assert (await api.get(f"/api/v1/needs/{need['id']}")).json()["committed"] == 50000
    assert (await api.get(f"/api/v1/offers/{offer['id']}")).json()["remaining"] == 30000
    # A second proposal of 40 000 exceeds the offer's remaining 30 000.
    second = (await propose(api, need, offer, amount=40000, note="second")).json()
    r = await step(api, second["id"], "approve")
    assert r.status_code == 409
    assert "overcommit the offer" in r.json()["detail"] and r.json()["remaining"] == 30000
    assert (await api.get(f"/api/v1/matches/{second['id']}")).json()["status"] == "proposed"
    r = await step(api, match["id"], "cancel")
    assert r.status_code == 200
    assert [e["kind"] for e in r.json()["ledger"]] == ["commitment", "release"]
    assert (await api.get(f"/api/v1/offers/{offer['id']}")).json()["committed"] == 0
    assert (await step(api, second["id"], "approve")).status_code == 200
    assert await db.fetchval("select count(*) from audit_log where entity = 'match'") == 5


async def test_commitments_convert_currencies(api, db):
    # Need in EUR, offer in USD, match in XOF: each side is charged in its own currency.
    need, offer = await make_pair(api, need={"amount": 100000, "currency": "EUR"},
                                  offer={"budget": 100000, "currency": "USD", "min_amount": None, "max_amount": None})
    match = (await propose(api, need, offer, amount=6_000_000, currency="XOF")).json()
    r = await step(api, match["id"], "approve")
    assert r.status_code == 200, r.text
    rates = dict(await db.fetch("select code, usd_rate(code, current_date) from currencies where code in ('EUR', 'XOF')"))
    usd = 6_000_000 / float(rates["XOF"])
    assert (await api.get(f"/api/v1/offers/{offer['id']}")).json()["committed"] == pytest.approx(usd, abs=0.01)
    assert (await api.get(f"/api/v1/needs/{need['id']}")).json()["committed"] == pytest.approx(
        usd * float(rates["EUR"]), abs=0.01)
    assert r.json()["ledger"][0]["usd_value"] == pytest.approx(usd, abs=0.01)


async def test_fully_committed_need_is_funded_and_refuses_more(api):
    need, offer = await make_pair(api, need={"amount": 50000, "currency": "USD"})
    match = (await propose(api, need, offer, amount=50000)).json()
    assert (await step(api, match["id"], "approve")).status_code == 200
    assert (await api.get(f"/api/v1/needs/{need['id']}")).json()["status"] == "funded"
    r = await propose(api, need, offer, amount=20000)
    assert r.status_code == 409 and r.json()["current_status"] == "funded"
    assert (await step(api, match["id"], "cancel")).status_code == 200
    assert (await api.get(f"/api/v1/needs/{need['id']}")).json()["status"] == "open"


async def test_idempotent_proposal_and_approval(api, db):
    need, offer = await make_pair(api)
    headers = {"Idempotency-Key": "proposal-1"}
    first = await propose(api, need, offer, headers=headers)
    again = await propose(api, need, offer, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert await db.fetchval("select count(*) from matches") == 1
    other = await propose(api, need, offer, amount=70000, headers=headers)
    assert other.status_code == 422 and other.json()["errors"][0]["field"] == "Idempotency-Key"
    match_id = first.json()["id"]
    a = await step(api, match_id, "approve", headers={"Idempotency-Key": "approve-1"})
    b = await step(api, match_id, "approve", headers={"Idempotency-Key": "approve-1"})
    assert a.status_code == b.status_code == 200 and a.json() == b.json()
    assert await db.fetchval("select count(*) from ledger_entries") == 1
    # Without the key, a second approval is a conflict, not a second commitment.
    assert (await step(api, match_id, "approve")).status_code == 409


async def test_failed_request_does_not_burn_its_key(api, db):
    need, offer = await make_pair(api)
    headers = {"Idempotency-Key": "retry-me"}
    bad = await propose(api, need, offer, amount=5, headers=headers)
    assert bad.status_code == 422
    assert await db.fetchval("select count(*) from idempotency_keys") == 0
    assert (await propose(api, need, offer, amount=5, headers=headers)).status_code == 422


async def test_ledger_and_audit_cannot_be_rewritten(api, db):
    await bring_to(api, "approved")
    import asyncpg
    with pytest.raises(asyncpg.RaiseError, match="append-only"):
        await db.execute("update ledger_entries set amount = 1")
    with pytest.raises(asyncpg.RaiseError, match="append-only"):
        await db.execute("delete from audit_log")


async def test_history_names_roles_and_organisations_and_shows_emails_only_to_staff(api):
    need, offer = await make_pair(api)
    match = (await propose(api, need, offer, as_user="donor")).json()
    await step(api, match["id"], "approve")
    for viewer, emails in (("coordinator", ["donor@test.example", "coordinator@test.example"]),
                           ("donor", ["donor@test.example", None]), ("state", [None, None])):
        history = (await api.get(f"/api/v1/matches/{match['id']}", as_user=viewer)).json()["history"]
        assert [h["actor_email"] for h in history] == emails, viewer
        assert [(h["actor_role"], h["actor_organisation"]) for h in history] == [
            ("donor", "Test nordic"), ("coordinator", None)]

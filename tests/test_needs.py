"""Capacity needs: create, read, update, list, and who may do what."""

import pytest

from tests.factories import need_body


async def test_state_posts_a_need_for_its_own_organisation(api):
    r = await api.post("/api/v1/needs", as_user="state", json=need_body())
    assert r.status_code == 201, r.text
    need = r.json()
    assert need["organisation_id"] == api.org("senegal")
    assert need["status"] == "open"
    assert need["committed"] == 0
    assert need["remaining"] == 250000
    assert need["region"] == "Africa"
    assert need["language"] == "en"
    assert need["amount_usd"] > 250000  # a euro is worth more than a dollar in the rate table
    again = await api.get(f"/api/v1/needs/{need['id']}", as_user="donor")
    assert again.json() == need


async def test_language_is_detected_when_absent(api):
    body = need_body(title="Renforcement de la gestion des frontières",
                     description="Former les agents de la police des frontières et équiper les postes.")
    r = await api.post("/api/v1/needs", as_user="state", json=body)
    assert r.json()["language"] == "fr"
    body = need_body(title="Fortalecimiento de la gestión de fronteras",
                     description="Capacitar a los agentes de la policía de fronteras y equipar los puestos.")
    r = await api.post("/api/v1/needs", as_user="state", json=body)
    assert r.json()["language"] == "es"


@pytest.mark.parametrize("user, status", [("donor", 403), ("donor_b", 403), (None, 401)])
async def test_only_states_and_staff_post_needs(api, user, status):
    r = await api.post("/api/v1/needs", as_user=user, json=need_body())
    assert r.status_code == status
    assert r.headers["content-type"].startswith("application/problem+json")
    assert (await api.get("/api/v1/needs", as_user="coordinator")).json()["items"] == []


async def test_state_cannot_post_for_another_organisation(api):
    r = await api.post("/api/v1/needs", as_user="state", json=need_body(organisation_id=api.org("mexico")))
    assert r.status_code == 403


async def test_coordinator_posts_on_behalf_of_a_state_organisation(api):
    r = await api.post("/api/v1/needs", as_user="coordinator", json=need_body())
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "organisation_id"
    r = await api.post("/api/v1/needs", as_user="coordinator", json=need_body(organisation_id=api.org("nordic")))
    assert r.status_code == 422  # a bilateral donor does not post needs
    r = await api.post("/api/v1/needs", as_user="coordinator", json=need_body(organisation_id=api.org("mexico")))
    assert r.status_code == 201
    assert r.json()["organisation_id"] == api.org("mexico")


async def test_owner_and_coordinator_update_others_cannot(api):
    need = (await api.post("/api/v1/needs", as_user="state", json=need_body())).json()
    url = f"/api/v1/needs/{need['id']}"
    assert (await api.patch(url, as_user="state_b", json={"title": "Hijacked title"})).status_code == 403
    assert (await api.patch(url, as_user="donor", json={"title": "Hijacked title"})).status_code == 403
    r = await api.patch(url, as_user="state", json={"amount": "300000.50", "deadline": None})
    assert r.status_code == 200, r.text
    assert r.json()["amount"] == 300000.5
    assert r.json()["deadline"] is None
    assert r.json()["title"] == need["title"]  # untouched fields keep their value
    r = await api.patch(url, as_user="coordinator", json={"status": "closed"})
    assert r.json()["status"] == "closed"
    assert (await api.get(url)).json()["title"] == need["title"]


async def test_unknown_need_is_404(api):
    r = await api.get("/api/v1/needs/999999")
    assert r.status_code == 404
    assert r.json()["status"] == 404
    r = await api.patch("/api/v1/needs/999999", json={"title": "Nothing here"})
    assert r.status_code == 404


async def test_duplicate_reference_conflicts(api):
    assert (await api.post("/api/v1/needs", as_user="state", json=need_body(reference="SN-1"))).status_code == 201
    r = await api.post("/api/v1/needs", as_user="state", json=need_body(reference="SN-1"))
    assert r.status_code == 409


async def test_every_change_is_audited(api, db):
    need = (await api.post("/api/v1/needs", as_user="state", json=need_body())).json()
    await api.patch(f"/api/v1/needs/{need['id']}", as_user="state", json={"amount": 1000})
    rows = await db.fetch("select action, changes, actor_id from audit_log where entity = 'need' and entity_id = $1 order by id", need["id"])
    assert [r["action"] for r in rows] == ["created", "updated"]
    assert rows[1]["changes"] == {"amount": [250000.0, 1000]}
    assert rows[1]["actor_id"] == api.world["users"]["state"]

"""Tokens, the caller, user creation, and organisations."""

import jwt
import pytest

from tests.conftest import PASSWORD, settled
from tests.factories import need_body, offer_body


async def test_token_for_right_password_only(api):
    r = await api.post("/api/v1/auth/token", as_user=None, json={"email": "state@test.example", "password": PASSWORD})
    assert r.status_code == 200, r.text
    token = r.json()
    assert token["token_type"] == "bearer" and token["expires_in"] > 0
    me = await api.get("/api/v1/me", as_user=None, headers={"Authorization": f"Bearer {token['access_token']}"})
    assert me.json() == {
        "id": api.world["users"]["state"], "email": "state@test.example", "role": "state",
        "organisation_id": api.org("senegal"), "created_at": me.json()["created_at"],
    }
    for body in ({"email": "state@test.example", "password": "wrong password"},
                 {"email": "nobody@test.example", "password": PASSWORD}):
        r = await api.post("/api/v1/auth/token", as_user=None, json=body)
        assert r.status_code == 401
        assert r.json()["detail"] == "wrong email or password"


async def test_email_is_case_insensitive(api):
    r = await api.post("/api/v1/auth/token", as_user=None, json={"email": "State@Test.Example", "password": PASSWORD})
    assert r.status_code == 200


async def test_expired_forged_and_missing_tokens_are_401(api, settings):
    assert (await api.get("/api/v1/me", as_user=None)).status_code == 401
    forged = jwt.encode({"sub": str(api.world["users"]["admin"]), "exp": 4102444800, "iat": 0}, "not-the-key-but-long-enough-for-hs256!", "HS256")
    r = await api.get("/api/v1/me", as_user=None, headers={"Authorization": f"Bearer {forged}"})
    assert r.status_code == 401
    expired = jwt.encode({"sub": str(api.world["users"]["admin"]), "exp": 1000, "iat": 0}, settings.secret_key, "HS256")
    r = await api.get("/api/v1/me", as_user=None, headers={"Authorization": f"Bearer {expired}"})
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")


async def test_public_paths_need_no_token(api):
    assert (await api.get("/health", as_user=None)).status_code == 200
    schema = await api.get("/schema/openapi.json", as_user=None)
    assert schema.status_code == 200
    operations = {op["operationId"] for path in schema.json()["paths"].values() for op in path.values()}
    assert {"ListNeeds", "CreateNeed", "GetNeed", "UpdateNeed", "ListOffers", "CreateToken", "GetMe"} <= operations
    assert (await api.get("/api/v1/needs", as_user=None)).status_code == 401


async def test_only_admins_create_users_and_roles_fit_organisations(api):
    body = {"email": "new@test.example", "password": "a long password", "role": "state", "organisation_id": api.org("senegal")}
    assert (await api.post("/api/v1/users", as_user="coordinator", json=body)).status_code == 403
    r = await api.post("/api/v1/users", as_user="admin", json=body)
    assert r.status_code == 201 and r.json()["role"] == "state"
    assert (await api.post("/api/v1/users", as_user="admin", json=body)).status_code == 409
    wrong_kind = {**body, "email": "other@test.example", "organisation_id": api.org("nordic")}
    r = await api.post("/api/v1/users", as_user="admin", json=wrong_kind)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "organisation_id"
    no_org = {**body, "email": "third@test.example", "role": "donor", "organisation_id": None}
    assert (await api.post("/api/v1/users", as_user="admin", json=no_org)).status_code == 422


@pytest.mark.parametrize("user, status", [("coordinator", 201), ("admin", 201), ("state", 403), ("donor", 403)])
async def test_organisation_creation_is_for_staff(api, user, status):
    body = {"name": f"Diaspora network {user}", "kind": "diaspora_organisation", "country": "FRA", "origin_country": "MLI"}
    r = await api.post("/api/v1/organisations", as_user=user, json=body)
    assert r.status_code == status, r.text
    if status == 201:
        org = r.json()
        assert org["origin_country"] == "MLI"
        assert (await api.get(f"/api/v1/organisations/{org['id']}", as_user="state")).json() == org
        listed = (await api.get("/api/v1/organisations", params={"kind": "diaspora_organisation", "country": "MLI"})).json()
        assert [o["id"] for o in listed["items"]] == [org["id"]]


async def test_organisation_validation(api):
    r = await api.post("/api/v1/organisations", json={"name": "X Agency", "kind": "pirates", "country": "FRA"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "kind"
    r = await api.post("/api/v1/organisations", json={"name": "X Agency", "kind": "foundation", "country": "ZZZ"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "country"
    r = await api.post("/api/v1/organisations", json={"name": "Test senegal", "kind": "foundation", "country": "FRA"})
    assert r.status_code == 409


async def test_an_organisation_is_edited_by_its_members_and_staff_and_its_offers_rank_anew(api, app):
    diaspora = api.org("diaspora")
    url = f"/api/v1/organisations/{diaspora}"
    need = (await api.post("/api/v1/needs", as_user="state", json=need_body())).json()  # in Senegal
    offer = (await api.post("/api/v1/offers", as_user="donor_b", json=offer_body(regions=[], countries=["FRA"]))).json()
    await settled(app)

    async def ranked() -> list[int]:
        return [i["offer"]["id"] for i in (await api.get(f"/api/v1/needs/{need['id']}/matches")).json()["items"]]

    assert await ranked() == [offer["id"]]  # for Senegal: the diaspora's country of origin
    assert (await api.patch(url, as_user="donor", json={"name": "Not ours"})).status_code == 403
    r = await api.patch(url, as_user="donor_b", json={"name": "Senegalese diaspora in France", "origin_country": "MLI"})
    assert r.status_code == 200 and r.json()["origin_country"] == "MLI"
    await settled(app)
    assert await ranked() == []  # its origin is elsewhere now
    assert (await api.patch(url, as_user="coordinator", json={"kind": "state_agency"})).status_code == 422
    assert (await api.patch(url, as_user="coordinator", json={"kind": "foundation"})).json()["kind"] == "foundation"
    history = (await api.get("/api/v1/events", params={"entity": "organisation"})).json()["items"]
    assert [e["action"] for e in history][-2:] == ["updated", "updated"]

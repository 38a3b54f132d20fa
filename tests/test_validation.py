"""Bad input: a 4xx problem+json that names the field and the rule, and nothing changes."""

import json

import pytest

from tests.factories import need_body, offer_body
from tests.test_matches import make_pair, propose

NEED_CASES = {
    "unknown field": (need_body(colour="red"), "colour"),
    "objective 0": (need_body(gcm_objectives=[0]), "gcm_objectives[0]"),
    "objective 24": (need_body(gcm_objectives=[24]), "gcm_objectives[0]"),
    "no objective": (need_body(gcm_objectives=[]), "gcm_objectives"),
    "negative amount": (need_body(amount=-5), "amount"),
    "zero amount": (need_body(amount="0"), "amount"),
    "absurd amount": (need_body(amount=1e15), "amount"),
    "NaN amount": (need_body(amount="NaN"), "amount"),
    "amount below a cent": (need_body(amount="0.001"), "amount"),
    "organisation id beyond bigint": (need_body(organisation_id=2**70), "organisation_id"),
    "amount as words": (need_body(amount="lots"), "amount"),
    "unknown country": (need_body(country="XYZ"), "country"),
    "lower-case country": (need_body(country="sen"), "country"),
    "unknown currency": (need_body(currency="ABC"), "currency"),
    "wrong type": (need_body(gcm_objectives="eleven"), "gcm_objectives"),
    "missing title": ({k: v for k, v in need_body().items() if k != "title"}, "title"),
    "short title": (need_body(title="x"), "title"),
    "bad date": (need_body(deadline="2030-13-45"), "deadline"),
    "unknown resource type": (need_body(resource_types=["money"]), "resource_types[0]"),
    "unknown capacity area": (need_body(capacity_areas=["magic"]), "capacity_areas[0]"),
    "unsupported language": (need_body(language="de"), "language"),
}


@pytest.mark.parametrize("case", NEED_CASES)
async def test_invalid_need_is_refused_and_nothing_is_written(api, db, case):
    body, field = NEED_CASES[case]
    r = await api.post("/api/v1/needs", as_user="state", json=body)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert problem["status"] == 422 and problem["title"] and problem["detail"]
    assert field in [e["field"] for e in problem["errors"]], problem
    assert await db.fetchval("select count(*) from needs") == 0
    assert await db.fetchval("select count(*) from audit_log where entity = 'need'") == 0


OFFER_CASES = {
    "min above max": (offer_body(min_amount=5000, max_amount=100), "max_amount"),
    "min above budget": (offer_body(min_amount=2_000_000, max_amount=None), "min_amount"),
    "nowhere to spend": (offer_body(regions=[], countries=[]), "countries"),
    "unknown country in list": (offer_body(countries=["SEN", "QQQ"]), "countries[1]"),
    "unknown region": (offer_body(regions=["Atlantis"]), "regions[0]"),
    "no resource type": (offer_body(resource_types=[]), "resource_types"),
    "global not a bool": (offer_body(**{"global": "yes"}), "global"),
}


@pytest.mark.parametrize("case", OFFER_CASES)
async def test_invalid_offer_is_refused(api, db, case):
    body, field = OFFER_CASES[case]
    r = await api.post("/api/v1/offers", as_user="donor", json=body)
    assert r.status_code == 422, r.text
    assert field in [e["field"] for e in r.json()["errors"]], r.json()
    assert await db.fetchval("select count(*) from offers") == 0


async def test_malformed_and_oversized_bodies(api, db):
    headers = {"content-type": "application/json"}
    r = await api.post("/api/v1/needs", as_user="state", content=b"{not json", headers=headers)
    assert r.status_code == 400
    assert r.json()["errors"][0]["field"] == "body"
    r = await api.post("/api/v1/needs", as_user="state", content=b"[1, 2]", headers=headers)
    assert r.status_code == 422
    huge = json.dumps(need_body(title="x" * 10_000_000)).encode()
    r = await api.post("/api/v1/needs", as_user="state", content=huge, headers=headers)
    assert r.status_code == 413
    assert r.headers["content-type"].startswith("application/problem+json")
    assert await db.fetchval("select count(*) from needs") == 0


async def test_invalid_patch_changes_nothing(api, db):
    need = (await api.post("/api/v1/needs", as_user="state", json=need_body())).json()
    url = f"/api/v1/needs/{need['id']}"
    for body, field in (({"amount": -1}, "amount"), ({"country": "XXX"}, "country"),
                        ({"status": "deleted"}, "status"), ({"id": 5}, "id"), ({"committed": 5}, "committed")):
        r = await api.patch(url, as_user="state", json=body)
        assert r.status_code == 422, (body, r.text)
        assert field in [e["field"] for e in r.json()["errors"]]
    assert (await api.get(url)).json() == need


async def test_identifiers_out_of_range_are_client_errors(api):
    r = await api.get("/api/v1/needs/99999999999999999999999")
    assert r.status_code in (400, 404, 422)
    assert r.json()["errors"][0]["field"] == "need_id"
    r = await api.get("/api/v1/needs/0")
    assert r.status_code == 422


async def test_the_document_describes_the_rules_it_enforces(api):
    document = (await api.get("/schema/openapi.json", as_user=None)).json()
    schemas = document["components"]["schemas"]
    for name in ("NeedCreate", "NeedUpdate", "OfferCreate", "OfferUpdate", "MatchCreate", "UserCreate"):
        assert schemas[name]["additionalProperties"] is False, name  # unknown fields are refused
    amount = schemas["NeedCreate"]["properties"]["amount"]
    assert amount["type"] == ["number", "string"] and amount["pattern"]
    assert "null" in schemas["OfferCreate"]["properties"]["min_amount"]["type"]
    objective = schemas["NeedCreate"]["properties"]["gcm_objectives"]["items"]
    assert (objective["minimum"], objective["maximum"]) == (1, 23)
    assert schemas["OfferCreate"]["properties"]["countries"]["items"]["pattern"] == "^[A-Z]{3}$"
    create = document["paths"]["/api/v1/needs"]["post"]["responses"]
    assert {"400", "401", "403", "422"} <= set(create)
    approve = document["paths"]["/api/v1/matches/{match_id}/approve"]["post"]["responses"]
    for status in ("401", "403", "404", "409", "422"):
        assert approve[status]["content"] == {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    assert set(schemas["Problem"]["required"]) == {"title", "status", "detail"}


async def test_what_is_created_says_where_it_lives(api):
    need, offer = await make_pair(api)
    for created, kind in ((need, "needs"), (offer, "offers")):
        r = await api.get(f"/api/v1/{kind}/{created['id']}")
        assert r.status_code == 200
    r = await api.post("/api/v1/needs", as_user="state", json=need_body(title="Located need"))
    assert r.headers["location"] == f"/api/v1/needs/{r.json()['id']}"
    assert (await api.get(r.headers["location"])).json()["title"] == "Located need"
    r = await api.post("/api/v1/offers", as_user="donor", json=offer_body())
    assert r.headers["location"] == f"/api/v1/offers/{r.json()['id']}"
    r = await propose(api, need, offer, headers={"Idempotency-Key": "k1"})
    assert r.status_code == 201 and r.headers["location"] == f"/api/v1/matches/{r.json()['id']}"
    again = await propose(api, need, offer, headers={"Idempotency-Key": "k1"})
    assert again.headers["location"] == r.headers["location"]
    r = await api.post("/api/v1/organisations", json={"name": "Located org", "kind": "foundation", "country": "CHE"})
    assert r.headers["location"] == f"/api/v1/organisations/{r.json()['id']}"


async def test_place_filters_take_any_case_and_refuse_unknown_places(api):
    senegal = (await api.post("/api/v1/needs", as_user="state", json=need_body())).json()
    for params in ({"country": "sen"}, {"country": "SEN"}, {"region": "western africa"}, {"region": "WESTERN AFRICA"}):
        r = await api.get("/api/v1/needs", params=params)
        assert [n["id"] for n in r.json()["items"]] == [senegal["id"]], params
    for params in ({"country": "ZZZ"}, {"region": "Atlantis"}):
        for url in ("/api/v1/needs", "/api/v1/offers"):
            r = await api.get(url, params=params)
            assert r.status_code == 422 and r.json()["errors"][0]["field"] == next(iter(params)), (url, params)


async def test_a_decision_without_a_body_says_one_is_needed(api):
    need, offer = await make_pair(api)
    match = (await propose(api, need, offer)).json()
    r = await api.post(f"/api/v1/matches/{match['id']}/approve")
    assert r.status_code == 422
    assert r.json()["errors"] == [{"field": "body", "message": "a JSON body is required", "source": "body"}]


async def test_vocabularies_list_what_forms_offer(api):
    r = await api.get("/api/v1/vocabularies", as_user="state")
    assert r.status_code == 200
    body = r.json()
    assert len(body["gcm_objectives"]) == 23 and body["gcm_objectives"][10]["number"] == 11
    assert "border" in body["gcm_objectives"][10]["title"].lower()
    assert {"value": "border_management", "label": "Border management"} in body["capacity_areas"]
    assert {t["value"] for t in body["resource_types"]} >= {"financial", "in_kind", "volunteers"}
    assert "Western Africa" in body["regions"] and "Africa" in body["regions"]
    senegal = next(c for c in body["countries"] if c["code"] == "SEN")
    assert senegal["name_fr"] == "Sénégal" and senegal["intermediate_region"] == "Western Africa"
    assert {"code": "JPY", "name": "Yen", "minor_unit": 0} in body["currencies"]
    assert any(s["code"] == "15190" for s in body["dac_sectors"])


async def test_sectors_are_dac_purpose_codes(api):
    r = await api.post("/api/v1/needs", as_user="state", json=need_body(sectors=["15190", "99999"]))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "sectors[1]"
    assert (await api.post("/api/v1/needs", as_user="state", json=need_body(sectors=["15190"]))).status_code == 201


async def test_every_mistake_in_a_body_is_reported_at_once(api, db):
    # Five mistakes of the decoder's kind and three of the rules' kind: eight errors, one request.
    body = need_body(title="x", gcm_objectives=[11, 99], resource_types=["money"], deadline="2030-13-45",
                     colour="red", country="ZZZ", currency="ABC", sectors=["15190", "15190"])
    del body["amount"]
    r = await api.post("/api/v1/needs", as_user="state", json=body)
    assert r.status_code == 422, r.text
    fields = sorted(e["field"] for e in r.json()["errors"])
    assert fields == sorted(["title", "gcm_objectives[1]", "resource_types[0]", "deadline", "colour", "amount",
                             "country", "currency", "sectors[1]"]), r.json()
    assert all(e["message"] for e in r.json()["errors"])
    assert await db.fetchval("select count(*) from needs") == 0


async def test_every_broken_rule_is_reported_at_once(api, db):
    # Each field has the right type: the rules between them are all named.
    body = offer_body(countries=["SEN", "QQQ"], regions=["Africa", "Africa"], min_amount=5000, max_amount=100,
                      budget="10.005", sectors=["99999"])
    r = await api.post("/api/v1/offers", as_user="donor", json=body)
    assert r.status_code == 422, r.text
    assert sorted(e["field"] for e in r.json()["errors"]) == sorted(
        ["countries[1]", "regions[1]", "max_amount", "min_amount", "budget", "sectors[0]"]), r.json()
    need = (await api.post("/api/v1/needs", as_user="state", json=need_body())).json()
    r = await api.patch(f"/api/v1/needs/{need['id']}", as_user="state",
                        json={"country": "XXX", "sectors": ["1"], "amount": "1.001"})
    assert sorted(e["field"] for e in r.json()["errors"]) == ["amount", "country", "sectors[0]"], r.json()
    r = await api.get("/api/v1/offers", params={"country": "ZZZ", "region": "Atlantis"})
    assert sorted(e["field"] for e in r.json()["errors"]) == ["country", "region"], r.json()

"""Ranked matches through the API: eligibility, explanations that add up, live updates without a restart."""

import asyncio

import pytest

from tests.factories import need_body, offer_body
from tests.test_matches import propose


async def _ranked(api, url, **params):
    r = await api.get(url, params=params)
    assert r.status_code == 200, r.text
    return r.json()["items"]


async def _ranked_when(api, url, ids, **params):
    """The ranking once it holds exactly ``ids``: new offers and needs reach the index by notification."""
    items = []

    async def complete():
        nonlocal items
        items = await _ranked(api, url, **params)
        return sorted(i[next(k for k in ("offer", "need") if k in i)]["id"] for i in items) == sorted(ids)

    assert await _until(complete), items
    return items


async def _until(predicate, seconds=1.0):
    """Poll until ``predicate()`` holds, at most ``seconds``: changes must show within a second."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        if await predicate():
            return True
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.05)


async def test_french_need_finds_english_border_offer_with_an_explanation_that_adds_up(api):
    need = (await api.post("/api/v1/needs", as_user="state", json=need_body(
        title="Renforcement de la gestion des frontières",
        description="Formation des agents de la police des frontières et gestion intégrée des frontières.",
        language="fr", gcm_objectives=[11], capacity_areas=["border_management"], resource_types=["financial"],
    ))).json()
    border = (await api.post("/api/v1/offers", as_user="donor", json=offer_body())).json()
    health = (await api.post("/api/v1/offers", as_user="donor", json=offer_body(
        title="Maternal health clinics", description="Equipment for maternal and child health clinics.",
        gcm_objectives=[15], capacity_areas=[]))).json()
    items = await _ranked_when(api, f"/api/v1/needs/{need['id']}/matches", [border["id"], health["id"]])
    assert [i["offer"]["id"] for i in items] == [border["id"], health["id"]]
    top = items[0]
    assert 0 < top["score"] <= 1 and top["score"] > items[1]["score"]
    assert sum(f["contribution"] for f in top["explanation"]) == pytest.approx(top["score"], abs=1e-6)
    factors = {f["factor"]: f for f in top["explanation"]}
    assert "11" in factors["thematic"]["detail"]
    assert factors["text"]["contribution"] > 0 and "border" in factors["text"]["detail"].lower()


async def test_only_eligible_offers_appear(api):
    need = (await api.post("/api/v1/needs", as_user="state", json=need_body(resource_types=["financial"]))).json()
    fits = (await api.post("/api/v1/offers", as_user="donor", json=offer_body())).json()
    for body in (
        offer_body(resource_types=["volunteers"]),                   # another resource
        offer_body(regions=["Asia"]),                                # elsewhere
        offer_body(deadline="2020-01-01"),                           # expired
        offer_body(min_amount=900_000, max_amount=None),             # tickets larger than the need
    ):
        assert (await api.post("/api/v1/offers", as_user="donor", json=body)).status_code == 201
    diaspora = (await api.post("/api/v1/offers", as_user="donor_b", json=offer_body(
        regions=[], countries=["FRA"]))).json()  # a Senegalese diaspora in France: origin counts
    await _ranked_when(api, f"/api/v1/needs/{need['id']}/matches", [fits["id"], diaspora["id"]])
    only_diaspora = await _ranked(api, f"/api/v1/needs/{need['id']}/matches", kind="diaspora_organisation")
    assert [i["offer"]["id"] for i in only_diaspora] == [diaspora["id"]]


async def test_opportunities_for_an_offer_with_filters(api):
    senegal = (await api.post("/api/v1/needs", as_user="state", json=need_body())).json()
    mexico = (await api.post("/api/v1/needs", as_user="state_b",
                             json=need_body(country="MEX", amount=40000, currency="USD"))).json()
    offer = (await api.post("/api/v1/offers", as_user="donor", json=offer_body(regions=[], **{"global": True}))).json()
    items = await _ranked_when(api, f"/api/v1/offers/{offer['id']}/opportunities", [senegal["id"], mexico["id"]])
    for item in items:
        assert sum(f["contribution"] for f in item["explanation"]) == pytest.approx(item["score"], abs=1e-6)
    assert [i["need"]["id"] for i in await _ranked(api, f"/api/v1/offers/{offer['id']}/opportunities",
                                                   region="Americas")] == [mexico["id"]]
    assert [i["need"]["id"] for i in await _ranked(api, f"/api/v1/offers/{offer['id']}/opportunities",
                                                   country="SEN", limit=1)] == [senegal["id"]]
    assert [i["need"]["id"] for i in await _ranked(api, f"/api/v1/offers/{offer['id']}/opportunities",
                                                   max_amount_usd=50000)] == [mexico["id"]]
    refused = await api.get(f"/api/v1/offers/{offer['id']}/opportunities", params={"max_amount_usd": 0})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "max_amount_usd"


async def test_changes_show_in_rankings_within_a_second(app, api):
    need = (await api.post("/api/v1/needs", as_user="state", json=need_body())).json()
    url = f"/api/v1/needs/{need['id']}/matches"
    offer = (await api.post("/api/v1/offers", as_user="donor", json=offer_body())).json()

    async def listed():
        return offer["id"] in [i["offer"]["id"] for i in await _ranked(api, url)]

    assert await _until(listed)
    await api.patch(f"/api/v1/offers/{offer['id']}", as_user="donor", json={"status": "closed"})
    assert await _until(lambda: _negate(listed))
    await api.patch(f"/api/v1/offers/{offer['id']}", as_user="donor", json={"status": "open", "regions": ["Asia"]})
    await asyncio.sleep(0.3)
    assert not await listed()  # open again, but no longer covering Senegal
    await api.patch(f"/api/v1/offers/{offer['id']}", as_user="donor", json={"regions": ["Africa", "Asia"]})
    assert await _until(listed)


async def _negate(predicate):
    return not await predicate()


async def test_exhausted_offer_leaves_the_rankings(api):
    need = (await api.post("/api/v1/needs", as_user="state", json=need_body(amount=500_000, currency="USD"))).json()
    offer = (await api.post("/api/v1/offers", as_user="donor", json=offer_body(
        budget=100_000, min_amount=None, max_amount=None))).json()
    match = (await propose(api, need, offer, amount=100_000)).json()
    assert match["score"] is not None and 0 < match["score"] <= 1  # the ranker's score, kept with the proposal
    r = await api.post(f"/api/v1/matches/{match['id']}/approve", json={"reason": "fits"})
    assert r.status_code == 200
    url = f"/api/v1/needs/{need['id']}/matches"

    async def gone():
        return offer["id"] not in [i["offer"]["id"] for i in await _ranked(api, url)]

    assert await _until(gone)


async def test_funded_or_unknown_need_has_no_matches(api):
    need = (await api.post("/api/v1/needs", as_user="state", json=need_body())).json()
    await api.post("/api/v1/offers", as_user="donor", json=offer_body())
    await api.patch(f"/api/v1/needs/{need['id']}", as_user="state", json={"status": "closed"})
    assert await _ranked(api, f"/api/v1/needs/{need['id']}/matches") == []
    assert (await api.get("/api/v1/needs/999999/matches")).status_code == 404
    assert (await api.get("/api/v1/offers/999999/opportunities")).status_code == 404


async def test_ranked_lists_page_by_their_cursor(api):
    need = (await api.post("/api/v1/needs", as_user="state", json=need_body())).json()
    offers = [(await api.post("/api/v1/offers", as_user="donor", json=offer_body(title=f"Border offer {i}"))).json()
              for i in range(5)]
    whole = await _ranked_when(api, f"/api/v1/needs/{need['id']}/matches", [o["id"] for o in offers], limit=20)
    seen, params = [], {"limit": 2}
    for _ in range(4):
        r = await api.get(f"/api/v1/needs/{need['id']}/matches", params=params)
        assert r.status_code == 200, r.text
        seen += [i["offer"]["id"] for i in r.json()["items"]]
        if r.json()["next_cursor"] is None:
            break
        params = {"limit": 2, "cursor": r.json()["next_cursor"]}
    assert r.json()["next_cursor"] is None
    assert seen == [i["offer"]["id"] for i in whole]
    r = await api.get(f"/api/v1/offers/{offers[0]['id']}/opportunities", params={"cursor": "garbage"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "cursor"


async def test_explanations_speak_the_language_asked_for_with_labels_and_shortfalls(api):
    need = (await api.post("/api/v1/needs", as_user="state", json=need_body(
        title="Lutte contre la fraude documentaire", language="fr",
        description="Formation des agents à la détection de la fraude documentaire aux frontières.",
        resource_types=["financial", "training"], amount=500_000, currency="USD"))).json()
    offer = (await api.post("/api/v1/offers", as_user="donor", json=offer_body(
        title="Document fraud detection", description="Grants against document fraud at borders.",
        resource_types=["financial"], max_amount=100_000))).json()
    url = f"/api/v1/needs/{need['id']}/matches"
    await _ranked_when(api, url, [offer["id"]])
    said = {}
    for header, language in ((None, "en"), ("fr-CH, fr;q=0.9, en;q=0.8", "fr"), ("de, es;q=0.5, en;q=0.1", "es")):
        r = await api.get(url, headers={"Accept-Language": header} if header else {})
        assert r.status_code == 200 and r.headers["vary"] == "Accept-Language"
        (item,) = r.json()["items"]
        assert sum(f["contribution"] for f in item["explanation"]) == pytest.approx(item["score"], abs=1e-6)
        assert item["label"]["level"] in ("strong", "good", "fair", "weak")
        assert {s["kind"] for s in item["shortfalls"]} >= {"resource_type", "amount"}
        assert all(s["contribution"] == 0 for s in item["shortfalls"])
        said[language] = item
        assert r.json()["excluded"]["total"] == 0  # the list is shorter than asked: nothing was kept out
    factors = {language: {f["factor"]: f["detail"] for f in item["explanation"]} for language, item in said.items()}
    assert factors["en"]["thematic"].startswith("shares GCM objective 11")
    assert factors["fr"]["thematic"].startswith("partage l'objectif 11 du PMM")
    assert factors["es"]["thematic"].startswith("comparte el objetivo 11 del PMM")
    assert "fraude documentaire ~ Document fraud" in factors["en"]["text"]
    assert said["fr"]["label"]["text"] != said["en"]["label"]["text"] != said["es"]["label"]["text"]
    training = {lang: next(s["detail"] for s in item["shortfalls"] if s["kind"] == "resource_type") for lang, item in said.items()}
    assert training == {"en": "does not provide training, which the need asks for",
                        "fr": "n'apporte pas ce que le besoin demande : formation",
                        "es": "no aporta capacitación, que la necesidad pide"}
    amount = {lang: next(s["detail"] for s in item["shortfalls"] if s["kind"] == "amount") for lang, item in said.items()}
    assert amount["en"] == "one grant covers at most 20% of the $500K needed (at most $100K)"
    assert "20\xa0%" in amount["fr"] and "500\xa0k\xa0$US" in amount["fr"]


async def test_an_empty_list_says_which_rules_kept_the_offers_out(api):
    for body in (offer_body(), offer_body(resource_types=["technical_expertise"]), offer_body(regions=["Asia"])):
        assert (await api.post("/api/v1/offers", as_user="donor", json=body)).status_code == 201
    late = (await api.post("/api/v1/needs", as_user="state", json=need_body(deadline="2020-01-31"))).json()
    volunteers = (await api.post("/api/v1/needs", as_user="state", json=need_body(resource_types=["volunteers"]))).json()

    async def excluded(need, **headers):
        r = await api.get(f"/api/v1/needs/{need['id']}/matches", headers=headers)
        assert r.status_code == 200 and r.json()["items"] == []
        return r.json()["excluded"]

    async def counted():
        return (await excluded(late))["total"] == 3

    assert await _until(counted)
    assert await excluded(late) == {"total": 3, "closed": 0, "deadline": 3, "resource_type": 0, "geography": 0,
                                    "amount": 0, "detail": "3 excluded: 3 past a deadline"}
    nobody = await excluded(volunteers, **{"Accept-Language": "es"})
    assert (nobody["resource_type"], nobody["geography"], nobody["total"]) == (3, 0, 3)
    assert nobody["detail"] == "3 excluidos: 3 sin tipo de recurso solicitado"
    await api.patch(f"/api/v1/needs/{volunteers['id']}", as_user="state", json={"resource_types": ["financial"]})

    async def one_left():
        r = await api.get(f"/api/v1/needs/{volunteers['id']}/matches")
        return len(r.json()["items"]) == 1 and r.json()["excluded"]["resource_type"] == 1

    assert await _until(one_left)  # the counts follow the change: the page that held them was dropped
    r = await api.get(f"/api/v1/needs/{volunteers['id']}/matches")
    assert r.json()["excluded"]["geography"] == 1

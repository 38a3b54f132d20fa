"""Search by meaning: ``q`` finds texts in any of the three languages, best first."""

from matchmaker.search.concepts import query_concepts
from matchmaker.search.index import refresh_concepts
from tests.factories import need_body, offer_body

TRAITE = need_body(title="Lutte contre la traite des êtres humains", country="SEN",
                   description="Former les officiers de police judiciaire et protéger les victimes.")
TRATA = need_body(title="Protección de víctimas de trata de personas", country="MEX",
                  description="Albergues y asistencia jurídica para las víctimas en la frontera sur.")
BORDER = need_body(title="Border management information system for Dakar airport", country="SEN")


async def _post(api, *bodies):
    ids = []
    for body in bodies:
        r = await api.post("/api/v1/needs", as_user="state" if body["country"] == "SEN" else "state_b", json=body)
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    return ids


async def _search(api, path="/api/v1/needs", **params):
    r = await api.get(path, params=params)
    assert r.status_code == 200, r.text
    return r.json()


async def _ids(api, path="/api/v1/needs", **params):
    return [item["id"] for item in (await _search(api, path, **params))["items"]]


async def test_a_query_finds_the_same_concept_in_another_language(api):
    traite, trata, border = await _post(api, TRAITE, TRATA, BORDER)
    assert traite in await _ids(api, q="trata de personas")
    assert trata in await _ids(api, q="traite des êtres humains")
    assert sorted(await _ids(api, q="human trafficking")) == sorted([traite, trata])
    assert border not in await _ids(api, q="trafficking in persons")


async def test_offers_are_searched_by_meaning_too(api):
    r = await api.post("/api/v1/offers", as_user="donor",
                       json=offer_body(title="Subvenciones contra la trata de personas", description=""))
    offer = r.json()["id"]
    await api.post("/api/v1/offers", as_user="donor", json=offer_body())
    assert await _ids(api, "/api/v1/offers", q="traite des êtres humains") == [offer]


async def test_a_concept_in_the_title_ranks_above_one_in_passing(api):
    titled, passing = await _post(
        api,
        need_body(title="Plan national contre la traite des personnes", country="SEN", description="Un plan d'action."),
        need_body(title="Consular registry for nationals abroad", country="SEN",
                  description="Registration of nationals, including the victims of human trafficking, in consulates."),
    )
    body = await _search(api, q="trata de personas")
    assert [n["id"] for n in body["items"]] == [titled, passing]  # not newest first
    assert body["items"][0]["relevance"] > body["items"][1]["relevance"] > 0


async def test_paging_through_a_search_returns_each_item_once(api):
    bodies = [need_body(title=f"Trafficking in persons, project {i}", country="SEN",
                        description="Victims of trafficking. " * (i % 3)) for i in range(7)]
    created = await _post(api, *bodies, BORDER)
    seen, cursor = [], None
    while True:
        body = await _search(api, q="trata de personas", limit=3, **({"cursor": cursor} if cursor else {}))
        assert len(body["items"]) <= 3
        seen += [n["id"] for n in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(created[:7])
    assert seen == await _ids(api, q="trata de personas", limit=100)
    # A cursor of one order is refused by the other.
    r = await api.get("/api/v1/needs", params={"limit": 3})
    r = await api.get("/api/v1/needs", params={"q": "trata", "cursor": r.json()["next_cursor"]})
    assert r.status_code == 422, r.text


async def test_a_search_combines_with_filters(api):
    traite, trata, _ = await _post(api, TRAITE, TRATA, BORDER)
    assert await _ids(api, q="human trafficking", country="MEX") == [trata]
    assert await _ids(api, q="human trafficking", region="Western Africa") == [traite]
    assert await _ids(api, q="human trafficking", status="closed") == []


async def test_a_query_naming_no_concept_matches_stemmed_words(api):
    traite, trata, border = await _post(api, TRAITE, TRATA, BORDER)
    assert await _ids(api, q="airports") == [border]  # English stemming
    assert await _ids(api, q="albergue") == [trata]  # Spanish stemming
    assert await _ids(api, q="officier") == [traite]  # French stemming
    # Operators are read on words, as before: "-" excludes, and the concept is not used.
    assert await _ids(api, q="trata -albergues") == []
    # Without q: newest first, without relevance.
    body = await _search(api)
    assert [n["id"] for n in body["items"]] == [border, trata, traite]
    assert all("relevance" not in n for n in body["items"])


async def test_a_changed_text_changes_what_finds_it(api):
    (border,) = await _post(api, BORDER)
    r = await api.patch(f"/api/v1/needs/{border}", as_user="state", json={"title": "Lutte contre la traite"})
    assert r.status_code == 200, r.text
    assert await _ids(api, q="trata de personas") == [border]


async def test_migrate_fills_the_concepts_rows_lack(api, db):
    traite, trata, _ = await _post(api, TRAITE, TRATA, BORDER)
    await db.execute("update needs set concepts = null")  # as rows copied in bulk, or older than the column
    assert await _ids(api, q="trata de personas") == [trata]  # its words only
    assert await refresh_concepts(db) == 3
    assert await refresh_concepts(db) == 0
    assert sorted(await _ids(api, q="trata de personas")) == [traite, trata]


def test_the_glossary_names_the_core_concepts_alike_in_each_language():
    for phrase in ("trafficking in persons", "human trafficking", "traite des êtres humains", "traite des personnes",
                   "trata de personas"):
        assert query_concepts(phrase) == ["trafficking"], phrase
    for phrase in ("asylum seekers", "demandeurs d'asile", "solicitudes de refugio"):
        assert query_concepts(phrase) == ["asylum"], phrase
    assert query_concepts("pro bono") == ["in_kind"]  # not "bonos" (vouchers)
    assert query_concepts("trafficking or smuggling") is None  # operators: words only

"""Lists: filters, full-text search in three languages, cursor pagination."""

from tests.factories import need_body, offer_body


async def _post_needs(api):
    bodies = [
        need_body(title="Border management training", country="SEN", gcm_objectives=[11]),
        need_body(title="Gestion des frontières au Sénégal", description="Renforcer la gestion des frontières.",
                  country="SEN", gcm_objectives=[11, 23], capacity_areas=["cross_border_coordination"]),
        need_body(title="Registro consular de migrantes", description="Fortalecer los servicios consulares.",
                  country="MEX", gcm_objectives=[14], capacity_areas=["consular_practices"],
                  resource_types=["technical_expertise"]),
    ]
    ids = []
    for body in bodies:
        user = "state" if body["country"] == "SEN" else "state_b"
        r = await api.post("/api/v1/needs", as_user=user, json=body)
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    return ids


async def test_need_filters(api):
    border, frontieres, consular = await _post_needs(api)

    async def ids(query):
        r = await api.get("/api/v1/needs?" + query)
        assert r.status_code == 200, r.text
        return [n["id"] for n in r.json()["items"]]

    assert await ids("country=MEX") == [consular]
    assert await ids("region=Americas") == [consular]
    assert await ids("region=Sub-Saharan%20Africa") == [frontieres, border]
    assert await ids("region=Western%20Africa") == [frontieres, border]
    assert await ids("gcm_objective=23") == [frontieres]
    assert await ids("capacity_area=consular_practices") == [consular]
    assert await ids("resource_type=technical_expertise") == [consular]
    assert await ids("status=open") == [consular, frontieres, border]
    assert await ids("status=closed") == []
    assert await ids(f"organisation_id={api.org('mexico')}") == [consular]


async def test_full_text_search_stems_each_language(api):
    border, frontieres, consular = await _post_needs(api)
    r = await api.get("/api/v1/needs", params={"q": "frontière"})
    # Its words first, then the English need about borders (the glossary's concept).
    assert [n["id"] for n in r.json()["items"]] == [frontieres, border]
    r = await api.get("/api/v1/needs", params={"q": "consulares"})
    assert [n["id"] for n in r.json()["items"]] == [consular]
    r = await api.get("/api/v1/needs", params={"q": "trainings"})
    assert [n["id"] for n in r.json()["items"]] == [border]


async def test_cursor_pagination_walks_every_item_once(api):
    created = [
        (await api.post("/api/v1/needs", as_user="state", json=need_body(title=f"Need number {i}"))).json()["id"]
        for i in range(7)
    ]
    seen, cursor = [], None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        body = (await api.get("/api/v1/needs", params=params)).json()
        assert len(body["items"]) <= 3
        seen += [n["id"] for n in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(created, reverse=True)


async def test_bad_list_parameters_are_rejected(api):
    for params in ({"limit": 0}, {"limit": 101}, {"cursor": "garbage"}, {"gcm_objective": 24},
                   {"country": "se"}, {"country": "ZZZ"}, {"status": "pending"}):
        r = await api.get("/api/v1/needs", params=params)
        assert 400 <= r.status_code < 500, (params, r.status_code)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["errors"][0]["field"] in params, r.json()


async def test_offer_filters_by_where_money_may_be_spent(api):
    africa = (await api.post("/api/v1/offers", as_user="donor", json=offer_body())).json()
    world = (await api.post("/api/v1/offers", as_user="donor", json=offer_body(regions=[], **{"global": True}))).json()
    diaspora = (await api.post("/api/v1/offers", as_user="donor_b",
                               json=offer_body(regions=[], countries=["FRA"]))).json()
    mexico = (await api.post("/api/v1/offers", as_user="donor", json=offer_body(regions=[], countries=["MEX"]))).json()

    async def ids(**params):
        r = await api.get("/api/v1/offers", params=params)
        assert r.status_code == 200, r.text
        return sorted(o["id"] for o in r.json()["items"])

    # Senegal: the Africa offer, the global one, and the diaspora (origin Senegal) one.
    assert await ids(country="SEN") == sorted([africa["id"], world["id"], diaspora["id"]])
    assert await ids(country="MEX") == sorted([world["id"], mexico["id"]])
    assert await ids(region="Americas") == sorted([world["id"], mexico["id"]])
    assert await ids(kind="diaspora_organisation") == [diaspora["id"]]


async def test_an_offer_for_a_region_is_found_from_any_region_inside_it(api):
    """An offer for all of Africa may be spent in Western Africa: filtering by the sub-region,
    by a country in it or by the region finds it, as it finds an offer naming a country there."""
    africa = (await api.post("/api/v1/offers", as_user="donor", json=offer_body(regions=["Africa"]))).json()
    senegal = (await api.post("/api/v1/offers", as_user="donor", json=offer_body(regions=[], countries=["SEN"]))).json()
    kenya = (await api.post("/api/v1/offers", as_user="donor", json=offer_body(regions=[], countries=["KEN"]))).json()
    americas = (await api.post("/api/v1/offers", as_user="donor", json=offer_body(regions=["Americas"]))).json()

    async def ids(**params):
        r = await api.get("/api/v1/offers", params=params)
        assert r.status_code == 200, r.text
        return sorted(o["id"] for o in r.json()["items"])

    assert await ids(region="Western Africa") == sorted([africa["id"], senegal["id"]])
    assert await ids(region="Sub-Saharan Africa") == sorted([africa["id"], senegal["id"], kenya["id"]])
    assert await ids(region="Africa") == sorted([africa["id"], senegal["id"], kenya["id"]])
    assert await ids(country="SEN") == sorted([africa["id"], senegal["id"]])
    assert await ids(region="Americas") == [americas["id"]]

"""The web pages over HTTP: sessions and their cookies, CSRF, forms that keep what was typed
and name each wrong field, the role pages, the language switch, charts, and HTML errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest_asyncio

from matchmaker.pages import i18n
from tests.conftest import settled
from tests.factories import need_body, offer_body
from tests.pages.support import Visitor


@pytest_asyncio.fixture
async def visitor(app) -> AsyncIterator[Visitor]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://matchmaker.test") as client:
        yield Visitor(client)


NEED_FORM = {"title": "Formation à la détection de la fraude documentaire", "description": "Former 40 agents de la police aux frontières pour la détection des faux documents.",
             "country": "SEN", "gcm_objectives": ["4", "11"], "resource_types": ["training"], "amount": "120000.50",
             "currency": "EUR", "deadline": "2031-03-31", "sectors": "15190, 15210"}


async def test_signing_in_opens_a_session_in_a_safe_cookie_and_leads_to_the_roles_page(visitor: Visitor) -> None:
    home = await visitor.get("/")
    assert home.status_code == 200 and 'href="/signin"' in home.text
    response = await visitor.sign_in("state")
    assert response.status_code == 303 and response.headers["location"] == "/needs"
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("mm_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie and "Secure" not in cookie
    assert (await visitor.get("/")).headers["location"] == "/needs"
    page = await visitor.get("/needs")
    assert page.status_code == 200 and "state@test.example" in page.text
    assert page.headers["cache-control"] == "no-store"


async def test_a_wrong_password_keeps_the_email_and_says_so(visitor: Visitor) -> None:
    response = await visitor.sign_in("state", password="not the password")
    assert response.status_code == 401
    assert "Wrong e-mail address or password." in response.text and 'value="state@test.example"' in response.text
    assert "mm_session=" not in response.headers.get("set-cookie", "")


async def test_a_sign_in_form_from_elsewhere_is_refused(visitor: Visitor) -> None:
    await visitor.get("/signin")
    response = await visitor.post("/signin", {"form_token": "forged", "email": "state@test.example",
                                              "password": "correct horse battery"}, token=False)
    assert response.status_code == 403 and "mm_session=" not in response.headers.get("set-cookie", "")


async def test_pages_send_the_signed_out_to_sign_in_and_back(visitor: Visitor) -> None:
    response = await visitor.get("/needs/new")
    assert response.status_code == 303 and response.headers["location"] == "/signin?next=/needs/new"
    partial = await visitor.get("/review", headers={"HX-Request": "true"})
    assert partial.status_code == 401 and partial.headers["HX-Redirect"] == "/signin?next=/review"
    form = await visitor.get(response.headers["location"])
    assert 'name="next" value="/needs/new"' in form.text


async def test_a_change_without_the_sessions_token_is_refused_and_writes_nothing(visitor: Visitor, db) -> None:
    await visitor.sign_in("state")
    before = await db.fetchval("select count(*) from needs")
    response = await visitor.post("/needs/new", NEED_FORM, token=False)
    assert response.status_code == 403 and "text/html" in response.headers["content-type"]
    forged = await visitor.client.post("/needs/new", data={**NEED_FORM, "csrf_token": "x" * 43})
    assert forged.status_code == 403
    assert await db.fetchval("select count(*) from needs") == before


async def test_a_session_cookie_opens_no_api_route(visitor: Visitor) -> None:
    await visitor.sign_in("coordinator")
    assert (await visitor.client.get("/api/v1/needs")).status_code == 401


async def test_posting_a_need_through_the_form(visitor: Visitor, db) -> None:
    await visitor.sign_in("state")
    form = await visitor.get("/needs/new")
    assert 'for="title"' in form.text and "11. " in form.text  # objectives are picked by their titles
    response = await visitor.post("/needs/new", NEED_FORM)
    assert response.status_code == 303
    need_id = int(response.headers["location"].rsplit("/", 1)[1])
    row = await db.fetchrow("select * from needs where id = $1", need_id)
    assert row["amount"] == Decimal("120000.50") and row["language"] == "fr" and row["sectors"] == ["15190", "15210"]
    assert row["gcm_objectives"] == [4, 11] and row["resource_types"] == ["training"]
    page = await visitor.get(response.headers["location"])
    assert NEED_FORM["title"] in page.text and "Suggested funders" in page.text


async def test_a_refused_need_names_each_wrong_field_and_keeps_what_was_typed(visitor: Visitor, db) -> None:
    await visitor.sign_in("state")
    before = await db.fetchval("select count(*) from needs")
    bad = {**NEED_FORM, "amount": "lots", "gcm_objectives": [], "sectors": "15190, 99"}
    response = await visitor.post("/needs/new", bad)
    assert response.status_code == 422
    page = response.text
    for field in ("amount", "gcm_objectives", "sectors"):
        assert f'id="{field}-error"' in page, field
    assert 'aria-invalid="true"' in page and 'id="form-errors"' in page
    assert f'value="{NEED_FORM["title"]}"' in page and 'value="15190, 99"' in page
    assert 'value="training" checked' in page and '<option value="SEN" selected' in page
    assert await db.fetchval("select count(*) from needs") == before


async def test_errors_are_said_in_the_readers_language(visitor: Visitor) -> None:
    await visitor.sign_in("state")
    await visitor.get("/language/fr?next=/needs/new")
    response = await visitor.post("/needs/new", {**NEED_FORM, "gcm_objectives": []})
    summary = "The need was not saved. Please correct the fields marked below."
    hint = "Choose at least one GCM objective."
    assert i18n.gettext("fr", summary) != summary and i18n.gettext("fr", summary) in response.text.replace("&#39;", "'")
    assert i18n.gettext("fr", hint) != hint and i18n.gettext("fr", hint) in response.text.replace("&#39;", "'")
    assert '<html lang="fr">' in response.text


async def test_editing_a_need_starts_from_its_values(visitor: Visitor, api) -> None:
    need = (await api.post("/api/v1/needs", as_user="state", json=need_body())).json()
    await visitor.sign_in("state")
    form = await visitor.get(f"/needs/{need['id']}/edit")
    assert f'value="{need["title"]}"' in form.text and 'value="250000' in form.text
    values = {"title": "Airport border system, second phase", "description": need["description"], "country": "SEN",
              "gcm_objectives": ["1", "11"], "resource_types": ["financial", "training"], "amount": "250000",
              "currency": "EUR", "deadline": "", "capacity_areas": ["border_management"]}
    response = await visitor.post(f"/needs/{need['id']}/edit", values)
    assert response.status_code == 303
    changed = (await api.get(f"/api/v1/needs/{need['id']}")).json()
    assert changed["title"] == values["title"] and changed.get("deadline") is None
    assert changed["capacity_areas"] == ["border_management"]


async def test_signing_out_ends_the_session(visitor: Visitor) -> None:
    await visitor.sign_in("donor")
    session = visitor.client.cookies["mm_session"]
    response = await visitor.post("/signout", {})
    assert response.status_code == 303
    visitor.client.cookies.set("mm_session", session)  # a copy kept by someone else
    assert (await visitor.get("/offers")).status_code == 303


async def test_opportunities_filter_without_a_reload(visitor: Visitor, api, app) -> None:
    offer = (await api.post("/api/v1/offers", as_user="donor", json=offer_body(resource_types=["financial", "training"]))).json()
    senegal = (await api.post("/api/v1/needs", as_user="state", json=need_body())).json()
    mexico = (await api.post("/api/v1/needs", as_user="state_b", json=need_body(country="MEX", title="Mexico data")))
    await settled(app)
    await visitor.sign_in("donor")
    page = await visitor.get(f"/offers/{offer['id']}")
    assert page.status_code == 200 and senegal["title"] in page.text and 'hx-get=' in page.text
    filters = {"country": "SEN", "region": "", "gcm_objective": "", "resource_type": "", "max_amount_usd": ""}
    part = await visitor.get(f"/offers/{offer['id']}", params=filters, headers={"HX-Request": "true"})
    assert part.status_code == 200 and "<html" not in part.text and 'id="ranked"' in part.text
    assert senegal["title"] in part.text and mexico.json()["title"] not in part.text
    small = await visitor.get(f"/offers/{offer['id']}", params={"max_amount_usd": "1000"}, headers={"HX-Request": "true"})
    assert senegal["title"] not in small.text
    wrong = await visitor.get(f"/offers/{offer['id']}", params={"gcm_objective": "99"})
    assert wrong.status_code == 422 and "gcm_objective" in wrong.text


async def test_proposing_and_reviewing_with_a_partial_approval_and_an_overcommitted_one(visitor: Visitor, api,
                                                                                     app) -> None:
    offer = (await api.post("/api/v1/offers", as_user="donor", json=offer_body(budget=100000, max_amount=100000))).json()
    first = (await api.post("/api/v1/needs", as_user="state", json=need_body(amount=80000, currency="USD"))).json()
    second = (await api.post("/api/v1/needs", as_user="state", json=need_body(amount=90000, currency="USD",
                                                                               title="Second airport"))).json()
    await settled(app)
    await visitor.sign_in("donor")
    need_page = await visitor.get(f"/needs/{first['id']}")
    assert "Express interest" in need_page.text
    proposals = []
    for need in (first, second):
        response = await visitor.post("/matches/propose", {"need_id": need["id"], "offer_id": offer["id"],
                                                           "resource_type": "financial", "amount": str(need["amount"]),
                                                           "currency": "USD", "next": f"/needs/{need['id']}"})
        assert response.status_code == 303, response.text
        proposals.append(int(response.headers["location"].rsplit("/", 1)[1]))

    coordinator = Visitor(visitor.client)
    visitor.client.cookies.clear()
    await coordinator.sign_in("coordinator")
    queue = await coordinator.get("/review")
    assert queue.text.count('class="card proposal"') == 2 and "Second airport" in queue.text
    htmx = {"HX-Request": "true"}
    approved = await coordinator.post(f"/matches/{proposals[0]}/approve", {"amount": "60000", "reason": "Fits the call"},
                                      headers=htmx)
    assert approved.status_code == 200 and "<html" not in approved.text and "status-approved" in approved.text
    refused = await coordinator.post(f"/matches/{proposals[1]}/approve", {"reason": "Also fits"}, headers=htmx)
    assert refused.status_code == 409 and 'role="alert"' in refused.text and "status-proposed" in refused.text
    assert "Approving $90,000.00 would overcommit the offer: $40,000.00 remain." in refused.text
    await coordinator.get("/language/fr?next=/review")
    in_french = await coordinator.post(f"/matches/{proposals[1]}/approve", {"reason": "Aussi"}, headers=htmx)
    assert "Approuver 90\u202f000,00\xa0$US engagerait plus que ce qui reste pour l&#39;offre" in in_french.text
    match = (await api.get(f"/api/v1/matches/{proposals[0]}")).json()
    assert match["status"] == "approved" and Decimal(str(match["ledger"][0]["amount"])) == Decimal(60000)
    assert (await api.get(f"/api/v1/matches/{proposals[1]}")).json()["status"] == "proposed"
    no_reason = await coordinator.post(f"/matches/{proposals[1]}/reject", {"reason": ""}, headers=htmx)
    assert no_reason.status_code == 422


async def test_the_language_switch_is_remembered_and_goes_back_only_to_this_site(visitor: Visitor) -> None:
    response = await visitor.get("/language/es?next=/signin")
    assert response.status_code == 303 and response.headers["location"] == "/signin"
    page = await visitor.get("/signin")
    assert '<html lang="es">' in page.text and i18n.gettext("es", "Password") in page.text
    assert (await visitor.get("/language/fr?next=//evil.example")).headers["location"] == "/"
    assert (await visitor.get("/language/xx")).headers.get("set-cookie") is None
    visitor.client.cookies.clear()
    assert '<html lang="fr">' in (await visitor.get("/", headers={"Accept-Language": "fr-CA,fr;q=0.9"})).text


async def test_the_gaps_dashboard_draws_charts_with_text_alternatives(visitor: Visitor, api) -> None:
    await api.post("/api/v1/needs", as_user="state", json=need_body())
    await visitor.sign_in("coordinator")
    page = await visitor.get("/gaps")
    assert page.status_code == 200 and page.text.count('<img src="/gaps/charts/') == 4
    assert "Largest gaps: Senegal" in page.text and "11. " in page.text
    for chart in ("gcm_objective", "region", "resource_type", "country"):
        svg = await visitor.get(f"/gaps/charts/{chart}")
        assert svg.headers["content-type"].startswith("image/svg+xml") and "<script" not in svg.text
    assert (await visitor.get("/gaps/charts/nothing")).status_code == 422


async def test_errors_are_pages(visitor: Visitor) -> None:
    await visitor.sign_in("state")
    response = await visitor.get("/needs/999999")
    assert response.status_code == 404 and "text/html" in response.headers["content-type"]
    assert "Not found" in response.text and "need 999999 does not exist" in response.text
    assert (await visitor.get("/review")).status_code == 403


async def test_signing_in_is_throttled_like_the_api(visitor: Visitor) -> None:
    for _ in range(6):  # five free failures; the sixth sets a wait
        assert (await visitor.sign_in("donor_b", password="guess")).status_code == 401
    throttled = await visitor.sign_in("donor_b", password="guess")
    assert throttled.status_code == 429 and "Too many failed attempts" in throttled.text


async def test_the_session_cookie_is_secure_over_https(app) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://matchmaker.test") as client:
        response = await Visitor(client).sign_in("state")
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("mm_session="))
    assert "Secure" in cookie and "HttpOnly" in cookie


async def test_a_proposer_withdraws_its_own_proposal_and_no_one_else_can(visitor: Visitor, api, app) -> None:
    offer = (await api.post("/api/v1/offers", as_user="donor", json=offer_body())).json()
    need = (await api.post("/api/v1/needs", as_user="state", json=need_body(amount=50000, currency="USD"))).json()
    await settled(app)
    await visitor.sign_in("donor")
    proposed = await visitor.post("/matches/propose", {"need_id": need["id"], "offer_id": offer["id"], "amount": "50000",
                                                       "currency": "USD", "resource_type": "financial"})
    match_url = proposed.headers["location"]
    assert "Withdraw the proposal" in (await visitor.get(match_url)).text
    visitor.client.cookies.clear()
    state = Visitor(visitor.client)
    await state.sign_in("state")
    assert "Withdraw the proposal" not in (await state.get(match_url)).text
    assert (await state.post(f"{match_url}/withdraw", {})).status_code == 403
    visitor.client.cookies.clear()
    await visitor.sign_in("donor")
    withdrawn = await visitor.post(f"{match_url}/withdraw", {"reason": ""})
    assert withdrawn.status_code == 303
    assert (await api.get(f"/api/v1{match_url}")).json()["status"] == "withdrawn"


async def test_only_the_owner_edits(visitor: Visitor, api) -> None:
    need = (await api.post("/api/v1/needs", as_user="state", json=need_body())).json()
    offer = (await api.post("/api/v1/offers", as_user="donor", json=offer_body())).json()
    await visitor.sign_in("state_b")
    assert (await visitor.get(f"/needs/{need['id']}/edit")).status_code == 403
    assert (await visitor.get(f"/offers/{offer['id']}/edit")).status_code == 403
    refused = await visitor.post(f"/needs/{need['id']}/edit", {"title": "Taken over"})
    assert refused.status_code == 403
    assert (await api.get(f"/api/v1/needs/{need['id']}")).json()["title"] == need["title"]


async def test_finding_needs_by_meaning_across_languages(visitor: Visitor, api) -> None:
    traite = (await api.post("/api/v1/needs", as_user="state", json=need_body(
        title="Lutte contre la traite des êtres humains", country="SEN",
        description="Former les agents à identifier les victimes de la traite."))).json()
    border = (await api.post("/api/v1/needs", as_user="state_b", json=need_body(country="MEX"))).json()
    await visitor.sign_in("donor")
    page = await visitor.get("/needs/find", params={"q": "trata de personas", "country": "", "region": ""})
    assert page.status_code == 200 and traite["title"] in page.text and border["title"] not in page.text
    part = await visitor.get("/needs/find", params={"region": "Americas"}, headers={"HX-Request": "true"})
    assert "<html" not in part.text and border["title"] in part.text and traite["title"] not in part.text
    assert (await visitor.get("/needs/find", params={"resource_type": "gold"})).status_code == 422


async def test_results_of_a_funded_match_are_defined_reported_and_summed_up(visitor: Visitor, api, app) -> None:
    offer = (await api.post("/api/v1/offers", as_user="donor", json=offer_body())).json()
    need = (await api.post("/api/v1/needs", as_user="state", json=need_body(amount=50000, currency="USD"))).json()
    match = (await api.post("/api/v1/matches", as_user="donor", json={
        "need_id": need["id"], "offer_id": offer["id"], "amount": 50000, "currency": "USD",
        "resource_type": "financial"})).json()
    await api.post(f"/api/v1/matches/{match['id']}/approve", json={"reason": "Fits"})
    await visitor.sign_in("state")
    page = await visitor.get(f"/matches/{match['id']}")
    assert "Define an indicator" in page.text and "No indicator is defined for this match." in page.text
    defined = await visitor.post(f"/matches/{match['id']}/indicators", {
        "title": "Officers trained in document checks", "unit": "officers", "baseline": "0", "target": "40",
        "start_date": "2025-01-01", "end_date": "2027-12-31", "report_every_months": "3", "gcm_objective": "11"})
    assert defined.status_code == 303 and defined.headers["location"] == f"/matches/{match['id']}#results"
    [indicator] = (await api.get(f"/api/v1/indicators?match_id={match['id']}")).json()["items"]
    refused = await visitor.post(f"/indicators/{indicator['id']}/reports", {
        "period_start": "2025-01-01", "period_end": "2025-03-31", "actual": "many", "evidence": ""})
    assert refused.status_code == 422 and 'id="main"' in refused.text and "actual" in refused.text
    filed = await visitor.post(f"/indicators/{indicator['id']}/reports", {
        "period_start": "2025-01-01", "period_end": "2025-03-31", "actual": "10", "narrative": "First course held.",
        "evidence": "https://example.org/attendance,list.pdf\nhttps://example.org/photos"})
    assert filed.status_code == 303
    report = (await api.get(f"/api/v1/indicators/{indicator['id']}")).json()["history"][0]
    assert report["evidence"] == ["https://example.org/attendance,list.pdf", "https://example.org/photos"]
    shown = await visitor.get(f"/matches/{match['id']}")
    assert "Officers trained in document checks" in shown.text and "25%" in shown.text
    assert "report overdue" in shown.text  # the next quarter ended long ago
    overview = await visitor.get("/results")
    assert overview.status_code == 200 and "Officers trained in document checks" in overview.text
    assert "11. Manage borders" in overview.text and "Test nordic" in overview.text
    visitor.client.cookies.clear()
    await visitor.sign_in("donor")
    assert "Define an indicator" not in (await visitor.get(f"/matches/{match['id']}")).text


async def test_a_round_is_reviewed_solved_and_committed_from_its_page(visitor: Visitor, api, app) -> None:
    offer = (await api.post("/api/v1/offers", as_user="donor", json=offer_body(
        budget=100000, max_amount=100000, regions=["Africa", "Americas"]))).json()
    needs = [(await api.post("/api/v1/needs", as_user=who, json=need_body(
        country=country, amount=40000, currency="USD", title=f"Border data for {country}"))).json()
        for who, country in (("state", "SEN"), ("state_b", "MEX"))]
    rnd = (await api.post("/api/v1/rounds", json={
        "name": "Border call", "opens_on": "2027-01-01", "closes_on": "2027-03-31", "offer_ids": [offer["id"]],
        "rules": {"regions": {"Americas": {"min": 0.3}}}})).json()
    await settled(app)
    await visitor.sign_in("coordinator")
    assert "Border call" in (await visitor.get("/rounds")).text
    assert (await visitor.post(f"/rounds/{rnd['id']}/solve", {"time_limit": "0.1"})).status_code == 422
    solved = await visitor.post(f"/rounds/{rnd['id']}/solve", {"time_limit": "5"})
    assert solved.status_code == 303
    page = await visitor.get(f"/rounds/{rnd['id']}")
    assert all(n["title"] in page.text for n in needs) and "Why this suggestion" in page.text
    assert "≥ 30%" in page.text and "Commit: create and approve every match" in page.text
    committed = await visitor.post(f"/rounds/{rnd['id']}/commit", {"reason": "Balanced call"})
    assert committed.status_code == 303
    assert (await api.get(f"/api/v1/rounds/{rnd['id']}")).json()["status"] == "committed"
    csv = await visitor.get(f"/rounds/{rnd['id']}/export")
    assert csv.headers["content-type"].startswith("text/csv") and "Border data for SEN" in csv.text
    visitor.client.cookies.clear()
    await visitor.sign_in("donor")
    assert (await visitor.get("/rounds")).status_code == 403

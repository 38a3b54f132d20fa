"""The three roles' main flow in a real browser, the language switch, posting a need with the
keyboard alone, a phone-sized screen, and axe-core on every page: no serious or critical violation."""

from __future__ import annotations

import httpx
from playwright.async_api import Browser, Page, expect

from matchmaker.pages import i18n
from tests.browser.conftest import screenshot, serious_violations, signed_in, token
from tests.factories import need_body, offer_body
from tests.servers import Server

TITLE = "Formation des agents à la détection de la fraude documentaire"
DESCRIPTION = "Former les agents de la police aux frontières pour la détection des faux documents de voyage."


async def _checked(page: Page, found: list[str], path: str | None = None) -> None:
    if path:
        await page.goto(path)
    found += await serious_violations(page)


async def test_a_need_posted_in_french_is_found_proposed_and_approved_live(browser: Browser, server: Server) -> None:
    async with httpx.AsyncClient(base_url=server.url) as api:
        offer = (await api.post("/api/v1/offers", headers=await token(server, "donor"), json=offer_body(
            budget=100000, max_amount=100000, gcm_objectives=[4, 11]))).json()
    violations: list[str] = []

    # A state posts a need in French; a first try without objectives is refused beside the field.
    state = await signed_in(browser, server, "state", "fr")
    await _checked(state, violations, "/needs")
    await state.goto("/needs/new")
    await state.fill("#title", TITLE)
    await state.fill("#description", DESCRIPTION)
    await state.select_option("#country", "SEN")
    await state.check("input[name=resource_types][value=financial]")
    await state.fill("#amount", "60000")
    await state.select_option("#currency", "USD")
    await state.click("form[action='/needs/new'] button[type=submit]")
    await expect(state.locator("#gcm_objectives-error")).to_be_visible()
    await expect(state.locator("#title")).to_have_value(TITLE)  # nothing typed is lost
    await _checked(state, violations)
    await screenshot(state, "need-form-errors")
    await state.check("input[name=gcm_objectives][value='4']")
    await state.check("input[name=gcm_objectives][value='11']")
    await state.click("form[action='/needs/new'] button[type=submit]")
    await expect(state.locator("h1")).to_have_text(TITLE)
    need_id = int(state.url.rsplit("/", 1)[1])
    await _checked(state, violations)
    await screenshot(state, "state-need")

    # The coordinator watches the review queue.
    coordinator = await signed_in(browser, server, "coordinator")
    await _checked(coordinator, violations, "/review")
    await expect(coordinator.locator("#queue")).to_contain_text("No proposal awaits a decision.")

    # A donor filters its opportunities to Senegal, finds the need and proposes.
    donor = await signed_in(browser, server, "donor")
    await _checked(donor, violations, "/offers")
    await _checked(donor, violations, "/needs/find?q=fraude+documentaire")
    await expect(donor.locator("#found")).to_contain_text(TITLE)  # search as one types
    await donor.goto(f"/offers/{offer['id']}")
    await donor.select_option("#country", "SEN")  # htmx swaps the list in place
    await expect(donor.locator("#ranked")).to_contain_text(TITLE)
    await expect(donor).to_have_url(f"{server.url}/offers/{offer['id']}?gcm_objective=&region=&country=SEN"
                                    "&resource_type=&max_amount_usd=")
    await _checked(donor, violations)
    await screenshot(donor, "donor-opportunities")
    await donor.click(f"#ranked a[href='/needs/{need_id}']")
    await donor.click("section[aria-labelledby=interest] summary")
    await donor.fill(f"#amount-{need_id}-{offer['id']}", "60000")
    await donor.click("section[aria-labelledby=interest] form button[type=submit]")
    match_id = int(donor.url.rsplit("/", 1)[1])
    await expect(donor.locator(f"#match-{match_id} .status")).to_have_text("proposed")
    await _checked(donor, violations)

    # The proposal appears in the coordinator's queue without a reload; it is approved.
    card = coordinator.locator(f"#match-{match_id}")
    await expect(card).to_be_visible(timeout=10_000)
    await screenshot(coordinator, "coordinator-review")
    await coordinator.fill(f"#approve-reason-{match_id}", "Fits the call for border management")
    await card.locator("form[action$='/approve'] button").click()
    await expect(card.locator(".status")).to_have_text("approved")

    # A second proposal would overcommit the offer: the refusal shows on its card.
    async with httpx.AsyncClient(base_url=server.url) as api:
        second = (await api.post("/api/v1/needs", headers=await token(server, "state"),
                                 json=need_body(amount=90000, currency="USD", title="Second airport"))).json()
        proposal = await api.post("/api/v1/matches", headers=await token(server, "donor"), json={
            "need_id": second["id"], "offer_id": offer["id"], "amount": 90000, "currency": "USD",
            "resource_type": "financial"})
    late = coordinator.locator(f"#match-{proposal.json()['id']}")
    await expect(late).to_be_visible(timeout=10_000)
    await coordinator.fill(f"#approve-reason-{proposal.json()['id']}", "Also fits")
    await late.locator("form[action$='/approve'] button").click()
    await expect(late.locator("[role=alert]")).to_contain_text("overcommit")
    await expect(late.locator(".status")).to_have_text("proposed")
    await _checked(coordinator, violations)

    # The state sees the decision, in French.
    await state.goto(f"/needs/{need_id}")
    await expect(state.locator("section[aria-labelledby=matches]")).to_contain_text(i18n.gettext("fr", "approved"))
    await _checked(state, violations, f"/matches/{match_id}")
    await _checked(coordinator, violations, "/results")
    await _checked(coordinator, violations, "/rounds")
    await _checked(coordinator, violations, "/gaps")
    await screenshot(coordinator, "gaps")
    assert violations == []


async def test_the_language_switch_changes_every_word_and_is_remembered(browser: Browser, server: Server) -> None:
    donor = await signed_in(browser, server, "donor")
    await donor.goto("/offers")
    await donor.click("nav.languages a[hreflang=es]")
    await expect(donor.locator("html")).to_have_attribute("lang", "es")
    await expect(donor.locator("h1")).to_have_text(i18n.gettext("es", "My organisation's offers"))
    await donor.click(f"text={i18n.gettext('es', 'Publish an offer')} >> nth=0")
    await expect(donor.locator("html")).to_have_attribute("lang", "es")
    await expect(donor.locator("label[for=budget]")).to_contain_text(i18n.gettext("es", "Budget or estimated value"))
    await donor.context.close()
    again = await signed_in(browser, server, "donor", "es")
    await again.goto("/gaps")
    assert await serious_violations(again) == []


async def test_a_need_is_posted_with_the_keyboard_alone(browser: Browser, server: Server) -> None:
    state = await signed_in(browser, server, "state")
    await state.goto("/needs")
    keys = state.keyboard

    async def tab_to(selector: str) -> None:
        for _ in range(150):
            await keys.press("Tab")
            if await state.evaluate("s => document.activeElement.matches(s)", selector):
                return
        raise AssertionError(f"Tab never reached {selector}")

    await tab_to("a[href='/needs/new']")
    await keys.press("Enter")
    await state.wait_for_url("**/needs/new")
    await tab_to("#title")
    await keys.type("Data systems for return and reintegration")
    await tab_to("#country")
    await keys.type("Senegal")
    await tab_to("input[name=gcm_objectives][value='21']")
    await keys.press("Space")
    await tab_to("input[name=resource_types][value=technical_expertise]")
    await keys.press("Space")
    await tab_to("#amount")
    await keys.type("45000")
    await tab_to("#currency")
    await keys.type("EUR")
    await tab_to("form[action='/needs/new'] button[type=submit]")
    await keys.press("Enter")
    await expect(state.locator("h1")).to_have_text("Data systems for return and reintegration")
    await expect(state.locator(".facts")).to_contain_text("Senegal")


async def test_pages_fit_a_phone_screen(browser: Browser, server: Server) -> None:
    phone = {"width": 375, "height": 740}
    violations: list[str] = []
    coordinator = await signed_in(browser, server, "coordinator", viewport=phone)
    for path in ("/", "/review", "/gaps", "/needs/new", "/offers/new"):
        await coordinator.goto(path)
        width = await coordinator.evaluate("document.documentElement.scrollWidth")
        assert width <= phone["width"], f"{path} is {width} px wide on a phone"
        violations += await serious_violations(coordinator)
    await coordinator.context.close()
    page = await (await browser.new_context(base_url=server.url, viewport=phone)).new_page()
    for path in ("/signin", "/"):
        await _checked(page, violations, path)
    await screenshot(page, "home")
    assert violations == []

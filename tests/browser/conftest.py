"""A real headless Chromium (Debian's ``chromium``) driven by Playwright against a real
``matchmaker serve`` on loopback; ``axe-core`` (vendored from the npm registry) checks each page.

Without a browser the tests are skipped, saying how to install one; with ``CI=true`` a
missing browser fails them."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from tests.conftest import PASSWORD
from tests.databases import template_copy
from tests.servers import Server, serving

CHROMIUM = os.environ.get("MATCHMAKER_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
AXE = Path(__file__).with_name("axe.min.js")
# Pages are saved here as PNG when set (``make screenshots``).
SCREENSHOTS = os.environ.get("MATCHMAKER_SCREENSHOTS")
# Without these, Chromium keeps calling hosts this machine cannot reach.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest_asyncio.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    if not CHROMIUM:
        message = "no Chromium found: install Debian's chromium (apt-get install chromium) or set MATCHMAKER_CHROMIUM"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


@pytest_asyncio.fixture(scope="module")
async def server(admin_dsn: str, world: dict, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Server]:
    """One server on a database of its own for the module's tests (each starts its own users' sessions)."""
    async with template_copy(admin_dsn, f"mm_browser_{os.getpid()}") as dsn, \
            serving(tmp_path_factory.mktemp("browser") / "data", dsn) as running:
        yield running


async def signed_in(browser: Browser, server: Server, who: str, language: str = "en",
                    viewport: dict[str, int] | None = None) -> Page:
    """A page of a new browser context, signed in as ``who`` of the test world."""
    context: BrowserContext = await browser.new_context(base_url=server.url, locale=language,
                                                        viewport=viewport or {"width": 1280, "height": 900})
    page = await context.new_page()
    await page.goto(f"/language/{language}?next=/signin")
    await page.fill("#email", f"{who}@test.example")
    await page.fill("#password", PASSWORD)
    await page.click("form[action='/signin'] button[type=submit]")
    await page.wait_for_load_state()
    return page


async def serious_violations(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now."""
    await page.add_script_tag(path=str(AXE))
    found = await page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
                                ".filter(v => ['serious', 'critical'].includes(v.impact))"
                                ".map(v => `${v.id}: ${v.nodes.map(n => n.target.join(' ')).join(', ')}`)")
    return [f"{page.url}: {v}" for v in found]


async def screenshot(page: Page, name: str) -> None:
    if SCREENSHOTS:
        await page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


async def token(server: Server, who: str) -> dict[str, str]:
    async with httpx.AsyncClient(base_url=server.url) as client:
        r = await client.post("/api/v1/auth/token", json={"email": f"{who}@test.example", "password": PASSWORD})
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

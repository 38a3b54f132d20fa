"""Tests run against a real PostgreSQL: ``DATABASE_URL`` when set, else an embedded server.

The schema is migrated once into a template database holding a small world (organisations
and one user per role); each test gets a fresh copy of it (``CREATE DATABASE ... TEMPLATE``).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
import pytest_asyncio

from matchmaker.accounts.schemas import UserCreate
from matchmaker.accounts.service import create_user
from matchmaker.accounts.tokens import TokenIssuer, build_jwt_auth
from matchmaker.app import create_app
from matchmaker.db.pool import connect
from matchmaker.db.server import (
    create_database,
    drop_database,
    throwaway_server,
    with_database,
)
from matchmaker.organisations.schemas import OrganisationCreate
from matchmaker.organisations.service import create_organisation
from matchmaker.settings import Settings
from matchmaker.upkeep import bring_up_to_date
from tests.databases import TEMPLATE, template_copy

logging.getLogger("httpx").setLevel(logging.WARNING)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Leave nothing in the temporary directory: pytest removes each run's own directory
    (``tmp_path_retention_policy``) but keeps their common parent, empty."""
    factory = getattr(config, "_tmp_path_factory", None)
    if factory is not None and factory._basetemp is not None and config.option.basetemp is None:
        try:
            factory._basetemp.parent.rmdir()
        except OSError:  # another run's directories are in it, or it is gone already
            pass

_numbers = itertools.count()

# The small world every test starts from: name -> (kind, country, origin).
ORGANISATIONS = {
    "senegal": ("state_agency", "SEN", None),
    "mexico": ("state_agency", "MEX", None),
    "nordic": ("bilateral_donor", "NOR", None),
    "diaspora": ("diaspora_organisation", "FRA", "SEN"),
    "bank": ("private_sector", "GBR", None),
}
USERS = {
    "admin": ("admin", None),
    "coordinator": ("coordinator", None),
    "state": ("state", "senegal"),
    "state_b": ("state", "mexico"),
    "donor": ("donor", "nordic"),
    "donor_b": ("donor", "diaspora"),
}
PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def admin_dsn() -> Iterator[str]:
    if url := os.environ.get("DATABASE_URL"):
        yield url
        return
    with throwaway_server() as server:
        yield server.get_uri()


async def populate(conn: asyncpg.Connection) -> dict[str, dict[str, int]]:
    """Bring a fresh database up to date and create the small world in it; returns the ids."""
    await bring_up_to_date(conn)
    orgs = {}
    for key, (kind, country, origin) in ORGANISATIONS.items():
        org = await create_organisation(
            conn, OrganisationCreate(name=f"Test {key}", kind=kind, country=country, origin_country=origin)
        )
        orgs[key] = org.id
    users = {}
    for key, (role, org) in USERS.items():
        user = await create_user(
            conn, UserCreate(email=f"{key}@test.example", password=PASSWORD, role=role,
                             organisation_id=orgs[org] if org else None)
        )
        users[key] = user.id
    return {"organisations": orgs, "users": users}


@pytest_asyncio.fixture(scope="session")
async def world(admin_dsn: str) -> dict[str, dict[str, int]]:
    """Create and migrate the template database; returns the ids of its organisations and users."""
    await drop_database(admin_dsn, TEMPLATE)
    await create_database(admin_dsn, TEMPLATE)
    conn = await connect(with_database(admin_dsn, TEMPLATE))
    try:
        return await populate(conn)
    finally:
        await conn.close()


@pytest_asyncio.fixture
async def dsn(admin_dsn: str, world: dict) -> AsyncIterator[str]:
    """A fresh database, a copy of the template, dropped after the test."""
    async with template_copy(admin_dsn, f"mm_test_{os.getpid()}_{next(_numbers)}") as copy:
        yield copy


@pytest.fixture
def settings(dsn: str, tmp_path: Path) -> Settings:
    return Settings(database_url=dsn, data_dir=tmp_path, secret_key="test-secret-key-0123456789abcdef",
                    token_minutes=60, pool_size=5)


@pytest_asyncio.fixture
async def app(settings: Settings):
    """The app with its lifespan entered; in a task of its own, because the lifespan's
    task group must be entered and left by the same task."""
    app = create_app(settings)
    started, stop = asyncio.Event(), asyncio.Event()

    async def run() -> None:
        async with app.lifespan():
            started.set()
            await stop.wait()

    task = asyncio.create_task(run())
    await asyncio.wait([task, asyncio.create_task(started.wait())], return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        task.result()  # the lifespan failed: raise its error
    yield app
    stop.set()
    await task


@pytest_asyncio.fixture
async def db(dsn: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection of the test's own, to set things up or check them in SQL."""
    conn = await connect(dsn)
    yield conn
    await conn.close()


class Api:
    """An HTTP client for the app that can act as any user of the test world."""

    def __init__(self, client: httpx.AsyncClient, settings: Settings, world: dict) -> None:
        self.client = client
        self.world = world
        self._tokens = TokenIssuer(build_jwt_auth(settings))

    def headers(self, as_user: str | None) -> dict[str, str]:
        if as_user is None:
            return {}
        token = self._tokens.token(self.world["users"][as_user], 0)
        return {"Authorization": f"Bearer {token}"}

    def org(self, key: str) -> int:
        return self.world["organisations"][key]

    async def request(self, method: str, url: str, as_user: str | None = "coordinator", **kwargs) -> httpx.Response:
        headers = {**self.headers(as_user), **kwargs.pop("headers", {})}
        return await self.client.request(method, url, headers=headers, **kwargs)

    async def get(self, url: str, **kwargs) -> httpx.Response:
        return await self.request("GET", url, **kwargs)

    async def post(self, url: str, **kwargs) -> httpx.Response:
        return await self.request("POST", url, **kwargs)

    async def patch(self, url: str, **kwargs) -> httpx.Response:
        return await self.request("PATCH", url, **kwargs)


@pytest_asyncio.fixture
async def api(app, settings: Settings, world: dict) -> AsyncIterator[Api]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://matchmaker.test") as client:
        yield Api(client, settings, world)


async def settled(app) -> None:
    """Every change committed so far has reached the app's rankings (announcements travel
    asynchronously: the last one may not have arrived when a request returns)."""
    await app.state.events.caught_up()
    await app.state.ranking.settle()

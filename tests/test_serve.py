"""``matchmaker serve`` as real processes: two hosts on one database see each other's changes
within a second, and SIGTERM stops a server promptly, streams open, embedded PostgreSQL included."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import httpx

from tests.conftest import PASSWORD
from tests.factories import need_body, offer_body
from tests.servers import SECRET, Server, serving, until


async def _token(client: httpx.AsyncClient, url: str, who: str) -> dict[str, str]:
    r = await client.post(url + "/api/v1/auth/token", json={"email": f"{who}@test.example", "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def test_two_hosts_on_one_database_see_each_others_changes_within_a_second(dsn, tmp_path):
    async with serving(tmp_path / "a", dsn) as a, serving(tmp_path / "b", dsn) as b, httpx.AsyncClient() as client:
        state, donor = await _token(client, a.url, "state"), await _token(client, a.url, "donor")
        assert "server" not in (await client.get(a.url + "/health")).headers  # no software banner
        need = (await client.post(a.url + "/api/v1/needs", json=need_body(), headers=state)).json()
        offer = (await client.post(a.url + "/api/v1/offers", json=offer_body(), headers=donor)).json()
        matches_on_b = f"{b.url}/api/v1/needs/{need['id']}/matches"

        async def b_ranks(title: str) -> bool:
            items = (await client.get(matches_on_b, headers=state)).json()["items"]
            return [(i["offer"]["id"], i["offer"]["title"]) for i in items] == [(offer["id"], title)]

        assert await until(lambda: b_ranks(offer["title"]), seconds=1.0)
        # B now serves that page from its cache: a change through A must still reach it.
        r = await client.patch(f"{a.url}/api/v1/offers/{offer['id']}", json={"title": "Renamed"}, headers=donor)
        assert r.status_code == 200, r.text
        assert await until(lambda: b_ranks("Renamed"), seconds=1.0)


async def test_sigterm_stops_a_server_with_open_streams_and_its_embedded_database(tmp_path):
    async with serving(tmp_path / "data") as server, httpx.AsyncClient(timeout=30) as client:
        headers = await _token_for_new_admin(server, tmp_path / "data")
        postmaster = tmp_path / "data" / "pgdata" / "postmaster.pid"
        assert postmaster.exists()
        async with client.stream("GET", server.url + "/api/v1/events/stream", headers=headers) as stream:
            assert stream.status_code == 200
            elapsed = await asyncio.to_thread(server.stop)
        assert elapsed < 10, f"took {elapsed:.1f} s to stop"
        assert await until(lambda: _gone(postmaster), seconds=5), "the embedded PostgreSQL is still running"


async def _token_for_new_admin(server: Server, data_dir: Path) -> dict[str, str]:
    env = {**os.environ, "MATCHMAKER_DATA_DIR": str(data_dir), "MATCHMAKER_SECRET_KEY": SECRET}
    env.pop("DATABASE_URL", None)
    subprocess.run([sys.executable, "-m", "matchmaker.cli", "users", "create", "--email", "ops@test.example",
                    "--password", PASSWORD, "--role", "admin"], env=env, check=True, capture_output=True)
    async with httpx.AsyncClient() as client:
        return await _token(client, server.url, "ops")


async def _gone(path: Path) -> bool:
    return not path.exists()

"""``matchmaker serve`` as real processes: two hosts on one database see each other's changes
within a second, and SIGTERM stops a server promptly, streams open, embedded PostgreSQL included."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from tests.conftest import PASSWORD
from tests.factories import need_body, offer_body

SECRET = "shared-secret-key-0123456789abcdef"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, process: subprocess.Popen, url: str) -> None:
        self.process, self.url = process, url

    def stop(self) -> float:
        """SIGTERM, then the seconds until the process has exited."""
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)
        return time.monotonic() - started


@asynccontextmanager
async def serving(data_dir: Path, database_url: str | None = None) -> AsyncIterator[Server]:
    env = {**os.environ, "MATCHMAKER_DATA_DIR": str(data_dir), "MATCHMAKER_SECRET_KEY": SECRET}
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    port = _free_port()
    process = subprocess.Popen([sys.executable, "-m", "matchmaker.cli", "serve", "--port", str(port)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = Server(process, f"http://127.0.0.1:{port}")
    try:
        async with httpx.AsyncClient() as client:
            assert await _until(lambda: _answers(client, server.url + "/health"), seconds=90), "server did not start"
        yield server
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


async def _answers(client: httpx.AsyncClient, url: str) -> bool:
    try:
        return (await client.get(url)).status_code == 200
    except httpx.TransportError:
        return False


async def _until(predicate: Callable[[], Awaitable[bool]], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await predicate():
            return True
        await asyncio.sleep(0.05)
    return False


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

        assert await _until(lambda: b_ranks(offer["title"]), seconds=1.0)
        # B now serves that page from its cache: a change through A must still reach it.
        r = await client.patch(f"{a.url}/api/v1/offers/{offer['id']}", json={"title": "Renamed"}, headers=donor)
        assert r.status_code == 200, r.text
        assert await _until(lambda: b_ranks("Renamed"), seconds=1.0)


async def test_sigterm_stops_a_server_with_open_streams_and_its_embedded_database(tmp_path):
    async with serving(tmp_path / "data") as server, httpx.AsyncClient(timeout=30) as client:
        headers = await _token_for_new_admin(server, tmp_path / "data")
        postmaster = tmp_path / "data" / "pgdata" / "postmaster.pid"
        assert postmaster.exists()
        async with client.stream("GET", server.url + "/api/v1/events/stream", headers=headers) as stream:
            assert stream.status_code == 200
            elapsed = await asyncio.to_thread(server.stop)
        assert elapsed < 10, f"took {elapsed:.1f} s to stop"
        assert await _until(lambda: _gone(postmaster), seconds=5), "the embedded PostgreSQL is still running"


async def _token_for_new_admin(server: Server, data_dir: Path) -> dict[str, str]:
    env = {**os.environ, "MATCHMAKER_DATA_DIR": str(data_dir), "MATCHMAKER_SECRET_KEY": SECRET}
    env.pop("DATABASE_URL", None)
    subprocess.run([sys.executable, "-m", "matchmaker.cli", "users", "create", "--email", "ops@test.example",
                    "--password", PASSWORD, "--role", "admin"], env=env, check=True, capture_output=True)
    async with httpx.AsyncClient() as client:
        return await _token(client, server.url, "ops")


async def _gone(path: Path) -> bool:
    return not path.exists()

"""``make bench``: how fast Matchmaker ranks, in process and through the HTTP endpoint.

For each size it prints the ranker's own figures (fit time and memory, in-process latency
of ranking one need against every offer, from ``matchmaker.ranking.bench``), then loads the
same synthetic offers into a fresh PostgreSQL, serves the API in a separate process and
measures ``GET /api/v1/needs/{id}/matches`` (p50/p99) beside a plain PostgreSQL full-text
query (``ts_rank``) over the same offers, the reference a search box would use.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import asyncpg
import httpx
import numpy as np

from matchmaker.accounts.schemas import UserCreate
from matchmaker.accounts.service import create_user
from matchmaker.db.migrate import migrate
from matchmaker.db.queries import fetch_all, queries
from matchmaker.db.server import ensure_database, start_embedded, with_database
from matchmaker.organisations.schemas import OrganisationCreate
from matchmaker.organisations.service import create_organisation
from matchmaker.ranking.bench import measure, synthetic_needs, synthetic_offers

PASSWORD = "bench-password-0123"
_REGIONS = {"Africa", "Americas", "Asia", "Europe", "Oceania"}
OFFER_COLUMNS = (
    "organisation_id", "title", "description", "language", "gcm_objectives", "capacity_areas", "resource_types",
    "sectors", "countries", "regions", "global", "budget", "currency", "min_amount", "max_amount", "deadline",
)


def _percentiles(latencies: list[float]) -> tuple[float, float]:
    return 1000 * float(np.percentile(latencies, 50)), 1000 * float(np.percentile(latencies, 99))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _load(dsn: str, size: int) -> tuple[int, list[str]]:
    """A fresh database with ``size`` synthetic offers, one need and a coordinator; returns (need id, queries)."""
    conn = await asyncpg.connect(dsn)  # default codecs: COPY needs numeric's binary encoder
    try:
        await migrate(conn)
        funders = [
            (await create_organisation(conn, OrganisationCreate(name=f"Bench funder {i}", kind="foundation",
                                                                country="CHE"))).id
            for i in range(max(20, size // 50))
        ]
        state = await create_organisation(conn, OrganisationCreate(name="Bench ministry", kind="state_agency",
                                                                   country="SEN"))
        await create_user(conn, UserCreate(email="bench@matchmaker.example", password=PASSWORD, role="coordinator"))
        rows = []
        for i, o in enumerate(synthetic_offers(size)):
            budget = Decimal(round(o.remaining_usd or 100_000.0, 2)).quantize(Decimal("0.01"))
            rows.append((
                funders[i % len(funders)], o.title[:300] or "Offer", o.description, o.language or "en",
                list(o.gcm_objectives), list(o.capacity_areas), list(o.resource_types) or ["financial"],
                list(o.sectors), list(o.countries), [r for r in o.regions if r in _REGIONS],
                o.global_ or not (o.countries or o.regions), budget, "USD",
                None, None, None,
            ))
        await conn.copy_records_to_table("offers", records=rows, columns=OFFER_COLUMNS)
        need = synthetic_needs(1, seed=7)[0]
        need_id = await queries.insert_need(
            conn, organisation_id=state.id, reference=None, title=need.title[:300], description=need.description,
            language=need.language or "en", country="SEN", gcm_objectives=list(need.gcm_objectives) or [11],
            capacity_areas=list(need.capacity_areas), resource_types=["financial"], sectors=list(need.sectors),
            amount=250_000, currency="USD", deadline=None,
        )
        words = [n.title.split()[-1] for n in synthetic_needs(50, seed=11)]
        return need_id, words
    finally:
        await conn.close()



async def _ts_rank(dsn: str, words: list[str], rounds: int) -> tuple[float, float]:
    conn = await asyncpg.connect(dsn)
    try:
        latencies = []
        for i in range(rounds):
            started = time.perf_counter()
            await fetch_all(queries.bench_ts_rank(conn, q=words[i % len(words)], lim=20))
            latencies.append(time.perf_counter() - started)
        return _percentiles(latencies)
    finally:
        await conn.close()


def _endpoint(base: str, need_id: int, rounds: int) -> tuple[float, float]:
    with httpx.Client(base_url=base, timeout=30) as client:
        token = client.post("/api/v1/auth/token", json={"email": "bench@matchmaker.example", "password": PASSWORD})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        client.get(f"/api/v1/needs/{need_id}/matches", headers=headers)  # warm-up
        latencies = []
        for _ in range(rounds):
            started = time.perf_counter()
            response = client.get(f"/api/v1/needs/{need_id}/matches", headers=headers, params={"limit": 20})
            latencies.append(time.perf_counter() - started)
            response.raise_for_status()
        return _percentiles(latencies)


def http_figures(admin_dsn: str, size: int, rounds: int) -> dict[str, float]:
    database = f"bench_{size}_{os.getpid()}"
    asyncio.run(ensure_database(admin_dsn, database))
    dsn = with_database(admin_dsn, database)
    need_id, words = asyncio.run(_load(dsn, size))
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": dsn, "MATCHMAKER_DATA_DIR": tempfile.mkdtemp(prefix="mm-bench-")}
    server = subprocess.Popen(
        [sys.executable, "-m", "matchmaker.cli", "serve", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        started = time.perf_counter()
        while True:
            try:
                if httpx.get(base + "/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.perf_counter() - started > 600:
                raise RuntimeError("the server did not start")
            time.sleep(0.2)
        startup = time.perf_counter() - started
        p50, p99 = _endpoint(base, need_id, rounds)
        ts50, ts99 = asyncio.run(_ts_rank(dsn, words, rounds))
    finally:
        server.terminate()
        server.wait(30)
    return {"startup_s": startup, "http_p50_ms": p50, "http_p99_ms": p99, "ts_rank_p50_ms": ts50, "ts_rank_p99_ms": ts99}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--http-sizes", type=int, nargs="*", default=[1000, 10000],
                        help="sizes also measured through the HTTP endpoint")
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args(argv)
    print(f"{'offers':>7} {'fit s':>6} {'fit MB':>7} {'rank p50 ms':>12} {'rank p99 ms':>12} "
          f"{'http p50 ms':>12} {'http p99 ms':>12} {'ts_rank p50':>12} {'ts_rank p99':>12}", flush=True)
    server = None
    if args.http_sizes:
        server = start_embedded(Path(tempfile.mkdtemp(prefix="mm-bench-")))
    for size in args.sizes:
        ranker = measure(size, args.queries)
        http = http_figures(server.get_uri(), size, args.queries) if server and size in args.http_sizes else {}
        cells = [f"{http.get(k, float('nan')):>12.1f}" for k in ("http_p50_ms", "http_p99_ms", "ts_rank_p50_ms", "ts_rank_p99_ms")]
        print(f"{size:>7} {ranker['fit_s']:>6.1f} {ranker['fit_peak_mb']:>7.0f} {ranker['rank_p50_ms']:>12.1f} "
              f"{ranker['rank_p99_ms']:>12.1f} " + " ".join(cells), flush=True)


if __name__ == "__main__":
    main()

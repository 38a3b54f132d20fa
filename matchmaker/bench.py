"""``make bench``: how fast Matchmaker ranks, in process and through the HTTP endpoint.

For each size it prints the ranker's own figures (fit time and memory, in-process latency
of ranking one need against every offer, from ``matchmaker.evaluation.bench``), then loads the
same synthetic offers into a fresh PostgreSQL, serves the API in a separate process and
measures ``GET /api/v1/needs/{id}/matches`` (p50/p99) — the first view of each of many needs
(ranked afresh, ``cold``) and a second view (the kept page, ``kept``) — beside a plain
PostgreSQL full-text query (``ts_rank``) over the same offers, the reference a search box
would use. Then ``GET /api/v1/needs?q=`` over that many needs (``--search-sizes``): search
by meaning in three languages, its first page and its third, beside the list without ``q``.
``python -m matchmaker.loadtest`` measures the service under concurrent load.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from decimal import Decimal

import asyncpg
import httpx
import numpy as np

from matchmaker.accounts.schemas import UserCreate
from matchmaker.accounts.service import create_user
from matchmaker.db.queries import fetch_all
from matchmaker.db.server import ensure_database, throwaway_server, with_database
from matchmaker.evaluation.bench import measure, synthetic_needs, synthetic_offers
from matchmaker.needs.queries import needs_sql
from matchmaker.organisations.schemas import OrganisationCreate
from matchmaker.organisations.service import create_organisation
from matchmaker.ranking.queries import ranking_sql
from matchmaker.schemas import encode_offset
from matchmaker.search.concepts import document_concepts
from matchmaker.search.index import refresh_concepts
from matchmaker.upkeep import bring_up_to_date

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


async def load_world(dsn: str, size: int, needs: int = 1) -> tuple[list[int], list[str]]:
    """A fresh database with ``size`` synthetic offers, ``needs`` needs and a coordinator;
    returns (need ids, words to search for)."""
    conn = await asyncpg.connect(dsn)  # default codecs: COPY needs numeric's binary encoder
    try:
        await bring_up_to_date(conn)
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
        await refresh_concepts(conn)  # what the service writes with each offer, for the copied ones
        need_ids = []
        for i, need in enumerate(synthetic_needs(needs, seed=7)):
            need_ids.append(await needs_sql.insert_need(
                conn, organisation_id=state.id, reference=None, title=need.title[:300], description=need.description,
                concepts=document_concepts(need.title[:300], need.description),
                language=need.language or "en", country="SEN" if i == 0 else need.countries[0],
                gcm_objectives=list(need.gcm_objectives) or [11], capacity_areas=list(need.capacity_areas),
                resource_types=sorted({"financial", *need.resource_types}), sectors=list(need.sectors),
                amount=Decimal(250_000), currency="USD", deadline=None,
            ))
        words = [n.title.split()[-1] for n in synthetic_needs(50, seed=11)]
        return need_ids, words
    finally:
        await conn.close()


async def _ts_rank(dsn: str, words: list[str], rounds: int) -> tuple[float, float]:
    conn = await asyncpg.connect(dsn)
    try:
        latencies = []
        for i in range(rounds):
            started = time.perf_counter()
            await fetch_all(ranking_sql.bench_ts_rank(conn, q=words[i % len(words)], lim=20))
            latencies.append(time.perf_counter() - started)
        return _percentiles(latencies)
    finally:
        await conn.close()


def _endpoint(base: str, need_ids: list[int]) -> dict[str, float]:
    """The first view of each need's matches (ranked afresh), then a second (kept page)."""
    with httpx.Client(base_url=base, timeout=30) as client:
        token = client.post("/api/v1/auth/token", json={"email": "bench@matchmaker.example", "password": PASSWORD})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        client.get("/api/v1/me", headers=headers)  # warm-up: connection, token check
        figures = {}
        for view in ("cold", "kept"):
            latencies = []
            for need_id in need_ids:
                started = time.perf_counter()
                response = client.get(f"/api/v1/needs/{need_id}/matches", headers=headers, params={"limit": 20})
                latencies.append(time.perf_counter() - started)
                response.raise_for_status()
            figures[f"{view}_p50_ms"], figures[f"{view}_p99_ms"] = _percentiles(latencies)
        return figures


@contextmanager
def serving(dsn: str, workers: int = 1) -> Iterator[str]:
    """``matchmaker serve`` on ``dsn`` in other processes, on a free port; yields its base URL."""
    port, data_dir = _free_port(), tempfile.mkdtemp(prefix="mm-bench-")
    env = {**os.environ, "DATABASE_URL": dsn, "MATCHMAKER_DATA_DIR": data_dir}
    server = subprocess.Popen(
        [sys.executable, "-m", "matchmaker.cli", "serve", "--port", str(port), "--workers", str(workers)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        started = time.perf_counter()
        while not _healthy(base):
            if server.poll() is not None or time.perf_counter() - started > 600:
                raise RuntimeError("the server did not start")
            time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(30)
        shutil.rmtree(data_dir, ignore_errors=True)


def _healthy(base: str) -> bool:
    try:
        return httpx.get(base + "/health").status_code == 200
    except httpx.TransportError:
        return False


@contextmanager
def embedded_server() -> Iterator[str]:
    """A throw-away embedded PostgreSQL; yields its admin DSN."""
    with throwaway_server("mm-bench-") as server:
        yield server.get_uri()


def fresh_database(admin_dsn: str, name: str) -> str:
    database = f"{name}_{os.getpid()}"
    asyncio.run(ensure_database(admin_dsn, database))
    return with_database(admin_dsn, database)


# Searches as people type them: glossary phrases in each language, and plain words.
SEARCHES = (
    "trata de personas", "traite des êtres humains", "border management", "gestión de fronteras",
    "diaspora", "transferts de fonds", "datos migratorios", "reintegration of returnees", "Dakar", "statistics",
)


def _searches(base: str, rounds: int) -> dict[str, float]:
    """``GET /api/v1/needs`` with ``q`` (first and third page of 20) and without."""
    with httpx.Client(base_url=base, timeout=30) as client:
        token = client.post("/api/v1/auth/token", json={"email": "bench@matchmaker.example", "password": PASSWORD})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        client.get("/api/v1/me", headers=headers)  # warm-up: connection, token check
        figures = {}
        pages: tuple[tuple[str, dict[str, str] | None], ...] = (
            ("search", {}), ("page3", {"cursor": encode_offset(40)}), ("list", None),
        )
        for name, params in pages:
            latencies = []
            for i in range(rounds):
                query = {"limit": "20", **({"q": SEARCHES[i % len(SEARCHES)], **params} if params is not None else {})}
                started = time.perf_counter()
                client.get("/api/v1/needs", headers=headers, params=query).raise_for_status()
                latencies.append(time.perf_counter() - started)
            figures[f"{name}_p50_ms"], figures[f"{name}_p99_ms"] = _percentiles(latencies)
        return figures


def search_figures(admin_dsn: str, size: int, rounds: int) -> dict[str, float]:
    dsn = fresh_database(admin_dsn, f"search_{size}")
    asyncio.run(load_world(dsn, 100, needs=size))
    with serving(dsn) as base:
        return _searches(base, rounds)


def http_figures(admin_dsn: str, size: int, rounds: int) -> dict[str, float]:
    dsn = fresh_database(admin_dsn, f"bench_{size}")
    need_ids, words = asyncio.run(load_world(dsn, size, needs=rounds))
    with serving(dsn) as base:
        figures = _endpoint(base, need_ids)
        figures["ts_rank_p50_ms"], figures["ts_rank_p99_ms"] = asyncio.run(_ts_rank(dsn, words, rounds))
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000, 100000])
    parser.add_argument("--http-sizes", type=int, nargs="*", default=[1000, 10000],
                        help="sizes also measured through the HTTP endpoint")
    parser.add_argument("--search-sizes", type=int, nargs="*", default=[10000],
                        help="numbers of needs searched through the HTTP endpoint")
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args(argv)
    columns = ("cold_p50_ms", "cold_p99_ms", "kept_p50_ms", "kept_p99_ms", "ts_rank_p50_ms", "ts_rank_p99_ms")
    print(f"{'offers':>7} {'fit s':>6} {'fit MB':>7} {'rank p50 ms':>12} {'rank p99 ms':>12} "
          + " ".join(f"{c.removesuffix('_ms').replace('_', ' '):>12}" for c in columns), flush=True)
    with ExitStack() as stack:
        admin_dsn = stack.enter_context(embedded_server()) if args.http_sizes or args.search_sizes else None
        for size in args.sizes:
            ranker = measure(size, args.queries)
            http = http_figures(admin_dsn, size, args.queries) if admin_dsn and size in args.http_sizes else {}
            cells = [f"{http.get(k, float('nan')):>12.1f}" for k in columns]
            print(f"{size:>7} {ranker['fit_s']:>6.1f} {ranker['fit_peak_mb']:>7.0f} {ranker['rank_p50_ms']:>12.1f} "
                  f"{ranker['rank_p99_ms']:>12.1f} " + " ".join(cells), flush=True)
        searched = ("search_p50_ms", "search_p99_ms", "page3_p50_ms", "page3_p99_ms", "list_p50_ms", "list_p99_ms")
        if admin_dsn is None or not args.search_sizes:
            return
        print(f"\n{'needs':>7} " + " ".join(f"{c.removesuffix('_ms').replace('_', ' '):>12}" for c in searched))
        for size in args.search_sizes:
            figures = search_figures(admin_dsn, size, args.queries)
            print(f"{size:>7} " + " ".join(f"{figures[c]:>12.1f}" for c in searched), flush=True)


if __name__ == "__main__":
    main()

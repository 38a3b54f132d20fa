"""``make loadtest``: Matchmaker under concurrent load, driven by locust.

Loads N synthetic offers and a few hundred needs into a fresh PostgreSQL, starts
``matchmaker serve --workers W``, and runs locust headless (``locustfile.py``) on six
scenarios: ``/health`` as the ceiling, ranked matches, ranked opportunities, a filtered
list, full-text ``q``, and a proposal then its approval. Each runs alone at C concurrent
users (after an unmeasured warm-up of a few seconds, in which each worker ranks the pages
it then keeps), then all run at once at M users split evenly. Prints one line per scenario: requests
per second, p50 and p99 in ms, 503s (with ``Retry-After``) and other errors — all from one
run, so that the ratios hold on a noisy machine.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import asyncpg
import httpx

from matchmaker.bench import (
    PASSWORD,
    embedded_server,
    fresh_database,
    load_world,
    serving,
)
from matchmaker.db.queries import fetch_all
from matchmaker.ranking.queries import ranking_sql

SCENARIOS = ("Health", "RankedMatches", "RankedOpportunities", "FilteredList", "FullText", "ProposeApprove")
LOCUSTFILE = Path(__file__).with_name("locustfile.py")
WARM_UP_SECONDS = 5
MIXED_WRITE_PAUSE = 1.0  # seconds a writer waits between pairs when every scenario runs at once


async def _ids(dsn: str, limit: int) -> list[int]:
    """Open offers a proposal of 1,000 USD in financial support can go to."""
    conn = await asyncpg.connect(dsn)
    try:
        return [r["id"] for r in await fetch_all(ranking_sql.bench_proposable_offers(conn, lim=limit))]
    finally:
        await conn.close()


def _token(base: str) -> str:
    response = httpx.post(base + "/api/v1/auth/token", json={"email": "bench@matchmaker.example", "password": PASSWORD})
    response.raise_for_status()
    return response.json()["access_token"]


def _locust(base: str, world: dict, classes: tuple[str, ...], users: int, seconds: int, prefix: str,
            write_pause: float = 0.0) -> None:
    each = max(1, users // len(classes))
    env = {**os.environ, "MATCHMAKER_LOAD_WORLD": json.dumps(world), "MATCHMAKER_LOAD_USERS_EACH": str(each),
           "MATCHMAKER_LOAD_WRITE_PAUSE": str(write_pause)}
    total = each * len(classes)
    subprocess.run(
        [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--host", base,
         "-u", str(total), "-r", str(total), "-t", f"{seconds}s", "--stop-timeout", "10",
         "--csv", prefix, "--only-summary", "--loglevel", "WARNING", *classes],
        env=env, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


_RETRY = "503 with Retry-After"


def _report(prefix: str) -> list[str]:
    with open(f"{prefix}_stats.csv", newline="") as fh:
        stats = [row for row in csv.DictReader(fh) if row["Name"] != "Aggregated"]
    with open(f"{prefix}_failures.csv", newline="") as fh:
        failures = list(csv.DictReader(fh))
    # locust writes the failure as the exception it raised: CatchResponseError('503 with Retry-After')
    retry = {f["Name"]: int(f["Occurrences"]) for f in failures if _RETRY in f["Error"]}
    lines = []
    for row in sorted(stats, key=lambda r: r["Name"]):
        name, failed = row["Name"], int(row["Failure Count"])
        lines.append(f"{name:<22} {float(row['Requests/s']):>8.1f} {float(row['50%']):>8.0f} "
                     f"{float(row['99%']):>8.0f} {retry.get(name, 0):>6} {failed - retry.get(name, 0):>7}")
    errors = [f"  {f['Name']}: {f['Occurrences']} × {f['Error'][:160]}" for f in failures
              if _RETRY not in f["Error"]]
    return lines + errors


def _rates(prefix: str) -> dict[str, float]:
    with open(f"{prefix}_stats.csv", newline="") as fh:
        return {row["Name"]: float(row["Requests/s"]) for row in csv.DictReader(fh)}


HEADER = f"{'scenario':<22} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'503':>6} {'errors':>7}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offers", type=int, default=10_000)
    parser.add_argument("--needs", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--users", type=int, default=64, help="concurrent users of each scenario run alone")
    parser.add_argument("--mixed-users", type=int, default=256, help="concurrent users when all run at once")
    parser.add_argument("--seconds", type=int, default=30)
    args = parser.parse_args(argv)
    with embedded_server() as admin_dsn, tempfile.TemporaryDirectory(prefix="mm-load-") as out:
        dsn = fresh_database(admin_dsn, f"load_{args.offers}")
        needs, words = asyncio.run(load_world(dsn, args.offers, needs=args.needs))
        offers = asyncio.run(_ids(dsn, 2000))
        with serving(dsn, workers=args.workers) as base:
            # Donors browse the opportunities of as many offers as states have needs.
            world = {"token": _token(base), "needs": needs, "offers": offers,
                     "browsed_offers": offers[::10][: len(needs)], "words": words}
            print(f"{args.offers} offers, {args.needs} needs, {args.workers} workers, {args.seconds} s a run\n"
                  f"each scenario alone, {args.users} users\n{HEADER}", flush=True)
            rates = {}
            for scenario in SCENARIOS:
                prefix = str(Path(out) / scenario)
                # Unmeasured first: the pages each worker ranks once before it keeps them.
                _locust(base, world, (scenario,), args.users, WARM_UP_SECONDS, prefix)
                _locust(base, world, (scenario,), args.users, args.seconds, prefix)
                rates.update(_rates(prefix))
                print("\n".join(_report(prefix)), flush=True)
            print(f"ranked matches / health throughput: {rates['ranked matches'] / rates['health']:.2f}", flush=True)
            print(f"\nall at once, {args.mixed_users} users (writers pause {MIXED_WRITE_PAUSE:.0f} s between pairs)"
                  f"\n{HEADER}", flush=True)
            prefix = str(Path(out) / "mixed")
            _locust(base, world, SCENARIOS, args.mixed_users, args.seconds, prefix, write_pause=MIXED_WRITE_PAUSE)
            print("\n".join(_report(prefix)), flush=True)


if __name__ == "__main__":
    main()

"""``make loadtest``: Matchmaker under concurrent load, driven by locust.

Loads N synthetic offers and a few hundred needs into a fresh PostgreSQL, starts
``matchmaker serve --workers W``, and runs locust headless at C concurrent users split evenly
over six scenarios (``locustfile.py``): ranked matches, ranked opportunities, a filtered
list, full-text ``q``, a proposal then its approval, and ``/health`` as the ceiling. Prints
one line per scenario: requests per second, p50 and p99 in ms, 503s (with ``Retry-After``)
and other errors — all from one run, so that the ratios hold on a noisy machine.
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

from matchmaker.bench import PASSWORD, embedded_server, fresh_database, load_world, serving
from matchmaker.db.queries import fetch_all, queries

SCENARIOS = 6
LOCUSTFILE = Path(__file__).with_name("locustfile.py")


async def _ids(dsn: str, limit: int) -> list[int]:
    """Open offers a proposal of 1,000 USD in financial support can go to."""
    conn = await asyncpg.connect(dsn)
    try:
        return [r["id"] for r in await fetch_all(queries.bench_proposable_offers(conn, lim=limit))]
    finally:
        await conn.close()


def _token(base: str) -> str:
    response = httpx.post(base + "/api/v1/auth/token", json={"email": "bench@matchmaker.example", "password": PASSWORD})
    response.raise_for_status()
    return response.json()["access_token"]


def _locust(base: str, world: dict, users: int, seconds: int, prefix: str) -> None:
    each = max(1, users // SCENARIOS)
    env = {**os.environ, "MATCHMAKER_LOAD_WORLD": json.dumps(world), "MATCHMAKER_LOAD_USERS_EACH": str(each)}
    subprocess.run(
        [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--host", base,
         "-u", str(each * SCENARIOS), "-r", str(each * SCENARIOS), "-t", f"{seconds}s", "--stop-timeout", "10",
         "--csv", prefix, "--only-summary", "--loglevel", "WARNING"],
        env=env, check=False, stdout=subprocess.DEVNULL,
    )


def _report(prefix: str) -> list[str]:
    with open(f"{prefix}_stats.csv", newline="") as fh:
        stats = [row for row in csv.DictReader(fh) if row["Name"] != "Aggregated"]
    with open(f"{prefix}_failures.csv", newline="") as fh:
        failures = list(csv.DictReader(fh))
    retry = {f["Name"]: int(f["Occurrences"]) for f in failures if f["Error"].endswith("503 with Retry-After")}
    lines = [f"{'scenario':<22} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'503':>6} {'errors':>7}"]
    for row in sorted(stats, key=lambda r: r["Name"]):
        name, failed = row["Name"], int(row["Failure Count"])
        lines.append(f"{name:<22} {float(row['Requests/s']):>8.1f} {float(row['50%']):>8.0f} "
                     f"{float(row['99%']):>8.0f} {retry.get(name, 0):>6} {failed - retry.get(name, 0):>7}")
    rates = {row["Name"]: float(row["Requests/s"]) for row in stats}
    if rates.get("health"):
        lines.append(f"ranked matches / health throughput: {rates.get('ranked matches', 0) / rates['health']:.2f}")
    errors = [f"  {f['Name']}: {f['Occurrences']} × {f['Error'][:160]}" for f in failures
              if not f["Error"].endswith("503 with Retry-After")]
    return lines + (["errors:", *errors] if errors else [])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offers", type=int, default=10_000)
    parser.add_argument("--needs", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--users", type=int, nargs="+", default=[64, 256], help="concurrent users, one run each")
    parser.add_argument("--seconds", type=int, default=30)
    args = parser.parse_args(argv)
    with embedded_server() as admin_dsn, tempfile.TemporaryDirectory(prefix="mm-load-") as out:
        dsn = fresh_database(admin_dsn, f"load_{args.offers}")
        needs, words = asyncio.run(load_world(dsn, args.offers, needs=args.needs))
        offers = asyncio.run(_ids(dsn, 2000))
        with serving(dsn, workers=args.workers) as base:
            world = {"token": _token(base), "needs": needs, "offers": offers, "words": words}
            for users in args.users:
                print(f"\n{args.offers} offers, {args.needs} needs, {args.workers} workers, {users} users, "
                      f"{args.seconds} s", flush=True)
                prefix = str(Path(out) / f"run{users}")
                _locust(base, world, users, args.seconds, prefix)
                print("\n".join(_report(prefix)), flush=True)


if __name__ == "__main__":
    main()

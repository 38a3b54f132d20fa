"""Funders' past funding records (``matchmaker import-history``): what they really fund, and where.

Records link to an organisation through its ``external_id`` (e.g. an IATI organisation id);
unlinked records are kept and link as soon as that organisation is registered.
"""

from __future__ import annotations

from pathlib import Path

import asyncpg

from matchmaker.db.queries import queries
from matchmaker.ranking.documents import read_records


async def import_history(conn: asyncpg.Connection, path: str | Path) -> str:
    records = read_records(path)
    before = await queries.history_summary(conn)
    await queries.insert_funding_record(conn, [
        {
            "record_id": r.record_id, "funder_ref": r.funder_id, "funder_name": r.funder_name,
            "funder_type": r.funder_type, "recipient_countries": list(r.countries), "recipient_region": r.region,
            "sectors": list(r.sectors), "title": r.title, "description": r.description, "language": r.language or "",
            "amount_usd": r.amount_usd, "year": r.year,
        }
        for r in records
    ])
    await queries.link_funding_records(conn)
    after = await queries.history_summary(conn)
    return (
        f"read {len(records)} records from {path}: {after['records'] - before['records']} new; "
        f"{after['records']} records of {after['funders']} funders in all, "
        f"{after['linked_records']} linked to {after['linked_funders']} registered organisations"
    )

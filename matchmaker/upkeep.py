"""Bring a database up to date: its migrations and reference vocabularies (``db.migrate``),
the official exchange rates (``rates``) and the search concepts of needs and offers
(``search``). Every command and test that prepares a database goes through here; running it
again changes nothing."""

from __future__ import annotations

import asyncpg

from matchmaker.db.migrate import migrate
from matchmaker.rates import sync_rates
from matchmaker.search.index import refresh_concepts


async def bring_up_to_date(conn: asyncpg.Connection) -> list[str]:
    """Apply pending migrations and refresh what is derived from the reference files;
    returns the migrations applied."""
    return await migrate(conn, then=(sync_rates, refresh_concepts))

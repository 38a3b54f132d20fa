"""The named SQL queries of ``sql/queries/``, loaded once (``queries.<file>.<name>``)."""

from collections.abc import AsyncIterator

import aiosql
from asyncpg import Record

from matchmaker.settings import SQL_DIR

queries = aiosql.from_path(SQL_DIR / "queries", "asyncpg")


async def fetch_all(rows: AsyncIterator[Record]) -> list[Record]:
    """Collect what a many-row query yields (aiosql returns an async generator for those)."""
    return [row async for row in rows]

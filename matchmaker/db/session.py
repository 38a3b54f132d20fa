"""A database connection for command-line work, on the configured or embedded server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from matchmaker.db.pool import connect
from matchmaker.db.server import resolve_dsn
from matchmaker.settings import Settings


@asynccontextmanager
async def connection(settings: Settings) -> AsyncIterator[asyncpg.Connection]:
    dsn, server = await resolve_dsn(settings)
    conn = await connect(dsn)
    try:
        yield conn
    finally:
        await conn.close()
        del server

"""Request-scoped dependencies: a connection inside one transaction per request."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import asyncpg
from litestar.datastructures import State


async def provide_db(state: State) -> AsyncGenerator[asyncpg.Connection, None]:
    """Commit when the handler succeeds, roll back when it raises: no half-written change."""
    async with state.pool.acquire() as conn, conn.transaction():
        yield conn

"""The asyncpg connection pool, the codecs every connection gets, and bounded waits for one.

A request holds at most one pooled connection. When every connection is busy, a caller
waits at most ``acquire_timeout`` seconds and is then told to retry (503 with
``Retry-After``) rather than queue without end.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal

import asyncpg

from matchmaker.errors import Unavailable
from matchmaker.schemas import to_json


async def init_connection(conn: asyncpg.Connection) -> None:
    # Amounts stay exact: numeric is Decimal (asyncpg's own codec), and so are decimals in
    # jsonb (audit changes, stored responses), written by the encoder the API answers with.
    await conn.set_type_codec("jsonb", encoder=_jsonb_text, decoder=_jsonb_value, schema="pg_catalog")


def _jsonb_text(value: object) -> str:
    return to_json(value).decode()


def _jsonb_value(text: str) -> object:
    return json.loads(text, parse_float=Decimal)


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Requests change no session state (no SET, LISTEN, cursors or session locks) and asyncpg
    rolls back a transaction left open, so a released connection needs no reset query: one
    round trip less per request."""


class Database:
    """A worker's pool, handing out one connection at a time with a bounded wait."""

    def __init__(self, pool: asyncpg.Pool, acquire_timeout: float) -> None:
        self.pool = pool
        self.acquire_timeout = acquire_timeout

    @classmethod
    async def open(cls, dsn: str, size: int, acquire_timeout: float) -> Database:
        pool = await asyncpg.create_pool(dsn, min_size=1, max_size=size, init=init_connection, reset=_keep_session)
        return cls(pool, acquire_timeout)

    @asynccontextmanager
    async def connection(self, *, wait: bool = False) -> AsyncIterator[asyncpg.Connection]:
        """A pooled connection; ``Unavailable`` after the bounded wait (``wait``: no bound,
        for background work that must not be dropped)."""
        try:
            conn = await self.pool.acquire(timeout=None if wait else self.acquire_timeout)
        except TimeoutError:
            raise Unavailable("every database connection is busy; retry shortly") from None
        except (OSError, asyncpg.PostgresConnectionError, asyncpg.CannotConnectNowError) as exc:
            raise Unavailable("the database is unavailable; retry shortly") from exc
        try:
            yield conn
        finally:
            await self.pool.release(conn)

    async def close(self) -> None:
        await self.pool.close()


async def connect(dsn: str) -> asyncpg.Connection:
    """A single connection with the pool's codecs (CLI commands)."""
    conn = await asyncpg.connect(dsn)
    await init_connection(conn)
    return conn

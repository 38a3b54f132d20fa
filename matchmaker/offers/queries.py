"""The SQL of funding offers (``sql/queries/offers.sql``), typed: what each query takes and gives."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from asyncpg import Connection, Record

from matchmaker.db.queries import load


class OfferQueries(Protocol):
    """``sql/queries/offers.sql``."""

    async def insert_offer(
        self, conn: Connection, *, organisation_id: int, reference: str | None, title: str, description: str,
        concepts: str,
        language: str | None, gcm_objectives: list[int], capacity_areas: list[str], resource_types: list[str],
        sectors: list[str], countries: list[str], regions: list[str], is_global: bool, budget: Decimal,
        currency: str, min_amount: Decimal | None, max_amount: Decimal | None, deadline: date | None,
    ) -> Any: ...
    async def get_offer(self, conn: Connection, *, id: int) -> Record | None: ...
    async def lock_offer(self, conn: Connection, *, id: int) -> Record | None: ...
    async def update_offer(
        self, conn: Connection, *, id: int, reference: str | None, title: str, description: str,
        concepts: str,
        language: str | None, gcm_objectives: list[int], capacity_areas: list[str], resource_types: list[str],
        sectors: list[str], countries: list[str], regions: list[str], is_global: bool, budget: Decimal,
        currency: str, min_amount: Decimal | None, max_amount: Decimal | None, deadline: date | None,
        status: str,
    ) -> str: ...
    def list_offers(
        self, conn: Connection, *, organisation_id: int | None, kind: str | None, country: str | None,
        region: str | None, gcm_objective: int | None, capacity_area: str | None, resource_type: str | None,
        status: str | None, q: str | None, concepts: list[str] | None, before_id: int | None, skip: int, lim: int,
    ) -> AsyncIterator[Record]: ...
    def get_offers_by_ids(self, conn: Connection, *, ids: list[int]) -> AsyncIterator[Record]: ...


offers_sql: OfferQueries = load("offers", OfferQueries)

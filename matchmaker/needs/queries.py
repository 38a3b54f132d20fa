"""The SQL of capacity needs (``sql/queries/needs.sql``), typed: what each query takes and gives."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from asyncpg import Connection, Record

from matchmaker.db.queries import load


class NeedQueries(Protocol):
    """``sql/queries/needs.sql``."""

    async def insert_need(
        self, conn: Connection, *, organisation_id: int, reference: str | None, title: str, description: str,
        concepts: str,
        language: str | None, country: str, gcm_objectives: list[int], capacity_areas: list[str],
        resource_types: list[str], sectors: list[str], amount: Decimal, currency: str, deadline: date | None,
    ) -> Any: ...
    async def get_need(self, conn: Connection, *, id: int) -> Record | None: ...
    async def lock_need(self, conn: Connection, *, id: int) -> Record | None: ...
    async def update_need(
        self, conn: Connection, *, id: int, reference: str | None, title: str, description: str,
        concepts: str,
        language: str | None, country: str, gcm_objectives: list[int], capacity_areas: list[str],
        resource_types: list[str], sectors: list[str], amount: Decimal, currency: str, deadline: date | None,
        status: str,
    ) -> str: ...
    def list_needs(
        self, conn: Connection, *, organisation_id: int | None, country: str | None, region: str | None,
        gcm_objective: int | None, capacity_area: str | None, resource_type: str | None, status: str | None,
        q: str | None, concepts: list[str] | None, before_id: int | None, skip: int, lim: int,
    ) -> AsyncIterator[Record]: ...
    def get_needs_by_ids(self, conn: Connection, *, ids: list[int]) -> AsyncIterator[Record]: ...


needs_sql: NeedQueries = load("needs", NeedQueries)

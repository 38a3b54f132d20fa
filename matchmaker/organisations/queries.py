"""The SQL of organisations (``sql/queries/organisations.sql``), typed: what each query takes and gives."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

from asyncpg import Connection, Record

from matchmaker.db.queries import load


class OrganisationQueries(Protocol):
    """``sql/queries/organisations.sql``."""

    async def insert_organisation(
        self, conn: Connection, *, name: str, kind: str, country: str, origin_country: str | None,
        external_id: str | None,
    ) -> Record | None: ...
    async def get_organisation(self, conn: Connection, *, id: int) -> Record | None: ...
    async def get_organisation_by_name(self, conn: Connection, *, name: str) -> Record | None: ...
    def list_organisations(
        self, conn: Connection, *, kind: str | None, country: str | None, q: str | None, after_id: int | None, lim: int,
    ) -> AsyncIterator[Record]: ...
    async def get_organisation_by_external_id(self, conn: Connection, *, external_id: str | None) -> Record | None: ...
    async def lock_organisation(self, conn: Connection, *, id: int) -> Record | None: ...
    async def update_organisation(
        self, conn: Connection, *, id: int, name: str, kind: str, country: str, origin_country: str | None,
        external_id: str | None,
    ) -> str: ...
    def all_organisations(self, conn: Connection) -> AsyncIterator[Record]: ...


organisations_sql: OrganisationQueries = load("organisations", OrganisationQueries)

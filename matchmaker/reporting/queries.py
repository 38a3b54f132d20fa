"""The SQL of reports and exports (``sql/queries/reporting.sql``), typed: what each query takes and gives."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

from asyncpg import Connection, Record

from matchmaker.db.queries import load


class ReportingQueries(Protocol):
    """``sql/queries/reporting.sql``."""

    def funding_gaps(self, conn: Connection, *, by: str) -> AsyncIterator[Record]: ...
    def iati_activities(self, conn: Connection, *, organisation_id: int | None) -> AsyncIterator[Record]: ...
    def iati_transactions(self, conn: Connection, *, match_ids: list[int]) -> AsyncIterator[Record]: ...
    def iati_indicators(self, conn: Connection, *, match_ids: list[int]) -> AsyncIterator[Record]: ...
    def iati_reports(self, conn: Connection, *, match_ids: list[int]) -> AsyncIterator[Record]: ...


reporting_sql: ReportingQueries = load("reporting", ReportingQueries)

"""The SQL of indicators and progress reports (``sql/queries/results.sql``), typed: what each query takes and gives."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from asyncpg import Connection, Record

from matchmaker.db.queries import load


class ResultsQueries(Protocol):
    """``sql/queries/results.sql``."""

    async def match_parties(self, conn: Connection, *, id: int) -> Record | None: ...
    async def insert_indicator(
        self, conn: Connection, *, match_id: int, title: str, description: str, unit: str, baseline: Decimal,
        baseline_date: date | None, target: Decimal, start_date: date, end_date: date, report_every_months: int,
        gcm_objective: int | None, created_by: int,
    ) -> Any: ...
    async def get_indicator(self, conn: Connection, *, id: int) -> Record | None: ...
    def list_indicators(
        self, conn: Connection, *, match_id: int | None, due_before: date | None, organisation_id: int | None,
        before_id: int | None, lim: int,
    ) -> AsyncIterator[Record]: ...
    async def insert_report(
        self, conn: Connection, *, indicator_id: int, period_start: date, period_end: date, actual: Decimal,
        narrative: str, evidence: list[str], filed_by: int,
    ) -> Any: ...
    def indicator_reports(self, conn: Connection, *, indicator_id: int) -> AsyncIterator[Record]: ...
    def portfolio(self, conn: Connection, *, by: str, organisation_id: int | None, today: date) -> AsyncIterator[Record]: ...


results_sql: ResultsQueries = load("results", ResultsQueries)

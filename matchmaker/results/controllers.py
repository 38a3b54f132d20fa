"""Results routes: indicators on funded matches, their progress reports, and the portfolio."""

from __future__ import annotations

from typing import Annotated

import asyncpg
from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody, QueryParameter

from matchmaker.accounts.guards import Caller
from matchmaker.db.pool import Database
from matchmaker.results.schemas import (
    Indicator,
    IndicatorCreate,
    IndicatorDetail,
    PortfolioDimension,
    PortfolioRow,
    ProgressReport,
    ReportCreate,
)
from matchmaker.results.service import define_indicator, file_report, get_indicator, list_indicators, portfolio
from matchmaker.schemas import Page
from matchmaker.web.openapi import problems
from matchmaker.web.params import Cursor, Id, IdFilter, Limit
from matchmaker.web.responses import created
from matchmaker.web.tables import Format, TableOperation, table, whole_table

Db = NamedDependency[asyncpg.Connection]
Overdue = Annotated[bool, QueryParameter(description="true: only the indicators whose next report is overdue")]


class IndicatorController(Controller):
    path = "/api/v1/indicators"
    tags = ["results"]

    @get("/", operation_id="ListIndicators", responses=problems(401, 422), operation_class=TableOperation)
    async def list(self, request: Caller, db: Db, database: NamedDependency[Database], match_id: IdFilter = None,
                   overdue: Overdue = False, limit: Limit = 20, cursor: Cursor = None,
                   format: Format = None) -> Response[Page[Indicator]]:
        """List the indicators of the matches the caller may see, newest first, each with its progress and next report's due day."""
        return await table(request, format, Indicator, "indicators", db, database, lambda conn, lim, cur: list_indicators(
            conn, request.user, match_id=match_id, overdue=overdue, limit=lim, cursor=cur), limit, cursor)

    @post("/", operation_id="DefineIndicator", responses=problems(401, 403, 409, 422))
    async def define(self, request: Caller, data: JSONBody[IndicatorCreate], db: Db) -> Response[IndicatorDetail]:
        """Define an indicator on an approved, disbursed or completed match (the state whose need it is, or a coordinator)."""
        indicator = await define_indicator(db, request.user, data)
        return created(indicator, f"/api/v1/indicators/{indicator.id}")

    @get("/{indicator_id:int}", operation_id="GetIndicator", responses=problems(401, 404, 422))
    async def read(self, request: Caller, indicator_id: Id, db: Db) -> IndicatorDetail:
        """Read an indicator with every progress report filed against it (both organisations of the match, coordinators)."""
        return await get_indicator(db, request.user, indicator_id)

    @post("/{indicator_id:int}/reports", operation_id="FileProgressReport", responses=problems(401, 403, 404, 409, 422))
    async def report(self, request: Caller, indicator_id: Id, data: JSONBody[ReportCreate],
                     db: Db) -> Response[ProgressReport]:
        """File the progress report of a period that has ended: the value measured, what happened, links to evidence."""
        filed = await file_report(db, request.user, indicator_id, data)
        return created(filed, f"/api/v1/indicators/{indicator_id}")


class ResultsController(Controller):
    path = "/api/v1/results"
    tags = ["results"]

    @get("/portfolio", operation_id="GetResultsPortfolio", responses=problems(401, 422), operation_class=TableOperation)
    async def portfolio(self, request: Caller, db: Db, by: FromQuery[PortfolioDimension] = "gcm_objective",
                        format: Format = None) -> Response[Page[PortfolioRow]]:
        """Progress of the indicators the caller may see, by GCM objective, region or funder: reported, overdue, mean progress."""
        rows = Page(items=await portfolio(db, request.user, by), next_cursor=None)
        return whole_table(request, format, PortfolioRow, f"results-by-{by}", rows)

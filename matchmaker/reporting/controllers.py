"""Statistics routes."""

from __future__ import annotations

import asyncpg
from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.params import FromQuery

from matchmaker.accounts.guards import Caller
from matchmaker.reporting.gaps import FundingGap, GapDimension, funding_gaps
from matchmaker.schemas import Page
from matchmaker.web.openapi import problems
from matchmaker.web.tables import Format, TableOperation, whole_table


class StatsController(Controller):
    path = "/api/v1/stats"
    tags = ["stats"]

    @get("/funding-gaps", operation_id="GetFundingGaps", responses=problems(401, 422), operation_class=TableOperation)
    async def gaps(self, request: Caller, db: NamedDependency[asyncpg.Connection],
                   by: FromQuery[GapDimension] = "gcm_objective", format: Format = None) -> Response[Page[FundingGap]]:
        """Requested, committed and missing amounts in USD, by GCM objective, region, country, capacity area or resource type."""
        # Every row fits on one page (there are at most a few hundred keys); the shape is that of every list.
        rows = Page(items=await funding_gaps(db, by), next_cursor=None)
        return whole_table(request, format, FundingGap, f"funding-gaps-by-{by}", rows)

"""Statistics and export routes."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.params import FromQuery

from matchmaker.accounts.guards import Caller, is_staff
from matchmaker.reporting.gaps import FundingGap, GapDimension, funding_gaps
from matchmaker.reporting.iati import iati_activities
from matchmaker.schemas import Page
from matchmaker.settings import Publisher
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


class ExportController(Controller):
    path = "/api/v1/exports"
    tags = ["exports"]

    @get("/iati-activities.xml", operation_id="ExportIatiActivities", media_type="application/xml",
         responses=problems(401, 404))
    async def iati(self, request: Caller, db: NamedDependency[asyncpg.Connection],
                   publisher: NamedDependency[Publisher]) -> Response[bytes]:
        """The approved, disbursed and completed matches the caller may see, as an IATI 2.03 activity file (404: none)."""
        scope = None if is_staff(request.user) else request.user.organisation_id
        body = await iati_activities(db, publisher, scope, datetime.now(UTC))
        return Response(body, media_type="application/xml",
                        headers={"Content-Disposition": 'attachment; filename="iati-activities.xml"'})

"""Capacity-need routes."""

from __future__ import annotations

from typing import Any

import asyncpg
from litestar import Controller, Response, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody, RawBody

from matchmaker.accounts.guards import Caller, requires_role
from matchmaker.csvfiles import import_rows, text_of
from matchmaker.db.pool import Database
from matchmaker.needs.schemas import Need, NeedCreate, NeedUpdate
from matchmaker.needs.service import create_need, get_need, list_needs, update_need
from matchmaker.rules import place_filters
from matchmaker.schemas import Imported, Page
from matchmaker.vocabulary import CapacityArea, NeedStatus, ResourceType
from matchmaker.web.openapi import problems
from matchmaker.web.params import (
    CountryFilter,
    Cursor,
    Id,
    IdFilter,
    Limit,
    ObjectiveFilter,
    RegionFilter,
    SearchText,
)
from matchmaker.web.responses import created
from matchmaker.web.tables import CsvImportOperation, Format, TableOperation, table


class NeedController(Controller):
    path = "/api/v1/needs"
    tags = ["needs"]

    @get("/", operation_id="ListNeeds", responses=problems(401, 422), operation_class=TableOperation)
    async def list(
        self,
        request: Caller,
        db: NamedDependency[asyncpg.Connection],
        database: NamedDependency[Database],
        country: CountryFilter = None,
        region: RegionFilter = None,
        gcm_objective: ObjectiveFilter = None,
        capacity_area: FromQuery[CapacityArea | None] = None,
        resource_type: FromQuery[ResourceType | None] = None,
        status: FromQuery[NeedStatus | None] = None,
        organisation_id: IdFilter = None,
        q: SearchText = None,
        limit: Limit = 20,
        cursor: Cursor = None,
        format: Format = None,
    ) -> Response[Page[Need]]:
        """List capacity needs, newest first, with filters and full-text search; as CSV, every need they select."""
        country, region = place_filters(country, region)
        filters: dict[str, Any] = dict(organisation_id=organisation_id, country=country, region=region, gcm_objective=gcm_objective,
                       capacity_area=capacity_area, resource_type=resource_type, status=status, q=q)
        return await table(request, format, Need, "needs", db, database,
                           lambda conn, lim, cur: list_needs(conn, **filters, limit=lim, cursor=cur), limit, cursor)

    @post("/", operation_id="CreateNeed", guards=[requires_role("state", "coordinator", "admin")],
          responses=problems(401, 403, 409, 422))
    async def create(
        self, request: Caller, data: JSONBody[NeedCreate], db: NamedDependency[asyncpg.Connection]
    ) -> Response[Need]:
        """Post a capacity need for the caller's organisation."""
        need = await create_need(db, request.user, data)
        return created(need, f"/api/v1/needs/{need.id}")

    @post("/import", operation_id="ImportNeeds", guards=[requires_role("state", "coordinator", "admin")],
          responses=problems(401, 403, 422), operation_class=CsvImportOperation)
    async def import_csv(self, request: Caller, body: RawBody, db: NamedDependency[asyncpg.Connection]) -> Imported:
        """Post many needs from a CSV file, all or none: a refused file names each broken rule by its line."""
        created = await import_rows(db, NeedCreate, text_of(body), lambda item: create_need(db, request.user, item))
        return Imported(created=len(created), ids=[item.id for item in created])

    @get("/{need_id:int}", operation_id="GetNeed", responses=problems(401, 404, 422))
    async def read(self, need_id: Id, db: NamedDependency[asyncpg.Connection]) -> Need:
        """Read one capacity need."""
        return await get_need(db, need_id)

    @patch("/{need_id:int}", operation_id="UpdateNeed", responses=problems(401, 403, 404, 409, 422))
    async def update(
        self,
        request: Caller,
        need_id: Id,
        data: JSONBody[NeedUpdate],
        db: NamedDependency[asyncpg.Connection],
    ) -> Need:
        """Change some fields of a need (its owner, or a coordinator)."""
        return await update_need(db, request.user, need_id, data)

"""Capacity-need routes."""

from __future__ import annotations

import asyncpg
from litestar import Controller, Response, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody

from matchmaker.accounts.guards import Caller, requires_role
from matchmaker.needs.schemas import Need, NeedCreate, NeedUpdate
from matchmaker.needs.service import create_need, get_need, list_needs, update_need
from matchmaker.rules import place_filters
from matchmaker.schemas import Page
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


class NeedController(Controller):
    path = "/api/v1/needs"
    tags = ["needs"]

    @get("/", operation_id="ListNeeds", responses=problems(401, 422))
    async def list(
        self,
        db: NamedDependency[asyncpg.Connection],
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
    ) -> Page[Need]:
        """List capacity needs, newest first, with filters and full-text search."""
        country, region = place_filters(country, region)
        return await list_needs(
            db, organisation_id=organisation_id, country=country, region=region, gcm_objective=gcm_objective,
            capacity_area=capacity_area, resource_type=resource_type, status=status, q=q, limit=limit, cursor=cursor,
        )

    @post("/", operation_id="CreateNeed", guards=[requires_role("state", "coordinator", "admin")],
          responses=problems(401, 403, 409, 422))
    async def create(
        self, request: Caller, data: JSONBody[NeedCreate], db: NamedDependency[asyncpg.Connection]
    ) -> Response[Need]:
        """Post a capacity need for the caller's organisation."""
        need = await create_need(db, request.user, data)
        return created(need, f"/api/v1/needs/{need.id}")

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

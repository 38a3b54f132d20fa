"""Organisation routes."""

from __future__ import annotations

import asyncpg
from litestar import Controller, Response, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody

from matchmaker.accounts.guards import Caller, requires_staff
from matchmaker.organisations.schemas import Organisation, OrganisationCreate, OrganisationUpdate
from matchmaker.organisations.service import (
    create_organisation,
    get_organisation,
    list_organisations,
    update_organisation,
)
from matchmaker.schemas import Page
from matchmaker.vocabulary import OrganisationKind
from matchmaker.web.openapi import problems
from matchmaker.web.params import CountryFilter, Cursor, Id, Limit, SearchText
from matchmaker.web.responses import created


class OrganisationController(Controller):
    path = "/api/v1/organisations"
    tags = ["organisations"]

    @get("/", operation_id="ListOrganisations", responses=problems(401, 422))
    async def list(
        self,
        db: NamedDependency[asyncpg.Connection],
        kind: FromQuery[OrganisationKind | None] = None,
        country: CountryFilter = None,
        q: SearchText = None,
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> Page[Organisation]:
        """List organisations (states' agencies and funders) by kind, country (or origin) and name."""
        return await list_organisations(db, kind=kind, country=country, q=q, limit=limit, cursor=cursor)

    @get("/{organisation_id:int}", operation_id="GetOrganisation", responses=problems(401, 404, 422))
    async def read(self, organisation_id: Id, db: NamedDependency[asyncpg.Connection]) -> Organisation:
        """Read one organisation."""
        return await get_organisation(db, organisation_id)

    @post("/", operation_id="CreateOrganisation", responses=problems(401, 403, 409, 422), guards=[requires_staff])
    async def create(
        self, request: Caller, data: JSONBody[OrganisationCreate], db: NamedDependency[asyncpg.Connection]
    ) -> Response[Organisation]:
        """Register an organisation (coordinators and admins)."""
        organisation = await create_organisation(db, data, request.user)
        return created(organisation, f"/api/v1/organisations/{organisation.id}")

    @patch("/{organisation_id:int}", operation_id="UpdateOrganisation", responses=problems(401, 403, 404, 409, 422))
    async def update(
        self, request: Caller, organisation_id: Id, data: JSONBody[OrganisationUpdate],
        db: NamedDependency[asyncpg.Connection],
    ) -> Organisation:
        """Change an organisation's name, kind, country, origin or outside identifier (members, staff)."""
        return await update_organisation(db, request.user, organisation_id, data)

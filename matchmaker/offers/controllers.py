"""Funding-offer routes."""

from __future__ import annotations

from typing import Any

import asyncpg
from litestar import Controller, Response, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody, RawBody

from matchmaker.accounts.guards import Caller, requires_role
from matchmaker.csvfiles import import_rows, text_of
from matchmaker.db.pool import Database
from matchmaker.offers.schemas import Offer, OfferCreate, OfferUpdate
from matchmaker.offers.service import create_offer, get_offer, list_offers, update_offer
from matchmaker.rules import place_filters
from matchmaker.schemas import Imported, Page
from matchmaker.vocabulary import CapacityArea, OfferStatus, OrganisationKind, ResourceType
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


class OfferController(Controller):
    path = "/api/v1/offers"
    tags = ["offers"]

    @get("/", operation_id="ListOffers", responses=problems(401, 422), operation_class=TableOperation)
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
        status: FromQuery[OfferStatus | None] = None,
        kind: FromQuery[OrganisationKind | None] = None,
        organisation_id: IdFilter = None,
        q: SearchText = None,
        limit: Limit = 20,
        cursor: Cursor = None,
        format: Format = None,
    ) -> Response[Page[Offer]]:
        """List funding offers, newest first; ``country``/``region`` select offers that may be spent there; as CSV, every offer they select."""
        country, region = place_filters(country, region)
        filters: dict[str, Any] = dict(organisation_id=organisation_id, kind=kind, country=country, region=region,
                       gcm_objective=gcm_objective, capacity_area=capacity_area, resource_type=resource_type,
                       status=status, q=q)
        return await table(request, format, Offer, "offers", db, database,
                           lambda conn, lim, cur: list_offers(conn, **filters, limit=lim, cursor=cur), limit, cursor)

    @post("/", operation_id="CreateOffer", guards=[requires_role("donor", "coordinator", "admin")],
          responses=problems(401, 403, 409, 422))
    async def create(
        self, request: Caller, data: JSONBody[OfferCreate], db: NamedDependency[asyncpg.Connection]
    ) -> Response[Offer]:
        """Publish a funding offer for the caller's organisation."""
        offer = await create_offer(db, request.user, data)
        return created(offer, f"/api/v1/offers/{offer.id}")

    @post("/import", operation_id="ImportOffers", guards=[requires_role("donor", "coordinator", "admin")],
          responses=problems(401, 403, 422), operation_class=CsvImportOperation)
    async def import_csv(self, request: Caller, body: RawBody, db: NamedDependency[asyncpg.Connection]) -> Imported:
        """Post many offers from a CSV file, all or none: a refused file names each broken rule by its line."""
        created = await import_rows(db, OfferCreate, text_of(body), lambda item: create_offer(db, request.user, item))
        return Imported(created=len(created), ids=[item.id for item in created])

    @get("/{offer_id:int}", operation_id="GetOffer", responses=problems(401, 404, 422))
    async def read(self, offer_id: Id, db: NamedDependency[asyncpg.Connection]) -> Offer:
        """Read one funding offer."""
        return await get_offer(db, offer_id)

    @patch("/{offer_id:int}", operation_id="UpdateOffer", responses=problems(401, 403, 404, 409, 422))
    async def update(
        self,
        request: Caller,
        offer_id: Id,
        data: JSONBody[OfferUpdate],
        db: NamedDependency[asyncpg.Connection],
    ) -> Offer:
        """Change some fields of an offer (its owner, or a coordinator)."""
        return await update_offer(db, request.user, offer_id, data)

"""A funder's pages: its organisation's offers, publishing and editing one (financial or not),
and for each offer the ranked opportunities, filtered without reloading the page."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.response import Redirect, Template

from matchmaker.accounts.guards import ensure_member_or_staff
from matchmaker.offers.schemas import Offer, OfferCreate, OfferUpdate
from matchmaker.offers.service import create_offer, get_offer, list_offers, update_offer
from matchmaker.pages.forms import Form, NeedFilters, from_query, submit
from matchmaker.pages.rendering import page
from matchmaker.pages.sessions import Db, Viewer, check_csrf, require_role
from matchmaker.ranking.service import MAX_OFFSET, RankingService
from matchmaker.rules import place_filters
from matchmaker.schemas import decode_offset
from matchmaker.vocabulary import CapacityArea
from matchmaker.web.params import Cursor, Id

OPPORTUNITIES = 10


class OpportunityFilters(NeedFilters, kw_only=True):
    """The filters of an offer's opportunities (the API's, as a form sends them)."""

    capacity_area: CapacityArea | None = None
    max_amount_usd: Annotated[int, msgspec.Meta(ge=1, le=10**12)] | None = None


def offer_values(offer: Offer) -> dict[str, Any]:
    """An offer as its form shows it."""
    values = msgspec.to_builtins(offer)
    values["sectors"] = ", ".join(offer.sectors)
    return values


class OfferPages(Controller):
    path = "/offers"
    include_in_schema = False

    @get("/")
    async def mine(self, viewer: NamedDependency[Viewer], lang: NamedDependency[str], db: Db,
                   cursor: Cursor = None) -> Template:
        require_role(viewer, "donor")
        offers = await list_offers(db, organisation_id=viewer.user.organisation_id, limit=20, cursor=cursor, q=None)
        return page("offers/list.html", viewer, lang, offers=offers)

    @get("/new")
    async def new(self, viewer: NamedDependency[Viewer], lang: NamedDependency[str]) -> Template:
        require_role(viewer, "donor")
        return page("offers/form.html", viewer, lang, offer=None, values={}, errors={})

    @post("/new")
    async def create(self, request: Request, data: Form, viewer: NamedDependency[Viewer],
                     lang: NamedDependency[str], db: Db) -> Template | Redirect:
        check_csrf(request, viewer, data.get("csrf_token"))

        async def save(offer: OfferCreate) -> str:
            return f"/offers/{(await create_offer(db, viewer.user, offer)).id}"

        return await submit(db, viewer, lang, data, OfferCreate, save, "offers/form.html", offer=None)

    @get("/{offer_id:int}")
    async def opportunities(self, request: Request, offer_id: Id, viewer: NamedDependency[Viewer],
                            lang: NamedDependency[str], db: Db, ranking: NamedDependency[RankingService],
                            cursor: Cursor = None) -> Template:
        """The offer and the needs it could fund, best first; an htmx request (a filter changed)
        gets the ranked list alone."""
        offer = await get_offer(db, offer_id)
        filters, chosen = from_query(OpportunityFilters, request.query_params)
        country, region = place_filters(filters.country, filters.region)
        ranked = (await ranking.needs_for_offer(
            offer_id, OPPORTUNITIES, decode_offset(cursor, MAX_OFFSET), lang,
            **(msgspec.structs.asdict(filters) | {"country": country, "region": region}))).page
        name = "offers/ranked.html" if request.headers.get("HX-Request") else "offers/detail.html"
        mine = viewer.user.organisation_id == offer.organisation_id
        return page(name, viewer, lang, offer=offer, ranked=ranked, filters=chosen, mine=mine)

    @get("/{offer_id:int}/edit")
    async def edit(self, offer_id: Id, viewer: NamedDependency[Viewer], lang: NamedDependency[str], db: Db) -> Template:
        offer = await get_offer(db, offer_id)
        ensure_member_or_staff(viewer.user, offer.organisation_id, "this offer")
        return page("offers/form.html", viewer, lang, offer=offer, values=offer_values(offer), errors={})

    @post("/{offer_id:int}/edit")
    async def update(self, request: Request, offer_id: Id, data: Form, viewer: NamedDependency[Viewer],
                     lang: NamedDependency[str], db: Db) -> Template | Redirect:
        check_csrf(request, viewer, data.get("csrf_token"))

        async def save(patch: OfferUpdate) -> str:
            await update_offer(db, viewer.user, offer_id, patch)
            return f"/offers/{offer_id}"

        offer = await get_offer(db, offer_id)
        ensure_member_or_staff(viewer.user, offer.organisation_id, "this offer")
        return await submit(db, viewer, lang, data, OfferUpdate, save, "offers/form.html", offer=offer)

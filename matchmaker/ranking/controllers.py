"""Ranked suggestions both ways: offers for a need, needs (opportunities) for an offer."""

from __future__ import annotations

import asyncpg
import msgspec
from litestar import Controller, get
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromQuery

from matchmaker.needs.schemas import Need
from matchmaker.needs.service import get_need, get_needs
from matchmaker.offers.schemas import Offer
from matchmaker.offers.service import get_offer, get_offers
from matchmaker.ranking.explain import Factor
from matchmaker.schemas import Page
from matchmaker.vocabulary import CapacityArea, OrganisationKind, ResourceType
from matchmaker.web.openapi import problems
from matchmaker.web.params import (
    CountryFilter,
    Id,
    Limit,
    ObjectiveFilter,
    RegionFilter,
)


class RankedOffer(msgspec.Struct, frozen=True):
    """An offer suggested for a need; the explanation's contributions add up to the score."""

    score: float
    offer: Offer
    explanation: list[Factor]


class RankedNeed(msgspec.Struct, frozen=True):
    """A need suggested for an offer; the explanation's contributions add up to the score."""

    score: float
    need: Need
    explanation: list[Factor]


class RankingController(Controller):
    path = "/api/v1"
    tags = ["matching"]

    @get("/needs/{need_id:int}/matches", operation_id="RankOffersForNeed", responses=problems(401, 404, 422))
    async def matches(
        self, state: State, need_id: Id, db: NamedDependency[asyncpg.Connection],
        kind: FromQuery[OrganisationKind | None] = None, limit: Limit = 20,
    ) -> Page[RankedOffer]:
        """Eligible open offers for a need, best first, each with the evidence behind its score."""
        await get_need(db, need_id)  # 404 for an unknown need
        ranked = await state.ranking.offers_for_need(need_id, limit, kinds=[kind] if kind else None)
        offers = await get_offers(db, [int(r.offer_id) for r in ranked])
        items = [RankedOffer(r.score, offers[int(r.offer_id)], r.explanation) for r in ranked if int(r.offer_id) in offers]
        return Page(items=items, next_cursor=None)

    @get("/offers/{offer_id:int}/opportunities", operation_id="RankNeedsForOffer", responses=problems(401, 404, 422))
    async def opportunities(
        self, state: State, offer_id: Id, db: NamedDependency[asyncpg.Connection],
        country: CountryFilter = None, region: RegionFilter = None, gcm_objective: ObjectiveFilter = None,
        capacity_area: FromQuery[CapacityArea | None] = None, resource_type: FromQuery[ResourceType | None] = None,
        limit: Limit = 20,
    ) -> Page[RankedNeed]:
        """Eligible open needs for an offer, best first, with the needs list's filters."""
        await get_offer(db, offer_id)
        ranked = await state.ranking.needs_for_offer(
            offer_id, limit, country=country, region=region, gcm_objective=gcm_objective,
            capacity_area=capacity_area, resource_type=resource_type,
        )
        needs = await get_needs(db, [int(r.need_id) for r in ranked])
        items = [RankedNeed(r.score, needs[int(r.need_id)], r.explanation) for r in ranked if int(r.need_id) in needs]
        return Page(items=items, next_cursor=None)

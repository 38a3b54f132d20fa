"""Ranked suggestions both ways: offers for a need, needs (opportunities) for an offer."""

from __future__ import annotations

from litestar import Controller, MediaType, Response, get
from litestar.di import NamedDependency
from litestar.params import FromQuery

from matchmaker.engine.wording import language_of
from matchmaker.ranking.schemas import RankedList, SuggestedNeed, SuggestedOffer
from matchmaker.ranking.service import MAX_OFFSET, RankingService
from matchmaker.rules import place_filters
from matchmaker.schemas import decode_offset
from matchmaker.vocabulary import CapacityArea, OrganisationKind, ResourceType
from matchmaker.web.openapi import problems
from matchmaker.web.params import (
    AcceptLanguage,
    CountryFilter,
    Cursor,
    Id,
    Limit,
    MaxAmountUsd,
    ObjectiveFilter,
    RegionFilter,
)


class RankingController(Controller):
    path = "/api/v1"
    tags = ["matching"]

    @get("/needs/{need_id:int}/matches", operation_id="RankOffersForNeed", responses=problems(401, 404, 422))
    async def matches(
        self, need_id: Id, ranking: NamedDependency[RankingService],
        kind: FromQuery[OrganisationKind | None] = None, limit: Limit = 20, cursor: Cursor = None,
        accept_language: AcceptLanguage = None,
    ) -> Response[RankedList[SuggestedOffer]]:
        """Eligible open offers for a need, best first, each with the evidence behind its score
        (in English, French or Spanish, by `Accept-Language`)."""
        offset = decode_offset(cursor, MAX_OFFSET)
        return _json((await ranking.offers_for_need(need_id, limit, kind, offset, language_of(accept_language))).body)

    @get("/offers/{offer_id:int}/opportunities", operation_id="RankNeedsForOffer", responses=problems(401, 404, 422))
    async def opportunities(
        self, offer_id: Id, ranking: NamedDependency[RankingService],
        country: CountryFilter = None, region: RegionFilter = None, gcm_objective: ObjectiveFilter = None,
        capacity_area: FromQuery[CapacityArea | None] = None, resource_type: FromQuery[ResourceType | None] = None,
        max_amount_usd: MaxAmountUsd = None, limit: Limit = 20, cursor: Cursor = None,
        accept_language: AcceptLanguage = None,
    ) -> Response[RankedList[SuggestedNeed]]:
        """Eligible open needs for an offer, best first, with the needs list's filters and a
        largest amount still asked (explained in English, French or Spanish, by `Accept-Language`)."""
        country, region = place_filters(country, region)
        kept = await ranking.needs_for_offer(
            offer_id, limit, decode_offset(cursor, MAX_OFFSET), language_of(accept_language), country=country, region=region,
            gcm_objective=gcm_objective,
            capacity_area=capacity_area, resource_type=resource_type, max_amount_usd=max_amount_usd,
        )
        return _json(kept.body)


def _json(body: bytes) -> Response:
    """A kept page's body, sent as encoded when it was ranked (its words depend on the language asked)."""
    return Response(content=body, media_type=MediaType.JSON, headers={"Vary": "Accept-Language"})

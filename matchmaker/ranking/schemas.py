"""What the ranking endpoints return: suggestions with the evidence behind their scores."""

from __future__ import annotations

import msgspec

from matchmaker.needs.schemas import Need
from matchmaker.offers.schemas import Offer
from matchmaker.ranking.explain import Factor


class SuggestedOffer(msgspec.Struct, frozen=True):
    """An offer suggested for a need; the explanation's contributions add up to the score."""

    score: float
    offer: Offer
    explanation: list[Factor]


class SuggestedNeed(msgspec.Struct, frozen=True):
    """A need suggested for an offer; the explanation's contributions add up to the score."""

    score: float
    need: Need
    explanation: list[Factor]

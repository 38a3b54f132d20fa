"""What the ranking endpoints return: suggestions with the evidence behind their scores."""

from __future__ import annotations

from typing import Generic, TypeVar

import msgspec

from matchmaker.engine.explain import Factor, Label, Shortfall
from matchmaker.needs.schemas import Need
from matchmaker.offers.schemas import Offer

T = TypeVar("T")


class SuggestedOffer(msgspec.Struct, frozen=True):
    """An offer suggested for a need; the explanation's contributions add up to the score.

    ``shortfalls``: what the need asks that the offer does not give (contribution 0: already
    in the score); ``label``: the score on the scale calibrated when the ranker was fitted."""

    score: float
    offer: Offer
    explanation: list[Factor]
    shortfalls: list[Shortfall] = []
    label: Label | None = None


class SuggestedNeed(msgspec.Struct, frozen=True):
    """A need suggested for an offer; the explanation's contributions add up to the score."""

    score: float
    need: Need
    explanation: list[Factor]
    shortfalls: list[Shortfall] = []
    label: Label | None = None


class Excluded(msgspec.Struct, frozen=True):
    """Why the others are not listed: how many each eligibility rule kept out, each counted
    under the first rule it fails (``closed``, ``deadline`` of either side, ``resource_type``,
    ``geography``, ``amount``: no budget left or a minimum grant above the need)."""

    total: int
    closed: int
    deadline: int
    resource_type: int
    geography: int
    amount: int
    detail: str


class RankedList(msgspec.Struct, Generic[T], omit_defaults=True):
    """A page of suggestions; ``excluded`` when the list ends within it (empty or shorter than asked)."""

    items: list[T]
    next_cursor: str | None
    excluded: Excluded | None = None

"""A round's balance rules: what share of the allocation each region and GCM objective gets,
how much one country may take, how much of the pool must be spent, the smallest ticket, and
whether needs may be funded partly or by several offers.

Shares are of the round's total allocation (a need counts towards each objective it names);
amounts are in US dollars, the currency every cross-currency comparison is made in.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import msgspec

from matchmaker.schemas import Money
from matchmaker.vocabulary import Region

Share = Annotated[float, msgspec.Meta(ge=0, le=1, description="a share between 0 and 1")]


class ShareRange(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    min: Share = 0.0
    max: Share = 1.0


class Rules(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """The balance rules of a round (every one optional)."""

    #: Share of the allocation going to needs of each UN M49 region.
    regions: dict[Region, ShareRange] = {}
    #: Share of the allocation going to needs naming each GCM objective (1-23).
    objectives: dict[Annotated[int, msgspec.Meta(ge=1, le=23)], ShareRange] = {}
    #: Largest share of the allocation any one country's needs may take.
    max_country_share: Share | None = None
    #: Smallest share of the offers' pooled remaining budgets the round must allocate.
    min_spend: Share = 0.0
    #: Smallest amount of one (need, offer) allocation, in US dollars (besides each offer's own range).
    min_ticket: Money | None = None
    #: Whether a need may be funded for less than it still asks.
    partial: bool = True
    #: Whether one need may be funded by several offers.
    cofunding: bool = True

    def min_ticket_usd(self) -> float:
        return float(self.min_ticket or Decimal(0))

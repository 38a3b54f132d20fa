"""Hard constraints that decide which (need, offer) pairs may be ranked at all.

A pair is eligible when
- the offer is open and neither side's deadline is before today;
- they share a resource type, when both declare some;
- the offer covers the need's place: global, or a shared country, sub-region or region,
  or a diaspora organisation whose country of origin is the need's (geography > 0);
- the offer has budget left (when it states one), and the need's remaining amount is not
  below the offer's minimum ticket (when both are known). A need above the maximum ticket
  or the remaining budget stays eligible: part-funding is common, and the amount fit
  lowers its score instead.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from matchmaker.ranking.encoding import EncodedNeeds, EncodedOffers


def eligible(needs: EncodedNeeds, offers: EncodedOffers, geography: np.ndarray, today: date) -> np.ndarray:
    """Boolean (needs, offers) mask of the pairs that pass every constraint."""
    day = today.toordinal()
    offer_ok = offers.open & (offers.deadline >= day) & ~(offers.remaining <= 0)
    need_ok = needs.deadline >= day
    a, b = needs.resources[:, None], offers.resources[None, :]
    shares_resource = (a == 0) | (b == 0) | ((a & b) != 0)
    above_min = ~(needs.amount[:, None] < offers.min[None, :])  # NaN compares False: unknown passes
    return need_ok[:, None] & offer_ok[None, :] & shares_resource & above_min & (geography > 0)

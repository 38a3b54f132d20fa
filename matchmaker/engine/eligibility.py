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

from matchmaker.engine.encoding import EncodedNeeds, EncodedOffers

# The rules in the order an excluded pair is blamed on: the first one it fails.
RULES = ("closed", "deadline", "resource_type", "geography", "amount")


# Each rule's test, written once: on the (needs, offers) matrices below, and on one need
# against an index's columns in ``scan``.


def in_time(deadline: np.ndarray, day: int) -> np.ndarray:
    """Deadlines (ordinal days) not yet passed on ``day``."""
    return deadline >= day


def shares_resource(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Resource masks with a type in common, or either side silent."""
    return (a == 0) | (b == 0) | ((a & b) != 0)


def has_budget(remaining: np.ndarray) -> np.ndarray:
    """Budget left, or none stated (NaN compares False)."""
    return ~(remaining <= 0)


def above_minimum(amount: np.ndarray, minimum: np.ndarray) -> np.ndarray:
    """A need's remaining amount not below an offer's smallest ticket (an unknown one passes)."""
    return ~(amount < minimum)


def rules(needs: EncodedNeeds, offers: EncodedOffers, geography: np.ndarray, today: date) -> dict[str, np.ndarray]:
    """Boolean (needs, offers) masks (or broadcastable to it) of the pairs that pass each rule."""
    day = today.toordinal()
    return {
        "closed": offers.open[None, :],
        "deadline": in_time(needs.deadline, day)[:, None] & in_time(offers.deadline, day)[None, :],
        "resource_type": shares_resource(needs.resources[:, None], offers.resources[None, :]),
        "geography": geography > 0,
        "amount": has_budget(offers.remaining)[None, :] & above_minimum(needs.amount[:, None], offers.min[None, :]),
    }


def eligible(needs: EncodedNeeds, offers: EncodedOffers, geography: np.ndarray, today: date) -> np.ndarray:
    """Boolean (needs, offers) mask of the pairs that pass every constraint."""
    passed = rules(needs, offers, geography, today)
    out = passed["closed"] & passed["deadline"]
    for name in RULES[2:]:
        out = out & passed[name]
    return out


def exclusions(passed: dict[str, np.ndarray], among: np.ndarray) -> dict[str, int]:
    """How many of the pairs ``among`` (a boolean mask) each rule excludes, each pair
    blamed on the first rule it fails, so that the counts add up to the pairs excluded."""
    left = np.broadcast_to(among, np.broadcast_shapes(among.shape, *(m.shape for m in passed.values()))).copy()
    out = {}
    for name in RULES:
        failed = left & ~passed[name]
        out[name] = int(failed.sum())
        left &= ~failed
    return out

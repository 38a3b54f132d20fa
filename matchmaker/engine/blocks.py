"""Evidence from what a need and an offer declare: text, thematic, geography, resources and amount.

Each function scores every (need, offer) pair of two encoded sets at once and returns
``Evidence``: values in [0, 1] and where they are available (both sides said something).
Arrays are shaped (needs, offers), or broadcast to it.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from matchmaker.engine.encoding import (
    AREAS,
    SMALL_THEMES,
    THEMES,
    EncodedNeeds,
    EncodedOffers,
    SparseRows,
    cross,
)

# How well an offer's declared area covers a need: its very country (or a diaspora's
# origin) is the best evidence, a whole region much weaker, "anywhere" weaker still.
AREA_SCORES = {"country": 1.0, "subregion": 0.75, "region": 0.5}
GLOBAL_SCORE = 0.25

OFFER_FEATURES = {
    "text": "text",
    "gcm": "thematic",
    "capacity": "thematic",
    "sector": "thematic",
    "category": "thematic",
    "geography": "geography",
    "resources": "resources_amount",
    "amount": "resources_amount",
}

_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.float32)


class Evidence(NamedTuple):
    #: Values in [0, 1], shaped (needs, offers) or broadcast to it: an array or one number.
    values: Any
    #: Where both sides said something: a boolean array, or one boolean for every pair.
    available: Any


def _sizes(rows: SparseRows) -> np.ndarray:
    return np.diff(rows.rows.indptr).astype(np.float32)


# The arithmetic of each feature, written once. Both ways of scoring call these: the matrix
# of many needs against many offers here, and one need against a big index in ``scan``,
# whose lookup tables are these same functions over every possible input.


def count_cosine(shared: Any, a: Any, b: Any) -> Any:
    """|N ∩ O| / √(|N|·|O|) from the counts (0 when a set is empty): rewards shared items
    without letting a catch-all offer win."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.nan_to_num(shared / np.sqrt(a * b))


def resource_share(a: Any, b: Any) -> Any:
    """Share of the need's resource types (bit mask ``a``) that the offer (``b``) provides."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.nan_to_num(_POPCOUNT[a & b] / _POPCOUNT[a])


def cover(cap: Any, need: Any) -> Any:
    """Share of the need's remaining amount one grant could cover, in [0, 1] (0 when unknown)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        values = np.clip(cap / need, 0, 1)  # an infinite ratio clips to 1, as a whole cover
    np.copyto(values, 0.0, where=np.isnan(values))
    return values


def set_cosine(needs: SparseRows, offers: SparseRows) -> Evidence:
    a, b = _sizes(needs)[:, None], _sizes(offers)[None, :]
    return Evidence(count_cosine(cross(needs, offers), a, b), (a > 0) & (b > 0))


def mask_cosine(needs: np.ndarray, offers: np.ndarray) -> Evidence:
    """``set_cosine`` for sets held as bit masks."""
    a, b = np.bitwise_count(needs)[:, None], np.bitwise_count(offers)[None, :]
    # sizes are uint8: their product in float32
    values = count_cosine(np.bitwise_count(needs[:, None] & offers[None, :]), a, b.astype(np.float32))
    return Evidence(values.astype(np.float32), (a > 0) & (b > 0))


def text(needs: EncodedNeeds, offers: EncodedOffers) -> Evidence:
    """Cosine of TF-IDF words + glossary concepts (language-independent)."""
    return Evidence(cross(needs.text, offers.text), needs.has_text[:, None] & offers.has_text[None, :])


def global_cover(global_: np.ndarray) -> np.ndarray:
    """Geography of offers before their areas are read: a global offer covers every place."""
    return np.where(global_, np.float32(GLOBAL_SCORE), np.float32(0))


def cover_at(values: np.ndarray, level: str) -> np.ndarray:
    """Geography where an area of ``level`` is shared: the better of the two."""
    return np.maximum(values, np.float32(AREA_SCORES[level]))


def geography(needs: EncodedNeeds, offers: EncodedOffers) -> Evidence:
    """Best level at which the offer's declared areas cover the need; 0 means ineligible."""
    values = global_cover(offers.global_)[None, :]
    for level in AREAS:
        hit = cross(needs.areas[level], offers.areas[level]) > 0
        values = np.where(hit, cover_at(values, level), values)
    return Evidence(values, np.True_)


def resources(needs: EncodedNeeds, offers: EncodedOffers) -> Evidence:
    """Share of the need's resource types that the offer provides."""
    a, b = needs.resources[:, None], offers.resources[None, :]
    return Evidence(resource_share(a, b), (a > 0) & (b > 0))


def amount(needs: EncodedNeeds, offers: EncodedOffers) -> Evidence:
    """Share of the need's remaining amount that one grant could cover (max ticket, budget)."""
    cap = np.fmin(offers.remaining, offers.max)[None, :]
    need = needs.amount[:, None]
    return Evidence(cover(cap, need), ~np.isnan(need) & ~np.isnan(cap))


def offer_evidence(needs: EncodedNeeds, offers: EncodedOffers) -> dict[str, Evidence]:
    """Every declared-evidence feature, keyed as in ``OFFER_FEATURES``."""
    return {
        "text": text(needs, offers),
        **{
            name: mask_cosine(needs.theme_masks[name], offers.theme_masks[name]) if name in SMALL_THEMES
            else set_cosine(needs.themes[name], offers.themes[name])
            for name in THEMES
        },
        "geography": geography(needs, offers),
        "resources": resources(needs, offers),
        "amount": amount(needs, offers),
    }

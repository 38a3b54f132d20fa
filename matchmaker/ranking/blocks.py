"""Evidence from what a need and an offer declare: text, thematic, geography, resources and amount.

Each function scores every (need, offer) pair of two encoded sets at once and returns
``Evidence``: values in [0, 1] and where they are available (both sides said something).
Arrays are shaped (needs, offers), or broadcast to it.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from matchmaker.ranking.encoding import (
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


def set_cosine(needs: SparseRows, offers: SparseRows) -> Evidence:
    """|N ∩ O| / √(|N|·|O|): rewards shared items without letting a catch-all offer win."""
    a, b = _sizes(needs)[:, None], _sizes(offers)[None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        values = np.nan_to_num(cross(needs, offers) / np.sqrt(a * b))
    return Evidence(values, (a > 0) & (b > 0))


def mask_cosine(needs: np.ndarray, offers: np.ndarray) -> Evidence:
    """``set_cosine`` for sets held as bit masks."""
    a, b = np.bitwise_count(needs)[:, None], np.bitwise_count(offers)[None, :]
    with np.errstate(invalid="ignore", divide="ignore"):  # sizes are uint8: their product in float32
        values = np.nan_to_num(np.bitwise_count(needs[:, None] & offers[None, :]) / np.sqrt(a * b.astype(np.float32)))
    return Evidence(values.astype(np.float32), (a > 0) & (b > 0))


def text(needs: EncodedNeeds, offers: EncodedOffers) -> Evidence:
    """Cosine of TF-IDF words + glossary concepts (language-independent)."""
    return Evidence(cross(needs.text, offers.text), needs.has_text[:, None] & offers.has_text[None, :])


def geography(needs: EncodedNeeds, offers: EncodedOffers) -> Evidence:
    """Best level at which the offer's declared areas cover the need; 0 means ineligible."""
    values = np.where(offers.global_, np.float32(GLOBAL_SCORE), np.float32(0))[None, :]
    for level in AREAS:
        hit = cross(needs.areas[level], offers.areas[level]) > 0
        values = np.maximum(values, np.where(hit, np.float32(AREA_SCORES[level]), np.float32(0)))
    return Evidence(values, np.True_)


def resources(needs: EncodedNeeds, offers: EncodedOffers) -> Evidence:
    """Share of the need's resource types that the offer provides."""
    a, b = needs.resources[:, None], offers.resources[None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        values = np.nan_to_num(_POPCOUNT[a & b] / _POPCOUNT[a])
    return Evidence(values, (a > 0) & (b > 0))


def amount(needs: EncodedNeeds, offers: EncodedOffers) -> Evidence:
    """Share of the need's remaining amount that one grant could cover (max ticket, budget)."""
    cap = np.fmin(offers.remaining, offers.max)[None, :]
    need = needs.amount[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        values = np.clip(np.nan_to_num(cap / need, nan=0.0, posinf=1.0), 0, 1)
    return Evidence(values, ~np.isnan(need) & ~np.isnan(cap))


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

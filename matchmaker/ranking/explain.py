"""Ranked results and their explanations: one factor per evidence block, in words.

Contributions come from the combination formula (see ``learning``); this module only
turns them into ``Factor`` items with a human detail, e.g. "shares GCM objectives 11 and
14" or "funded 12 of its 150 projects in Senegal since 2015".
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

import msgspec
import numpy as np
import scipy.sparse as sp

from matchmaker.ranking.documents import NeedDoc, OfferDoc
from matchmaker.ranking.encoding import Row, doc_text, need_areas, theme_tokens
from matchmaker.ranking.history import RECENT_YEARS, FunderHistory, need_attributes
from matchmaker.ranking.reference import (
    country_name,
    sector_category,
    sector_key,
    sector_label,
)
from matchmaker.ranking.text import shared_terms

BLOCKS = ("text", "thematic", "geography", "resources_amount", "history")


class Factor(msgspec.Struct, frozen=True):
    factor: str
    contribution: float
    detail: str


class RankedOffer(msgspec.Struct, frozen=True):
    offer_id: str
    score: float
    explanation: list[Factor]


class RankedNeed(msgspec.Struct, frozen=True):
    need_id: str
    score: float
    explanation: list[Factor]


def _join(items: Iterable[object]) -> str:
    words = [str(i) for i in items]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _money(amount: float) -> str:
    for unit, size in (("M", 1e6), ("k", 1e3)):
        if amount >= size:
            return f"{amount / size:.3g}{unit} USD"
    return f"{amount:.0f} USD"


class NeedFacts(NamedTuple):
    """What the explanations of one need read of it, worked out once for all its offers
    (``sets``: its themes as sets, its areas as lower-cased sets; ``keys``: its history
    attribute tokens as tuples; ``money``: its amount in words; ``said``: history details
    already put in words, by funder, for this need)."""

    text: str
    themes: dict[str, list[str]]
    areas: dict[str, list[str]]
    attributes: dict[str, list[str]]
    sets: dict[str, frozenset[str]]
    keys: dict[str, tuple[str, ...]]
    money: str
    said: dict[tuple[Any, ...], str]


def need_facts(
    need: NeedDoc,
    attributes: dict[str, list[str]] | None = None,
    themes: dict[str, list[str]] | None = None,
    areas: dict[str, list[str]] | None = None,
) -> NeedFacts:
    """``attributes``, ``themes``, ``areas``: the need's ``need_attributes``, ``theme_tokens``
    and ``need_areas``, when already at hand."""
    themes = theme_tokens(need) if themes is None else themes
    areas = need_areas(need) if areas is None else areas
    attributes = attributes or need_attributes(need, areas, themes)
    sets = {name: frozenset(tokens) for name, tokens in themes.items()}
    sets.update({level: frozenset(t.lower() for t in areas[level]) for level in ("subregion", "region")})
    keys = {attr: tuple(tokens) for attr, tokens in attributes.items()}
    money = _money(need.amount_usd) if need.amount_usd else ""
    return NeedFacts(doc_text(need), themes, areas, attributes, sets, keys, money, {})


def text_detail(facts: NeedFacts, offer: OfferDoc, offer_surfaces: dict[str, tuple[str, bool]] | None = None) -> str:
    terms = shared_terms(facts.text, doc_text(offer), 3, offer_surfaces)
    return "text: " + "; ".join(terms) if terms else "no shared terms"


def thematic_detail(facts: NeedFacts, offer: OfferDoc) -> str:
    a = facts.sets
    sectors = [sector_key(s) for s in offer.sectors] if a["sector"] or a["category"] else []
    parts = []
    for label, shared, show in (
        ("GCM objective", a["gcm"].intersection(map(str, offer.gcm_objectives)), str),
        ("capacity area", a["capacity"].intersection(offer.capacity_areas), str),
        ("sector", a["sector"].intersection(sectors), sector_label),
    ):
        if shared:
            shown = sorted(shared, key=lambda t: (len(t), t))
            parts.append(f"{label}{'s' if len(shown) > 1 else ''} {_join(map(show, shown))}")
    categories = a["category"].intersection(map(sector_category, sectors))
    if not parts and categories:
        parts.append("DAC categories " + _join(sorted(categories)))
    return "shares " + "; ".join(parts) if parts else "no shared objectives, areas or sectors"


def geography_detail(facts: NeedFacts, offer: OfferDoc) -> str:
    countries = facts.areas["country"]
    origin = offer.funder_country if offer.funder_kind == "diaspora_organisation" else None
    if origin and origin.upper() in countries:
        return f"diaspora organisation from {country_name(origin)}"
    offered = {c.upper() for c in offer.countries}
    shared = [c for c in countries if c in offered]
    if shared:
        return "covers " + _join(country_name(c) for c in shared)
    for level in ("subregion", "region"):
        names = [r for r in offer.regions if r.strip().lower() in facts.sets[level]]
        if names:
            return "covers " + _join(names)
    return "global offer"


def resources_detail(facts: NeedFacts, need: NeedDoc, offer: OfferDoc) -> str:
    parts = []
    shared = [r for r in need.resource_types if r in offer.resource_types]
    if shared:
        parts.append("provides " + _join(r.replace("_", " ") for r in shared))
    caps = [c for c in (offer.remaining_usd, offer.max_usd) if c is not None]
    if need.amount_usd and caps:
        share = min(1.0, min(caps) / need.amount_usd)
        parts.append(f"one grant covers {share:.0%} of the {facts.money} needed")
    return "; ".join(parts) or "no declared resources or amounts"


_GENERIC = frozenset({"h_language", "h_amount", "h_length", "h_note", "h_recency", "h_volume"})  # true of many funders: said last
_AREAS = frozenset({"h_country", "h_subregion", "h_region"})


def _weight(item: tuple[str, float]) -> float:
    return -item[1] * (0.5 if item[0] in _GENERIC else 1)


def history_detail(
    facts: NeedFacts, vector: sp.csr_matrix | Row, history: FunderHistory | None, funder: int,
    contributions: Iterable[tuple[str, float]],
) -> str:
    """The two history features that weigh most, in words; what is specific to the need first,
    one area at most.

    A part already worded is reused: the closest past project from ``facts.said`` (it is
    this need's), the others from the history's own memo (the same for any need alike).
    """
    if history is None or funder < 0:
        return "no funding history"
    total = int(history.n[funder])
    parts: list[str] = []
    areas = 0
    for name, contribution in sorted(contributions, key=_weight):
        if contribution <= 0 or len(parts) == 2:
            break
        if name in _AREAS:  # a wider area says little after a narrower one
            areas += 1
            if areas > 1:
                continue
        key: tuple[Any, ...]
        if name in ("h_text", "h_similar"):  # both word the closest past project
            key, memo = (funder, "h_text"), facts.said
        else:
            key, memo = (funder, name, facts.keys.get(name[2:], ())), _worded(history)
        if key not in memo:
            memo[key] = _history_part(name, vector, history, funder, facts.attributes, total)
        if memo[key] and memo[key] not in parts:  # (both text features word the same project)
            parts.append(memo[key])
    return "; ".join(parts) or f"{total} past projects"


def _worded(history: FunderHistory) -> dict[tuple[Any, ...], str]:
    """History details worded so far, by (funder, feature, need tokens), kept with the history."""
    memo = vars(history).setdefault("_worded_", {})
    if len(memo) > 2**16:
        memo.clear()
    return memo


def _history_part(
    name: str, vector: sp.csr_matrix, history: FunderHistory, funder: int, tokens: dict[str, list[str]], total: int
) -> str:
    """One history feature of a funder in words, for a need ("" when there is nothing to say)."""
    attr = name[2:]
    if name in ("h_text", "h_similar"):
        title = history.most_similar_title(vector, funder)
        return f"past projects like “{title}”" if title else "similar past projects"
    if attr in ("country", "subregion", "region", "sector", "category", "language", "length", "note"):
        return _share_detail(history, funder, attr, tokens[attr], total)
    if attr == "amount":
        low, high = history.amount_range(funder)
        return f"usually funds {_money(low)}" + (f"–{_money(high)}" if high > low else "")
    if attr == "recency":
        return f"{history.recent_count(funder)} projects in the last {RECENT_YEARS} years of records"
    if attr == "volume":
        return f"{total} past projects"
    return ""


_LANGUAGES = {"en": "English", "fr": "French", "es": "Spanish"}


def _share_detail(history: FunderHistory, funder: int, attr: str, tokens: list[str], total: int) -> str:
    vocab = history.vocab[attr]
    known = [t for t in tokens if t in vocab]
    if not known:
        return ""
    best = max(known, key=lambda t: history.counts[attr][funder, vocab[t]])
    count = int(round(history.counts[attr][funder, vocab[best]]))
    if attr == "country":
        label = f"in {country_name(best)}"
    elif attr == "sector":
        label = f"in sector {sector_label(best)}"
    elif attr == "category":
        label = f"in DAC category {best}"
    elif attr == "language":
        label = f"in {_LANGUAGES.get(best, repr(best))}"
    elif attr == "length":
        label = "with titles of this length"
    elif attr == "note":
        label = f"noted “{best}”"
    else:
        label = f"in {best.title()}"
    since = int(history.first_year[attr][funder, vocab[best]])
    since_text = f" since {since}" if count and since < 9999 else ""
    share = f"all {total} of its projects" if count == total else f"{count} of its {total} projects"
    return f"funded {share} {label}{since_text}"


def build(
    need: NeedDoc,
    offer: OfferDoc,
    per_block: list[float],
    history_parts: list[tuple[str, float]],
    history: FunderHistory | None,
    funder: int,
    need_vector: sp.csr_matrix | Row,
    facts: NeedFacts | None = None,
    offer_surfaces: dict[str, tuple[str, bool]] | None = None,
) -> tuple[float, list[Factor]]:
    """(score, factors) of a pair: one factor per block, with its share of the score
    (``per_block``, in ``BLOCKS`` order) and a detail in words; ``history_parts``: the share
    of each history feature, which says what the history detail should name.

    ``facts``: ``need_facts(need)``, when the caller explains several pairs of one need;
    ``offer_surfaces``: the offer's ``concept_surfaces``, when the index holds them.
    """
    facts = facts or need_facts(need)
    details = (
        text_detail(facts, offer, offer_surfaces) if per_block[BLOCKS.index("text")] else "no text evidence",
        thematic_detail(facts, offer),
        geography_detail(facts, offer),
        resources_detail(facts, need, offer),
        history_detail(facts, need_vector, history, funder, history_parts),
    )
    factors = [Factor(block, share, detail) for block, share, detail in zip(BLOCKS, per_block, details)]
    return float(sum(per_block)), factors


def top_k(scores: np.ndarray, mask: np.ndarray, limit: int) -> np.ndarray:
    """Indices of the ``limit`` best eligible scores, best first (ties by position)."""
    candidates = np.flatnonzero(mask)
    return candidates[best(scores[candidates], limit)]


def best(scores: np.ndarray, limit: int) -> np.ndarray:
    """Positions of the ``limit`` best scores, best first, ties by position, also at the cut:
    which of several equal scores make the page depends on nothing but their order."""
    picks = np.arange(len(scores))
    if len(scores) > limit:
        cut = np.partition(-scores, limit - 1)[limit - 1]
        picks = np.flatnonzero(-scores <= cut)  # as good as the last one kept, ties included
    return picks[np.lexsort((picks, -scores[picks]))][:limit]

"""Ranked results and their explanations: one factor per evidence block, in words.

Contributions come from the combination formula (see ``learning``); this module only
turns them into ``Factor`` items with a human detail, e.g. "shares GCM objectives 11 and
14" or "funded 12 of its 150 projects in Senegal since 2015".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple

import msgspec
import numpy as np
import scipy.sparse as sp

from matchmaker.ranking.documents import NeedDoc, OfferDoc
from matchmaker.ranking.encoding import doc_text, need_areas, offer_areas, theme_tokens
from matchmaker.ranking.history import RECENT_YEARS, FunderHistory, need_attributes
from matchmaker.ranking.reference import country_name, sector_label
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
    items = [str(i) for i in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _money(amount: float) -> str:
    for unit, size in (("M", 1e6), ("k", 1e3)):
        if amount >= size:
            return f"{amount / size:.3g}{unit} USD"
    return f"{amount:.0f} USD"


class NeedFacts(NamedTuple):
    """What the explanations of one need read of it, worked out once for all its offers
    (``sets``: its themes as sets, its areas as lower-cased sets; ``said``: history details
    already put in words, by funder, for this need)."""

    text: str
    themes: dict[str, list[str]]
    areas: dict[str, list[str]]
    attributes: dict[str, list[str]]
    sets: dict[str, frozenset[str]]
    said: dict[tuple[int, str], str]


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
    sets = {name: frozenset(tokens) for name, tokens in themes.items()}
    sets.update({level: frozenset(t.lower() for t in areas[level]) for level in ("subregion", "region")})
    return NeedFacts(doc_text(need), themes, areas, attributes or need_attributes(need, areas, themes), sets, {})


def text_detail(
    need: NeedDoc, offer: OfferDoc, need_text: str | None = None, offer_surfaces: dict[str, tuple[str, bool]] | None = None
) -> str:
    terms = shared_terms(doc_text(need) if need_text is None else need_text, doc_text(offer), 3, offer_surfaces)
    return "text: " + "; ".join(terms) if terms else "no shared terms"


def thematic_detail(need: NeedDoc, offer: OfferDoc, need_sets: dict[str, frozenset[str]] | None = None) -> str:
    """``need_sets``: the need's ``theme_tokens`` as sets (``NeedFacts.sets``), when at hand."""
    a = {name: frozenset(tokens) for name, tokens in theme_tokens(need).items()} if need_sets is None else need_sets
    b = theme_tokens(offer)
    parts = []
    for name, label in (("gcm", "GCM objectives"), ("capacity", "capacity areas"), ("sector", "sectors")):
        shared = sorted(a[name].intersection(b[name]), key=lambda t: (len(t), t))
        if shared:
            shown = shared if name != "sector" else [sector_label(s) for s in shared]
            parts.append(f"{label if len(shared) > 1 else label[:-1]} {_join(shown)}")
    if not parts and a["category"].intersection(b["category"]):
        parts.append("DAC categories " + _join(sorted(a["category"].intersection(b["category"]))))
    return "shares " + "; ".join(parts) if parts else "no shared objectives, areas or sectors"


def geography_detail(
    need: NeedDoc, offer: OfferDoc, areas: dict[str, list[str]] | None = None,
    lowered: dict[str, frozenset[str]] | None = None,
) -> str:
    """``areas``: the need's ``need_areas``; ``lowered``: its sub-regions and regions as
    lower-cased sets (``NeedFacts.sets``), when at hand."""
    a = need_areas(need) if areas is None else areas
    if lowered is None:
        lowered = {level: frozenset(t.lower() for t in a[level]) for level in ("subregion", "region")}
    origin = offer.funder_country if offer.funder_kind == "diaspora_organisation" else None
    if origin and origin.upper() in a["country"]:
        return f"diaspora organisation from {country_name(origin)}"
    b = offer_areas(offer)
    shared = [c for c in a["country"] if c in b["country"]]
    if shared:
        return "covers " + _join(country_name(c) for c in shared)
    for level in ("subregion", "region"):
        names = [r for r in offer.regions if r.strip().lower() in lowered[level]]
        if names:
            return "covers " + _join(names)
    return "global offer"


def resources_detail(need: NeedDoc, offer: OfferDoc) -> str:
    parts = []
    shared = [r for r in need.resource_types if r in offer.resource_types]
    if shared:
        parts.append("provides " + _join(r.replace("_", " ") for r in shared))
    caps = [c for c in (offer.remaining_usd, offer.max_usd) if c is not None]
    if need.amount_usd and caps:
        share = min(1.0, min(caps) / need.amount_usd)
        parts.append(f"one grant covers {share:.0%} of the {_money(need.amount_usd)} needed")
    return "; ".join(parts) or "no declared resources or amounts"


_GENERIC = frozenset({"h_language", "h_amount", "h_recency", "h_volume"})  # true of many funders: said last


def history_detail(
    need: NeedDoc, vector: sp.csr_matrix, history: FunderHistory | None, funder: int, contributions: Mapping[str, float],
    tokens: dict[str, list[str]] | None = None, said: dict[tuple[int, str], str] | None = None,
) -> str:
    """The two history features that weigh most, in words; what is specific to the need first.

    ``said``: the parts already worded for this need, by (funder, feature), reused.
    """
    if history is None or funder < 0:
        return "no funding history"
    tokens = need_attributes(need) if tokens is None else tokens
    total = int(history.n[funder])
    parts = []
    for name in sorted(contributions, key=lambda k: -contributions[k] * (0.5 if k in _GENERIC else 1))[:2]:
        if contributions[name] <= 0:
            break
        if name in ("h_text", "h_similar"):  # both word the closest past project: for this need only
            key, memo = (funder, "h_text"), said
        else:  # the same words for any need with these tokens: kept with the history
            attr = name[2:]
            key, memo = (funder, name, tuple(tokens[attr]) if attr in tokens else ()), _worded(history)
        if memo is None:
            parts.append(_history_part(name, vector, history, funder, tokens, total))
            continue
        if key not in memo:
            memo[key] = _history_part(name, vector, history, funder, tokens, total)
        parts.append(memo[key])
    return "; ".join(p for p in parts if p) or f"{total} past projects"


def _worded(history: FunderHistory) -> dict:
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
    if attr in ("country", "subregion", "region", "sector", "category", "language"):
        return _share_detail(history, funder, attr, tokens[attr], total)
    if attr == "amount":
        low, high = history.amount_range(funder)
        return f"usually funds {_money(low)}" + (f"–{_money(high)}" if high > low else "")
    if attr == "recency":
        return f"{history.recent_count(funder)} projects in the last {RECENT_YEARS} years of records"
    if attr == "volume":
        return f"{total} past projects"
    return ""


def _share_detail(history: FunderHistory, funder: int, attr: str, tokens: list[str], total: int) -> str:
    vocab = history.vocab[attr]
    known = [t for t in tokens if t in vocab]
    if not known:
        return ""
    best = max(known, key=lambda t: history.counts[attr][funder, vocab[t]])
    count = int(round(history.counts[attr][funder, vocab[best]]))
    if attr == "country":
        label = country_name(best)
    elif attr == "sector":
        label = f"sector {sector_label(best)}"
    elif attr == "category":
        label = f"DAC category {best}"
    elif attr == "language":
        label = f"in language '{best}'"
    else:
        label = best.title()
    where = "in " if attr in ("country", "subregion", "region") else ""
    since = int(history.first_year[attr][funder, vocab[best]])
    since_text = f" since {since}" if count and since < 9999 else ""
    return f"funded {count} of its {total} projects {where}{label}{since_text}"


def build(
    need: NeedDoc,
    offer: OfferDoc,
    contributions: Mapping[str, float],
    blocks: Mapping[str, str],
    history: FunderHistory | None,
    funder: int,
    need_vector: sp.csr_matrix,
    facts: NeedFacts | None = None,
    offer_surfaces: dict[str, tuple[str, bool]] | None = None,
) -> tuple[float, list[Factor]]:
    """(score, factors): one factor per block, contributions summed per block.

    ``facts``: ``need_facts(need)``, when the caller explains several pairs of one need;
    ``offer_surfaces``: the offer's ``concept_surfaces``, when the index holds them.
    """
    facts = facts or need_facts(need)
    per_block = {block: 0.0 for block in BLOCKS}
    for name, value in contributions.items():
        per_block[blocks[name]] += value
    history_parts = {k: v for k, v in contributions.items() if blocks[k] == "history"}
    details = (
        text_detail(need, offer, facts.text, offer_surfaces) if per_block["text"] else "no text evidence",
        thematic_detail(need, offer, facts.sets),
        geography_detail(need, offer, facts.areas, facts.sets),
        resources_detail(need, offer),
        history_detail(need, need_vector, history, funder, history_parts, facts.attributes, facts.said),
    )
    factors = [Factor(block, per_block[block], detail) for block, detail in zip(BLOCKS, details)]
    return float(sum(f.contribution for f in factors)), factors


def top_k(scores: np.ndarray, mask: np.ndarray, limit: int) -> np.ndarray:
    """Indices of the ``limit`` best eligible scores, best first (ties by position)."""
    candidates = np.flatnonzero(mask)
    if len(candidates) > limit:
        candidates = candidates[np.argpartition(-scores[candidates], limit - 1)[:limit]]
    return candidates[np.lexsort((candidates, -scores[candidates]))]

"""Ranked results and their explanations: one factor per evidence block, in words, and what falls short.

Contributions come from the combination formula (see ``learning``); this module only
turns them into ``Factor`` items with a human detail, e.g. "shares GCM objectives 11 and
14" or "funded 3 of its 22 projects in Senegal on “fraude documentaire”", in the language
of a ``wording.Words``. ``Shortfall`` items say what the need asks that the offer does not
give (a resource type, the whole amount, a funder used to other amounts or places); they
carry no contribution: the shortfall is already in the score, as a lower value of its
block's evidence, so the contributions still add up to it. ``Label`` words the score on the
scale calibrated when the ranker was fitted (``MatchRanker.label_thresholds_``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any, NamedTuple

import msgspec
import numpy as np
import scipy.sparse as sp

from matchmaker.engine.documents import DocId, NeedDoc, OfferDoc
from matchmaker.engine.encoding import Row, doc_text, need_areas, theme_tokens
from matchmaker.engine.history import FunderHistory, need_attributes
from matchmaker.engine.reference import countries, sector_category, sector_key, sector_label
from matchmaker.engine.text import concept_surfaces, fold, shared_terms
from matchmaker.engine.wording import Words, words

BLOCKS = ("text", "thematic", "geography", "resources_amount", "history")
LEVELS = ("strong", "good", "fair", "weak")  # best first; ``label_thresholds_`` holds the three cut points


class Factor(msgspec.Struct, frozen=True):
    factor: str
    contribution: float
    detail: str


class Shortfall(msgspec.Struct, frozen=True):
    """What the need asks that the offer does not give; ``contribution`` is always 0 (the
    shortfall already lowers its block's evidence, so it is not taken off twice)."""

    factor: str
    kind: str
    detail: str
    contribution: float = 0.0


class Label(msgspec.Struct, frozen=True):
    """The score on the calibrated scale: ``level`` ∈ strong, good, fair, weak; ``text`` in words."""

    level: str
    text: str


class RankedOffer(msgspec.Struct, frozen=True):
    offer_id: DocId
    score: float
    explanation: list[Factor]
    shortfalls: list[Shortfall] = []
    label: Label | None = None


class RankedNeed(msgspec.Struct, frozen=True):
    need_id: DocId
    score: float
    explanation: list[Factor]
    shortfalls: list[Shortfall] = []
    label: Label | None = None


class Explained(NamedTuple):
    score: float
    explanation: list[Factor]
    shortfalls: list[Shortfall]
    label: Label | None


def label(score: float, thresholds: np.ndarray | None, say: Words) -> Label | None:
    """The level whose cut point ``score`` reaches first (``None`` without calibration)."""
    if thresholds is None:
        return None
    level = next((name for name, cut in zip(LEVELS, thresholds) if score >= cut), LEVELS[-1])
    return Label(level, say(level))


class NeedFacts(NamedTuple):
    """What the explanations of one need read of it, worked out once for all its offers
    (``sets``: its themes as sets, its areas as lower-cased sets; ``said``: history details
    already put in words, by funder and language, for this need)."""

    text: str
    themes: dict[str, list[str]]
    areas: dict[str, list[str]]
    attributes: dict[str, list[str]]
    sets: dict[str, frozenset[str]]
    said: dict[tuple[Any, ...], Any]


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
    return NeedFacts(doc_text(need), themes, areas, attributes, sets, {})


def text_detail(facts: NeedFacts, offer: OfferDoc, say: Words, offer_surfaces: dict[str, tuple[str, bool]] | None = None,
                informative: Callable[[str], bool] | None = None, offer_holds: Callable[[str], bool] | None = None) -> str:
    terms = shared_terms(facts.text, doc_text(offer), 3, offer_surfaces, informative, offer_holds)
    return say("text", terms="; ".join(terms)) if terms else say("text_none")


def thematic_detail(facts: NeedFacts, offer: OfferDoc, say: Words) -> str:
    a = facts.sets
    sectors = [sector_key(s) for s in offer.sectors] if a["sector"] or a["category"] else []
    parts = []
    for key, shared, show in (
        ("gcm", a["gcm"].intersection(map(str, offer.gcm_objectives)), str),
        ("area", a["capacity"].intersection(offer.capacity_areas), say.name),
        ("sector", a["sector"].intersection(sectors), sector_label),
    ):
        if shared:
            shown = sorted(shared, key=lambda t: (len(t), t))
            parts.append(say(f"{key}_{'n' if len(shown) > 1 else '1'}", items=say.join(map(show, shown))))
    categories = a["category"].intersection(map(sector_category, sectors))
    if not parts and categories:
        parts.append(say("categories", items=say.join(sorted(categories))))
    return say("shares", parts="; ".join(parts)) if parts else say("thematic_none")


def geography_detail(facts: NeedFacts, offer: OfferDoc, say: Words) -> str:
    countries = facts.areas["country"]
    origin = offer.funder_country if offer.funder_kind == "diaspora_organisation" else None
    if origin and origin.upper() in countries:
        return say("diaspora_from", country=say.country(origin))
    offered = {c.upper() for c in offer.countries}
    shared = [c for c in countries if c in offered]
    if shared:
        return say("covers", places=say.join(say.country(c) for c in shared))
    for level in ("subregion", "region"):
        names = list(dict.fromkeys(r for r in offer.regions if r.strip().lower() in facts.sets[level]))
        if names:
            return say("covers", places=say.join(say.region(name) for name in names))
    return say("global")


def resources_detail(need: NeedDoc, offer: OfferDoc, say: Words) -> tuple[str, list[Shortfall]]:
    """What the offer provides of what the need asks, and what it does not (shortfalls)."""
    parts, short = [], []
    shared = [r for r in need.resource_types if r in offer.resource_types]
    if shared:
        parts.append(say("provides", types=say.join(say.name(r) for r in shared)))
    if offer.resource_types:
        lacking = [r for r in need.resource_types if r not in offer.resource_types]
        if lacking:
            short.append(Shortfall("resources_amount", "resource_type",
                                   say("lacks_resources", types=say.join(say.name(r) for r in lacking))))
    caps = [c for c in (offer.remaining_usd, offer.max_usd) if c is not None]
    gives_money = not offer.resource_types or "financial" in offer.resource_types
    if need.amount_usd and caps and gives_money:  # the value of expertise is no grant: not compared
        cap = min(caps)
        if cap >= need.amount_usd:
            parts.append(say("covers_whole", need=say.money(need.amount_usd)))
        else:
            short.append(Shortfall("resources_amount", "amount", say(
                "above_ticket", share=say.share(cap / need.amount_usd), need=say.money(need.amount_usd),
                cap=say.money(cap))))
    return "; ".join(parts) or say("resources_none"), short


_LEVELS = ("country", "subregion", "region")


def history_detail(
    facts: NeedFacts, need: NeedDoc, vector: sp.csr_matrix | Row, history: FunderHistory | None, funder: int,
    contributions: Iterable[tuple[str, float]], say: Words,
) -> tuple[str, list[Shortfall]]:
    """What the funder funded that matches this very need — its place, its own glossary
    concepts (or its DAC sectors) — with the latest such project; else its closest past
    project. Shortfalls: no past project here or on these topics; amounts unlike the need's.

    Worked out once per funder and language for a need (``facts.said``)."""
    if history is None or funder < 0:
        return say("history_none"), []
    key = (funder, say.language)
    if key not in facts.said:
        facts.said[key] = _history_words(facts, need, vector, history, funder, dict(contributions), say)
    return facts.said[key]


def _history_words(
    facts: NeedFacts, need: NeedDoc, vector: sp.csr_matrix | Row, history: FunderHistory, funder: int,
    contributions: dict[str, float], say: Words,
) -> tuple[str, list[Shortfall]]:
    total = int(history.n[funder])
    place, where = _place(facts, history, funder)
    topic, about = _topic(facts, history, funder)
    short = []
    both = np.intersect1d(where, about, assume_unique=True)
    if len(both):
        chosen, message = both, say("about_both", place=_area_name(place, say), topic=topic)
    elif len(about):
        chosen, message = about, say("about_topic", topic=topic)
    elif len(where):
        chosen, message = where, say("about_place", place=_area_name(place, say))
    else:
        chosen, message = None, ""
    if chosen is not None:
        years, count = history.years[chosen], len(chosen)
        dated = years > 0
        since = say("since", year=int(years[dated].min())) if dated.any() and count > 1 else ""
        parts = [say("history_all" if count == total else "history_match", count=count, total=total, about=message,
                     since=since)]
        if dated.any():
            latest = int(np.argmax(np.where(dated, years, -1)))  # among the chosen records
            parts.append(say("latest", title=history.titles[int(chosen[latest])], year=int(years[latest])))
        detail = "; ".join(parts)
    else:
        title = history.most_similar_title(vector, funder) if contributions.get("h_similar", 0) > 0 else ""
        detail = say("like", title=title) if title else say("past_projects", total=total)
        if facts.areas["country"] or need.regions:
            short.append(Shortfall("history", "history_elsewhere", say(
                "history_elsewhere", total=total, place=_area_name(place or _need_place(facts), say))))
    low, high = history.amount_range(funder)
    if need.amount_usd and high > 0 and not low <= need.amount_usd <= high:
        low_text, high_text = say.money(low), say.money(high)
        short.append(Shortfall("history", "usual_amount", say(
            "outside_usual" if high_text != low_text else "outside_usual_one", low=low_text, high=high_text,
            need=say.money(need.amount_usd))))
    return detail, short


_NONE = np.zeros(0, dtype=np.int32)


def _place(facts: NeedFacts, history: FunderHistory, funder: int) -> tuple[tuple[str, str] | None, np.ndarray]:
    """The narrowest of the need's areas the funder funded in, and its records there (positions)."""
    for level in _LEVELS:
        found = [(len(rows), token, rows) for token in facts.attributes[level]
                 if len(rows := history.records_with(funder, level, token))]
        if found:
            _, token, rows = max(found, key=lambda f: f[0])
            return (level, token), np.unique(np.concatenate([f[2] for f in found])) if len(found) > 1 else rows
    return None, _NONE


def _need_place(facts: NeedFacts) -> tuple[str, str] | None:
    for level in _LEVELS:
        if facts.areas[level]:
            return level, facts.areas[level][0]
    return None


def _area_name(place: tuple[str, str] | None, say: Words) -> str:
    if place is None:
        return "—"
    level, token = place
    if level == "country":
        return say.country(token)
    return say.region(_area_names().get(token, token.title()))


@lru_cache(maxsize=1)
def _area_names() -> dict[str, str]:
    """Folded M49 area name (a need's area token) → the name as written."""
    return {fold(row[column]): row[column] for row in countries().values()
            for column in ("region", "sub_region", "intermediate_region") if row[column]}


def _topic(facts: NeedFacts, history: FunderHistory, funder: int) -> tuple[str, np.ndarray]:
    """The need's own glossary concept (as the need words it) the funder funded that is rarest
    in all the history ("document fraud" before "training"), else its DAC sector the funder
    funded most, and the funder's records on it (positions)."""
    if ("own",) not in facts.said:  # the need's own concepts, once for all its funders
        own = [(c, phrase) for c, (phrase, is_own) in concept_surfaces(facts.text).items() if is_own]
        facts.said["own",] = own, history.concept_columns([c for c, _ in own])
    own, columns = facts.said["own",]
    if own:
        counts, everywhere = history.concepts_funded(funder, columns)
        if counts.any():
            best = int(np.lexsort((-counts, everywhere, counts == 0))[0])
            return own[best][1], history.records_on(funder, own[best][0])
    sectors = [(len(rows), token, rows) for token in facts.attributes["sector"]
               if len(rows := history.records_with(funder, "sector", token))]
    if sectors:
        _, token, rows = max(sectors, key=lambda f: f[0])
        return sector_label(token), rows
    return "", _NONE


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
    say: Words | None = None,
    informative: Callable[[str], bool] | None = None,
    thresholds: np.ndarray | None = None,
    offer_holds: Callable[[str], bool] | None = None,
) -> Explained:
    """A pair's score, factors, shortfalls and label: one factor per block, with its share
    of the score (``per_block``, in ``BLOCKS`` order) and a detail in words; ``history_parts``:
    the share of each history feature.

    ``facts``: ``need_facts(need)``, when the caller explains several pairs of one need;
    ``offer_surfaces``: the offer's ``concept_surfaces``, when the index holds them; ``say``:
    the language (English by default); ``informative``: which words may be cited
    (``TextEncoder.informative``); ``thresholds``: the calibrated label cut points;
    ``offer_holds``: which words the offer's encoded text holds (``text.term_holder``).
    """
    facts = facts or need_facts(need)
    say = say or words()
    resources, short = resources_detail(need, offer, say)
    history_words, history_short = history_detail(facts, need, need_vector, history, funder, history_parts, say)
    details = (
        text_detail(facts, offer, say, offer_surfaces, informative, offer_holds) if per_block[BLOCKS.index("text")]
        else say("text_no_evidence"),
        thematic_detail(facts, offer, say),
        geography_detail(facts, offer, say),
        resources,
        history_words,
    )
    factors = [Factor(block, share, detail) for block, share, detail in zip(BLOCKS, per_block, details)]
    score = float(sum(per_block))
    return Explained(score, factors, short + history_short, label(score, thresholds, say))


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

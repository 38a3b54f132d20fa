"""One need against a big offer index: the cheap hard constraints first, evidence for the survivors.

``MatchRanker.rank`` (and ``shortlist``) over an ``OfferIndex`` of more than a few hundred
offers runs here. It computes the very numbers ``MatchRanker.score`` would — the same float32
operations in the same order, element by element, so the same scores bit for bit — but only
for the offers that pass every eligibility constraint and the caller's filters, reading the
index's precomputed per-offer ``columns``:

1. eligibility: boolean masks on the columns (open, deadline, budget and resource types are
   cached per day and resource mask until the index changes; minimum ticket, funder kind,
   allowed ids), plus geography from the postings of the need's few area tokens;
2. evidence for the survivors: text by the same kernel as ``cross`` (``encoding.one_dot``,
   through the postings of the need's terms, and row by row over the tail); GCM objectives,
   capacity areas, sectors and resources through small per-need lookup tables (the same
   arithmetic, done once per possible value); history once per funder, gathered through
   the offers' funders;
3. the weighted mean, accumulated feature by feature as ``model._partial`` does.

The chosen offers are explained from this same evidence, so that their explanations add up
to the scores they were ordered by.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import date
from functools import lru_cache
from typing import Any

import numpy as np
import scipy.sparse as sp

from matchmaker.engine.blocks import Evidence, count_cosine, cover, cover_at, global_cover, resource_share
from matchmaker.engine.documents import DocId, NeedDoc
from matchmaker.engine.eligibility import above_minimum, has_budget, in_time, shares_resource
from matchmaker.engine.encoding import (
    AREAS,
    Row,
    SparseRows,
    _amount,
    _days,
    _resource_mask,
    arrays_dot,
    doc_text,
    hashed_tokens,
    need_areas,
    one_dot,
    rows_dot,
    theme_masks,
    theme_tokens,
)
from matchmaker.engine.explain import need_facts
from matchmaker.engine.history import FunderHistory, Spread, need_attributes
from matchmaker.engine.index import OfferIndex
from matchmaker.engine.text import TextEncoder


def _holders(tokens: np.ndarray, main: SparseRows, tail: sp.csr_matrix | None) -> np.ndarray:
    """How many of the need's (binary, at most 255) tokens each physical row holds, as uint8."""
    postings = main.postings
    out = np.zeros(main.n + (tail.shape[0] if tail is not None else 0), dtype=np.uint8)
    for k, t in enumerate(tokens.tolist()):
        rows = postings.indices[postings.indptr[t] : postings.indptr[t + 1]]
        if k:
            np.add.at(out, rows, 1)
        else:  # a row appears once in a term's postings
            out[rows] = 1
    if tail is not None and len(tokens):
        out[main.n :] = arrays_dot(tokens, np.ones(len(tokens), dtype=np.float32), tail.indptr, tail.indices, tail.data)
    return out


def _holders_of(index: OfferIndex, name: str, tokens: np.ndarray) -> np.ndarray:
    """``_holders`` of a theme's tokens, kept for the few token sets needs repeat (sectors)."""
    held = index._cache.setdefault(("holders", name), {})
    key = tokens.tobytes()
    if key not in held:
        if len(held) >= 64:
            held.pop(next(iter(held)))
        main, tail = index.main["encoded"], index.tail["encoded"] if index.tail is not None else None
        held[key] = _holders(tokens, main.themes[name], tail.themes[name].rows if tail is not None else None)
    return held[key]


def _holding(tokens: np.ndarray, main: SparseRows, tail: sp.csr_matrix | None) -> np.ndarray:
    """Physical rows holding any of the need's tokens (a row may repeat)."""
    postings = main.postings
    parts = [postings.indices[postings.indptr[t] : postings.indptr[t + 1]] for t in tokens.tolist()]
    if tail is not None:
        hits = arrays_dot(tokens, np.ones(len(tokens), dtype=np.float32), tail.indptr, tail.indices, tail.data)
        parts.append(np.flatnonzero(hits) + main.n)
    return np.concatenate(parts)


def text_of(query: Row, main: SparseRows, tail: sp.csr_matrix | None, rows: np.ndarray) -> np.ndarray:
    """Text cosine of the need with the physical ``rows`` (sorted): the text kernel over the
    main segment, and over the tail's rows (never worth postings: it changes with every upsert)."""
    split = int(np.searchsorted(rows, main.n))
    head = one_dot(query, main)[rows[:split]]
    return head if split == len(rows) else np.concatenate([head, rows_dot(query, tail)[rows[split:] - main.n]])


class OneNeed:
    """One need encoded for ``Scan``: the fields of ``EncodedNeeds`` (one row) and its history
    query, as arrays, equal to what ``NeedIndex([need], ...)`` holds."""

    def __init__(self, need: NeedDoc, encoder: TextEncoder, history: FunderHistory | None) -> None:
        text = doc_text(need)
        terms, _, weights = encoder.encode_one(text)
        self.text = Row(terms, weights)
        self.has_text = np.array([bool(text)])
        themes = theme_tokens(need)
        self.theme_masks = theme_masks([themes])
        self.themes = {name: hashed_tokens(themes[name]) for name in ("sector", "category")}
        areas = need_areas(need)
        self.areas = {level: hashed_tokens(areas[level]) for level in AREAS}
        self.resources = np.array([_resource_mask(need.resource_types)], dtype=np.uint8)
        self.deadline = np.array([_days(need.deadline)], dtype=np.int64)
        self.amount = np.array([_amount(need.amount_usd)], dtype=np.float64)
        attributes = need_attributes(need, areas, themes)
        self.query = history.query_one(need, terms, self.text, attributes) if history is not None else None
        self.facts = need_facts(need, attributes, themes, areas)  # what its explanations read


class Scan:
    """The survivors of one need against an offer index, and their evidence."""

    def __init__(
        self,
        needs: OneNeed,
        index: OfferIndex,
        today: date,
        kinds: Collection[str] | None,
        allowed_ids: Collection[DocId] | None,
    ) -> None:
        self.needs, self.queries, self.index = needs, needs.query, index
        columns = index.columns
        day = today.toordinal()
        self.rows = np.zeros(0, dtype=np.int64)
        if not in_time(needs.deadline, day)[0]:
            return
        main, tail = index.main["encoded"], index.tail["encoded"] if index.tail is not None else None
        ok = _offer_ok(index, day, int(needs.resources[0])).copy()
        if not np.isnan(needs.amount[0]):  # (an unknown amount passes every minimum)
            ok &= above_minimum(needs.amount, columns.min)
        if kinds is not None:
            ok &= index.kind_mask(kinds)
        if allowed_ids is not None:
            ok &= index.physical_mask(allowed_ids)
        geography = _base_geography(index).copy()
        for level in AREAS:
            tokens = needs.areas[level]
            if len(tokens):
                hit = _holding(tokens, main.areas[level], tail.areas[level].rows if tail is not None else None)
                geography[hit] = cover_at(geography[hit], level)
        ok &= geography > 0
        self.rows = rows = np.flatnonzero(ok)
        self.geography = geography[rows]
        self._main, self._tail = main, tail

    def evidence(self) -> dict[str, Evidence]:
        """Declared evidence of the survivors, as ``offer_evidence`` gives it (survivors last)."""
        needs, columns, rows, main, tail = self.needs, self.index.columns, self.rows, self._main, self._tail
        out = {}
        text = text_of(needs.text, main.text, tail.text.rows if tail is not None else None, rows)
        out["text"] = Evidence(text, needs.has_text & columns.has_text[rows])
        for name in ("gcm", "capacity"):  # once per distinct offer mask, then read by class
            mask, masks = needs.theme_masks[name], self.index.mask_classes(name)
            a, b = np.bitwise_count(mask), np.bitwise_count(masks)
            values = _mask_cosines(a).take(np.bitwise_count(mask & masks).astype(np.intp) * 65 + b)
            kind = getattr(columns, f"{name}_class")[rows]
            out[name] = Evidence(values.take(kind), ((a > 0) & (b > 0)).take(kind))
        for name in ("sector", "category"):
            tokens = needs.themes[name]
            a = np.array([len(tokens)], dtype=np.float32)
            shared = _holders_of(self.index, name, tokens)[rows]
            if len(tokens) < 256 and _largest(self.index, f"{name}_size") < 256:  # small counts: a table
                b = getattr(columns, f"{name}_n")[rows]
                at = shared.astype(np.intp)
                at *= 256
                at += b
                out[name] = Evidence(_set_cosines(a).take(at), (a > 0) & (b > 0))
            else:
                b = getattr(columns, f"{name}_size")[rows]
                out[name] = Evidence(count_cosine(shared.astype(np.float32), a, b), (a > 0) & (b > 0))
        out["geography"] = Evidence(self.geography, np.True_)
        a, b = needs.resources, columns.resources[rows]
        out["resources"] = Evidence(_resource_shares(a)[b], (a > 0) & (b > 0))
        cap, need = columns.cap[rows], needs.amount
        out["amount"] = Evidence(cover(cap, need), ~np.isnan(need) & ~np.isnan(cap))
        return out

    def history(self, spreads: Mapping[str, Spread]) -> tuple[dict[str, Evidence], np.ndarray, np.ndarray] | None:
        """(per-funder history evidence, ``spreads`` applied, column of each survivor's funder
        in it, whether it has one)."""
        index = self.index
        funders = index.live_funders()
        if index.history is None or self.queries is None or (funders is not None and not len(funders)):
            return None
        funder = index.columns.funder[self.rows]
        per_funder = index.history.evidence(self.queries, funders, spreads)
        if funders is None and _smallest(index, "funder") >= 0:  # every offer's funder has a history
            return per_funder, funder, np.ones(len(funder), dtype=bool)
        known = funder >= 0
        columns = np.searchsorted(funders, funder) if funders is not None else funder
        return per_funder, np.where(known, columns, 0), known


def _mask_cosines(a: np.ndarray) -> np.ndarray:
    return _mask_table(int(a[0]))


@lru_cache(maxsize=65)
def _mask_table(members: int) -> np.ndarray:
    """``mask_cosine`` of a need whose set has ``members`` members, for every (shared, offer
    size) pair of a 64-bit mask, flattened: the same kernel on the same dtypes, done once."""
    a = np.array([members], dtype=np.uint8)
    shared = np.arange(65, dtype=np.uint8)[:, None]
    b = np.arange(65, dtype=np.uint8)[None, :]
    return count_cosine(shared, a, b.astype(np.float32)).astype(np.float32).ravel()


def _set_cosines(a: np.ndarray) -> np.ndarray:
    return _set_table(int(a[0]))


@lru_cache(maxsize=64)
def _set_table(tokens: int) -> np.ndarray:
    """``set_cosine`` of a need with ``tokens`` tokens for every (shared, offer size < 256)
    pair, flattened by offer size: the same float32 arithmetic, done once."""
    a = np.array([tokens], dtype=np.float32)
    shared = np.arange(tokens + 1, dtype=np.float32)[:, None]
    b = np.arange(256, dtype=np.float32)[None, :]
    return count_cosine(shared, a, b).ravel()


def _resource_shares(a: np.ndarray) -> np.ndarray:
    return _resource_table(int(a[0]))


@lru_cache(maxsize=256)
def _resource_table(mask: int) -> np.ndarray:
    """``resource_share`` of a need's resource mask for every offer mask."""
    return resource_share(np.array([mask], dtype=np.uint8), np.arange(256, dtype=np.uint8))


def _smallest(index: OfferIndex, column: str) -> float:
    """The smallest value of a column (cached until the index changes)."""
    return _extreme(index, column, np.min)


def _largest(index: OfferIndex, column: str) -> float:
    """The largest value of a column (cached until the index changes)."""
    return _extreme(index, column, np.max)


def _extreme(index: OfferIndex, column: str, reduce: Callable[[np.ndarray], Any]) -> float:
    key = (reduce.__name__, column)
    if key not in index._cache:
        values = getattr(index.columns, column)
        index._cache[key] = float(reduce(values)) if len(values) else 0.0
    return index._cache[key]


def _offer_ok(index: OfferIndex, day: int, resources: int) -> np.ndarray:
    """Offers open on ``day``, with budget left and a resource type for a need's ``resources``
    mask (cached for the day and the few masks there are, until the index changes)."""
    cached = index._cache.get("offer_ok")
    if cached is None or cached[0] != day:
        columns = index.columns
        alive = columns.alive & columns.open
        cached = index._cache["offer_ok"] = (day, alive & in_time(columns.deadline, day) & has_budget(columns.remaining), {})
    by_mask: dict[int, np.ndarray] = cached[2]
    if resources not in by_mask:
        by_mask[resources] = cached[1] & shares_resource(np.array([resources], dtype=np.uint8), index.columns.resources)
    return by_mask[resources]


def _base_geography(index: OfferIndex) -> np.ndarray:
    if "geography" not in index._cache:
        index._cache["geography"] = global_cover(index.columns.global_)
    return index._cache["geography"]


def partial(features: Mapping[str, Evidence], weights: Mapping[str, np.float32]) -> tuple[np.ndarray, np.ndarray]:
    """Numerator and denominator of the combination formula over some features.

    A feature available everywhere counts as one ``True``: the same products and sums,
    element by element, and a denominator that stays one number while every feature does.
    """
    num: Any = np.float32(0)  # one number until a feature is available only in places
    den: Any = np.float32(0)
    for name, evidence in features.items():
        available = evidence.available
        if np.ndim(available) and available.all():
            available = np.True_
        present = weights[name] * available
        num, den = num + present * evidence.values, den + present
    return num, den

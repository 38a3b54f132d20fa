"""Searchable sets of offers and of needs, encoded once, updated one document at a time.

``OfferIndex`` holds the encoded offers and the funders' history (``FunderHistory``);
``NeedIndex`` holds the encoded needs, also encoded against the history. Both are tied to
the ranker's fitted text encoder: refitting the ranker means rebuilding them, while adding,
changing or removing a document does not touch the learned weights. ``upsert``/``remove``
re-stack the sparse matrices, O(size of the index): tens of milliseconds at 100k offers
(see ``bench``); batch several changes into one call.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Self

import numpy as np

from matchmaker.ranking.documents import FundingRecord, NeedDoc, OfferDoc
from matchmaker.ranking.encoding import EncodedNeeds, EncodedOffers, stack, take
from matchmaker.ranking.history import FunderHistory
from matchmaker.ranking.text import TextEncoder

if TYPE_CHECKING:
    from matchmaker.ranking.model import MatchRanker


def _history(source: FunderHistory | Sequence[FundingRecord] | None, encoder: TextEncoder) -> FunderHistory | None:
    if source is None or isinstance(source, FunderHistory):
        return source
    return FunderHistory(source, encoder) if len(source) else None


class _Index:
    """Row-aligned fields (``_rows``) that upsert/remove keep in step."""

    _rows: tuple[str, ...]
    docs: list

    def __init__(self, history: FunderHistory | None, encoder: TextEncoder) -> None:
        self.history = history
        self.encoder = encoder

    @property
    def size(self) -> int:
        return len(self.docs)

    def _link(self) -> None:
        self.position = {doc.id: i for i, doc in enumerate(self.docs)}

    def subset(self, rows: np.ndarray) -> Self:
        """A new index of the given rows (sharing the history)."""
        out = object.__new__(type(self))
        out.history, out.encoder = self.history, self.encoder
        for name in self._rows:
            setattr(out, name, take(getattr(self, name), np.asarray(rows, dtype=np.int64)))
        out._link()
        return out

    def upsert(self, docs: Sequence[NeedDoc | OfferDoc]) -> None:
        """Add documents, or replace those with the same id."""
        fresh = type(self)(docs, self.history, self.encoder)
        kept = self.subset(np.array([i for i, doc in enumerate(self.docs) if doc.id not in fresh.position], dtype=np.int64))
        for name in self._rows:
            setattr(self, name, stack([getattr(kept, name), getattr(fresh, name)]))
        self._link()

    def remove(self, ids: Collection[str]) -> None:
        kept = self.subset(np.array([i for i, doc in enumerate(self.docs) if doc.id not in ids], dtype=np.int64))
        for name in self._rows:
            setattr(self, name, getattr(kept, name))
        self._link()

    def mask(self, allowed_ids: Collection[str] | None = None) -> np.ndarray:
        """Rows allowed by the caller's own filters (ids it selected, e.g. with SQL)."""
        out = np.ones(self.size, dtype=bool)
        if allowed_ids is not None:
            out[:] = False
            out[[self.position[i] for i in allowed_ids if i in self.position]] = True
        return out


class OfferIndex(_Index):
    """Offers ready to rank for a need, with their funders' history."""

    _rows = ("docs", "encoded", "funder")

    def __init__(self, offers: Sequence[OfferDoc], history: FunderHistory | None, encoder: TextEncoder) -> None:
        super().__init__(history, encoder)
        self.docs = list(offers)
        self.encoded = EncodedOffers(self.docs, encoder)
        position = history.position if history is not None else {}
        self.funder = np.array([position.get(o.funder_id, -1) for o in self.docs], dtype=np.int64)
        self._link()

    @classmethod
    def build(
        cls, offers: Sequence[OfferDoc], records: FunderHistory | Sequence[FundingRecord] | None, ranker: MatchRanker
    ) -> OfferIndex:
        """Index offers for a fitted ranker; ``records`` are the funders' history (or a built one)."""
        return cls(offers, _history(records, ranker.encoder_), ranker.encoder_)

    @property
    def offers(self) -> list[OfferDoc]:
        return self.docs

    def _link(self) -> None:
        super()._link()
        # History evidence is computed per funder: for all funders when the index holds
        # many offers, for just the offers' funders when it holds a few.
        known = np.unique(self.funder[self.funder >= 0])
        if self.history is not None and len(known) * 2 < self.history.size:
            self.funders: np.ndarray | None = known
            self.funder_column = np.searchsorted(known, self.funder)
        else:
            self.funders, self.funder_column = None, self.funder
        self.kind = self.encoded.kind

    def mask(self, kinds: Collection[str] | None = None, allowed_ids: Collection[str] | None = None) -> np.ndarray:
        out = super().mask(allowed_ids)
        return out & np.isin(self.kind, list(kinds)) if kinds is not None else out


class NeedIndex(_Index):
    """Needs ready to rank for an offer, encoded against the funders' history."""

    _rows = ("docs", "encoded", "queries")

    def __init__(self, needs: Sequence[NeedDoc], history: FunderHistory | None, encoder: TextEncoder) -> None:
        super().__init__(history, encoder)
        self.docs = list(needs)
        self.encoded = EncodedNeeds(self.docs, encoder)
        self.queries = history.queries(self.docs, self.encoded) if history is not None else None
        self._link()

    @classmethod
    def build(
        cls, needs: Sequence[NeedDoc], records: FunderHistory | Sequence[FundingRecord] | None, ranker: MatchRanker
    ) -> NeedIndex:
        return cls(needs, _history(records, ranker.encoder_), ranker.encoder_)

    @property
    def needs(self) -> list[NeedDoc]:
        return self.docs

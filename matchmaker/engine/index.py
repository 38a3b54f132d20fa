"""Searchable sets of offers and of needs, encoded once, updated one document at a time.

``OfferIndex`` holds the encoded offers and the funders' history (``FunderHistory``);
``NeedIndex`` holds the encoded needs, also encoded against the history. Both are tied to
the ranker's fitted text encoder: refitting the ranker means rebuilding them, while adding,
changing or removing a document does not touch the learned weights.

Rows are kept in two segments: the *main* one, encoded at build time with its inverted
indexes, and a small *tail* of the documents upserted since, plus a tombstone mask of
replaced and removed rows. An upsert encodes only the new documents and re-stacks only the
tail; a remove only marks rows dead. When the tail or the dead rows grow past a threshold
the segments are merged (amortised O(1) per change). The live rows, in order, are the
logical index: what ``docs`` and ``encoded`` show, exactly as if it had been
rebuilt after each change (replaced documents move to the end). The dense per-row fields
the fast path of ``MatchRanker.rank`` reads (``columns``) grow by amortised doubling.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Any, Self

import numpy as np

from matchmaker.engine.documents import DocId, FundingRecord, NeedDoc, OfferDoc
from matchmaker.engine.encoding import (
    _FEW,
    EncodedNeeds,
    EncodedOffers,
    doc_text,
    row_terms,
    stack,
    surfaces_of,
    take,
)
from matchmaker.engine.history import FunderHistory
from matchmaker.engine.text import TextEncoder

if TYPE_CHECKING:
    from matchmaker.engine.model import MatchRanker

TAIL_ROWS = 1024  # upserted rows kept apart before a merge
DEAD_SHARE = 8  # merge once more than 1/8 of the main rows are dead


def _history(source: FunderHistory | Sequence[FundingRecord] | None, encoder: TextEncoder) -> FunderHistory | None:
    if source is None or isinstance(source, FunderHistory):
        return source
    return FunderHistory(source, encoder) if len(source) else None


class Columns:
    """Named row-aligned arrays that grow by appending, amortised O(1) per row."""

    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        self.n = len(next(iter(arrays.values()))) if arrays else 0
        self._buffers = {name: np.array(values, copy=True) for name, values in arrays.items()}
        self._views()

    def _views(self) -> None:
        for name, buffer in self._buffers.items():
            setattr(self, name, buffer[: self.n])

    def __getattr__(self, name: str) -> np.ndarray:
        """Only reached for a name that is not a column (columns are attributes, set by ``_views``)."""
        raise AttributeError(name)

    def arrays(self) -> dict[str, np.ndarray]:
        return {name: buffer[: self.n] for name, buffer in self._buffers.items()}

    def append(self, arrays: dict[str, np.ndarray]) -> None:
        k = len(next(iter(arrays.values())))
        for name, values in arrays.items():
            buffer = self._buffers[name]
            if self.n + k > len(buffer):
                grown = np.empty(max(2 * len(buffer), self.n + k, 16), dtype=buffer.dtype)
                grown[: self.n] = buffer[: self.n]
                self._buffers[name] = buffer = grown
            buffer[self.n : self.n + k] = values
        self.n += k
        self._views()


class _Index:
    """Row-aligned fields (``_rows``) in a main segment and a tail, with tombstones."""

    _rows: tuple[str, ...]

    def __init__(self, docs: Sequence[Any], history: FunderHistory | None, encoder: TextEncoder) -> None:
        self.history = history
        self.encoder = encoder
        docs = list(docs)
        self._reset(docs, self._encode(docs))

    @classmethod
    def build(
        cls, docs: Sequence[Any], records: FunderHistory | Sequence[FundingRecord] | None, ranker: MatchRanker
    ) -> Self:
        """Index documents for a fitted ranker; ``records`` are the funders' history (or a built one)."""
        return cls(docs, _history(records, ranker.encoder_), ranker.encoder_)

    # -- storage -----------------------------------------------------------------------------

    def _encode(self, docs: Sequence[Any]) -> dict[str, Any]:
        """The row fields of some documents (one segment)."""
        raise NotImplementedError

    def _derive(self, docs: Sequence[Any], fields: dict[str, Any]) -> dict[str, np.ndarray]:
        """Dense per-row columns of a segment, for the fast path (none by default)."""
        return {}

    def _reset(self, docs: list, fields: dict[str, Any], columns: dict[str, np.ndarray] | None = None) -> None:
        """Hold ``fields`` (compact rows) as the only segment: no tail, no dead rows
        (``columns``: theirs, when already at hand)."""
        self._docs = docs
        self._docs_shared = True
        self._main = fields
        self._main_n = len(docs)
        self._tail: dict[str, Any] | None = None
        self._dead = 0
        self.position = {doc.id: i for i, doc in enumerate(docs)}
        self._twins: dict[DocId, list[int]] = {}  # earlier live rows of an id given twice (rare)
        if len(self.position) < len(docs):
            for i, doc in enumerate(docs):
                if self.position[doc.id] != i:
                    self._twins.setdefault(doc.id, []).append(i)
        self.columns = Columns(columns if columns is not None else {"alive": np.ones(len(docs), dtype=bool),
                                                                   **self._derive(docs, fields)})
        self._changed()
        self._view: dict[str, Any] | None = fields

    def _changed(self) -> None:
        self._view = None
        self._live_docs: list | None = None
        self._cache: dict[Any, Any] = {}

    @property
    def size(self) -> int:
        return self.columns.n - self._dead

    @property
    def physical_size(self) -> int:
        return self.columns.n

    @property
    def physical_docs(self) -> list:
        """Documents by physical row (dead rows included), as ``columns`` holds them."""
        return self._docs

    @property
    def main(self) -> dict[str, Any]:
        return self._main

    @property
    def tail(self) -> dict[str, Any] | None:
        return self._tail

    @property
    def docs(self) -> list:
        """The live documents, in index order."""
        if self._live_docs is None:
            if not self._dead:
                self._live_docs, self._docs_shared = self._docs, True
            else:
                alive = self.columns.alive
                self._live_docs = [doc for doc, live in zip(self._docs, alive.tolist()) if live]
        return self._live_docs

    def get(self, doc_id: DocId) -> Any:
        """The live document with this id, or ``None``."""
        row = self.position.get(doc_id)
        return None if row is None else self._docs[row]

    def _fields(self) -> dict[str, Any]:
        """The live rows as one compact segment (built on first use after a change)."""
        if self._view is None:
            alive = self.columns.alive
            parts = [self._main if alive[: self._main_n].all() else take(self._main, np.flatnonzero(alive[: self._main_n]))]
            if self._tail is not None:
                rows = np.flatnonzero(alive[self._main_n :])
                parts.append(self._tail if len(rows) == len(alive) - self._main_n else take(self._tail, rows))
            self._view = stack(parts)  # fresh rows: worth their postings again, as after a rebuild
        return self._view

    def __getattr__(self, name: str) -> Any:
        # Row fields (``encoded``, ``funder``, ``queries``) read the logical, compact view.
        if name in type(self)._rows:
            return self._fields()[name]
        raise AttributeError(name)

    # -- updates -----------------------------------------------------------------------------

    def _kill(self, row: int) -> None:
        self.columns.alive[row] = False
        self._dead += 1

    def _drop(self, doc_id: DocId) -> bool:
        """Mark every row of ``doc_id`` dead; whether there was one."""
        row = self.position.pop(doc_id, None)
        if row is None:
            return False
        for twin in self._twins.pop(doc_id, ()):
            self._kill(twin)
        self._kill(row)
        return True

    def upsert(self, docs: Sequence[NeedDoc | OfferDoc]) -> None:
        """Add documents, or replace those with the same id (they move to the end)."""
        docs = list(docs)
        if not docs:
            return
        for doc in docs:
            self._drop(doc.id)
        fresh = self._encode(docs)
        start = self.columns.n
        self._tail = fresh if self._tail is None else stack([self._tail, fresh])
        if self._docs_shared:  # a caller holds the list as ``docs``: do not change it under them
            self._docs, self._docs_shared = list(self._docs), False
        self._docs.extend(docs)
        for j, doc in enumerate(docs):
            if doc.id in self.position:  # given twice in this batch: both rows are kept, as a rebuild would
                self._twins.setdefault(doc.id, []).append(self.position[doc.id])
            self.position[doc.id] = start + j
        self.columns.append({"alive": np.ones(len(docs), dtype=bool), **self._derive(docs, fresh)})
        self._changed()
        self._maybe_merge()

    def remove(self, ids: Collection[DocId]) -> None:
        """Drop the documents with these ids (unknown ids are ignored)."""
        changed = False
        for doc_id in ids:
            changed |= self._drop(doc_id)
        if changed:
            self._changed()
            self._maybe_merge()

    def _maybe_merge(self) -> None:
        tail = self.columns.n - self._main_n
        if tail > TAIL_ROWS or self._dead * DEAD_SHARE > max(self._main_n, TAIL_ROWS):
            self.merge()

    def merge(self) -> None:
        """Fold the tail and drop the dead rows: one compact main segment again."""
        if self._tail is None and not self._dead:
            return
        alive = self.columns.alive
        self._reset(list(self.docs), self._fields(), {name: values[alive] for name, values in self.columns.arrays().items()})
        self._warm()

    def _warm(self) -> None:
        """Build what queries of the main segment read, now rather than in the next query."""

    def mask(self, allowed_ids: Collection[DocId] | None = None) -> np.ndarray:
        """Logical rows allowed by the caller's own filters (ids it selected, e.g. with SQL)."""
        out = np.ones(self.size, dtype=bool)
        if allowed_ids is not None:
            out[:] = False
            out[[self._logical(self.position[i]) for i in allowed_ids if i in self.position]] = True
        return out

    def physical_mask(self, allowed_ids: Collection[DocId]) -> np.ndarray:
        """``mask`` over the physical rows (main segment, then tail; dead rows included)."""
        out = np.zeros(self.columns.n, dtype=bool)
        out[[self.position[i] for i in allowed_ids if i in self.position]] = True
        return out

    def _logical(self, row: int) -> int:
        if not self._dead:
            return row
        if "logical" not in self._cache:
            self._cache["logical"] = np.cumsum(self.columns.alive) - 1
        return int(self._cache["logical"][row])


class OfferIndex(_Index):
    """Offers ready to rank for a need, with their funders' history."""

    _rows = ("encoded", "funder")

    @property
    def offers(self) -> list[OfferDoc]:
        return self.docs

    def _encode(self, docs: Sequence[OfferDoc]) -> dict[str, Any]:
        position = self.history.position if self.history is not None else {}
        return {
            "encoded": EncodedOffers(docs, self.encoder),
            "funder": np.array([position.get(o.funder_id, -1) for o in docs], dtype=np.int64),
        }

    def _derive(self, docs: Sequence[OfferDoc], fields: dict[str, Any]) -> dict[str, np.ndarray]:
        """What the fast path reads per offer, precomputed (same arithmetic as ``blocks``)."""
        encoded, funder = fields["encoded"], fields["funder"]
        if "_kinds" not in vars(self):
            self._kinds: dict[str, int] = {}
            self._mask_classes: dict[str, dict[int, int]] = {"gcm": {}, "capacity": {}}  # mask → class
            self._funder_live = np.zeros(self.history.size if self.history is not None else 0, dtype=np.int64)
        known = funder[funder >= 0]
        np.add.at(self._funder_live, known, 1)
        masks = encoded.theme_masks
        return {
            "funder": funder,
            "kind": np.array([self._kinds.setdefault(k, len(self._kinds)) for k in encoded.kind.tolist()], dtype=np.int32),
            "open": encoded.open,
            "deadline": encoded.deadline,
            "remaining": encoded.remaining,
            "min": encoded.min,
            "cap": np.fmin(encoded.remaining, encoded.max),
            "resources": encoded.resources,
            "global_": encoded.global_,
            "has_text": encoded.has_text,
            **{
                f"{name}_class": np.array([classes.setdefault(m, len(classes)) for m in masks[name].tolist()], dtype=np.int32)
                for name, classes in self._mask_classes.items()
            },
            **{
                f"{name}_{kind}": np.diff(encoded.themes[name].rows.indptr).astype(dtype)
                for name in ("sector", "category")
                for kind, dtype in (("size", np.float32), ("n", np.uint8))  # the count: as float, and small
            },
        }

    def _reset(self, docs: list, fields: dict[str, Any], columns: dict[str, np.ndarray] | None = None) -> None:
        if columns is None:
            vars(self).pop("_kinds", None)  # recounted from the rows kept
        super()._reset(docs, fields, columns)

    def _kill(self, row: int) -> None:
        super()._kill(row)
        funder = self.columns.funder[row]
        if funder >= 0:
            self._funder_live[funder] -= 1

    # -- the logical view's funders (general path) ----------------------------------------------

    def _link(self) -> tuple[np.ndarray | None, np.ndarray]:
        # History evidence is computed per funder: for all funders when the index holds
        # many offers, for just the offers' funders when it holds a few.
        if "link" not in self._cache:
            funder = self.funder
            known = np.unique(funder[funder >= 0])
            if self.history is not None and len(known) * 2 < self.history.size:
                self._cache["link"] = (known, np.searchsorted(known, funder))
            else:
                self._cache["link"] = (None, funder)
        return self._cache["link"]

    @property
    def funders(self) -> np.ndarray | None:
        return self._link()[0]

    @property
    def funder_column(self) -> np.ndarray:
        return self._link()[1]

    @property
    def kind(self) -> np.ndarray:
        return self.encoded.kind

    def surfaces(self, row: int, among: np.ndarray | None = None) -> dict[str, tuple[str, bool]]:
        """The glossary phrases of the offer at physical ``row`` (``text.concept_surfaces``;
        only for the concepts true in the boolean mask ``among``, when given)."""
        main_n = self._main_n
        segment = self._main if row < main_n else self._tail
        assert segment is not None  # a row past the main segment is in the tail
        encoded, local = segment["encoded"], row if row < main_n else row - main_n
        return surfaces_of(encoded.surfaces, local, doc_text(self._docs[row]), among)

    def terms(self, row: int) -> np.ndarray:
        """The hashed text terms of the offer at physical ``row``."""
        main_n = self._main_n
        segment = self._main if row < main_n else self._tail
        assert segment is not None  # a row past the main segment is in the tail
        return row_terms(segment["encoded"].text.rows, row if row < main_n else row - main_n)

    def mask_classes(self, name: str) -> np.ndarray:
        """The distinct masks of a theme (``gcm``, ``capacity``), by class: offers share few."""
        key = ("classes", name)
        if key not in self._cache:
            self._cache[key] = np.array(list(self._mask_classes[name]), dtype=np.uint64)
        return self._cache[key]

    def live_funders(self) -> np.ndarray | None:
        """``funders`` from the live counts, without building the view (fast path)."""
        if "live_funders" not in self._cache:
            known = np.flatnonzero(self._funder_live > 0)
            use = self.history is not None and len(known) * 2 < self.history.size
            self._cache["live_funders"] = known if use else None
        return self._cache["live_funders"]

    def mask(self, allowed_ids: Collection[DocId] | None = None, kinds: Collection[str] | None = None) -> np.ndarray:
        out = super().mask(allowed_ids)
        return out & np.isin(self.kind, list(kinds)) if kinds is not None else out

    def _warm(self) -> None:
        if self.size > _FEW:  # what ``MatchRanker.rank`` reads (see ``scan``)
            encoded = self._main["encoded"]
            for rows in (encoded.text, *encoded.themes.values(), *encoded.areas.values()):
                _ = rows.postings
            _ = encoded.text.dense_terms

    def kind_mask(self, kinds: Collection[str]) -> np.ndarray:
        """Physical rows whose funder kind is one of ``kinds``."""
        codes = [self._kinds[k] for k in kinds if k in self._kinds]
        return np.isin(self.columns.kind, np.array(codes, dtype=np.int32))


class NeedIndex(_Index):
    """Needs ready to rank for an offer, encoded against the funders' history."""

    _rows = ("encoded", "queries")

    @property
    def needs(self) -> list[NeedDoc]:
        return self.docs

    def _encode(self, docs: Sequence[NeedDoc]) -> dict[str, Any]:
        encoded = EncodedNeeds(docs, self.encoder)
        return {"encoded": encoded, "queries": self.history.queries(docs, encoded) if self.history is not None else None}

"""Needs and offers as arrays: the one representation every block and filter works on.

Sparse fields are kept as ``SparseRows`` (by row and, lazily, by column), so that one need
against 100k offers, one offer against all needs, or thousands of training needs against
all funders is the same product, always run from the small side through the big side's
inverted index (``cross``). Token sets (themes, geography) are feature-hashed, so both
sides land in the same columns without a shared vocabulary.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from functools import cached_property
from typing import Any, NamedTuple

import numpy as np
import scipy.sparse as sp
from sklearn.utils import murmurhash3_32

try:  # scipy's own kernel for a sparse column times a scalar, added into a dense vector
    from scipy.sparse._sparsetools import csc_matvec as _csc_matvec
except ImportError:  # pragma: no cover - a scipy without it: numpy does the same, slower
    _csc_matvec = None

from matchmaker.engine.documents import (
    CAPACITY_AREAS,
    RESOURCE_TYPES,
    NeedDoc,
    OfferDoc,
)
from matchmaker.engine.reference import (
    area_levels,
    country_areas,
    sector_category,
    sector_key,
)
from matchmaker.engine.text import (
    TextEncoder,
    analyze_with_surfaces,
    concept_vocabulary,
    fold,
)

THEMES = ("gcm", "capacity", "sector", "category")
SMALL_THEMES = ("gcm", "capacity")  # few values: bit masks, far faster than postings at 100k offers
AREAS = ("country", "subregion", "region")
NO_DEADLINE = np.iinfo(np.int32).max
TOKEN_SPACE = 2**18
_FEW = 256  # below this many rows, scanning them beats building their postings


class SparseRows:
    """A sparse matrix kept by rows, with its transpose (postings) built on first use.

    A ``transient`` one (a few rows taken for one query) is never worth its postings.
    """

    def __init__(self, rows: sp.csr_matrix, transient: bool = False) -> None:
        exact = type(rows) is sp.csr_matrix and rows.dtype == np.float32  # already one: no new object to check
        self.rows = rows if exact else sp.csr_matrix(rows, dtype=np.float32)
        self.transient = transient

    @cached_property
    def postings(self) -> sp.csr_matrix:
        return self.rows.T.tocsr()

    @cached_property
    def dense_terms(self) -> tuple[dict[int, int], np.ndarray]:
        """The commonest terms (see ``postings_dot``): term → row of a (terms, rows) float32 matrix."""
        postings = self.postings
        df = np.diff(postings.indptr)
        common = np.flatnonzero(df >= max(DENSE_SHARE * self.n, 1))
        common = np.sort(common[np.argsort(-df[common], kind="stable")[:DENSE_TERMS]])
        matrix = np.zeros((len(common), self.n), dtype=np.float32)
        for k, t in enumerate(common.tolist()):
            span = slice(postings.indptr[t], postings.indptr[t + 1])
            matrix[k, postings.indices[span]] = postings.data[span]
        return {t: k for k, t in enumerate(common.tolist())}, matrix

    @property
    def n(self) -> int:
        return self.rows.shape[0]

    def take(self, index: np.ndarray) -> SparseRows:
        return SparseRows(self.rows[index], transient=True)


def cross(left: SparseRows, right: SparseRows) -> np.ndarray:
    """Dense ``left @ right.T``, walking the bigger side's postings only for the smaller side's terms."""
    if left.n == 1:
        return one_dot(Row(left.rows.indices, left.rows.data), right)[None, :]
    if right.n == 1:
        return one_dot(Row(right.rows.indices, right.rows.data), left)[:, None]
    if left.n <= right.n:
        return (left.rows @ right.postings).toarray()
    return (right.rows @ left.postings).toarray().T


def one_dot(query: Row, index: SparseRows) -> np.ndarray:
    """The text kernel: one query row (sorted terms) against every row of ``index``.

    Every way of taking it adds the query's terms one after the other into each row's
    float32 sum, so the matrix path (``cross``), the one-need scan and the history give
    the same numbers bit for bit: through the postings of a big index, row by row for a
    few (or transient) rows.
    """
    if through_postings(index):
        return postings_dot(query, index)
    return rows_dot(query, index.rows)


def through_postings(rows: SparseRows) -> bool:
    """Whether one query against ``rows`` goes through their postings (float32 running sums)."""
    return "postings" in vars(rows) or (rows.n > _FEW and not rows.transient)


def rows_dot(query: sp.csr_matrix | Row, rows: sp.csr_matrix) -> np.ndarray:
    """Dot product of one row (sorted indices) with each row of ``rows``, on the raw CSR arrays."""
    return arrays_dot(query.indices, query.data, rows.indptr, rows.indices, rows.data)


def arrays_dot(terms: np.ndarray, weights: np.ndarray, indptr: np.ndarray, indices: np.ndarray, data: np.ndarray) -> np.ndarray:
    """``rows_dot`` on the arrays of a query (sorted terms) and of some CSR rows (sorted indices).

    Each row's products are added in float32 in the order of its terms, which is the order
    the postings of the query's terms are walked in: the postings product, bit for bit.
    """
    n = len(indptr) - 1
    if not len(terms) or not len(indices):
        return np.zeros(n, dtype=np.float32)
    position, found = _find(terms, indices)
    hits = np.flatnonzero(found)
    if not len(hits):
        return np.zeros(n, dtype=np.float32)
    products = weights[position[hits]].astype(np.float32, copy=False) * data[hits].astype(np.float32, copy=False)
    owner = np.searchsorted(indptr, hits, side="right") - 1
    first = np.searchsorted(owner, np.arange(n))  # first hit of each row
    rank = np.arange(len(hits)) - first[owner]
    block = np.zeros((int(rank.max()) + 1, n), dtype=np.float32)
    block[rank, owner] = products
    return np.cumsum(block, axis=0)[-1]  # a running sum down the terms: sequential, as the postings product


_SLOTS = 2**14


def _find(terms: np.ndarray, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(position in ``terms`` of each index, whether it is there at all): ``terms`` sorted, few.

    Many indices go through a hash table of the terms (a branch-free lookup), when some
    bits of the terms tell them apart; else, and for few indices, a binary search.
    """
    if len(indices) > 2048 and len(terms) < _SLOTS // 16:
        for shift in (0, 3, 6, 9):
            slots = (terms >> shift) & (_SLOTS - 1)
            if len(np.unique(slots)) == len(slots):
                held = np.full(_SLOTS, -1, dtype=terms.dtype)
                held[slots] = terms
                where = np.zeros(_SLOTS, dtype=np.int32)
                where[slots] = np.arange(len(terms))
                slot = (indices >> shift) & (_SLOTS - 1)
                return where[slot], held[slot] == indices
    position = np.minimum(np.searchsorted(terms, indices), len(terms) - 1)
    return position, terms[position] == indices


class Row(NamedTuple):
    """One sparse row as arrays (sorted ``indices``): what a query needs of a CSR row."""

    indices: np.ndarray
    data: np.ndarray

    @property
    def nnz(self) -> int:
        return len(self.indices)


def hashed_tokens(tokens: Iterable[str]) -> np.ndarray:
    """The columns ``token_rows`` gives one token set, sorted."""
    return np.array(sorted({murmurhash3_32(t, positive=True) % TOKEN_SPACE for t in tokens}), dtype=np.int32)


DENSE_SHARE = 0.2  # a term in a fifth of the rows or more ...
DENSE_TERMS = 32  # ... is also held as a dense column (the commonest ones: at most 128 bytes a row)
_BIG = 1024  # rows from which ``postings_dot`` pays for its dense columns


def postings_dot(query: sp.csr_matrix | Row, rows: SparseRows) -> np.ndarray:
    """``_postings_dot(query, rows.postings)`` bit for bit, with less memory traffic.

    That product adds the query's terms one after the other into each row's float32 sum.
    So does this loop, but a common term (whose postings span much of the index) adds its
    dense column, zero where the term is absent, which leaves those sums as they were; a
    rare one adds its postings in place.
    """
    if rows.n < _BIG or not query.nnz:
        return _postings_dot(query, rows.postings)
    postings = rows.postings
    dense, matrix = rows.dense_terms
    indices, data, terms = postings.indices, postings.data, query.indices
    starts, ends = postings.indptr[terms].tolist(), postings.indptr[terms + 1].tolist()
    n = rows.n
    out, scratch = np.zeros(n, dtype=np.float32), None
    span, scale = np.zeros(2, dtype=indices.dtype), np.zeros(1, dtype=data.dtype)  # one CSC column, its factor
    for t, weight, start, end in zip(terms.tolist(), query.data.tolist(), starts, ends):
        k = dense.get(t)
        if k is not None:
            scratch = np.multiply(matrix[k], data.dtype.type(weight), out=scratch)
            out += scratch
            continue
        if start == end:
            continue
        if _csc_matvec is not None:  # scipy's kernel: out += column * weight, in C
            span[1], scale[0] = end - start, weight
            _csc_matvec(n, 1, span, indices[start:end], data[start:end], scale, out)
        else:
            np.add.at(out, indices[start:end], data[start:end] * data.dtype.type(weight))
    return out


def _postings_dot(query: sp.csr_matrix, postings: sp.csr_matrix) -> np.ndarray:
    """One row against an inverted index: the postings of the row's terms, weighted and summed."""
    if not query.nnz:
        return np.zeros(postings.shape[1], dtype=np.float32)
    return np.asarray(postings[query.indices].T @ query.data, dtype=np.float32)


def token_rows(token_sets: Iterable[Iterable[str]]) -> SparseRows:
    """Binary rows of hashed tokens, one row per set (built directly: this runs per query)."""
    rows = [sorted({murmurhash3_32(t, positive=True) % TOKEN_SPACE for t in tokens}) for tokens in token_sets]
    indptr = np.cumsum([0] + [len(r) for r in rows])
    indices = np.fromiter((i for r in rows for i in r), dtype=np.int32, count=int(indptr[-1]))
    data = np.ones(len(indices), dtype=np.float32)
    return SparseRows(sp.csr_matrix((data, indices, indptr), shape=(len(rows), TOKEN_SPACE)))


def _days(value: date | None) -> int:
    return value.toordinal() if value is not None else NO_DEADLINE


def _resource_mask(resource_types: Iterable[str]) -> int:
    return sum(1 << RESOURCE_TYPES.index(r) for r in resource_types if r in RESOURCE_TYPES)


def _bit(value: str, known: Sequence[str]) -> int:
    """Bit of a small-vocabulary value: its place in ``known``, else a hashed spare bit."""
    if value in known:
        return known.index(value)
    return len(known) + murmurhash3_32(value, positive=True) % (64 - len(known))


_GCM = tuple(str(g) for g in range(1, 24))


def theme_masks(tokens: Iterable[dict[str, list[str]]]) -> dict[str, np.ndarray]:
    """GCM objectives and capacity areas as 64-bit masks, one per document."""
    tokens = list(tokens)
    return {
        name: np.array([sum({1 << _bit(v, known) for v in t[name]}) for t in tokens], dtype=np.uint64)
        for name, known in (("gcm", _GCM), ("capacity", CAPACITY_AREAS))
    }


def _amount(value: float | None) -> float:
    return np.nan if value is None else float(value)


def doc_text(doc: NeedDoc | OfferDoc) -> str:
    return f"{doc.title}\n{doc.description}".strip()


def theme_tokens(doc: NeedDoc | OfferDoc) -> dict[str, list[str]]:
    sectors = [sector_key(s) for s in doc.sectors]
    return {
        "gcm": [str(g) for g in doc.gcm_objectives],
        "capacity": list(doc.capacity_areas),
        "sector": sectors,
        "category": [c for c in map(sector_category, sectors) if c],
    }


def split_areas(names: Iterable[str]) -> dict[str, list[str]]:
    """M49 area names sorted into regions and sub-regions (unknown names are dropped)."""
    out: dict[str, list[str]] = {"region": [], "subregion": []}
    for name in names:
        level = area_levels().get(fold(name.strip()))
        if level:
            out[level].append(fold(name.strip()))
    return out


def need_areas(need: NeedDoc) -> dict[str, list[str]]:
    """Country, sub-region and region tokens a need lies in."""
    areas = split_areas(need.regions)
    for code in need.countries:
        region, subregions = country_areas(code)
        areas["region"] += [fold(region)] if region else []
        areas["subregion"] += [fold(s) for s in subregions]
    return {"country": [c.upper() for c in need.countries], **areas}


def offer_areas(offer: OfferDoc) -> dict[str, list[str]]:
    """Country, sub-region and region tokens an offer declares (a diaspora's origin counts)."""
    countries = [c.upper() for c in offer.countries]
    if offer.funder_kind == "diaspora_organisation" and offer.funder_country:
        countries.append(offer.funder_country.upper())
    return {"country": countries, **split_areas(offer.regions)}


class Encoded:
    """Fields shared by encoded needs and offers."""

    def __init__(
        self, docs: Sequence[NeedDoc | OfferDoc], encoder: TextEncoder, areas: list[dict[str, list[str]]],
        surfaces: bool = False,
    ):
        self.ids = [doc.id for doc in docs]
        texts = [doc_text(doc) for doc in docs]
        if surfaces:  # analysed once for both the counts and the explanations' phrases
            self.counts = SparseRows(encoder.counts_of_tokens(self._analysed(texts)))
        else:
            self.counts = SparseRows(encoder.counts(texts))
        self.text = SparseRows(encoder.weight(self.counts.rows))
        self.has_text = np.array([bool(t) for t in texts], dtype=bool)
        themes = [theme_tokens(doc) for doc in docs]
        self.themes = {name: token_rows(t[name] for t in themes) for name in THEMES if name not in SMALL_THEMES}
        self.theme_masks = theme_masks(themes)
        self.areas = {level: token_rows(a[level] for a in areas) for level in AREAS}
        self.resources = np.array([_resource_mask(doc.resource_types) for doc in docs], dtype=np.uint8)
        self.deadline = np.array([_days(doc.deadline) for doc in docs], dtype=np.int64)
        self.language = [doc.language for doc in docs]

    @property
    def n(self) -> int:
        return len(self.ids)

    def _analysed(self, texts: list[str]) -> Iterator[list[str]]:
        """Each text's ``analyze`` tokens; sets ``surfaces`` on the way (see ``surface_rows``)."""
        ids = concept_vocabulary()[0]
        indptr, indices, data = [0], [], []
        for text in texts:
            tokens, surfaces = analyze_with_surfaces(text)
            for concept, (start, end, own) in surfaces.items():
                indices.append(ids[concept])
                data.append((start << 32) | (end << 1) | own)
            indptr.append(len(indices))
            yield tokens
        self.surfaces = sp.csr_matrix(
            (np.array(data, dtype=np.int64), np.array(indices, dtype=np.int32), np.array(indptr, dtype=np.int64)),
            shape=(len(texts), len(concept_vocabulary()[1])),
        )


def row_terms(rows: sp.csr_matrix, row: int) -> np.ndarray:
    """The columns (hashed terms) of one row of ``rows``."""
    return rows.indices[rows.indptr[row] : rows.indptr[row + 1]]


def surfaces_of(
    surfaces: sp.csr_matrix, row: int, text: str, among: np.ndarray | None = None
) -> dict[str, tuple[str, bool]]:
    """``concept_surfaces(text)`` of an encoded offer, from its row of ``Encoded.surfaces``
    (only the concepts whose ids are true in the boolean mask ``among``, when given)."""
    concepts = concept_vocabulary()[1]
    span = slice(surfaces.indptr[row], surfaces.indptr[row + 1])
    ids, packed = surfaces.indices[span], surfaces.data[span]
    if among is not None:
        keep = among[ids]
        ids, packed = ids[keep], packed[keep]
    return {
        concepts[c]: (text[p >> 32 : (p & 0xFFFFFFFF) >> 1], bool(p & 1))
        for c, p in zip(ids.tolist(), packed.tolist())
    }


class EncodedNeeds(Encoded):
    def __init__(self, needs: Sequence[NeedDoc], encoder: TextEncoder) -> None:
        self.areas_lists = [need_areas(need) for need in needs]
        super().__init__(needs, encoder, self.areas_lists)
        self.amount = np.array([_amount(need.amount_usd) for need in needs], dtype=np.float64)


class EncodedOffers(Encoded):
    def __init__(self, offers: Sequence[OfferDoc], encoder: TextEncoder) -> None:
        super().__init__(offers, encoder, [offer_areas(offer) for offer in offers], surfaces=True)
        self.funder_ids = [offer.funder_id for offer in offers]
        self.kind = np.array([offer.funder_kind for offer in offers], dtype=object)
        self.global_ = np.array([offer.global_ for offer in offers], dtype=bool)
        self.open = np.array([offer.status == "open" for offer in offers], dtype=bool)
        self.remaining = np.array([_amount(offer.remaining_usd) for offer in offers], dtype=np.float64)
        self.min = np.array([_amount(offer.min_usd) for offer in offers], dtype=np.float64)
        self.max = np.array([_amount(offer.max_usd) for offer in offers], dtype=np.float64)


def stack(parts: Sequence[Any]) -> Any:
    """Concatenate encoded parts row-wise (encoded docs, history queries, or their fields)."""
    first = parts[0]
    if first is None:
        return None
    if isinstance(first, SparseRows):  # an index grown by upsert: worth postings again
        return SparseRows(sp.vstack([p.rows for p in parts], format="csr"))
    if isinstance(first, sp.spmatrix | sp.sparray):
        return sp.vstack(parts, format="csr")
    if isinstance(first, np.ndarray):
        return np.concatenate(parts)
    if isinstance(first, list):
        return [item for part in parts for item in part]
    if isinstance(first, dict):
        return {key: stack([p[key] for p in parts]) for key in first}
    if isinstance(first, tuple):  # NamedTuple
        return type(first)(*(stack(column) for column in zip(*parts)))
    out = object.__new__(type(first))
    out.__dict__.update({key: stack([vars(p)[key] for p in parts]) for key in vars(first)})
    return out


def take(value: Any, rows: np.ndarray) -> Any:
    """The given rows of an encoded object (same kinds as ``stack``)."""
    if value is None:
        return None
    if isinstance(value, SparseRows):
        return value.take(rows)
    if isinstance(value, sp.spmatrix | sp.sparray | np.ndarray):
        return value[rows]
    if isinstance(value, list):
        return [value[i] for i in rows]
    if isinstance(value, dict):
        return {key: take(v, rows) for key, v in value.items()}
    if isinstance(value, tuple):
        return type(value)(*(take(v, rows) for v in value))
    out = object.__new__(type(value))
    out.__dict__.update({key: take(v, rows) for key, v in vars(value).items()})
    return out

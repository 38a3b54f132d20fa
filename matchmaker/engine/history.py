"""Evidence from a funder's funding history: what it funded, where, how much, how lately.

Built once per set of funding records, per funder (not per offer): an index of 100k offers
from 5k funders computes these 5k rows once per need and gathers them for the offers.

- ``h_text``: BM25 of the need's text over the funder's profile (all its record texts),
  divided by the most the need's terms could score, so it lies in [0, 1];
- ``h_similar``: cosine of the need to the funder's single most similar past record;
- ``h_country`` … ``h_scope``: the funder's (smoothed) share of records in the need's
  country, sub-region, region, DAC sectors and categories, language, amount band, title
  length band, short note, round amount, title form, title opening, pegged currency and
  scope (how many countries and sectors),
  recent records weighing more (``HALF_LIFE_YEARS``), on a log scale: adding these up is
  adding log-likelihoods, as naive Bayes does. Title length, a short repeated description
  ("Multiyear", "Rapid response"), how round the amounts are (a funder paying in dollars
  pays round sums, one converting from its own currency does not, and one paying round
  sums in a currency pegged to the dollar shows it through the peg: 100,000 Qatari riyals
  are 27,397 dollars), how titles are written (a year, codes, acronyms, brackets) and the
  word they open with ("Providing", "Contribution", "HAC-") and how many countries and
  sectors a record names are a funder's reporting style: its records share them whatever the topic, so they tell funders apart when the
  words of a new need are new to all;
- ``h_name``: how much of the funder's name the need's words carry, each word of the
  name weighted by its rarity among names and titles ("Sweden contribution to OCHA");
- ``h_recency``: share of its records in the history's last years; ``h_volume``: its share
  of all records (how active it is at all).
"""

from __future__ import annotations

import math
import re
from array import array
from collections import Counter
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any, NamedTuple

import numpy as np
import scipy.sparse as sp

from matchmaker.engine.blocks import Evidence
from matchmaker.engine.documents import FundingRecord, NeedDoc, OfferDoc, record_to_need
from matchmaker.engine.encoding import (
    EncodedNeeds,
    Row,
    SparseRows,
    arrays_dot,
    cross,
    need_areas,
    theme_tokens,
)
from matchmaker.engine.reference import dollar_pegs, sector_key, sector_label
from matchmaker.engine.text import CONCEPT, STOPWORDS, TextEncoder, _hashed, analyze, concept_vocabulary, fold

ATTRIBUTES = ("country", "subregion", "region", "sector", "category", "language", "amount", "length", "note", "round", "form",
              "opening", "currency", "scope")
# Looked up like the attributes, but summed: the need's words that name a funder (see ``_names``).
LOOKUPS = (*ATTRIBUTES, "name")
HISTORY_FEATURES = ("h_text", "h_similar", *(f"h_{a}" for a in LOOKUPS), "h_recency", "h_volume")

_WORDS = re.compile(r"[^\W_]+")
SHARE_DEPTH = 4.0  # shares span four decades: 1e-4 or less scores 0, a share of 1 scores 1
SMOOTHING = 1.0  # one pseudo-record spread like the whole history, so unseen is unlikely, not impossible
RECENT_YEARS = 3
# A record counts half as much in a funder's shares for each year it is older than the
# history's last year: what a funder funds and where drifts, and a new need is of now.
HALF_LIFE_YEARS = 1.0
BM25_K1, BM25_B = 1.5, 0.75  # profiles are long: a slower saturation suits them
_CHUNK = 2**22  # cells of need × record similarities held at once


#: (low, high) of a feature's values, learned when fitting: see ``stretch``.
Spread = tuple[float, float]


def stretch(values: Any, spread: Spread) -> np.ndarray:
    """Values mapped linearly so that ``spread`` becomes [0, 1], clipped. A feature whose
    values crowd together (most funders' shares of an amount band are near 0.9) then spans
    the same range as the others, so that its weight alone says how much it counts."""
    low, high = spread
    return np.clip((np.asarray(values, dtype=np.float32) - low) / (high - low), 0, 1).astype(np.float32)


def log_share(p: np.ndarray) -> np.ndarray:
    return np.clip(1 + np.log10(np.maximum(p, 1e-30)) / SHARE_DEPTH, 0, 1).astype(np.float32)


def amount_band(amount: float | None) -> int | None:
    """Half-decade band of a USD amount (a factor of ~3.2 per band)."""
    return None if amount is None or not amount > 0 else int(np.floor(np.log10(max(amount, 1.0)) * 2))


_BANDS = ("amount", "length")
_HELD = ("country", "subregion", "region", "sector")
_NO_RECORDS = np.zeros(0, dtype=np.int32)  # what an explanation asks of single records  # ordered bands: a record also counts half in its neighbours
NOTE_WORDS = 6  # a description this short is a note a funder repeats, not a text


def length_band(title: str) -> int | None:
    """Half-octave band of a title's length in words (1, 2, 3, 4-5, 6-7, 8-11, ...)."""
    words = len(title.split())
    return int(np.floor(np.log2(words + 1) * 2)) if words else None


def round_digits(amount: float | None) -> int | None:
    """Significant digits of a whole amount (1 for 500000, 5 for 82192 or more): a funder
    that pays round sums in dollars shows it, one converting from its own currency does not."""
    if amount is None or not amount >= 1:
        return None
    return min(len(str(int(round(amount))).rstrip("0")), 5)


@lru_cache(maxsize=1)
def _dollar_pegs() -> tuple[np.ndarray, np.ndarray]:
    """(currencies, units per dollar) of the currencies pegged to the US dollar, each also at
    the neighbouring rates of three significant digits: publishers convert at operational
    rates a unit off the peg in the third digit (3.65 Qatari riyals, pegged at 3.64)."""
    codes, rates = [], []
    for code, rate in dollar_pegs().items():
        step = 10.0 ** (math.floor(math.log10(rate)) - 2)
        for near in sorted({rate} | {round((round(rate / step) + d) * step, 10) for d in (-1, 0, 1)}):
            codes.append(code)
            rates.append(near)
    return np.array(codes), np.array(rates)


@lru_cache(maxsize=2**16)  # sibling records repeat their amounts
def _pegged(amount: float) -> tuple[str, ...]:
    # A sum of two significant digits in the currency, to within the dollar it was rounded to.
    codes, rates = _dollar_pegs()
    values = amount * rates
    units = 10.0 ** (np.floor(np.log10(np.maximum(values, 1.0))) - 1)
    round_ = (np.abs(values - np.round(values / units) * units) <= 0.5 * rates + 0.5) & (values >= 100)
    return tuple(sorted(set(codes[round_].tolist())))


def pegged_currencies(amount: float | None) -> list[str]:
    """The dollar-pegged currencies in which a dollar amount is a round sum, when it is not
    one in dollars: the currency a funder converted from."""
    if amount is None or not amount >= 1 or (round_digits(amount) or 0) <= 2:
        return []
    return list(_pegged(amount))


def record_scope(need: NeedDoc) -> str:
    """How many countries and sectors a record names, each counted up to three or more
    (``1c2s``): some funders report one country and sector at a time, others pool a region
    or a cluster."""
    return f"{min(len(need.countries), 3)}c{min(len(need.sectors), 3)}s"


def opening_word(title: str) -> list[str]:
    """The title's first word, folded: funders open their titles their own way."""
    return fold(title).split()[:1]


_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_ACRONYM = re.compile(r"\b[A-Z]{2,}\b")
_DASH = re.compile(r"\s[-–]\s|\w-\w")


@lru_cache(maxsize=2**16)  # sibling records repeat their titles
def title_form(title: str) -> tuple[str, ...]:
    """How a title is written, whatever it says: a year, other digits, acronyms, brackets,
    dashes, colons, and its case: every word capitalised, only the first (``sentence``) or
    none (``lower``) (``plain``: none of these)."""
    words = title.split()
    if not words:
        return ()
    forms = []
    if any(c.isdigit() for c in title):  # (the cheap tests first: most titles have none of these)
        undated = _YEAR.sub("", title)
        forms += ["year"] if len(undated) < len(title) else []
        forms += ["digits"] if any(c.isdigit() for c in undated) else []
    if not title.islower() and _ACRONYM.search(title):
        forms.append("acronym")
    forms += ["bracket"] if "(" in title or "[" in title else []
    forms += ["dash"] if ("-" in title or "–" in title) and _DASH.search(title) else []
    forms += ["colon"] if ":" in title or "|" in title else []
    if len(words) > 1 and all(w[:1].isupper() for w in words if w[:1].isalpha()):
        forms.append("capitals")
    elif len(words) > 1 and all(w[:1].islower() for w in words[1:] if w[:1].isalpha()):
        forms.append("lower" if title.islower() else "sentence")
    return tuple(forms) or ("plain",)


def short_note(description: str) -> str | None:
    """A short description, folded (a funder's repeated note), or ``None`` for a real text."""
    words = fold(description).split()
    return " ".join(words) if 0 < len(words) <= NOTE_WORDS else None


def need_attributes(
    need: NeedDoc, areas: dict[str, list[str]] | None = None, themes: dict[str, list[str]] | None = None
) -> dict[str, list[str]]:
    """The need's tokens for each attribute whose share a funder's history gives
    (``areas`` and ``themes``: its ``need_areas`` and ``theme_tokens``, when at hand)."""
    band, length, note = amount_band(need.amount_usd), length_band(need.title), short_note(need.description)
    themes = theme_tokens(need) if themes is None else themes
    return {
        **(need_areas(need) if areas is None else areas),
        "sector": themes["sector"],
        "category": themes["category"],
        "language": [need.language] if need.language else [],
        "amount": [str(band)] if band is not None else [],
        "length": [str(length)] if length is not None else [],
        "note": [note] if note is not None else [],
        "round": [str(r)] if (r := round_digits(need.amount_usd)) is not None else [],
        "form": list(title_form(need.title)),
        "opening": opening_word(need.title),
        "currency": pegged_currencies(need.amount_usd),
        "scope": [record_scope(need)],
    }


def declared_offer(funder_id: str, records: Sequence[FundingRecord], words: int = 12) -> OfferDoc:
    """What a funder with no history on the platform would declare of itself, derived from
    records it is never credited with: its main sectors and countries, a typical amount,
    and a short text (the names of its main sectors and the words its records use most).

    The new-funder protocol of ``evaluate`` describes hidden funders so, and ``MatchRanker.fit``
    hides some funders of its training folds behind such offers, so that the weights of
    declared evidence are learned against those of history.
    """
    n = max(len(records), 1)
    sectors = Counter(s for r in records for s in r.sectors)
    countries = Counter(c for r in records for c in r.countries)
    main_sectors = [s for s, k in sectors.most_common(5) if k / n >= 0.05]
    main_countries = [c for c, k in countries.most_common(30) if k / n >= 0.02]
    counts = Counter(w for r in records for w in sorted(set(_WORDS.findall(fold(f"{r.title} {r.description}")))) if _content(w))
    keywords = [w for w, _ in counts.most_common(words)]
    amounts = [r.amount_usd for r in records if r.amount_usd]
    return OfferDoc(
        id=funder_id, funder_id=funder_id, title="; ".join(sector_label(sector_key(s)) for s in main_sectors[:3]),
        description=" ".join(keywords), sectors=tuple(main_sectors), countries=tuple(main_countries),
        global_=not main_countries, resource_types=("financial",),
        max_usd=float(np.percentile(amounts, 90)) if amounts else None,
    )


def _content(word: str) -> bool:
    return len(word) > 2 and word not in STOPWORDS and not word.isdigit()


class RecordTokens(NamedTuple):
    """One attribute's tokens over all records, as flat (record, token) pairs: the token's id
    in ``ids`` (in order of first sight), each record's tokens once, records in order."""

    ids: dict[str, int]
    records: array[int]
    tokens: array[int]


def _record_tokens(records: Sequence[FundingRecord]) -> dict[str, RecordTokens]:
    """Every record's ``need_attributes``, gathered per attribute as they are read, so that a
    big history never holds a dictionary of lists per record."""
    out = {attr: RecordTokens({}, array("q"), array("q")) for attr in ATTRIBUTES}
    for i, record in enumerate(records):
        tokens = need_attributes(record_to_need(record))
        for attr, found in out.items():
            for token in set(tokens[attr]):
                found.records.append(i)
                found.tokens.append(found.ids.setdefault(token, len(found.ids)))
    return out


class HistoryQueries(NamedTuple):
    """Needs encoded against one history's vocabularies (many for the matrix path, one for the scan)."""

    terms: SparseRows
    text: SparseRows
    bm25_max: np.ndarray
    #: Each need's looked-up tokens of every lookup, side by side (``FunderHistory.offsets``).
    lookups: sp.csr_matrix
    has: dict[str, np.ndarray]
    tokens: list[dict[str, list[str]]]


def _lookup(tokens: dict[str, list[str]], attr: str, terms: list[int]) -> list[Any]:
    """What of a need is looked up in a history's ``attr`` vocabulary: its ``need_attributes``
    tokens, or for names its hashed text terms."""
    return terms if attr == "name" else tokens[attr]


def _share(count: int, attr: str) -> float:
    """Each looked-up token's part: the mean over several countries or sectors, the sum of name words."""
    return 1.0 if attr == "name" else 1 / max(count, 1)


def looked_up(rows: sp.csr_matrix, offset: int, table: np.ndarray, columns: slice | np.ndarray) -> np.ndarray:
    """``rows[:, offset:offset + len(table)] @ table[:, columns]``: each need's looked-up
    tokens' rows of a (tokens, funders) table, scaled by their part and added in order, in
    float32. One need (the scan) adds its few rows of the table itself rather than slice
    its row and copy the table's columns: the same sums."""
    if rows.shape[0] != 1:
        return np.asarray(rows[:, offset : offset + len(table)] @ table[:, columns])
    start, stop = np.searchsorted(rows.indices, (offset, offset + len(table)))
    values = np.zeros(table.shape[1] if isinstance(columns, slice) else len(columns), dtype=np.float32)
    for row, weight in zip((rows.indices[start:stop] - offset).tolist(), rows.data[start:stop]):
        values += weight * table[row, columns]
    return values[None, :]


def _bm25_share(scores: Any, bm25_max: np.ndarray) -> Any:
    """BM25 of the needs (rows) over funders' profiles, as a share of the most each need's
    terms could score: in [0, 1], 0 for a need without terms."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.nan_to_num(scores / bm25_max[:, None])


class FunderHistory:
    """Per-funder aggregates of funding records, and the history evidence they give."""

    def __init__(self, records: Sequence[FundingRecord], encoder: TextEncoder) -> None:
        records = sorted(records, key=lambda r: r.funder_id)
        funder_of = np.array([r.funder_id for r in records], dtype=object)
        self.funder_ids, self.starts, owner = np.unique(funder_of, return_index=True, return_inverse=True)
        self.funder_ids = self.funder_ids.tolist()
        self.position = {funder: i for i, funder in enumerate(self.funder_ids)}
        self.names = {r.funder_id: r.funder_name for r in records}
        self.titles = [r.title for r in records]
        self.n = np.bincount(owner, minlength=len(self.funder_ids)).astype(np.float32)
        self.years = np.array([r.year or 0 for r in records])
        self.amounts = np.array([np.nan if r.amount_usd is None else r.amount_usd for r in records])
        known = self.years > 0
        self.has_years = bool(known.any())
        self.last_year = int(self.years.max()) if self.has_years else None
        self.recent = known & (self.years > (self.last_year or 0) - RECENT_YEARS)
        # Undated records count fully, as when no record is dated.
        self.weight = np.where(known, 0.5 ** (((self.last_year or 0) - self.years) / HALF_LIFE_YEARS), 1.0)
        self.weighted_n = np.bincount(owner, weights=self.weight, minlength=len(self.funder_ids))
        self._aggregate(owner, _record_tokens(records))
        counts = self._text(owner, encoder, [f"{r.title}\n{r.description}".strip() for r in records])
        self._names(encoder, counts)
        self._activity(owner)
        # Every lookup's tokens side by side, so that a need's looked-up tokens are one sparse row.
        sizes = np.array([len(self.vocab[attr]) for attr in LOOKUPS])
        self.offsets = dict(zip(LOOKUPS, np.concatenate([[0], np.cumsum(sizes)]).tolist()))
        self.lookup_width = int(sizes.sum())

    @property
    def size(self) -> int:
        return len(self.funder_ids)

    def _aggregate(self, owner: np.ndarray, tokens: dict[str, RecordTokens]) -> None:
        self.vocab: dict[str, dict[Any, int]] = {}  # (a name's words are hashed terms)
        self.counts, self.scores, self.first_year = {}, {}, {}
        self.held: dict[str, sp.csr_matrix] = {}  # records × tokens, for ``matching``
        for attr in ATTRIBUTES:
            found = tokens[attr]
            ordered = sorted(found.ids)
            vocab = {t: i for i, t in enumerate(ordered)}
            column = np.empty(len(ordered), dtype=np.int64)  # of each token, by first sight
            column[[found.ids[t] for t in ordered]] = np.arange(len(ordered))
            record = np.frombuffer(found.records, dtype=np.int64)
            token = column[np.frombuffer(found.tokens, dtype=np.int64)]
            if attr in _BANDS:  # a record also counts half in the next bands, when they are known
                band = np.array([int(t) for t in ordered], dtype=np.int64)
                shifted = [np.array([vocab.get(str(b + d), -1) for b in band.tolist()], dtype=np.int64)
                           for d in (0, -1, 1)]
                cols = np.stack([s[token] for s in shifted], axis=1).ravel()  # each pair's three bands in turn
                spread = np.tile(np.array([1.0, 0.5, 0.5], dtype=np.float32), len(token))
                keep = cols >= 0
                rows_a, cols, weights = np.repeat(record, 3)[keep], cols[keep], spread[keep]
            else:
                rows_a, cols, weights = record, token, np.ones(len(token), dtype=np.float32)
            cells = (owner[rows_a], cols)
            shape = (self.size, len(vocab))
            counts = sp.coo_matrix((weights, cells), shape).toarray()  # (sums repeats)
            overall = counts.sum(axis=0) / max(counts.sum(), 1.0)
            recent = sp.coo_matrix((weights.astype(np.float64) * self.weight[rows_a], cells), shape).toarray()
            shares = (recent + SMOOTHING * overall) / (self.weighted_n[:, None] + SMOOTHING)
            self.vocab[attr], self.counts[attr] = vocab, counts
            self.scores[attr] = np.ascontiguousarray(log_share(shares).T)  # tokens × funders: a need reads rows
            first = np.full(counts.shape, 9999, dtype=np.int32)
            known = self.years[rows_a] > 0
            np.minimum.at(first, (owner[rows_a][known], cols[known]), self.years[rows_a][known])
            self.first_year[attr] = first
            if attr in _HELD:
                own = weights == 1  # (bands spread to neighbours; these do not)
                self.held[attr] = sp.csr_matrix(
                    (np.ones(int(own.sum()), dtype=bool), (rows_a[own], cols[own])), shape=(len(owner), len(vocab)))

    def _names(self, encoder: TextEncoder, counts: sp.csr_matrix) -> None:
        """Each funder's name as words a need may cite ("Sweden contribution to OCHA"), by
        their hashed terms: a word weighs by how few funders' names and how few records' texts
        (``counts``) hold it, so "Sweden" says much and "government" or "humanitarian"
        little; a funder's score for a need is the share of its name's weight that the
        need's words carry."""
        names = [{_hashed(t, encoder.n_features) for t in analyze(self.names[f]) if not t.startswith(CONCEPT)}
                 for f in self.funder_ids]
        terms = np.array(sorted(set().union(*names)), dtype=np.int64)
        vocab = {int(t): i for i, t in enumerate(terms)}
        in_names = np.zeros(len(vocab))
        for name in names:
            in_names[[vocab[t] for t in name]] += 1
        in_texts = np.bincount(counts.indices, minlength=counts.shape[1])[terms]
        weight = np.log1p(self.size / np.maximum(in_names, 1)) * np.log1p(counts.shape[0] / (1 + in_texts))
        scores = np.zeros((len(vocab), self.size), dtype=np.float32)
        for funder, name in enumerate(names):
            rows = [vocab[t] for t in name]
            scores[rows, funder] = weight[rows] / max(weight[rows].sum(), 1e-9)
        self.vocab["name"], self.scores["name"] = vocab, scores

    def _text(self, owner: np.ndarray, encoder: TextEncoder, texts: list[str]) -> sp.csr_matrix:
        """The records' text rows and the funders' BM25 profiles; returns the records' term counts."""
        counts = encoder.counts(texts)
        self.records_text = SparseRows(encoder.weight(counts))
        membership = sp.csr_matrix((np.ones(len(owner)), (owner, np.arange(len(owner)))), shape=(self.size, len(owner)))
        profiles = (membership @ counts).tocsr()
        profiles.sort_indices()  # a profile can be the one query row of ``cross``: sorted terms
        df = np.bincount(profiles.indices, minlength=profiles.shape[1])
        # Okapi IDF, floored as in rank_bm25: a term most funders use still says a little.
        raw = np.log((self.size - df + 0.5) / (df + 0.5))
        seen = df > 0
        floor = max(0.25 * raw[seen].mean(), 0.0) if seen.any() else 0.0
        self.idf = np.where(seen, np.where(raw < 0, floor, raw), 0).astype(np.float32)
        lengths = np.asarray(profiles.sum(axis=1)).ravel()
        norm = BM25_K1 * (1 - BM25_B + BM25_B * lengths / max(lengths.mean(), 1.0))
        tf = profiles.data
        profiles.data = self.idf[profiles.indices] * tf * (BM25_K1 + 1) / (tf + np.repeat(norm, np.diff(profiles.indptr)))
        self.profiles = SparseRows(profiles)
        return counts

    def _activity(self, owner: np.ndarray) -> None:
        known, recent = self.years > 0, self.recent
        n_known = np.bincount(owner[known], minlength=self.size)
        n_recent = np.bincount(owner[recent], minlength=self.size)
        overall = recent.sum() / max(known.sum(), 1)
        self.recency = log_share((n_recent + SMOOTHING * overall) / (n_known + SMOOTHING))
        self.volume = log_share(self.n / self.n.sum())
        self.amount_quartiles = np.zeros((self.size, 2))
        for funder in range(self.size):
            amounts = self.amounts[self._span(funder)]
            amounts = amounts[~np.isnan(amounts)]
            if amounts.size:
                self.amount_quartiles[funder] = np.percentile(amounts, [25, 75])
        self.n_recent = n_recent

    def queries(self, needs: Sequence[NeedDoc], encoded: EncodedNeeds) -> HistoryQueries:
        """Encode needs against this history's vocabularies (once per need)."""
        terms = encoded.counts.rows.copy()
        terms.data[:] = 1
        return self._encode(terms, encoded.text, [need_attributes(need) for need in needs])

    def query_one(self, need: NeedDoc, terms: np.ndarray, text: Row, tokens: dict[str, list[str]] | None = None) -> HistoryQueries:
        """``queries([need], ...)`` from what the scan has at hand: ``terms`` and ``text``, its
        hashed terms and its weighted text row (``TextEncoder.encode_one``), and ``tokens``, its
        ``need_attributes``."""
        indptr, shape = np.array([0, len(terms)], dtype=np.int32), (1, len(self.idf))  # (int32: cheaper to check)
        binary = sp.csr_matrix((np.ones(len(terms), dtype=np.float32), terms, indptr), shape=shape)
        weighted = SparseRows(sp.csr_matrix((text.data, text.indices, indptr), shape=shape))
        return self._encode(binary, weighted, [need_attributes(need) if tokens is None else tokens])

    def _encode(self, terms: sp.csr_matrix, text: SparseRows, tokens: list[dict[str, list[str]]]) -> HistoryQueries:
        """Needs' binary ``terms``, weighted ``text`` and ``need_attributes`` as history queries."""
        bm25_max = np.asarray(terms @ self._idf_max()).ravel()
        indptr, indices, data = [0], [], []
        has = np.zeros((len(tokens), len(LOOKUPS)), dtype=bool)
        for i, (need_tokens, a, b) in enumerate(zip(tokens, terms.indptr[:-1], terms.indptr[1:])):
            need_terms = terms.indices[a:b].tolist()
            for k, attr in enumerate(LOOKUPS):
                vocab, offset = self.vocab[attr], self.offsets[attr]
                found = sorted({vocab[t] for t in _lookup(need_tokens, attr, need_terms) if t in vocab})
                indices += [offset + column for column in found]
                data += [_share(len(found), attr)] * len(found)
                has[i, k] = bool(found)
            indptr.append(len(indices))
        lookups = sp.csr_matrix((np.array(data, dtype=np.float32), np.array(indices, dtype=np.int32), np.array(indptr, dtype=np.int32)),
                                shape=(len(tokens), self.lookup_width))
        return HistoryQueries(SparseRows(terms), text, bm25_max, lookups, dict(zip(LOOKUPS, has.T)), tokens)

    def _idf_max(self) -> np.ndarray:
        """The most each term can add to a BM25 score (cached: the vector spans the hashed space)."""
        if "_idf_max_" not in vars(self):
            self._idf_max_ = self.idf * (BM25_K1 + 1)
        return self._idf_max_

    def _records_of(self, funders: np.ndarray | None) -> tuple[np.ndarray | None, np.ndarray]:
        """(rows of the funders' past records, in funder order — ``None``: all of them — and
        where each funder's rows start among them)."""
        if funders is None:
            return None, self.starts
        ends = np.append(self.starts[1:], len(self.titles))
        lengths = ends[funders] - self.starts[funders]
        rows = np.repeat(self.starts[funders] - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
        return rows, np.cumsum(np.concatenate([[0], lengths[:-1]]))

    def evidence(
        self, queries: HistoryQueries, funders: np.ndarray | None = None, spreads: Mapping[str, Spread] | None = None
    ) -> dict[str, Evidence]:
        """History features for every (need, funder) pair; ``funders`` restricts the columns;
        features named in ``spreads`` are ``stretch``ed by theirs."""
        profiles = self.profiles if funders is None else self.profiles.take(funders)
        bm25 = _bm25_share(cross(queries.terms, profiles), queries.bm25_max)
        has_text = queries.bm25_max > 0
        out = {
            "h_text": Evidence(bm25, has_text[:, None]),
            "h_similar": Evidence(self._most_similar(queries.text, funders), has_text[:, None]),
        }
        columns = slice(None) if funders is None else funders
        for attr in LOOKUPS:
            values = looked_up(queries.lookups, self.offsets[attr], self.scores[attr], columns)
            out[f"h_{attr}"] = Evidence(values, queries.has[attr][:, None])
        out["h_recency"] = Evidence(self.recency[None, columns], np.bool_(self.has_years))
        out["h_volume"] = Evidence(self.volume[None, columns], np.True_)
        for name, spread in (spreads or {}).items():
            out[name] = Evidence(stretch(out[name].values, spread), out[name].available)
        return out

    def _most_similar(self, text: SparseRows, funders: np.ndarray | None) -> np.ndarray:
        """Each need's best cosine to a single past record of each funder."""
        rows, starts = self._records_of(funders)
        records = self.records_text if rows is None else self.records_text.take(rows)
        step = max(1, _CHUNK // max(records.n, 1))
        chunks = [text] if text.n <= step else [SparseRows(text.rows[i : i + step]) for i in range(0, text.n, step)]
        parts = [np.maximum.reduceat(cross(chunk, records), starts, axis=1) for chunk in chunks if chunk.n]
        return np.vstack(parts) if parts else np.zeros((0, len(starts)), dtype=np.float32)

    def _span(self, funder: int) -> slice:
        return slice(self.starts[funder], self.starts[funder + 1] if funder + 1 < self.size else len(self.titles))

    def most_similar_title(self, vector: sp.csr_matrix, funder: int) -> str:
        """Title of the funder's past record closest to a need's text vector."""
        span = self._span(funder)
        rows = self.records_text.rows
        begin, end = rows.indptr[span.start], rows.indptr[span.stop]
        similarity = arrays_dot(vector.indices, vector.data, rows.indptr[span.start : span.stop + 1] - begin,
                                rows.indices[begin:end], rows.data[begin:end])
        return self.titles[span][int(np.argmax(similarity))] if similarity.size and similarity.max() > 0 else ""

    def span(self, funder: int) -> slice:
        """The funder's records: positions in ``titles``, ``years``, ``amounts`` and the record rows."""
        return self._span(funder)

    def records_with(self, funder: int, attr: str, token: str) -> np.ndarray:
        """Positions of the funder's records that hold ``token`` of ``attr`` (sorted)."""
        column = self.vocab[attr].get(token)
        return _NO_RECORDS if column is None else self._within(self._by_token()[attr], column, funder)

    def concepts_funded(self, funder: int, columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(how many of the funder's records evoke each concept of ``columns`` (``concept_columns``),
        how many of all records do)."""
        index, by_record, _, everywhere = self._concept_columns()
        span = self._span(funder)
        held = by_record.indices[by_record.indptr[span.start] : by_record.indptr[span.stop]]
        counts = np.bincount(held, minlength=len(index) + 1)  # (the last bin: concepts no record evokes)
        return counts[columns], everywhere[columns]

    def concept_columns(self, concepts: Sequence[str]) -> np.ndarray:
        """The columns of ``concepts`` for ``concepts_funded`` (-1: no record evokes it)."""
        index = self._concept_columns()[0]
        return np.array([index.get(c, -1) for c in concepts], dtype=np.int64)

    def records_on(self, funder: int, concept: str) -> np.ndarray:
        """Positions of the funder's records whose text evokes ``concept`` (sorted)."""
        index, _, by_concept, _ = self._concept_columns()
        column = index.get(concept)
        return _NO_RECORDS if column is None else self._within(by_concept, column, funder)

    def _within(self, held: sp.csc_matrix, column: int, funder: int) -> np.ndarray:
        """The rows of a column of ``held`` (records × tokens, CSC) that are the funder's records."""
        rows = held.indices[held.indptr[column] : held.indptr[column + 1]]
        span = self._span(funder)
        start, stop = rows.searchsorted((span.start, span.stop))
        return rows[start:stop]

    def _by_token(self) -> dict[str, sp.csc_matrix]:
        """``held`` by token (built when an explanation first asks)."""
        if "_held_by_token" not in vars(self):
            self._held_by_token = {attr: held.tocsc() for attr, held in self.held.items()}
        return self._held_by_token

    def _concept_columns(self) -> tuple[dict[str, int], sp.csr_matrix, sp.csc_matrix, np.ndarray]:
        """(concept → column, records × glossary concepts by record and by concept, how many
        records evoke each concept and a last 0 for unknown concepts), from the records' text
        rows (built when an explanation first asks)."""
        if "_concepts" not in vars(self):
            rows = self.records_text.rows
            _, concepts = concept_vocabulary()
            by_record = rows[:, [_hashed(CONCEPT + c, rows.shape[1]) for c in concepts]].tocsr()
            by_concept = by_record.tocsc()
            by_concept.sort_indices()
            everywhere = np.append(np.diff(by_concept.indptr), 0)
            self._concepts = ({c: k for k, c in enumerate(concepts)}, by_record, by_concept, everywhere)
        return self._concepts

    def amount_range(self, funder: int) -> tuple[float, float]:
        """Interquartile range of the funder's past amounts."""
        low, high = self.amount_quartiles[funder]
        return float(low), float(high)

    def recent_count(self, funder: int) -> int:
        return int(self.n_recent[funder])


"""Text as language-independent evidence: folded words plus trilingual glossary concepts.

A French "gestion des frontières", a Spanish "gestión de fronteras" and an English "border
management" share no word, so n-grams alone cannot match them. Each text is turned into
accent-folded words (which still match within one language) plus concept tokens (``=border_management`` and its broader ``=border``) from ``data/glossary.csv``,
which match across English, French and Spanish. ``TextEncoder`` hashes these tokens and
weights them by TF-IDF learned from the training texts.
"""

from __future__ import annotations

import csv
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from importlib.resources import files
from itertools import chain
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.preprocessing import normalize
from sklearn.utils import murmurhash3_32
from sklearn.utils.sparsefuncs_fast import inplace_csr_row_normalize_l2
from sklearn.utils.validation import check_is_fitted

CONCEPT = "="  # prefix of concept tokens; words never contain it

# Function words of the three working languages (accent-folded); they carry no topic.
STOPWORDS = frozenset(
    """
    a about above after again against all also am an and any are as at be been before being below between
    both but by can could did do does doing down during each few for from further had has have having he
    her here hers him his how i if in into is it its itself just me more most my no nor not now of off on
    once only or other our ours out over own same she should so some such than that the their them then
    there these they this those through to too under until up very was we were what when where which while
    who whom why will with would you your via within without per among towards toward upon etc ie eg
    au aux avec ce ces cet cette dans de des du elle elles en et eux il ils je la le les leur leurs lui ma
    mais me meme mes moi mon ne nos notre nous ou par pas pour qu que qui sa se ses son sur ta te tes toi
    ton tu un une vos votre vous est sont ete etre avoir ont afin ainsi aupres dont entre lors selon sans
    sous vers chez tout tous toute toutes leur plus
    al ante bajo como con contra del desde donde durante el ella ellas ellos entre es esta este estos estas
    ha han hasta las lo los mas mediante muy nos nuestra nuestro otra otro otros para pero por porque se
    segun sin sobre su sus tambien tras una uno unos unas y ya e o u son ser
    """.split()
)

# Words of any proposal, whatever its topic (accent-folded): an explanation never cites
# them as evidence, however rare they are in the fitted texts.
GENERIC = frozenset(
    """
    project projects programme programmes program programs support strengthening strengthen improving improve
    capacity capacities development activity activities national government country countries staff agents
    agent officers officials people persons year years phase new use system systems including based level
    work plan plans action actions approach technical assistance through well provide providing aim objective
    travel trip
    projet projets programme programmes appui soutien renforcement renforcer amelioration ameliorer agents
    personnel pays gouvernement niveau annee annees ans systeme systemes activite activites cadre mise place
    objectif travail voyage voyages technique assistance
    proyecto proyectos programa programas apoyo fortalecimiento fortalecer mejora mejorar agentes personal
    pais paises gobierno nivel ano anos sistema sistemas actividad actividades marco objetivo trabajo viaje
    viajes tecnica asistencia
    """.split()
)
# A shared word is cited only when at most this share of the fitted texts hold it.
INFORMATIVE_SHARE = 0.2

_WORD = re.compile(r"[^\W_]+")
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss", "ø": "o", "đ": "d", "ł": "l", "ı": "i"})


class _Combining(dict):
    """``str.translate`` table dropping combining characters, filled as characters show up."""

    def __missing__(self, cp: int) -> int | None:
        self[cp] = None if unicodedata.combining(chr(cp)) else cp
        return self[cp]


_COMBINING = _Combining()


def fold(text: str) -> str:
    """Lower-case and strip accents: ``Frontières`` → ``frontieres``."""
    lowered = text.lower().translate(_LIGATURES)
    if lowered.isascii():  # most texts: nothing to strip
        return lowered
    return unicodedata.normalize("NFKD", lowered).translate(_COMBINING)


def stem(word: str) -> str:
    """Light plural stripping that treats the three languages alike (fronteras → frontera)."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _keep(word: str) -> bool:
    return len(word) > 1 and word not in STOPWORDS and not word.isdigit()


@lru_cache(maxsize=2**16)
def _content_stem(word: str) -> str | None:
    """The stem of a folded word, or ``None`` for a function word or number."""
    return stem(word) if _keep(word) else None


def _stems(text: str) -> list[str]:
    """Stems of the content words of ``text``, in order."""
    return [stem(word) for word in _WORD.findall(fold(text)) if _keep(word)]


@lru_cache(maxsize=2**16)
def _word(surface: str) -> tuple[str, str] | None:
    """(folded, stem) of a word as written, or ``None`` for a function word or number."""
    word = fold(surface)
    return (word, stem(word)) if _keep(word) else None


@lru_cache(maxsize=8192)  # explanations meet the same need and offers again and again
def _tokens(text: str) -> tuple[tuple[str, int, int, str], ...]:
    """(surface, start, end, stem) of the content words of ``text``, in order (for explanations)."""
    # A word folds alike alone or within its text (folding keeps ASCII positions), so each
    # distinct word is folded and stemmed once, whatever the text.
    # Words are found by ``findall``; each one's place is the next occurrence of it from the
    # end of the previous word (what lies between holds no word character).
    out, end, find = [], 0, text.find
    for surface in _WORD.findall(text):
        start = find(surface, end)
        end = start + len(surface)
        known = _word(surface)
        if known is not None:
            out.append((surface, start, end, known[1]))
    return tuple(out)


@lru_cache(maxsize=8192)
def _stem_set(text: str) -> frozenset[str]:
    return frozenset(token[3] for token in _tokens(text))


class Glossary:
    """Phrase → concepts table; matches the longest phrase first, left to right."""

    def __init__(self, rows: Iterable[dict[str, str]]) -> None:
        self.phrases: dict[tuple[str, ...], tuple[str, ...]] = {}
        self.labels: dict[str, str] = {}
        for row in rows:
            concept = row["concept"]
            concepts = (concept, *filter(None, row["broader"].split(";")))
            self.labels[concept] = row["en"].split("|")[0]
            for language in ("en", "fr", "es"):
                for phrase in row[language].split("|"):
                    key = tuple(_stems(phrase))
                    # "sans-papiers" or "en ligne" reduced to one word would claim "papier" or
                    # "ligne" wherever it stands: a phrase must keep what makes it a phrase.
                    if len(key) == 1 and len(_WORD.findall(phrase)) > 1:
                        continue
                    # A phrase listed under two concepts keeps the first, more specific, one.
                    if key and key not in self.phrases:
                        self.phrases[key] = concepts
        # Phrase lengths by first word: most words start no phrase and are skipped at once.
        self.lengths: dict[str, list[int]] = {}
        for key in self.phrases:
            self.lengths.setdefault(key[0], []).append(len(key))
        for first, lengths in self.lengths.items():
            self.lengths[first] = sorted(set(lengths), reverse=True)

    def match(self, stems: Sequence[str]) -> list[tuple[int, int, tuple[str, ...]]]:
        """Non-overlapping (start, end, concepts) spans of glossary phrases in ``stems``."""
        spans, i, n = [], 0, len(stems)
        lengths, phrases = self.lengths, self.phrases
        while i < n:
            for length in lengths.get(stems[i], ()):
                concepts = phrases.get(tuple(stems[i : i + length])) if i + length <= n else None
                if concepts:
                    spans.append((i, i + length, concepts))
                    i += length
                    break
            else:
                i += 1
        return spans


@lru_cache(maxsize=1)
def glossary() -> Glossary:
    with files("matchmaker.engine").joinpath("data/glossary.csv").open(encoding="utf-8") as fh:
        return Glossary(csv.DictReader(line for line in fh if not line.startswith("#")))


def concepts_of(text: str) -> list[tuple[str, ...]]:
    """The concepts of each glossary phrase in ``text``, in order: the phrase's own, then broader ones."""
    return [matched for _, _, matched in glossary().match(_stems(text))]


def analyze(text: str) -> list[str]:
    """All folded words, then the concept tokens of the glossary phrases they contain.

    Words are not stemmed nor stripped of function words: a funder's wording, down to its
    plurals and the language of its "de" and "the", is evidence of who it is (stemming
    cost 0.05 MRR on funder ranking); IDF weighs the common words down. Stems serve only
    to find glossary phrases.
    """
    words = _WORD.findall(fold(text))
    stems = [s for s in map(_content_stem, words) if s is not None]
    return words + [CONCEPT + c for _, _, matched in glossary().match(stems) for c in matched]


@lru_cache(maxsize=8192)
def concept_surfaces(text: str) -> dict[str, tuple[str, bool]]:
    """Concept → (the words of ``text`` that evoked it, whether it is their own concept); read-only."""
    tokens = _tokens(text)
    surfaces: dict[str, tuple[str, bool]] = {}
    for start, end, concepts in glossary().match([token[3] for token in tokens]):
        phrase = text[tokens[start][1] : tokens[end - 1][2]]
        for rank, concept in enumerate(concepts):
            if concept not in surfaces or (rank == 0 and not surfaces[concept][1]):
                surfaces[concept] = (phrase, rank == 0)
    return surfaces


@lru_cache(maxsize=1)
def concept_vocabulary() -> tuple[dict[str, int], tuple[str, ...]]:
    """(concept → id, concepts by id) of every glossary concept, broader ones included."""
    concepts = tuple(sorted({c for matched in glossary().phrases.values() for c in matched}))
    return {c: i for i, c in enumerate(concepts)}, concepts


def analyze_with_surfaces(text: str) -> tuple[list[str], dict[str, tuple[int, int, bool]]]:
    """``analyze(text)``, and ``concept_surfaces(text)`` with each phrase as its (start, end) in ``text``.

    An ASCII text (most) takes one pass for both: folding it only lower-cases it, which
    keeps every position, and its words fold alike alone or together.
    """
    surfaces: dict[str, tuple[int, int, bool]] = {}
    if not text.isascii():  # the phrase's first occurrence: the same words, wherever they are
        for concept, (phrase, own) in concept_surfaces.__wrapped__(text).items():
            start = text.find(phrase)
            surfaces[concept] = (start, start + len(phrase), own)
        return analyze(text), surfaces
    lowered = text.lower()
    words = _WORD.findall(lowered)
    stems, places, end, find = [], [], 0, lowered.find
    for word in words:
        start = find(word, end)
        end = start + len(word)
        content = _content_stem(word)
        if content is not None:
            stems.append(content)
            places.append((start, end))
    matches = glossary().match(stems)
    for first, last, concepts in matches:
        start, end = places[first][0], places[last - 1][1]
        for rank, concept in enumerate(concepts):
            if concept not in surfaces or (rank == 0 and not surfaces[concept][2]):
                surfaces[concept] = (start, end, rank == 0)
    return words + [CONCEPT + c for _, _, matched in matches for c in matched], surfaces


def shared_terms(
    need_text: str,
    offer_text: str,
    limit: int = 3,
    offer_surfaces: dict[str, tuple[str, bool]] | None = None,
    informative: Callable[[str], bool] | None = None,
    offer_holds: Callable[[str], bool] | None = None,
) -> list[str]:
    """The glossary concepts, then the words, that two texts share: ``frontières ~ border``.

    Two phrases are linked only when the glossary gives them the same concept as their own:
    "documents de voyage" (passports) and "biometric" share only a broader concept, which
    says nothing a reader would call the same meaning. Words are cited only when
    ``informative`` (e.g. ``TextEncoder.informative``) says so, and never a ``GENERIC`` one.
    ``offer_surfaces``: ``concept_surfaces(offer_text)``, when known already; ``offer_holds``:
    whether the offer's text holds a folded word (``term_holder``: the very words its text
    evidence was scored on), else the offer's text is read for words of the same stem.
    """
    need_concepts = concept_surfaces(need_text)
    offer_concepts = concept_surfaces(offer_text) if offer_surfaces is None else offer_surfaces
    shared = sorted(c for c in need_concepts.keys() & offer_concepts.keys() if need_concepts[c][1] and offer_concepts[c][1])
    out, used = [], set()
    for concept in shared:
        a, b = need_concepts[concept][0], offer_concepts[concept][0]
        if a not in used and b not in used:
            out.append(a if fold(a) == fold(b) else f"{a} ~ {b}")
            used |= {a, b}
    out = list(dict.fromkeys(out))
    if len(out) >= limit:  # the words would come after: not shown
        return out[:limit]
    covered = {fold(word) for phrase in used for word in _WORD.findall(phrase)}
    candidates = [(word, folded, token) for word, folded, token in _citable(need_text)
                  if folded not in covered and (informative is None or informative(folded))]
    if candidates and offer_holds is not None:
        out += [word for word, folded, _ in candidates if offer_holds(folded)]
    elif candidates:  # (the offer's words are read only when the need has some worth citing)
        offer_words = _stem_set(offer_text)
        out += [word for word, _, token in candidates if token in offer_words]
    return list(dict.fromkeys(out))[:limit]


@lru_cache(maxsize=1024)
def _citable(text: str) -> tuple[tuple[str, str, str], ...]:
    """(word, folded, stem) of the words of ``text`` an explanation may cite: content words of
    four letters or more, none generic."""
    return tuple((word, folded, token) for word, _, _, token in _tokens(text)
                 if len(folded := fold(word)) > 3 and folded not in GENERIC and token not in GENERIC)


def term_holder(terms: np.ndarray, n_features: int) -> Callable[[str], bool]:
    """Whether a text whose hashed terms are ``terms`` holds a folded word, as ``analyze`` counts it."""
    held: set[int] = set()

    def holds(word: str) -> bool:
        if not held:  # (asked of few offers: made on the first question)
            held.update(terms.tolist())
        return _hashed(word, n_features) in held

    return holds


@lru_cache(maxsize=2**17)
def _hashed(token: str, n_features: int) -> int:
    """The column ``HashingVectorizer`` gives a token (same hash, same sign handling)."""
    h = murmurhash3_32(token, seed=0)
    return (2147483647 - (n_features - 1)) % n_features if h == -2147483648 else abs(h) % n_features


class _Row(NamedTuple):
    data: np.ndarray
    shape: tuple[int, int]
    indices: np.ndarray
    indptr: np.ndarray


def _as_is(tokens: list[str]) -> list[str]:
    return tokens


def _hasher(n_features: int) -> HashingVectorizer:
    return HashingVectorizer(analyzer=analyze, n_features=n_features, alternate_sign=False, norm=None)


class TextEncoder(TransformerMixin, BaseEstimator):
    """Hashed words + concepts, weighted by sublinear TF times IDF, rows L2-normalised.

    Hashing keeps the space fixed, so a term first seen in a new offer still matches the
    same term in a need (with the highest IDF) without refitting.
    """

    def __init__(self, n_features: int = 2**20) -> None:
        self.n_features = n_features

    def counts(self, texts: Iterable[str]) -> sp.csr_matrix:
        """Raw term counts (hashed), before any weighting."""
        texts = list(texts)
        if not texts:  # the hasher cannot tell the width of nothing
            return sp.csr_matrix((0, self.n_features), dtype=np.float64)
        return _hasher(self.n_features).transform(texts).tocsr()

    def counts_of_tokens(self, tokens: Iterable[list[str]]) -> sp.csr_matrix:
        """``counts`` of texts already analysed (``analyze``) into ``tokens``."""
        tokens = iter(tokens)
        first = next(tokens, None)
        if first is None:
            return sp.csr_matrix((0, self.n_features), dtype=np.float64)
        hasher = HashingVectorizer(analyzer=_as_is, n_features=self.n_features, alternate_sign=False, norm=None)
        return hasher.transform(chain([first], tokens)).tocsr()

    def fit(self, texts: Iterable[str], y: None = None) -> TextEncoder:
        counts = self.counts(texts)
        df = np.bincount(counts.indices, minlength=self.n_features)
        self.n_documents_ = counts.shape[0]
        self.idf_ = (np.log((1 + self.n_documents_) / (1 + df)) + 1).astype(np.float32)
        return self

    def transform(self, texts: Iterable[str]) -> sp.csr_matrix:
        return self.weight(self.counts(texts))

    def informative(self, word: str) -> bool:
        """Whether a folded word is rare enough in the fitted texts to count as evidence in
        words (at most ``INFORMATIVE_SHARE`` of them hold it; an unseen word is rare)."""
        floor = math.log((1 + self.n_documents_) / (1 + INFORMATIVE_SHARE * self.n_documents_)) + 1
        return bool(self.idf_[_hashed(word, self.n_features)] >= floor)

    def encode_one(self, text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(terms, counts, weights) of one text: the row of ``counts`` (as float32) and of
        ``weight``, without building sparse matrices (a ranking query encodes one need)."""
        check_is_fitted(self)
        columns = [_hashed(token, self.n_features) for token in analyze(text)]
        terms, counts = np.unique(np.array(columns, dtype=np.int32), return_counts=True)
        counts = counts.astype(np.float32)
        weights = (1 + np.log(counts)) * self.idf_[terms]
        if len(terms):  # sklearn's own row normalisation, as ``normalize`` runs it
            inplace_csr_row_normalize_l2(_Row(weights, (1, self.n_features), terms, np.array([0, len(terms)], dtype=np.int32)))
        return terms, counts, weights

    def weight(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        """TF-IDF rows from raw counts (so that a text is analysed once for both uses)."""
        check_is_fitted(self)
        weighted = sp.csr_matrix(counts, dtype=np.float32, copy=True)
        weighted.data = (1 + np.log(weighted.data)) * self.idf_[weighted.indices]
        return normalize(weighted, copy=False) if weighted.shape[0] else weighted

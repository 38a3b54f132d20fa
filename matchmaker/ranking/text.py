"""Text as language-independent evidence: folded words plus trilingual glossary concepts.

A French "gestion des frontières", a Spanish "gestión de fronteras" and an English "border
management" share no word, so n-grams alone cannot match them. Each text is turned into
accent-folded words (which still match within one language) plus concept tokens (``=border_management`` and its broader ``=border``) from ``data/glossary.csv``,
which match across English, French and Spanish. ``TextEncoder`` hashes these tokens and
weights them by TF-IDF learned from the training texts.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache
from importlib.resources import files

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.preprocessing import normalize
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

_WORD = re.compile(r"[^\W_]+")
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss", "ø": "o", "đ": "d", "ł": "l", "ı": "i"})


def fold(text: str) -> str:
    """Lower-case and strip accents: ``Frontières`` → ``frontieres``."""
    lowered = text.lower().translate(_LIGATURES)
    if lowered.isascii():  # most texts: nothing to strip
        return lowered
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def stem(word: str) -> str:
    """Light plural stripping that treats the three languages alike (fronteras → frontera)."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _keep(word: str) -> bool:
    return len(word) > 1 and word not in STOPWORDS and not word.isdigit()


def _stems(text: str) -> list[str]:
    """Stems of the content words of ``text``, in order."""
    return [stem(word) for word in _WORD.findall(fold(text)) if _keep(word)]


@lru_cache(maxsize=8192)  # explanations meet the same need and offers again and again
def _tokens(text: str) -> tuple[tuple[str, int, int, str], ...]:
    """(surface, start, end, stem) of the content words of ``text``, in order (for explanations)."""
    # Folding the whole text keeps positions when it is ASCII; otherwise fold word by word.
    folded = fold(text) if text.isascii() else None
    out = []
    for match in _WORD.finditer(text):
        word = folded[match.start() : match.end()] if folded is not None else fold(match.group())
        if _keep(word):
            out.append((match.group(), match.start(), match.end(), stem(word)))
    return tuple(out)


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
        spans, i = [], 0
        while i < len(stems):
            for length in self.lengths.get(stems[i], ()):
                concepts = self.phrases.get(tuple(stems[i : i + length])) if i + length <= len(stems) else None
                if concepts:
                    spans.append((i, i + length, concepts))
                    i += length
                    break
            else:
                i += 1
        return spans


@lru_cache(maxsize=1)
def glossary() -> Glossary:
    with files("matchmaker.ranking").joinpath("data/glossary.csv").open(encoding="utf-8") as fh:
        return Glossary(csv.DictReader(line for line in fh if not line.startswith("#")))


def analyze(text: str) -> list[str]:
    """All folded words, then the concept tokens of the glossary phrases they contain.

    Words are not stemmed nor stripped of function words: a funder's wording, down to its
    plurals and the language of its "de" and "the", is evidence of who it is (stemming
    cost 0.05 MRR on funder ranking); IDF weighs the common words down. Stems serve only
    to find glossary phrases.
    """
    folded = fold(text)
    words = _WORD.findall(folded)
    stems = [stem(word) for word in words if _keep(word)]
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


def shared_terms(need_text: str, offer_text: str, limit: int = 3) -> list[str]:
    """The glossary concepts, then the words, that two texts share: ``frontières ~ border``."""
    need_concepts, offer_concepts = concept_surfaces(need_text), concept_surfaces(offer_text)
    shared = sorted(
        need_concepts.keys() & offer_concepts.keys(),
        key=lambda c: (not (need_concepts[c][1] and offer_concepts[c][1]), c),
    )
    out, used = [], set()
    for concept in shared:  # own concepts first; a broader one only for phrases not yet paired
        a, b = need_concepts[concept][0], offer_concepts[concept][0]
        if a not in used and b not in used:
            out.append(a if a.lower() == b.lower() else f"{a} ~ {b}")
            used |= {a, b}
    covered = {fold(word) for phrase in used for word in phrase.split()}
    offer_words = {token[3] for token in _tokens(offer_text)}
    out += [word for word, _, _, token in _tokens(need_text) if token in offer_words and fold(word) not in covered]
    return list(dict.fromkeys(out))[:limit]


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

    def fit(self, texts: Iterable[str], y: None = None) -> TextEncoder:
        counts = self.counts(texts)
        df = np.bincount(counts.indices, minlength=self.n_features)
        self.n_documents_ = counts.shape[0]
        self.idf_ = (np.log((1 + self.n_documents_) / (1 + df)) + 1).astype(np.float32)
        return self

    def transform(self, texts: Iterable[str]) -> sp.csr_matrix:
        return self.weight(self.counts(texts))

    def weight(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        """TF-IDF rows from raw counts (so that a text is analysed once for both uses)."""
        check_is_fitted(self)
        weighted = sp.csr_matrix(counts, dtype=np.float32, copy=True)
        weighted.data = (1 + np.log(weighted.data)) * self.idf_[weighted.indices]
        return normalize(weighted, copy=False) if weighted.shape[0] else weighted

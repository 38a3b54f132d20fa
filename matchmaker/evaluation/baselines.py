"""Reference rankers of funders for a need, to judge ``MatchRanker`` against.

Each baseline builds funder profiles from training records only and scores every
(need, funder) pair as a (needs, funders) matrix, funders in ``funder_ids`` order.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from rank_bm25 import BM25Okapi
from sklearn.feature_extraction.text import TfidfVectorizer

from matchmaker.engine.documents import FundingRecord, NeedDoc


def _profiles(records: Sequence[FundingRecord], declared: dict[str, str] | None = None) -> tuple[list[str], list[str]]:
    """(funder ids, one text per funder: all its record texts, or its ``declared`` text)."""
    texts: dict[str, list[str]] = {f: [text] for f, text in (declared or {}).items()}
    for r in records:
        texts.setdefault(r.funder_id, []).append(f"{r.title} {r.description}".strip())
    funder_ids = sorted(texts)
    return funder_ids, [" ".join(texts[f]) for f in funder_ids]


def _need_text(need: NeedDoc) -> str:
    return f"{need.title} {need.description}".strip()


class Popularity:
    """The funders with the most records in the need's country (or countries)."""

    def __init__(self, records: Sequence[FundingRecord]) -> None:
        self.funder_ids = sorted({r.funder_id for r in records})
        column = {f: i for i, f in enumerate(self.funder_ids)}
        self.counts: dict[str, np.ndarray] = {}
        for r in records:
            for country in r.countries:
                self.counts.setdefault(country, np.zeros(len(self.funder_ids)))[column[r.funder_id]] += 1

    def score(self, needs: Sequence[NeedDoc]) -> np.ndarray:
        zero = np.zeros(len(self.funder_ids))
        return np.array([sum((self.counts.get(c, zero) for c in n.countries), zero) for n in needs])


class TfidfProfiles:
    """Cosine of TF-IDF (word 1–2-grams) between the need and each funder's profile."""

    def __init__(self, records: Sequence[FundingRecord]) -> None:
        self.funder_ids, profiles = _profiles(records)
        self.vectorizer = TfidfVectorizer(ngram_range=(1, 2))
        self.matrix = self.vectorizer.fit_transform(profiles)

    def score(self, needs: Sequence[NeedDoc]) -> np.ndarray:
        return (self.vectorizer.transform([_need_text(n) for n in needs]) @ self.matrix.T).toarray()


_TOKEN = re.compile(r"\w+")


def _tokenize(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


class BM25Profiles:
    """Okapi BM25 (``rank_bm25``) of the need's words over each funder's profile."""

    def __init__(self, records: Sequence[FundingRecord], declared: dict[str, str] | None = None) -> None:
        self.funder_ids, profiles = _profiles(records, declared)
        self.bm25 = BM25Okapi([_tokenize(p) for p in profiles])

    def score(self, needs: Sequence[NeedDoc]) -> np.ndarray:
        return np.array([self.bm25.get_scores(_tokenize(_need_text(n))) for n in needs])

"""Matchmaker's ranking engine: which offers fit a need, which needs fit an offer, and why.

The engine modules are pure Python (numpy/scipy/scikit-learn), with no database and no
web: ``service`` turns database rows into ``NeedDoc``/``OfferDoc``/``FundingRecord`` and
keeps the indexes current, ``controllers`` serves the rankings, ``training`` refits.
"""

from matchmaker.ranking.documents import (
    Decision,
    FundingRecord,
    NeedDoc,
    OfferDoc,
    read_records,
)
from matchmaker.ranking.explain import Factor, RankedNeed, RankedOffer
from matchmaker.ranking.history import FunderHistory
from matchmaker.ranking.index import NeedIndex, OfferIndex
from matchmaker.ranking.model import MatchRanker

__all__ = [
    "Decision", "Factor", "FunderHistory", "FundingRecord", "MatchRanker", "NeedDoc", "NeedIndex",
    "OfferDoc", "OfferIndex", "RankedNeed", "RankedOffer", "read_records",
]

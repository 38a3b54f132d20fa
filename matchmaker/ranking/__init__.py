"""Matchmaker's ranking engine: which offers fit a need, which needs fit an offer, and why.

Pure Python (numpy/scipy/scikit-learn), no database and no web: the service layer turns
its rows into ``NeedDoc``/``OfferDoc``/``FundingRecord`` and calls the API below.
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

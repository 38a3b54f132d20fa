"""The ranking estimator: evidence features in, learned block weights, ranked and explained matches out.

``MatchRanker.fit`` learns the text weighting (IDF) and how the evidence features combine
(see ``learning``) from funding history — each recent record is a need whose real funder
must beat all others, with profiles from the earlier records — and then, once there are
enough of them, from coordinators' decisions, which only nudge the history-fitted weights. ``rank`` orders the eligible offers of an ``OfferIndex`` for a need;
``rank_needs`` orders the needs of a ``NeedIndex`` for an offer, with the same features.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import date
from functools import lru_cache
from typing import Any, NamedTuple

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from matchmaker.engine.blocks import OFFER_FEATURES, Evidence, offer_evidence
from matchmaker.engine.documents import (
    DecisionRecord,
    DocId,
    FundingRecord,
    NeedDoc,
    OfferDoc,
    funder_offer,
    record_to_need,
)
from matchmaker.engine.eligibility import RULES, eligible, exclusions, rules
from matchmaker.engine.encoding import _FEW, EncodedNeeds, EncodedOffers, row_terms
from matchmaker.engine.explain import (
    BLOCKS,
    RankedNeed,
    RankedOffer,
    best,
    build,
    need_facts,
    top_k,
)
from matchmaker.engine.history import HISTORY_FEATURES, FunderHistory, HistoryQueries, Spread, declared_offer, stretch
from matchmaker.engine.index import NeedIndex, OfferIndex
from matchmaker.engine.learning import DecisionFit, Groups, Pairs, combine, fit_to_decisions, fit_weights
from matchmaker.engine.scan import OneNeed, Scan, partial
from matchmaker.engine.text import TextEncoder, concept_surfaces, concept_vocabulary, fold, term_holder
from matchmaker.engine.wording import DEFAULT_LANGUAGE, words

FEATURE_BLOCKS = {**OFFER_FEATURES, **{name: "history" for name in HISTORY_FEATURES}}
FEATURES = tuple(FEATURE_BLOCKS)
# Before any data: what a need and an offer declare matters most, history a good deal.
DEFAULT_BLOCK_PRIORS = {"text": 0.25, "thematic": 0.2, "geography": 0.1, "resources_amount": 0.1, "history": 0.35}
# Percentile of a history feature's training values that ``stretch`` maps to 0 (1 stays 1:
# the highest values, a need naming its funder, are the strongest evidence, and may be
# higher than any seen in training).
SPREAD_PERCENTILE = 1
# Queries one sibling family may give a training fold.
FAMILY_QUERIES = 3
# Label cut points (strong, good, fair) when there is nothing to calibrate them on.
DEFAULT_LABEL_CUTS = (0.6, 0.45, 0.3)


class Scored(NamedTuple):
    """Scores of (need, offer) pairs and the evidence they were computed from: the declared
    features by pair; ``history``: the history features by funder, each offer's column among
    them, and whether its funder has a history."""

    scores: np.ndarray
    declared: Mapping[str, Evidence]
    history: tuple[Mapping[str, Evidence], np.ndarray, np.ndarray] | None

    def pairs(self, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(values, available) of the pairs (``rows[i]``, ``cols[i]``), features last: what
        their scores were computed from, so that their explanations add up to them."""
        features = {name: _take(e, rows, cols) for name, e in self.declared.items()}
        if self.history is None:
            features.update({name: Evidence(np.float32(0), np.False_) for name in HISTORY_FEATURES})
        else:
            per_funder, columns, known = self.history
            at, has = columns[cols], known[cols]
            for name, e in per_funder.items():
                taken = _take(e, rows, at)
                features[name] = Evidence(taken.values, taken.available & has)
        return _assemble(features, (len(rows),))


def _take(evidence: Evidence, rows: np.ndarray, cols: np.ndarray) -> Evidence:
    return Evidence(_at(evidence.values, rows, cols), _at(evidence.available, rows, cols))


def _at(values: Any, rows: np.ndarray, cols: np.ndarray) -> Any:
    """``values`` (one for all, by column, or by row and column, broadcasting) at the pairs."""
    if not np.ndim(values):
        return values
    if np.ndim(values) == 1:
        return values[cols]
    return values[0 if values.shape[0] == 1 else rows, 0 if values.shape[1] == 1 else cols]


class MatchRanker(BaseEstimator):
    """Scores (need, offer) pairs as a weighted mean of evidence features in [0, 1].

    Parameters
    ----------
    block_priors: prior share of each block (``DEFAULT_BLOCK_PRIORS`` when ``None``),
        split evenly among the block's features; the weights without data.
    regularization: strength of the pull towards the prior weights.
    min_evidence: least total weight a pair's score is divided by (see ``learning``).
    holdout_share: share of the records, the most recent, used as training needs.
    max_queries, max_candidates: training needs, and candidate funders per need.
    new_funder_share: share of the funders of each training fold seen only through a declared
        offer (``history.declared_offer``), so that declared evidence is weighed against history.
    n_features: size of the hashed text space.
    random_state: seed of the subsampling.
    min_decisions: fewest coordinators' decisions, approvals and rejections both among them,
        that may move the weights; with fewer, the history-fitted weights stand.
    prior_decisions: how many decisions the history-fitted weights count as (n0): decisions
        pull the weights away from them in proportion n / (n + n0).
    max_block_step: most that one block's weight may move away from the history-fitted
        weights because of decisions.
    """

    def __init__(
        self,
        block_priors: Mapping[str, float] | None = None,
        regularization: float = 0.02,
        min_evidence: float = 0.5,
        holdout_share: float = 0.2,
        max_queries: int = 3000,
        max_candidates: int = 50,
        new_funder_share: float = 0.1,
        n_features: int = 2**20,
        random_state: int = 0,
        min_decisions: int = 30,
        prior_decisions: float = 100.0,
        max_block_step: float = 0.1,
    ) -> None:
        self.block_priors = block_priors
        self.regularization = regularization
        self.min_evidence = min_evidence
        self.holdout_share = holdout_share
        self.max_queries = max_queries
        self.max_candidates = max_candidates
        self.new_funder_share = new_funder_share
        self.n_features = n_features
        self.random_state = random_state
        self.min_decisions = min_decisions
        self.prior_decisions = prior_decisions
        self.max_block_step = max_block_step

    # -- fitting ---------------------------------------------------------------------------

    def prior_weights(self) -> np.ndarray:
        priors = {**DEFAULT_BLOCK_PRIORS, **(self.block_priors or {})}
        sizes = {block: sum(1 for b in FEATURE_BLOCKS.values() if b == block) for block in priors}
        weights = np.array([priors[FEATURE_BLOCKS[name]] / sizes[FEATURE_BLOCKS[name]] for name in FEATURES])
        return weights / weights.sum()

    def fit(self, records: Sequence[FundingRecord], decisions: Sequence[DecisionRecord] = ()) -> MatchRanker:
        """Learn from funding records (history) and coordinators' decisions; returns self."""
        records, decisions = list(records), list(decisions)
        # Decisions reach the model through the bounded move of the weights alone: their texts
        # in the IDF would shift the text evidence, and so the history-fitted weights, unbounded.
        self.encoder_ = TextEncoder(self.n_features).fit(f"{r.title}\n{r.description}" for r in records)
        self.feature_names_ = list(FEATURES)
        self.feature_blocks_ = dict(FEATURE_BLOCKS)
        prior = self.prior_weights()
        self.history_spread_: dict[str, Spread] = {}
        groups = self._history_groups(records)
        if groups is not None:
            self.history_spread_ = _spreads(groups)
            _stretch_groups(groups, self.history_spread_)
        self.history_weights_, info = fit_weights(prior, groups, None, self.regularization, self.min_evidence)
        approved = sum(d.approved for d in decisions)
        self.training_ = {"records": len(records), "decisions": len(decisions), "approved": approved,
                          "rejected": len(decisions) - approved, "queries": 0, **info}
        self.weights_ = self.history_weights_
        pairs = self.decision_pairs(records, decisions) if decisions else None
        if pairs is not None and self.enough_decisions([d.approved for d in decisions]):
            moved = self.fit_decisions(pairs)
            self.weights_ = moved.weights
            self.training_.update(shrinkage=moved.shrinkage, kept=moved.kept)
        self.label_thresholds_, calibration = _label_cuts(groups, pairs, self.weights_, self.min_evidence)
        self.training_.update(calibration)
        if groups is not None:
            self.training_["queries"] = len(groups.values)
            self.training_["mrr_prior"] = float(_reciprocal_ranks(groups, prior, self.min_evidence).mean())
            history_rr = _reciprocal_ranks(groups, self.history_weights_, self.min_evidence)
            fitted_rr = _reciprocal_ranks(groups, self.weights_, self.min_evidence)
            self.training_["mrr_history"] = float(history_rr.mean())
            self.training_["mrr_fitted"] = float(fitted_rr.mean())
            # The paired change's standard error, for the report: the groups are not kept.
            self.training_["mrr_change_se"] = float(np.std(fitted_rr - history_rr) / np.sqrt(len(fitted_rr)))
        return self

    def enough_decisions(self, approved: Sequence[bool]) -> bool:
        """Whether these decisions are enough to move the weights: ``min_decisions`` of them,
        with both outcomes (a single outcome says nothing about what to prefer)."""
        return len(approved) >= self.min_decisions and 0 < sum(approved) < len(approved)

    def fit_decisions(self, pairs: Pairs) -> DecisionFit:
        """The history-fitted weights moved by labelled pairs (``decision_pairs``), cautiously
        (see ``learning.fit_to_decisions``); whether there are enough is the caller's call."""
        check_is_fitted(self)
        return fit_to_decisions(self.history_weights_, pairs, self._in_block(), self.prior_decisions, self.max_block_step,
                                self.min_evidence)

    def _split(self, records: list[FundingRecord]) -> list[tuple[list[FundingRecord], list[FundingRecord]]]:
        """Folds of (profiles, queries): the latest records are the queries, in two halves of
        whole sibling families; each half is ranked with profiles from the earlier records
        and the other half.

        The latest years are the queries when years are known, else a random share. Profiles
        that hold the other half of the latest records see what a deployed ranker sees: the
        funders that only lately began to fund (absent from every earlier year) are among the
        candidates and the answers, and recent activity is part of each profile; keeping
        sibling titles on one side keeps near-copies of a query out of its profiles, as
        they are out of the history when a new need arrives. A family gives a few queries at most.
        """
        rng = np.random.default_rng(self.random_state)
        years = np.array([r.year or 0 for r in records])
        dated = np.sort(years[years > 0])
        if len(np.unique(dated)) >= 2:
            cutoff = dated[min(int(len(dated) * (1 - self.holdout_share)), len(dated) - 1)]
            cutoff = max(cutoff, dated[0] + 1)  # keep at least the first year for the profiles
            is_query = years >= cutoff
        else:
            is_query = rng.random(len(records)) < self.holdout_share
        earlier = [r for r, q in zip(records, is_query) if not q]
        latest = [r for r, q in zip(records, is_query) if q]
        half = np.array([zlib.crc32(_family(r).encode()) % 2 for r in latest], dtype=np.int64)
        folds = []
        for side in (0, 1):
            profiles = earlier + [r for r, h in zip(latest, half) if h != side]
            known = {r.funder_id for r in profiles}
            queries = _few_per_family(r for r, h in zip(latest, half) if h == side and r.funder_id in known)
            most = self.max_queries // 2
            if len(queries) > most:
                queries = [queries[i] for i in np.sort(rng.choice(len(queries), most, replace=False))]
            if profiles and queries:
                folds.append((profiles, queries))
        return folds

    def _history_groups(self, records: list[FundingRecord]) -> Groups | None:
        """Listwise groups: each query record's true funder against the other funders."""
        rng = np.random.default_rng(self.random_state)
        prior = self.prior_weights()
        parts = []
        for profiles, queries in self._split(records):
            history, offers = self._hide_some(profiles, rng)
            index = OfferIndex(offers, history, self.encoder_)
            column = {offer.funder_id: i for i, offer in enumerate(offers)}
            step = max(1, 2**21 // (index.size * len(FEATURES)))  # bound the (needs, funders, features) block
            for start in range(0, len(queries), step):
                chunk = queries[start : start + step]
                values, available, ok = self.evidence([record_to_need(r) for r in chunk], index)
                truth = np.array([column[r.funder_id] for r in chunk])
                parts.append(_pick_candidates(values, available, ok, truth, prior, self, rng))
        if not parts:
            return None
        width = max(p[0].shape[1] for p in parts)  # folds may differ in their number of funders
        parts = [_pad(p, width) for p in parts]
        return Groups(*(np.concatenate(column) for column in zip(*parts)))

    def _hide_some(self, profiles: list[FundingRecord], rng: np.random.Generator) -> tuple[FunderHistory, list[OfferDoc]]:
        """(history, one offer per funder): a ``new_funder_share`` of the funders lose their
        history and are described by their ``declared_offer`` alone, as a new funder is;
        the others are known by their history alone."""
        funders = sorted({r.funder_id for r in profiles})
        hidden = set()
        if self.new_funder_share > 0 and len(funders) > 2:
            size = min(len(funders) - 2, max(1, round(self.new_funder_share * len(funders))))
            hidden = {funders[i] for i in rng.choice(len(funders), size, replace=False)}
        history = FunderHistory([r for r in profiles if r.funder_id not in hidden], self.encoder_)
        by_funder: dict[str, list[FundingRecord]] = {}
        for r in profiles:
            if r.funder_id in hidden:
                by_funder.setdefault(r.funder_id, []).append(r)
        offers = [funder_offer(f) for f in history.funder_ids] + [declared_offer(f, by_funder[f]) for f in sorted(hidden)]
        return history, offers

    def decision_pairs(self, records: Sequence[FundingRecord], decisions: Sequence[DecisionRecord]) -> Pairs:
        """The decided pairs' evidence, eligibility ignored (an approval itself may have used up
        the offer), and their labels: approved 1, rejected 0."""
        check_is_fitted(self)
        if not decisions:
            d = len(self.feature_names_)
            return Pairs(np.zeros((0, d), np.float32), np.zeros((0, d), np.float32), np.zeros(0))
        history = FunderHistory(records, self.encoder_) if records else None
        rows = [self.evidence([d.need], OfferIndex([d.offer], history, self.encoder_))[:2] for d in decisions]
        values = np.concatenate([v[0] for v, _ in rows])
        available = np.concatenate([a[0] for _, a in rows])
        return Pairs(values, available, np.array([float(d.approved) for d in decisions]))

    # -- scoring ---------------------------------------------------------------------------

    def evidence(
        self, needs: Sequence[NeedDoc] | NeedIndex, offers: OfferIndex, today: date | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(values, available, eligible) for every (need, offer) pair, features last."""
        check_is_fitted(self)
        if not isinstance(needs, NeedIndex):
            needs = NeedIndex(needs, offers.history, self.encoder_)
        return _evidence(needs.encoded, offers.encoded, needs.queries, offers, today or date.today(), self.history_spread_)

    def score(self, needs: Sequence[NeedDoc] | NeedIndex, offers: OfferIndex, today: date | None = None) -> np.ndarray:
        """Scores of every (need, offer) pair; ineligible pairs are ``-inf``.

        Same formula as ``combine`` over ``evidence``, summed feature by feature, with the
        history part summed per funder before it is spread over the funders' offers.
        """
        return self._scored(needs, offers, today).scores

    def _scored(self, needs: Sequence[NeedDoc] | NeedIndex, offers: OfferIndex, today: date | None) -> Scored:
        check_is_fitted(self)
        if not isinstance(needs, NeedIndex):
            needs = NeedIndex(needs, offers.history, self.encoder_)
        weights = dict(zip(self.feature_names_, self.weights_.astype(np.float32)))
        declared = offer_evidence(needs.encoded, offers.encoded)
        ok = eligible(needs.encoded, offers.encoded, declared["geography"].values, today or date.today())
        num, den = _partial(declared, weights)
        history = None
        if (found := _with_history(needs.queries, offers)) is not None:
            per_funder = found[0].evidence(found[1], offers.funders, self.history_spread_)
            h_num, h_den = _partial(per_funder, weights)
            n_funders = found[0].size if offers.funders is None else len(offers.funders)
            known = offers.funder >= 0
            columns = np.where(known, offers.funder_column, 0)
            num = num + np.broadcast_to(h_num, (needs.size, n_funders))[:, columns] * known
            den = den + np.broadcast_to(h_den, (needs.size, n_funders))[:, columns] * known
            history = (per_funder, columns, known)
        return Scored(np.where(ok, num / np.maximum(den, self.min_evidence), -np.inf), declared, history)

    def rank(
        self,
        need: NeedDoc,
        index: OfferIndex,
        limit: int = 20,
        today: date | None = None,
        kinds: Collection[str] | None = None,
        allowed_ids: Collection[DocId] | None = None,
        language: str = DEFAULT_LANGUAGE,
    ) -> list[RankedOffer]:
        """The best eligible offers for a need, best first, each with its explanation (in ``language``)."""
        if index.size > _FEW:  # the same numbers, for the eligible offers only (see ``scan``)
            return self._rank_scan(need, index, limit, today or date.today(), kinds, allowed_ids, language)
        needs = NeedIndex([need], index.history, self.encoder_)
        scored, top = self._top_few(needs, index, limit, today, kinds, allowed_ids)
        values, available = scored.pairs(np.zeros(len(top), dtype=np.intp), top)
        vector, facts = needs.encoded.text.rows[0], need_facts(need, needs.queries.tokens[0] if needs.queries else None)
        docs, funders = index.docs, index.funder
        blocks, parts = self._contributions(values, available)
        voice, rows = self._voice(language), index.encoded.text.rows
        return [
            RankedOffer(docs[i].id, *build(need, docs[i], blocks[j], parts[j], index.history, int(funders[i]), vector,
                                           facts, **voice, offer_holds=self._holder(row_terms(rows, i))))
            for j, i in enumerate(top.tolist())
        ]

    def _voice(self, language: str) -> dict[str, Any]:
        """How explanations speak: the language, the words worth citing (asked once per word
        for the pages of a ranking), the label scale."""
        return {"say": words(language), "informative": lru_cache(maxsize=1024)(self.encoder_.informative),
                "thresholds": getattr(self, "label_thresholds_", None)}

    def _holder(self, terms: np.ndarray) -> Callable[[str], bool]:
        """Whether an offer whose hashed text terms are ``terms`` holds a folded word."""
        return term_holder(terms, self.encoder_.n_features)

    def excluded(
        self, need: NeedDoc, index: OfferIndex, today: date | None = None, kinds: Collection[str] | None = None,
    ) -> dict[str, int]:
        """How many offers of ``index`` (of ``kinds``) each eligibility rule keeps from the need,
        each offer counted under the first rule it fails (``eligibility.RULES``)."""
        check_is_fitted(self)
        if not index.size:
            return dict.fromkeys(RULES, 0)
        needs = NeedIndex([need], index.history, self.encoder_)
        return self._excluded(needs, index, today, index.mask(kinds=kinds)[None, :])

    def excluded_needs(
        self, offer: OfferDoc, index: NeedIndex, today: date | None = None,
        allowed_ids: Collection[DocId] | None = None,
    ) -> dict[str, int]:
        """``excluded`` the other way: needs of ``index`` (among ``allowed_ids``) kept from an offer."""
        check_is_fitted(self)
        if not index.size:
            return dict.fromkeys(RULES, 0)
        offers = OfferIndex([offer], index.history, self.encoder_)
        return self._excluded(index, offers, today, index.mask(allowed_ids=allowed_ids)[:, None])

    def _excluded(self, needs: NeedIndex, offers: OfferIndex, today: date | None, among: np.ndarray) -> dict[str, int]:
        geography = offer_evidence(needs.encoded, offers.encoded)["geography"].values
        return exclusions(rules(needs.encoded, offers.encoded, geography, today or date.today()), among)

    def shortlist(
        self,
        need: NeedDoc,
        index: OfferIndex,
        limit: int = 20,
        today: date | None = None,
        kinds: Collection[str] | None = None,
        allowed_ids: Collection[DocId] | None = None,
    ) -> list[tuple[DocId, float]]:
        """``rank`` without the explanations: (offer id, ranking score) of the best offers, best first.

        The ranking score is the one offers are ordered by (``score``); ``rank`` reports each
        pair's score as the sum of its explained contributions, equal to it to within float
        rounding.
        """
        today = today or date.today()
        if index.size > _FEW:
            scanned = self._scan_top(need, index, limit, today, kinds, allowed_ids)
            if scanned is None:
                return []
            _, rows, scored, picks = scanned
            docs, scores = index.physical_docs, scored.scores[0]
            return [(docs[row].id, float(scores[j])) for row, j in zip(rows[picks].tolist(), picks.tolist())]
        scored, top = self._top_few([need], index, limit, today, kinds, allowed_ids)
        docs, scores = index.docs, scored.scores[0]
        return [(docs[i].id, float(scores[i])) for i in top.tolist()]

    def _top_few(
        self, needs: Sequence[NeedDoc] | NeedIndex, index: OfferIndex, limit: int, today: date | None,
        kinds: Collection[str] | None, allowed_ids: Collection[DocId] | None,
    ) -> tuple[Scored, np.ndarray]:
        """One need scored against a small index, and the positions of its best eligible offers."""
        scored = self._scored(needs, index, today)
        scores = scored.scores[0]
        return scored, top_k(scores, np.isfinite(scores) & index.mask(kinds=kinds, allowed_ids=allowed_ids), limit)

    def _scan_top(
        self, need: NeedDoc, index: OfferIndex, limit: int, today: date,
        kinds: Collection[str] | None, allowed_ids: Collection[DocId] | None,
    ) -> tuple[OneNeed, np.ndarray, Scored, np.ndarray] | None:
        """``score``'s arithmetic on the eligible offers of a big index only, and the best of them:
        (the encoded need, the survivors' physical rows, their scores and evidence, the positions
        of the best among them)."""
        check_is_fitted(self)
        weights = dict(zip(self.feature_names_, self.weights_.astype(np.float32)))
        one = OneNeed(need, self.encoder_, index.history)
        found = Scan(one, index, today, kinds, allowed_ids)
        if not len(found.rows):
            return None
        declared = found.evidence()
        num, den = partial(declared, weights)
        history = found.history(self.history_spread_)
        if history is not None:
            per_funder, columns, known = history
            h_num, h_den = partial(per_funder, weights)
            live = index.live_funders()
            assert index.history is not None  # the scan found history evidence
            n_funders = index.history.size if live is None else len(live)
            h_num = np.broadcast_to(h_num, (1, n_funders))[0, columns]
            if np.ndim(h_den) or not known.all():  # else the same for every offer: one number
                h_den = np.broadcast_to(h_den, (1, n_funders))[0, columns]
            if not known.all():  # (times 1 changes nothing)
                h_num, h_den = h_num * known, h_den * known
            num, den = num + h_num, den + h_den
        scores = num / np.maximum(den, self.min_evidence)
        return one, found.rows, Scored(scores[None, :], declared, history), best(scores, limit)

    def _rank_scan(
        self, need: NeedDoc, index: OfferIndex, limit: int, today: date,
        kinds: Collection[str] | None, allowed_ids: Collection[DocId] | None, language: str,
    ) -> list[RankedOffer]:
        """``rank`` over a big index: ``_scan_top``, then the chosen offers' explanations."""
        top = self._scan_top(need, index, limit, today, kinds, allowed_ids)
        if top is None:
            return []
        one, rows, scored, picks = top
        values, available = scored.pairs(np.zeros(len(picks), dtype=np.intp), picks)
        rows = rows[picks]
        docs, funders = index.physical_docs, index.columns.funder[rows]
        ids, concepts = concept_vocabulary()
        among = np.zeros(len(concepts), dtype=bool)  # the need's concepts: all a shared term needs
        among[[ids[c] for c in concept_surfaces(one.facts.text)]] = True
        blocks, parts = self._contributions(values, available)
        voice = self._voice(language)
        return [
            RankedOffer(docs[row].id, *build(need, docs[row], blocks[j], parts[j], index.history, funder, one.text,
                                             one.facts, index.surfaces(row, among), **voice,
                                             offer_holds=self._holder(index.terms(row))))
            for j, (row, funder) in enumerate(zip(rows.tolist(), funders.tolist()))
        ]

    def rank_needs(
        self,
        offer: OfferDoc,
        index: NeedIndex,
        limit: int = 20,
        today: date | None = None,
        allowed_ids: Collection[DocId] | None = None,
        language: str = DEFAULT_LANGUAGE,
    ) -> list[RankedNeed]:
        """The best eligible needs for an offer, best first, each with its explanation (in ``language``)."""
        offers = OfferIndex([offer], index.history, self.encoder_)
        scored = self._scored(index, offers, today)
        scores = scored.scores[:, 0]
        top = top_k(scores, np.isfinite(scores) & index.mask(allowed_ids=allowed_ids), limit)
        values, available = scored.pairs(top, np.zeros(len(top), dtype=np.intp))
        docs, text = index.docs, index.encoded.text.rows
        blocks, parts = self._contributions(values, available)
        voice, holds = self._voice(language), self._holder(row_terms(offers.encoded.text.rows, 0))
        return [
            RankedNeed(docs[i].id, *build(docs[i], offer, blocks[j], parts[j], index.history, int(offers.funder[0]),
                                          text[i], **voice, offer_holds=holds))
            for j, i in enumerate(top.tolist())
        ]

    def _contributions(
        self, values: np.ndarray, available: np.ndarray
    ) -> tuple[list[list[float]], list[list[tuple[str, float]]]]:
        """Each pair's share of its score by block (in ``BLOCKS`` order), and by history
        feature, from its feature rows (pairs first, features last): the explanations' numbers."""
        weights = self.weights_
        den = np.maximum(available.astype(np.float64) @ weights, self.min_evidence)
        shares = weights * values * available / den[:, None]
        names = self.feature_names_
        in_block = self._in_block()
        history = [k for k, n in enumerate(names) if self.feature_blocks_[n] == "history"]
        history_names = [names[k] for k in history]
        return (shares @ in_block).tolist(), [list(zip(history_names, row)) for row in shares[:, history].tolist()]

    def _in_block(self) -> np.ndarray:
        """(features, blocks) 0/1: which block, in ``BLOCKS`` order, each feature belongs to."""
        return np.array([[self.feature_blocks_[n] == b for b in BLOCKS] for n in self.feature_names_], dtype=np.float64)

    def block_weights(self, weights: np.ndarray | None = None) -> dict[str, float]:
        """Weight of each block (the sum of its features' weights), of the learned weights or
        of ``weights`` (by feature)."""
        check_is_fitted(self)
        summed = (self.weights_ if weights is None else weights) @ self._in_block()
        return dict(zip(BLOCKS, summed.tolist()))


def _evidence(
    needs: EncodedNeeds, offers: EncodedOffers, queries: HistoryQueries | None, index: OfferIndex, today: date,
    spreads: Mapping[str, Spread],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    declared = offer_evidence(needs, offers)
    ok = eligible(needs, offers, declared["geography"].values, today)
    shape = (needs.n, offers.n)
    history = _history_evidence(queries, index, shape, spreads)
    return (*_assemble({**declared, **history}, shape), ok)


def _assemble(features: Mapping[str, Evidence], shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(values, available) arrays, features last, from each feature's evidence."""
    values = np.empty((*shape, len(FEATURES)), dtype=np.float32)
    available = np.empty((*shape, len(FEATURES)), dtype=np.float32)
    for k, name in enumerate(FEATURES):
        values[..., k] = features[name].values
        available[..., k] = features[name].available
    return values, available


def _with_history(queries: HistoryQueries | None, index: OfferIndex) -> tuple[FunderHistory, HistoryQueries] | None:
    """The offers' funders' history and the needs encoded against it, when both exist."""
    if index.history is None or queries is None or (index.funders is not None and not len(index.funders)):
        return None
    return index.history, queries


_partial = partial


def _history_evidence(
    queries: HistoryQueries | None, index: OfferIndex, shape: tuple[int, int], spreads: Mapping[str, Spread]
) -> dict[str, Evidence]:
    """History features gathered from funders to offers; unavailable for offers without history."""
    if (found := _with_history(queries, index)) is None:
        return {name: Evidence(np.float32(0), np.False_) for name in HISTORY_FEATURES}
    known = index.funder >= 0
    columns = np.where(known, index.funder_column, 0)
    per_funder = found[0].evidence(found[1], index.funders, spreads)
    return {
        name: Evidence(np.broadcast_to(e.values, (shape[0], e.values.shape[1]))[:, columns] if np.ndim(e.values) else e.values,
                       np.asarray(e.available) & known[None, :])
        for name, e in per_funder.items()
    }


def _spreads(groups: Groups) -> dict[str, Spread]:
    """Each history feature's ``SPREAD_PERCENTILE`` over the candidates of the training
    groups where it is available, and 1."""
    spreads = {}
    for k, name in enumerate(FEATURES):
        if FEATURE_BLOCKS[name] != "history":
            continue
        seen = groups.values[..., k][(groups.available[..., k] > 0) & groups.valid]
        if len(seen):
            low = float(np.percentile(seen, SPREAD_PERCENTILE))
            if low < 1 - 1e-6:
                spreads[name] = (low, 1.0)
    return spreads


def _stretch_groups(groups: Groups, spreads: Mapping[str, Spread]) -> None:
    """The training groups' values as scoring will see them (``stretch``), in place."""
    for name, spread in spreads.items():
        k = FEATURES.index(name)
        groups.values[..., k] = stretch(groups.values[..., k], spread)


def _pick_candidates(values, available, ok, truth, prior, ranker, rng):
    """Slot 0: the true funder; then the hardest eligible others by prior score, and random ones."""
    q, f, d = values.shape
    c = min(ranker.max_candidates, f)
    scores = np.where(ok, combine(values, available, prior.astype(np.float32), ranker.min_evidence), -np.inf)
    rows = np.arange(q)
    scores[rows, truth] = np.inf  # the truth sorts first
    ok = ok.copy()
    ok[rows, truth] = True
    order = np.argsort(-scores, axis=1, kind="stable")
    if c < f:  # half hardest, half random among the rest
        hard = order[:, : c // 2 + 1]
        rest = order[:, c // 2 + 1 :]
        picks = np.argsort(rng.random(rest.shape), axis=1)[:, : c - hard.shape[1]]
        order = np.concatenate([hard, np.take_along_axis(rest, picks, axis=1)], axis=1)
    order = order[:, :c]
    valid = np.take_along_axis(ok, order, axis=1)
    return (
        np.take_along_axis(values, order[..., None], axis=1),
        np.take_along_axis(available, order[..., None], axis=1),
        valid,
    )


def _pad(part: tuple[np.ndarray, np.ndarray, np.ndarray], width: int) -> tuple[np.ndarray, ...]:
    """Candidate slots up to ``width``, the added ones invalid."""
    values, available, valid = part
    extra = width - values.shape[1]
    if not extra:
        return part
    wide = ((0, 0), (0, extra), (0, 0))
    return np.pad(values, wide), np.pad(available, wide), np.pad(valid, ((0, 0), (0, extra)))


def _few_per_family(records: Iterable[FundingRecord]) -> list[FundingRecord]:
    """The first ``FAMILY_QUERIES`` records of each sibling family: a family of 95 copies of
    one title would otherwise weigh 95 times in the fit, and the weights would learn to find
    its funder rather than what tells funders apart."""
    seen: Counter[str] = Counter()
    kept = []
    for record in records:
        seen[key := _family(record)] += 1
        if seen[key] <= FAMILY_QUERIES:
            kept.append(record)
    return kept


def _family(record: FundingRecord) -> str:
    """Sibling records: one funder, one title once digits, punctuation and the tail are dropped."""
    return record.funder_id + "|" + re.sub(r"[\d\W]+", " ", fold(record.title))[:30]


def _label_cuts(groups: Groups | None, pairs: Pairs | None, weights: np.ndarray,
                min_evidence: float) -> tuple[np.ndarray, dict[str, Any]]:
    """Cut points (strong, good, fair) of the score, from held-out data scored with ``weights``.

    Matches are the held-out records' true funders (else the approved decisions), others the
    candidates that did not fund them (else the rejected): *strong* is at least the median
    score of true matches, *good* their lower quartile, *fair* above 90 % of the others (never
    above *good*); below that, *weak*. Without either, ``DEFAULT_LABEL_CUTS``.
    """
    if groups is not None and len(groups.values):
        scores = combine(groups.values, groups.available, weights, min_evidence)
        matches, others = scores[:, 0][groups.valid[:, 0]], scores[:, 1:][groups.valid[:, 1:]]
        source = "history"
    elif pairs is not None and pairs.labels.any() and not pairs.labels.all():
        scores = combine(pairs.values, pairs.available, weights, min_evidence)
        matches, others = scores[pairs.labels == 1], scores[pairs.labels == 0]
        source = "decisions"
    else:
        return np.array(DEFAULT_LABEL_CUTS), {"label_source": "default", "label_thresholds": list(DEFAULT_LABEL_CUTS)}
    strong, good = np.quantile(matches, [0.5, 0.25])
    fair = min(good, float(np.quantile(others, 0.9))) if len(others) else good
    cuts = np.array([strong, good, fair], dtype=np.float64)
    return cuts, {"label_source": source, "label_thresholds": [round(float(c), 4) for c in cuts],
                  "label_matches": int(len(matches)), "label_others": int(len(others))}


def _reciprocal_ranks(groups: Groups, weights: np.ndarray, min_evidence: float) -> np.ndarray:
    """1 / the true funder's rank in each group."""
    scores = np.where(groups.valid, combine(groups.values, groups.available, weights, min_evidence), -np.inf)
    return 1 / (1 + np.sum(scores[:, 1:] > scores[:, :1], axis=1))

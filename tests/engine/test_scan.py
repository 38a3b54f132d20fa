"""The fast path of ``rank`` over big indexes, and indexes updated in place: the very same results.

``rank`` over more than a few hundred offers scores only the eligible ones, reads arrays kept
per offer and explains the chosen ones from precomputed text; updates go to a tail and
tombstones, merged now and then. Each of these must give what the general path gives over an
index built from scratch: the same offers, scores and explanations, bit for bit.
"""

from datetime import date

import msgspec
import numpy as np
import pytest
import scipy.sparse as sp

from matchmaker.engine import encoding
from matchmaker.engine import index as index_module
from matchmaker.engine.encoding import (
    Row,
    SparseRows,
    _postings_dot,
    doc_text,
    postings_dot,
    row_terms,
    rows_dot,
)
from matchmaker.engine.explain import RankedOffer, build, top_k
from matchmaker.engine.history import FunderHistory
from matchmaker.engine.index import NeedIndex, OfferIndex
from matchmaker.engine.model import MatchRanker
from matchmaker.engine.scan import OneNeed
from matchmaker.engine.text import analyze, analyze_with_surfaces, concept_surfaces
from matchmaker.evaluation.bench import (
    synthetic_needs,
    synthetic_offers,
    synthetic_records,
)

TODAY = date.today()  # the synthetic deadlines are relative to it
N_FUNDERS = 30


@pytest.fixture(scope="module")
def world():
    records = synthetic_records(1500, N_FUNDERS, 0)
    ranker = MatchRanker(max_queries=300).fit(records)
    history = FunderHistory(records, ranker.encoder_)
    return ranker, history, synthetic_offers(700, N_FUNDERS, 1), synthetic_needs(12, 2)


def general_rank(ranker, need, index, limit=20, kinds=None, allowed_ids=None):
    """``rank`` as the general path computes it: every pair scored, the chosen ones explained
    from the evidence of every pair."""
    needs = NeedIndex([need], index.history, ranker.encoder_)
    scores = ranker.score(needs, index, TODAY)[0]
    top = top_k(scores, np.isfinite(scores) & index.mask(kinds=kinds, allowed_ids=allowed_ids), limit)
    values, available, _ = ranker.evidence(needs, index, TODAY)
    blocks, parts = ranker._contributions(values[0, top], available[0, top])
    return [
        RankedOffer(index.docs[i].id, *build(need, index.docs[i], blocks[j], parts[j], needs.history,
                                             int(index.funder[i]), needs.encoded.text.rows[0], **ranker._voice("en"),
                                             offer_holds=ranker._holder(row_terms(index.encoded.text.rows, i))))
        for j, i in enumerate(top.tolist())
    ]


def test_fast_path_equals_the_general_path(world):
    ranker, history, offers, needs = world
    index = OfferIndex(offers, history, ranker.encoder_)
    assert index.size > encoding._FEW  # the fast path runs
    for need in needs:
        ranked = ranker.rank(need, index, today=TODAY)
        assert ranked and ranked == general_rank(ranker, need, index)
        assert [(r.offer_id, r.score) for r in ranked] == [
            (offer_id, pytest.approx(score, abs=1e-6)) for offer_id, score in ranker.shortlist(need, index, today=TODAY)
        ]
    kinds, allowed = ["foundation", "un_agency"], {o.id for o in offers[::3]}
    for need in needs[:4]:
        assert ranker.rank(need, index, limit=7, today=TODAY, kinds=kinds) == general_rank(ranker, need, index, 7, kinds)
        assert ranker.rank(need, index, limit=5, today=TODAY, allowed_ids=allowed) == general_rank(
            ranker, need, index, 5, allowed_ids=allowed
        )


def test_fast_path_without_history_or_text(world):
    ranker, _, offers, needs = world
    index = OfferIndex(offers[:400], None, ranker.encoder_)
    for need in needs[:3] + [msgspec.structs.replace(needs[3], title="", description="")]:
        assert ranker.rank(need, index, today=TODAY) == general_rank(ranker, need, index)


def test_updates_rank_as_a_rebuilt_index(world, monkeypatch):
    monkeypatch.setattr(index_module, "TAIL_ROWS", 40)  # merge often
    ranker, history, offers, needs = world
    index = OfferIndex(offers, history, ranker.encoder_)
    fresh = synthetic_offers(120, N_FUNDERS, 9)
    main = index.main
    index.upsert([fresh[0]])
    assert index.main is main  # an upsert leaves the main segment as it is
    for i, offer in enumerate(fresh[1:], 1):
        last = msgspec.structs.replace(offer, id=offers[i * 5].id) if i % 3 else offer
        index.upsert([last])
        if i % 7 == 0:
            index.remove({offers[i].id, fresh[i - 1].id, "unknown"})
        if i % 25 == 0:
            rebuilt = OfferIndex(list(index.offers), history, ranker.encoder_)
            for need in needs[:3]:
                assert ranker.rank(need, index, today=TODAY) == ranker.rank(need, rebuilt, today=TODAY)
                assert ranker.rank(need, index, today=TODAY) == general_rank(ranker, need, rebuilt)
    assert len({o.id for o in index.offers}) == index.size == len(index.offers)
    assert index.offers[-1] == last  # replaced or added offers move to the end


def test_need_index_updates(world):
    ranker, history, offers, _ = world
    pool = synthetic_needs(300, 5)
    index = NeedIndex(pool, history, ranker.encoder_)
    index.upsert([msgspec.structs.replace(pool[3], title="Border management")] + synthetic_needs(2, 6)[1:])
    index.remove({"need-7"})
    rebuilt = NeedIndex(list(index.needs), history, ranker.encoder_)
    assert [n.id for n in index.needs] == [n.id for n in rebuilt.needs]
    for offer in offers[:5]:
        assert ranker.rank_needs(offer, index, today=TODAY) == ranker.rank_needs(offer, rebuilt, today=TODAY)


def test_one_need_is_encoded_as_a_need_index(world):
    ranker, history, _, needs = world
    for need in [*needs, msgspec.structs.replace(needs[0], title="Gestión de fronteras", description="", language="es")]:
        one, full = OneNeed(need, ranker.encoder_, history), NeedIndex([need], history, ranker.encoder_)
        text = full.encoded.text.rows
        assert np.array_equal(one.text.indices, text.indices) and np.array_equal(one.text.data, text.data)
        assert np.array_equal(one.query.bm25_max, full.queries.bm25_max)
        for funders in (None, np.array([0, 4, 7])):
            expected, got = history.evidence(full.queries, funders), history.evidence(one.query, funders)
            for name, evidence in expected.items():
                assert np.array_equal(*np.broadcast_arrays(evidence.values, got[name].values)), name
                assert np.array_equal(*np.broadcast_arrays(evidence.available, got[name].available)), name


def test_history_of_one_need_equals_its_row_among_many(world):
    """The scan's one-row queries and the matrix path's many rows go through the same kernels."""
    ranker, history, _, needs = world
    many = NeedIndex(needs, history, ranker.encoder_)
    for funders in (None, np.array([1, 5, 6, 20])):
        together = history.evidence(many.queries, funders)
        for i, need in enumerate(needs):
            alone = history.evidence(OneNeed(need, ranker.encoder_, history).query, funders)
            for name, evidence in together.items():
                rows = np.broadcast_to(evidence.values, (len(needs), np.shape(evidence.values)[-1]))
                assert np.array_equal(*np.broadcast_arrays(rows[i], alone[name].values[0])), name


def test_exact_sums_match_the_postings_product(world, monkeypatch):
    ranker, _, offers, needs = world
    rows = SparseRows(ranker.encoder_.transform([doc_text(o) for o in offers]))
    monkeypatch.setattr(encoding, "_BIG", 1)  # the dense-column path, even for a small index
    for need in needs:
        query = NeedIndex([need], None, ranker.encoder_).encoded.text.rows
        expected = _postings_dot(query, rows.postings)
        assert np.array_equal(postings_dot(Row(query.indices, query.data), rows), expected)
        for picks in (np.arange(50), np.array([3]), np.array([10, 2, 7])):
            tail = rows.rows[picks]
            assert np.array_equal(rows_dot(Row(query.indices, query.data), tail), expected[picks])
        assert rows_dot(query, rows.rows[:5]).dtype == np.float32


def test_offer_texts_analysed_once_for_counts_and_explanations(world):
    _, _, offers, _ = world
    texts = [doc_text(o) for o in offers[:200]] + ["Gestión des Frontières, main-d'œuvre ﬁnance", "", "½ x_y"]
    for text in texts:
        tokens, surfaces = analyze_with_surfaces(text)
        assert tokens == analyze(text)
        assert {c: (text[a:b], own) for c, (a, b, own) in surfaces.items()} == concept_surfaces(text)


def test_indexed_surfaces_and_counts_equal_the_encoder(world):
    ranker, history, offers, _ = world
    index = OfferIndex(offers[:50], history, ranker.encoder_)
    index.upsert(synthetic_offers(3, N_FUNDERS, 4))
    expected = ranker.encoder_.counts([doc_text(o) for o in index.offers])
    assert (abs(index.encoded.counts.rows - sp.csr_matrix(expected, dtype=np.float32)) > 0).nnz == 0
    for row, offer in enumerate(index.physical_docs):
        assert index.surfaces(row) == concept_surfaces(doc_text(offer))


def test_an_id_given_twice_keeps_both_rows_until_removed(world):
    ranker, history, offers, needs = world
    index = OfferIndex([*offers[:300], msgspec.structs.replace(offers[0], title="Border management")], history,
                       ranker.encoder_)
    index.upsert([offers[5], msgspec.structs.replace(offers[5], title="Water supply")])
    ids = [o.id for o in index.offers]
    assert (ids.count(offers[0].id), ids.count(offers[5].id), index.size) == (2, 2, 302)
    index.remove({offers[0].id})
    index.upsert([offers[5]])
    ids = [o.id for o in index.offers]
    assert (ids.count(offers[0].id), ids.count(offers[5].id), index.size) == (0, 1, 299)
    rebuilt = OfferIndex(list(index.offers), history, ranker.encoder_)
    assert ranker.rank(needs[0], index, today=TODAY) == ranker.rank(needs[0], rebuilt, today=TODAY)


def test_fast_path_with_missing_amounts_and_any_limit(world):
    ranker, history, offers, needs = world
    unpriced = [msgspec.structs.replace(o, remaining_usd=None, max_usd=None, min_usd=None) if i % 3 == 0 else o
                for i, o in enumerate(offers)]
    index = OfferIndex(unpriced, history, ranker.encoder_)
    for need in (msgspec.structs.replace(needs[0], amount_usd=None), msgspec.structs.replace(needs[1], amount_usd=0.0)):
        assert ranker.rank(need, index, today=TODAY) == general_rank(ranker, need, index)
    for limit in (0, 1, 1000):
        assert ranker.rank(needs[2], index, limit=limit, today=TODAY) == general_rank(ranker, needs[2], index, limit)

"""The estimator: conventions, explanations, determinism, both directions."""

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from support import TODAY, fitted, history, need, offer, record

from matchmaker.engine.index import NeedIndex, OfferIndex
from matchmaker.engine.learning import combine
from matchmaker.engine.model import MatchRanker

OFFERS = [
    offer("b1", funder_id="borders-fund", title="Border management", gcm_objectives=(11,), countries=("SEN",), global_=False),
    offer("w1", funder_id="water-fund", title="Water and sanitation", gcm_objectives=(2,)),
    offer("n1", funder_id="newcomer", title="Gestion des frontières", language="fr", max_usd=50_000.0),
]


def test_init_stores_parameters_only_and_methods_need_fit():
    ranker = MatchRanker(regularization=0.1)
    assert ranker.get_params()["regularization"] == 0.1 and not hasattr(ranker, "weights_")
    with pytest.raises(NotFittedError):
        ranker.block_weights()


def test_weights_are_a_distribution_and_prior_without_data():
    ranker = MatchRanker().fit([])
    assert np.isclose(ranker.weights_.sum(), 1) and (ranker.weights_ >= 0).all()
    assert np.allclose(ranker.weights_, ranker.prior_weights(), atol=1e-3)
    assert np.isclose(sum(fitted().block_weights().values()), 1)


def test_explanations_add_up_to_scores_in_unit_interval():
    ranker = fitted()
    ranked = ranker.rank(need(gcm_objectives=(11,)), OfferIndex.build(OFFERS, history(), ranker), today=TODAY)
    assert len(ranked) == 3
    for result in ranked:
        assert [f.factor for f in result.explanation] == ["text", "thematic", "geography", "resources_amount", "history"]
        assert sum(f.contribution for f in result.explanation) == result.score
        assert 0 <= result.score <= 1
    assert [r.score for r in ranked] == sorted((r.score for r in ranked), reverse=True)


def test_fast_scores_equal_the_combined_features():
    ranker = fitted()
    index = OfferIndex.build(OFFERS, history(), ranker)
    needs = [need(), need(id="n2", title="Water", countries=("VNM",))]
    values, available, ok = ranker.evidence(needs, index, TODAY)
    expected = np.where(ok, combine(values, available, ranker.weights_.astype(np.float32), ranker.min_evidence), -np.inf)
    assert np.allclose(ranker.score(needs, index, TODAY), expected, atol=1e-6)


def test_two_fits_give_identical_weights_and_scores():
    a, b = MatchRanker(max_queries=200).fit(history()), MatchRanker(max_queries=200).fit(history())
    assert np.array_equal(a.weights_, b.weights_)
    index_a, index_b = OfferIndex.build(OFFERS, history(), a), OfferIndex.build(OFFERS, history(), b)
    assert np.array_equal(a.score([need()], index_a, TODAY), b.score([need()], index_b, TODAY))


def test_rank_needs_reuses_the_same_blocks():
    ranker = fitted()
    needs = [need(id="sen", gcm_objectives=(11,)), need(id="vnm", title="Water", countries=("VNM",)),
             need(id="per", countries=("PER",), title="Border management")]
    index = NeedIndex.build(needs, history(), ranker)
    border_offer = OFFERS[0]
    ranked = ranker.rank_needs(border_offer, index, today=TODAY)
    assert [r.need_id for r in ranked] == ["sen"]  # the others are outside the offer's country
    forward = ranker.rank(needs[0], OfferIndex.build([border_offer], history(), ranker), today=TODAY)
    assert ranked[0].score == pytest.approx(forward[0].score)
    assert ranker.rank_needs(OFFERS[1], index, today=TODAY, allowed_ids={"vnm"})[0].need_id == "vnm"


def test_history_text_scores_the_same_for_one_need_or_many():
    # Enough funders for a term of one funder's profile to weigh (Okapi IDF is 0 with two).
    records = history() + [record(i, f"health-{k}", "KEN", "12220", f"Primary health care clinics {k} {i}")
                           for k in range(4) for i in range(3)]
    ranker = MatchRanker(max_queries=200).fit(records)
    border_offer = offer("b", funder_id="borders-fund", countries=("SEN",), global_=False, title="Border management")
    needs = [need(id="sen"), need(id="crossings", title="Border crossing points"), need(id="data", title="Migration data")]
    offers = OfferIndex.build([border_offer], records, ranker)
    h_text = ranker.feature_names_.index("h_text")
    together = ranker.evidence(NeedIndex.build(needs, records, ranker), offers, TODAY)[0][:, 0, h_text]
    alone = [ranker.evidence(NeedIndex.build([n], records, ranker), offers, TODAY)[0][0, 0, h_text] for n in needs]
    assert together[0] > 0.5  # the need's words are the funder's own
    assert together.tolist() == pytest.approx(alone)
    backward = {r.need_id: r.score for r in ranker.rank_needs(border_offer, NeedIndex.build(needs, records, ranker), today=TODAY)}
    assert backward["sen"] == pytest.approx(ranker.rank(needs[0], offers, today=TODAY)[0].score)


def test_nothing_to_rank_gives_an_empty_list():
    ranker = fitted()
    assert ranker.rank(need(), OfferIndex.build([], history(), ranker), today=TODAY) == []
    assert ranker.rank_needs(OFFERS[0], NeedIndex.build([], history(), ranker), today=TODAY) == []
    elsewhere = offer("vnm", countries=("VNM",), global_=False)  # indexed, but not eligible for the need
    assert ranker.rank(need(), OfferIndex.build([elsewhere], history(), ranker), today=TODAY) == []

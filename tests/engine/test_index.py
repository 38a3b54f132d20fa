"""Updating the index without refitting."""

from support import TODAY, fitted, history, need, offer

from matchmaker.engine.index import NeedIndex, OfferIndex


def test_upsert_and_remove_change_what_ranks():
    ranker = fitted()
    weights = ranker.weights_.copy()
    index = OfferIndex.build([offer("a", title="Water supply"), offer("b", title="Rural roads")], history(), ranker)
    assert ranker.rank(need(), index, today=TODAY)[0].offer_id in {"a", "b"}
    index.upsert([offer("b", title="Integrated border management", gcm_objectives=(11,))])
    assert index.size == 2
    assert ranker.rank(need(gcm_objectives=(11,)), index, today=TODAY)[0].offer_id == "b"
    index.upsert([offer("b", title="Integrated border management", status="closed")])
    assert [r.offer_id for r in ranker.rank(need(), index, today=TODAY)] == ["a"]
    index.upsert([offer("c", title="Border police training")])
    index.remove({"a"})
    assert sorted(o.id for o in index.offers) == ["b", "c"]
    assert [r.offer_id for r in ranker.rank(need(), index, today=TODAY)] == ["c"]
    assert (ranker.weights_ == weights).all()


def test_need_index_update():
    ranker = fitted()
    index = NeedIndex.build([need(id="x", countries=("PER",))], history(), ranker)
    border_offer = offer("o", countries=("SEN",), global_=False)
    assert ranker.rank_needs(border_offer, index, today=TODAY) == []
    index.upsert([need(id="x")])
    assert [r.need_id for r in ranker.rank_needs(border_offer, index, today=TODAY)] == ["x"]

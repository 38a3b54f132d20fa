"""Hard filters run before ranking."""

from support import TODAY, fitted, in_future, need, offer

from matchmaker.engine.index import OfferIndex


def ranked_ids(the_need, offers):
    ranker = fitted()
    return [r.offer_id for r in ranker.rank(the_need, OfferIndex.build(offers, None, ranker), today=TODAY)]


def test_only_eligible_offers_are_ranked():
    offers = [
        offer("ok", deadline=in_future()),
        offer("closed", status="closed"),
        offer("expired", deadline=in_future(-1)),
        offer("no-budget", remaining_usd=0.0),
        offer("min-ticket-too-high", min_usd=500_000.0),
        offer("other-resources", resource_types=("volunteers",)),
        offer("elsewhere", global_=False, countries=("PER",), regions=("Asia",)),
        offer("undeclared-resources", resource_types=()),
        offer("above-max-ticket", max_usd=10_000.0),
    ]
    assert sorted(ranked_ids(need(), offers)) == ["above-max-ticket", "ok", "undeclared-resources"]


def test_a_need_past_its_deadline_is_not_offered_anything():
    assert ranked_ids(need(deadline=in_future(-1)), [offer("ok")]) == []


def test_kind_and_id_filters():
    ranker = fitted()
    offers = [offer("a", funder_kind="foundation"), offer("b", funder_kind="multilateral")]
    index = OfferIndex.build(offers, None, ranker)
    assert [r.offer_id for r in ranker.rank(need(), index, today=TODAY, kinds={"foundation"})] == ["a"]
    assert [r.offer_id for r in ranker.rank(need(), index, today=TODAY, allowed_ids={"b"})] == ["b"]

"""Each evidence block on its own: thematic, geography, resources and amount, history."""

import numpy as np
import pytest
from support import TODAY, fitted, history, need, offer

from matchmaker.engine.blocks import AREA_SCORES, GLOBAL_SCORE, offer_evidence
from matchmaker.engine.encoding import EncodedNeeds, EncodedOffers
from matchmaker.engine.index import OfferIndex


def evidence(the_need, offers):
    encoder = fitted().encoder_
    return offer_evidence(EncodedNeeds([the_need], encoder), EncodedOffers(offers, encoder))


def factor(ranked, name):
    return next(f for f in ranked.explanation if f.factor == name)


def test_thematic_rewards_shared_objectives_and_dac_categories():
    the_need = need(gcm_objectives=(11, 14), sectors=("15190",))
    offers = [offer("same", gcm_objectives=(11, 14), sectors=("15190",)),
              offer("category", gcm_objectives=(2,), sectors=("15110",)),
              offer("none", gcm_objectives=(2,), sectors=("31110",))]
    found = evidence(the_need, offers)
    assert found["gcm"].values[0].tolist() == [1.0, 0.0, 0.0]
    assert found["sector"].values[0].tolist() == [1.0, 0.0, 0.0]
    assert found["category"].values[0].tolist() == [1.0, 1.0, 0.0]
    ranked = fitted().rank(the_need, OfferIndex.build(offers, None, fitted()), today=TODAY)
    assert [r.offer_id for r in ranked] == ["same", "category", "none"]
    assert "GCM objectives 11 and 14" in factor(ranked[0], "thematic").detail


def test_text_sectors_match_their_dac_codes():
    found = evidence(need(sectors=("Facilitation of orderly, safe, regular and responsible migration and mobility",)),
                     [offer("code", sectors=("15190",))])
    assert found["sector"].values[0, 0] == 1.0


def test_geography_prefers_the_country_then_subregion_region_and_global():
    offers = [offer("country", global_=False, countries=("SEN",)),
              offer("subregion", global_=False, regions=("Western Africa",)),
              offer("region", global_=False, regions=("Africa",)),
              offer("global"),
              offer("elsewhere", global_=False, countries=("PER",)),
              offer("diaspora", global_=False, funder_kind="diaspora_organisation", funder_country="SEN")]
    values = evidence(need(), offers)["geography"].values[0].tolist()
    expected = [AREA_SCORES["country"], AREA_SCORES["subregion"], AREA_SCORES["region"], GLOBAL_SCORE, 0.0,
                AREA_SCORES["country"]]
    assert values == expected
    ranked = fitted().rank(need(), OfferIndex.build(offers, None, fitted()), today=TODAY)
    assert "elsewhere" not in [r.offer_id for r in ranked]
    assert factor(next(r for r in ranked if r.offer_id == "diaspora"), "geography").detail == "diaspora organisation from Senegal"


def test_resources_and_amount_fit():
    offers = [offer("both", resource_types=("financial", "training"), max_usd=200_000.0),
              offer("half", resource_types=("training",), remaining_usd=50_000.0),
              offer("unknown", resource_types=("financial",))]
    found = evidence(need(), offers)
    assert found["resources"].values[0].tolist() == [1.0, 0.5, 0.5]
    assert found["amount"].values[0, :2].tolist() == [1.0, 0.5]
    assert found["amount"].available[0].tolist() == [True, True, False]


def test_history_ranks_the_funder_that_funded_this_kind_of_need_here():
    ranker = fitted()
    offers = [offer("w", funder_id="water-fund"), offer("b", funder_id="borders-fund")]
    index = OfferIndex.build(offers, history(), ranker)
    ranked = ranker.rank(need(sectors=("15190",)), index, today=TODAY)
    assert [r.offer_id for r in ranked] == ["b", "w"]
    detail = factor(ranked[0], "history").detail
    assert factor(ranked[0], "history").contribution > factor(ranked[1], "history").contribution
    # What it funded that matches this very need: its country and its own concept, then the latest such project.
    assert detail.startswith("funded all 12 of its projects in Senegal on “integrated border management” since 2015; ")
    assert "latest: “Border management support phase" in detail
    water = factor(ranked[1], "history").detail
    assert "Senegal" not in water and "border" not in water.lower()  # the same need, another funder: another line


def test_a_new_funder_ranks_on_its_declared_offer():
    ranker = fitted()
    offers = [offer("old", funder_id="water-fund"),
              offer("new", funder_id="newcomer", title="Integrated border management", gcm_objectives=(11,))]
    ranked = ranker.rank(need(gcm_objectives=(11,)), OfferIndex.build(offers, history(), ranker), today=TODAY)
    assert ranked[0].offer_id == "new"
    assert factor(ranked[0], "history").contribution == 0.0
    assert factor(ranked[0], "history").detail == "no funding history"
    assert np.isclose(sum(f.contribution for f in ranked[0].explanation), ranked[0].score)


def test_thematic_overlap_of_many_objectives():
    every = tuple(range(1, 24))
    the_need = need(gcm_objectives=every)
    offers = [offer("all", gcm_objectives=every), offer("sixteen", gcm_objectives=every[:16])]
    assert evidence(the_need, offers)["gcm"].values[0].tolist() == pytest.approx([1.0, (16 / 23) ** 0.5])
    # The same through the fast path of a big index (its per-need lookup tables).
    fillers = [offer(f"filler-{i}", gcm_objectives=(1,)) for i in range(300)]
    big = fitted().rank(the_need, OfferIndex.build(offers + fillers, None, fitted()), today=TODAY, limit=3)
    small = fitted().rank(the_need, OfferIndex.build(offers, None, fitted()), today=TODAY)
    assert [r.offer_id for r in big[:2]] == ["all", "sixteen"]
    assert [factor(r, "thematic").contribution for r in big[:2]] == pytest.approx(
        [factor(r, "thematic").contribution for r in small])

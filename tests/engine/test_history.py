"""History evidence that holds whatever a need's words: a funder's reporting style."""

import numpy as np
from support import TODAY, need, record

from matchmaker.engine.documents import FundingRecord, funder_offer
from matchmaker.engine.history import opening_word, pegged_currencies, round_digits, stretch, title_form
from matchmaker.engine.index import OfferIndex
from matchmaker.engine.model import MatchRanker, _few_per_family


def test_round_amounts_and_title_forms_are_read_from_any_record():
    assert [round_digits(a) for a in (500_000, 120_000, 82_192.33, 5_339_173, 0.5, None)] == [1, 2, 5, 5, None, None]
    assert title_form("Sweden Contribution to OCHA 2026") == ("year", "acronym")
    assert title_form("HAC-WCARO Health Benin - Integrated Action (IHL)") == ("acronym", "bracket", "dash", "capitals")
    assert title_form("fasting breakfast") == ("lower",) and title_form("") == ()
    assert title_form("Distributing food to poor children") == ("sentence",) and title_form("Nutrition") == ("plain",)


def test_a_funder_paying_round_sums_is_told_from_one_converting_its_currency():
    # The same words, places and amount bands: only how round the sums are and how titles are written differ.
    dollars = [record(i, "dollars", "SEN", "15190", f"Food Assistance {2015 + i}", amount=500_000.0 * (1 + i % 3))
               for i in range(9)]
    riyals = [record(i, "riyals", "SEN", "15190", "food assistance", amount=164_383.56 * (1 + i % 3) * 3.1)
              for i in range(9)]
    records = dollars + riyals
    ranker = MatchRanker(max_queries=50).fit(records)
    index = OfferIndex.build([funder_offer("dollars"), funder_offer("riyals")], records, ranker)
    values = ranker.evidence([need(title="Food Assistance 2026", amount_usd=1_000_000.0)], index, TODAY)[0][0]
    round_, form = ranker.feature_names_.index("h_round"), ranker.feature_names_.index("h_form")
    assert values[0, round_] > values[1, round_] and values[0, form] > values[1, form]


def test_a_need_that_names_a_funder_points_to_it_and_generic_name_words_do_not():
    def funder(name: str, title: str) -> list[FundingRecord]:
        return [FundingRecord(record_id=f"{name}-{i}", funder_id=name, funder_name=name, countries=("SYR",),
                              title=f"{title} {i}", amount_usd=1e5, year=2020 + i % 3) for i in range(6)]

    records = [*funder("Sweden, Government of", "Emergency food aid"), *funder("Norway, Government of", "Emergency food aid"),
               *funder("Humanitarian Pooled Fund", "Humanitarian food aid")]
    ranker = MatchRanker(max_queries=50).fit(records)
    index = OfferIndex.build([funder_offer(r.funder_id) for r in records[::6]], records, ranker)
    name = ranker.feature_names_.index("h_name")
    sweden = ranker.evidence([need(title="Sweden contribution to the government")], index, TODAY)
    assert sweden[1][0, :, name].all() and sweden[0][0, 0, name] > 0.5 > sweden[0][0, 1, name]
    # "government" is in two funders' names, "humanitarian" in the titles: both say little.
    generic = ranker.evidence([need(title="Humanitarian food aid to the government")], index, TODAY)[0][0, :, name]
    assert generic.max() < sweden[0][0, 0, name] / 2


def test_where_a_funder_works_now_counts_more_than_where_it_worked_long_ago():
    moved = [record(i, "moved", "SEN" if i < 3 else "MLI", "15190", f"Border posts {i}", year=2020 + i) for i in range(6)]
    left = [record(i, "left", "MLI" if i < 3 else "SEN", "15190", f"Border posts {i}", year=2020 + i) for i in range(6)]
    records = moved + left
    ranker = MatchRanker(max_queries=50).fit(records)
    index = OfferIndex.build([funder_offer("moved"), funder_offer("left")], records, ranker)
    country = ranker.feature_names_.index("h_country")
    values = ranker.evidence([need(countries=("MLI",))], index, TODAY)[0][0, :, country]
    assert values[0] > values[1]  # both funded three records in Mali; "moved" did lately


def test_an_amount_converted_from_a_dollar_pegged_currency_is_read_back_as_round():
    # 100,000 Qatari riyals at the 3.65 operational rate; 1.4 million at the same rate.
    assert "QAR" in pegged_currencies(27_397) and pegged_currencies(383_562) == ["QAR"]
    assert pegged_currencies(3_750_000 / 3.75 + 0.3) == []  # round in dollars: that is ``h_round``'s
    assert pegged_currencies(82_192_417.5) == [] and pegged_currencies(None) == []
    assert opening_word("Providing winter clothing in Afghanistan") == ["providing"] and opening_word("") == []


def test_a_funder_paying_round_riyals_is_told_apart_by_the_need_amount():
    riyals = [record(i, "riyals", "SEN", "15190", f"Support project {i}", amount=round(k * 100_000 / 3.65))
              for i, k in enumerate((1, 2, 5, 3, 1, 4, 2, 6, 3))]
    dollars = [record(i, "dollars", "SEN", "15190", f"Support project {i}", amount=k * 27_301.0 + 17)
               for i, k in enumerate((1, 2, 5, 3, 1, 4, 2, 6, 3))]
    records = riyals + dollars
    ranker = MatchRanker(max_queries=50).fit(records)
    index = OfferIndex.build([funder_offer("riyals"), funder_offer("dollars")], records, ranker)
    currency = ranker.feature_names_.index("h_currency")
    values, available, _ = ranker.evidence([need(title="Support project", amount_usd=round(700_000 / 3.65))], index, TODAY)
    assert available[0, :, currency].all() and values[0, 0, currency] > values[0, 1, currency]
    values, available, _ = ranker.evidence([need(title="Support project", amount_usd=191_234.0)], index, TODAY)
    assert not available[0, :, currency].any()  # an amount round in no pegged currency says nothing


def test_the_word_a_funder_opens_its_titles_with_tells_it_apart():
    providing = [record(i, "providing", "SEN", "15190", f"Providing support to region {i}") for i in range(8)]
    support = [record(i, "support", "SEN", "15190", f"Support to providing region {i}") for i in range(8)]
    records = providing + support
    ranker = MatchRanker(max_queries=50).fit(records)
    index = OfferIndex.build([funder_offer("providing"), funder_offer("support")], records, ranker)
    opening = ranker.feature_names_.index("h_opening")
    values = ranker.evidence([need(title="Providing winter clothing")], index, TODAY)[0][0, :, opening]
    assert values[0] > values[1]
    values = ranker.evidence([need(title="Support to winter clothing")], index, TODAY)[0][0, :, opening]
    assert values[1] > values[0]


def test_a_funder_that_pools_countries_is_told_from_one_that_reports_them_one_by_one():
    def funder(name: str, countries: tuple[str, ...]) -> list[FundingRecord]:
        return [FundingRecord(record_id=f"{name}-{i}", funder_id=name, funder_name=name, countries=countries,
                              sectors=("15190",), title=f"Migration support {i}", amount_usd=1e5, year=2020) for i in range(8)]

    records = funder("pooled", ("SEN", "MLI", "NER")) + funder("single", ("SEN",))
    ranker = MatchRanker(max_queries=50).fit(records)
    index = OfferIndex.build([funder_offer("pooled"), funder_offer("single")], records, ranker)
    scope = ranker.feature_names_.index("h_scope")
    many = ranker.evidence([need(countries=("SEN", "MLI", "BFA"), sectors=("15190",))], index, TODAY)[0][0, :, scope]
    one = ranker.evidence([need(countries=("SEN",), sectors=("15190",))], index, TODAY)[0][0, :, scope]
    assert many[0] > many[1] and one[1] > one[0]


def test_history_features_are_stretched_from_their_low_end_and_keep_their_top():
    assert np.allclose(stretch([0.8, 0.9, 1.0, 0.5], (0.8, 1.0)), [0.0, 0.5, 1.0, 0.0])
    records = [record(i, "a", "SEN", "15190", "Border posts") for i in range(5)] + [record(9, "a", "SEN", "15190", "Other")]
    assert [r.record_id for r in _few_per_family(records)] == ["a-0", "a-1", "a-2", "a-9"]
    ranker = MatchRanker(max_queries=50).fit(records + [record(i, "b", "MLI", "31120", f"Wells {i}") for i in range(6)])
    assert ranker.history_spread_ and all(0 <= low < high == 1.0 for low, high in ranker.history_spread_.values())

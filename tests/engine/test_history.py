"""History evidence that holds whatever a need's words: a funder's reporting style."""

from support import TODAY, need, record

from matchmaker.engine.documents import FundingRecord, funder_offer
from matchmaker.engine.history import round_digits, title_form
from matchmaker.engine.index import OfferIndex
from matchmaker.engine.model import MatchRanker


def test_round_amounts_and_title_forms_are_read_from_any_record():
    assert [round_digits(a) for a in (500_000, 120_000, 82_192.33, 5_339_173, 0.5, None)] == [1, 2, 5, 5, None, None]
    assert title_form("Sweden Contribution to OCHA 2026") == ("year", "acronym")
    assert title_form("HAC-WCARO Health Benin - Integrated Action (IHL)") == ("acronym", "bracket", "dash", "capitals")
    assert title_form("fasting breakfast") == ("plain",) and title_form("") == ()


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

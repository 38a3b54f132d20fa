"""Fair to new funders: history is evidence of capacity, not a popularity prize.

Fitted on the demo funders' real history, a funder with no history whose offer declares what
a need asks (objectives, capacity area, place, resources, an amount in its ticket range)
ranks above funders whose only edge is a long record in the sector; a new funder whose
offer declares something else gets no prize for being new.
"""

from collections import Counter
from functools import lru_cache

from support import TODAY, in_future, need, offer

from matchmaker.engine.documents import read_records
from matchmaker.engine.index import OfferIndex
from matchmaker.engine.model import MatchRanker
from matchmaker.settings import PROJECT_ROOT


@lru_cache(maxsize=1)
def demo_history():
    records = read_records(PROJECT_ROOT / "seed" / "history.csv")
    return records, MatchRanker().fit(records)


def test_a_new_funder_that_declares_what_the_need_asks_ranks_above_long_records():
    records, ranker = demo_history()
    fraud = need(title="Renforcement de la détection de la fraude documentaire aux frontières", language="fr",
                 gcm_objectives=(4, 11), capacity_areas=("border_management",), countries=("SEN",), sectors=("15190",),
                 resource_types=("training", "equipment"), amount_usd=134_000.0, deadline=in_future())
    declared = offer("newcomer", funder_id="new-diaspora", funder_kind="diaspora_organisation", funder_country="SEN",
                     title="Document verification kits and training for border police",
                     description="Kits and courses to detect forged travel documents at border posts.",
                     gcm_objectives=(4, 11), capacity_areas=("border_management",), countries=("SEN",), global_=False,
                     resource_types=("training", "equipment"), min_usd=20_000.0, max_usd=150_000.0, deadline=in_future())
    unrelated = offer("elsewhere", funder_id="new-company", funder_kind="private_sector",
                      title="Grants for remittance fintech start-ups", gcm_objectives=(20,), global_=True,
                      resource_types=("training", "equipment"), deadline=in_future())
    # The funders with the longest records in the need's sector category, each with an offer
    # that declares nothing the need asks for beyond resources.
    veterans = [offer(f"veteran-{i}", funder_id=funder, title="Grants", global_=True,
                      resource_types=("financial", "training", "equipment"), deadline=in_future())
                for i, (funder, _) in enumerate(Counter(r.funder_id for r in records
                                                        if any(s.startswith("151") for s in r.sectors)).most_common(5))]
    index = OfferIndex.build([declared, unrelated, *veterans], records, ranker)
    ranked = [r.offer_id for r in ranker.rank(fraud, index, limit=10, today=TODAY)]
    assert ranked[0] == "newcomer", ranked
    assert ranked.index("elsewhere") > ranked.index("veteran-0"), ranked

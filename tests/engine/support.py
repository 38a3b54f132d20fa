"""Small hand-made needs, offers and records shared by the ranking tests."""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

from matchmaker.engine.documents import DecisionRecord, FundingRecord, NeedDoc, OfferDoc
from matchmaker.engine.model import MatchRanker

TODAY = date(2025, 6, 1)


def need(**fields) -> NeedDoc:
    base = dict(id="need", title="Strengthening integrated border management", language="en", countries=("SEN",),
                resource_types=("financial", "training"), amount_usd=100_000.0)
    return NeedDoc(**{**base, **fields})


def offer(id: str, **fields) -> OfferDoc:
    base = dict(id=id, funder_id=f"funder-{id}", title="", global_=True, resource_types=("financial", "training"),
                status="open")
    return OfferDoc(**{**base, **fields})


def record(i: int, funder: str, country: str, sector: str, title: str, year: int = 2018, amount: float = 1e5,
           language: str = "en") -> FundingRecord:
    return FundingRecord(record_id=f"{funder}-{i}", funder_id=funder, funder_name=funder, countries=(country,),
                         sectors=(sector,), title=title, language=language, amount_usd=amount, year=year)


def history() -> list[FundingRecord]:
    """Two funders: one funds border work in Senegal, the other water in Viet Nam."""
    border = [record(i, "borders-fund", "SEN", "15190", f"Border management support phase {i}", 2015 + i % 5)
              for i in range(12)]
    water = [record(i, "water-fund", "VNM", "14030", f"Rural water supply and sanitation {i}", 2015 + i % 5, 1e6)
             for i in range(12)]
    return border + water


def decisions(n: int) -> list[DecisionRecord]:
    """Coordinators who approve offers on the need's GCM objective whatever their resource
    types, and reject the others (one decision in seven goes the other way)."""
    out = []
    for i in range(n):
        on_theme, resources_fit = i % 2, (i // 2) % 2
        o = offer(f"o{i}", gcm_objectives=(11,) if on_theme else (3,),
                  resource_types=("financial",) if resources_fit else ("equipment",))
        out.append(DecisionRecord(need=need(id=f"d{i}", gcm_objectives=(11,), title=""), offer=o,
                            approved=bool(on_theme) != (i % 7 == 0)))
    return out


@lru_cache(maxsize=16)
def fitted_on_decisions(n: int, **params) -> MatchRanker:
    """A ranker fitted on the small history and ``decisions(n)``, once per arguments (tests must not change it)."""
    return MatchRanker(max_queries=200, **params).fit(history(), decisions(n))


@lru_cache(maxsize=1)
def fitted() -> MatchRanker:
    """A ranker fitted once on the small history (tests must not change it)."""
    return MatchRanker(max_queries=200).fit(history())


def in_future(days: int = 30) -> date:
    return TODAY + timedelta(days=days)

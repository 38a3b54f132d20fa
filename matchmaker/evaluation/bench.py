"""Synthetic needs, offers and records, and how fast the ranker fits and ranks at scale.

``python -m matchmaker.evaluation.bench --sizes 1000 10000 100000`` fits on N records, indexes
N offers and prints a table: fit time, peak memory, index build time, the latency of ranking
one need against all offers in process (p50/p99 of the whole ``rank`` call, with its
explanations, and of scoring and the top 20 alone), and the cost of upserting one offer. The generators are seeded
and use the real vocabularies (glossary phrases in en/fr/es, countries, DAC codes), so the
texts, postings and filters look like production data.
"""

from __future__ import annotations

import argparse
import csv
import resource
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from functools import partial
from importlib.resources import files
from typing import TypeVar

import numpy as np
from msgspec.structs import replace

from matchmaker.engine.documents import (
    CAPACITY_AREAS,
    ORGANISATION_KINDS,
    RESOURCE_TYPES,
    FundingRecord,
    NeedDoc,
    OfferDoc,
)
from matchmaker.engine.index import OfferIndex
from matchmaker.engine.model import MatchRanker
from matchmaker.engine.reference import countries
from matchmaker.vocabulary import dac_sectors

_OPENINGS = {
    "en": ["Strengthening", "Support to", "Capacity building for", "Technical assistance on", "Improving"],
    "fr": ["Renforcement de", "Appui à", "Renforcement des capacités pour", "Assistance technique sur", "Amélioration de"],
    "es": ["Fortalecimiento de", "Apoyo a", "Fortalecimiento de capacidades para", "Asistencia técnica en", "Mejora de"],
}
_MIGRATION_SECTORS = ["15190", "15110", "15130", "15150", "15160", "16010", "16020", "13010", "11330", "72010"]


def _phrases() -> dict[str, list[str]]:
    """Glossary phrases by language: the realistic words of the field."""
    out: dict[str, list[str]] = {"en": [], "fr": [], "es": []}
    with files("matchmaker.engine").joinpath("data/glossary.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(line for line in fh if not line.startswith("#")):
            for language in out:
                out[language] += row[language].split("|")
    return out


class Generator:
    """Seeded source of synthetic documents; each funder has its own themes and places."""

    def __init__(self, seed: int = 0, n_funders: int = 100) -> None:
        self.rng = np.random.default_rng(seed)
        self.phrases = _phrases()
        self.countries = sorted(c for c, row in countries().items() if row["region"])
        self.sectors = sorted(dac_sectors())
        self.funder_ids = [f"funder-{i}" for i in range(n_funders)]
        # A funder favours a few countries, sectors and a language: history has structure.
        self.focus = [
            (self._pick(self.countries, 6), self._pick(_MIGRATION_SECTORS, 2) + self._pick(self.sectors, 2), self._language())
            for _ in self.funder_ids
        ]

    def _pick(self, items: list, k: int) -> list:
        return [items[i] for i in self.rng.choice(len(items), size=min(k, len(items)), replace=False)]

    def _language(self) -> str:
        return str(self.rng.choice(["en", "fr", "es"], p=[0.6, 0.2, 0.2]))

    def text(self, language: str, words: int = 3) -> str:
        topic = " and ".join(self._pick(self.phrases[language], words))
        return f"{self.rng.choice(_OPENINGS[language])} {topic}"

    def need(self, i: int) -> NeedDoc:
        language = self._language()
        return NeedDoc(
            id=f"need-{i}", title=self.text(language), description=self.text(language, 8), language=language,
            countries=tuple(self._pick(self.countries, 1)),
            gcm_objectives=tuple(int(g) for g in self.rng.choice(np.arange(1, 24), 2, replace=False)),
            capacity_areas=tuple(self._pick(list(CAPACITY_AREAS), 2)), sectors=tuple(self._pick(_MIGRATION_SECTORS, 1)),
            resource_types=tuple(self._pick(list(RESOURCE_TYPES), 2)),
            amount_usd=float(np.round(10 ** self.rng.uniform(4, 6.5))), deadline=date.today() + timedelta(days=90),
        )

    def offer(self, i: int) -> OfferDoc:
        f = int(self.rng.integers(len(self.funder_ids)))
        places, sectors, language = self.focus[f]
        scope = self.rng.random()
        regions = [countries()[c]["region"] for c in places[:2]] if 0.2 <= scope < 0.5 else []
        return OfferDoc(
            id=f"offer-{i}", funder_id=self.funder_ids[f], funder_kind=str(self.rng.choice(ORGANISATION_KINDS)),
            funder_country=places[0], title=self.text(language), description=self.text(language, 8), language=language,
            gcm_objectives=tuple(int(g) for g in self.rng.choice(np.arange(1, 24), 3, replace=False)),
            capacity_areas=tuple(self._pick(list(CAPACITY_AREAS), 3)), sectors=tuple(sectors[:2]),
            resource_types=tuple(self._pick(list(RESOURCE_TYPES), 3)),
            countries=tuple(places) if scope >= 0.5 else (), regions=tuple(regions), global_=scope < 0.2,
            remaining_usd=float(10 ** self.rng.uniform(5, 7)), min_usd=1e4, max_usd=float(10 ** self.rng.uniform(5, 6.5)),
            deadline=date.today() + timedelta(days=int(self.rng.integers(1, 365))),
        )

    def record(self, i: int) -> FundingRecord:
        f = int(self.rng.integers(len(self.funder_ids)))
        places, sectors, language = self.focus[f]
        country = places[int(self.rng.integers(len(places)))] if self.rng.random() < 0.8 else self._pick(self.countries, 1)[0]
        return FundingRecord(
            record_id=f"record-{i}", funder_id=self.funder_ids[f], funder_name=f"Funder {f}",
            countries=(country,), region=countries()[country]["region"],
            sectors=tuple(self._pick(sectors, 1)), title=self.text(language), language=language,
            amount_usd=float(np.round(10 ** self.rng.normal(5 + f % 3 * 0.5, 0.5))), year=int(self.rng.integers(2010, 2025)),
        )


def synthetic_needs(n: int, seed: int = 0) -> list[NeedDoc]:
    generator = Generator(seed)
    return [generator.need(i) for i in range(n)]


def synthetic_offers(n: int, n_funders: int = 100, seed: int = 0) -> list[OfferDoc]:
    generator = Generator(seed, n_funders)
    return [generator.offer(i) for i in range(n)]


def synthetic_records(n: int, n_funders: int = 100, seed: int = 0) -> list[FundingRecord]:
    generator = Generator(seed, n_funders)
    return [generator.record(i) for i in range(n)]


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


T = TypeVar("T")


def _timed(action: Callable[[], T]) -> tuple[T, float]:
    started = time.perf_counter()
    result = action()
    return result, time.perf_counter() - started


def _percentile_ms(latencies: list[float], q: float) -> float:
    return 1000 * float(np.percentile(latencies, q))


def measure(size: int, queries: int = 200, seed: int = 0) -> dict[str, float]:
    """Fit on ``size`` records, index ``size`` offers, rank ``queries`` needs one by one.

    ``rank`` is the whole call (scores, top 20, their explanations); ``topk`` the scoring and
    top-20 alone (``MatchRanker.shortlist``); ``upsert`` the median of upserting one offer
    (new or replacing one) into the index, ``upsert_rank`` the median ``rank`` right after one.
    """
    n_funders = max(20, size // 50)
    records = synthetic_records(size, n_funders, seed)
    offers = synthetic_offers(size, n_funders, seed + 1)
    needs = synthetic_needs(queries, seed + 2)
    before = _peak_rss_mb()
    ranker, fit_s = _timed(lambda: MatchRanker().fit(records))
    fit_peak = _peak_rss_mb() - before
    index, build_s = _timed(lambda: OfferIndex.build(offers, records, ranker))
    ranker.rank(needs[0], index)  # warm-up: builds the postings once
    latencies = [_timed(partial(ranker.rank, need, index, limit=20))[1] for need in needs]
    shortlist = [_timed(partial(ranker.shortlist, need, index, limit=20))[1] for need in needs]
    fresh = synthetic_offers(50, n_funders, seed + 3)
    changes = [replace(offer, id=offers[(i * 7919) % size].id) if i % 2 else offer for i, offer in enumerate(fresh)]
    upserts, after = [], []
    for i, offer in enumerate(changes):
        upserts.append(_timed(partial(index.upsert, [offer]))[1])
        after.append(_timed(partial(ranker.rank, needs[i % len(needs)], index, limit=20))[1])
    return {
        "size": size, "funders": n_funders, "fit_s": fit_s, "fit_peak_mb": fit_peak, "build_s": build_s,
        "rank_p50_ms": _percentile_ms(latencies, 50), "rank_p99_ms": _percentile_ms(latencies, 99),
        "topk_p50_ms": _percentile_ms(shortlist, 50), "topk_p99_ms": _percentile_ms(shortlist, 99),
        "upsert_ms": _percentile_ms(upserts, 50), "upsert_max_ms": 1000 * max(upserts),
        "upsert_rank_ms": _percentile_ms(after, 50),
    }


_COLUMNS = {  # column: (heading, format)
    "size": ("size", "{:>7d}"), "funders": ("funders", "{:>7d}"), "fit_s": ("fit s", "{:>6.1f}"),
    "fit_peak_mb": ("fit peak MB", "{:>11.0f}"), "build_s": ("build s", "{:>7.1f}"),
    "rank_p50_ms": ("rank p50 ms", "{:>11.1f}"), "rank_p99_ms": ("rank p99 ms", "{:>11.1f}"),
    "topk_p50_ms": ("score+top-k p50 ms", "{:>18.1f}"), "topk_p99_ms": ("score+top-k p99 ms", "{:>18.1f}"),
    "upsert_ms": ("upsert 1 ms", "{:>11.2f}"), "upsert_max_ms": ("upsert max ms", "{:>13.2f}"),
    "upsert_rank_ms": ("rank after upsert ms", "{:>20.1f}"),
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args(argv)
    print("  ".join(f"{heading:>{len(fmt.format(0))}}" for heading, fmt in _COLUMNS.values()), flush=True)
    for size in args.sizes:
        figures = measure(size, args.queries)
        print("  ".join(fmt.format(figures[key]) for key, (_, fmt) in _COLUMNS.items()), flush=True)
    print(f"peak RSS {_peak_rss_mb():.0f} MB", file=sys.stderr)


if __name__ == "__main__":
    main()

"""Robustness checks: other train/test splits and degraded variants of a records file.

The bench split is one split of one data set; these variants ask whether the ranker's
lead over BM25 survives other years, unseen sibling-activity families, missing columns and
sectors given as text. ``python -m matchmaker.evaluation.splits TRAIN.csv [TEST.csv]``
prints the evaluation of each.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence

import msgspec
import numpy as np

from matchmaker.engine.documents import FundingRecord, read_records
from matchmaker.engine.model import _family
from matchmaker.evaluation.evaluate import evaluate_records
from matchmaker.vocabulary import dac_sectors

Split = tuple[list[FundingRecord], list[FundingRecord]]


def by_year(records: Sequence[FundingRecord], first_test_year: int) -> Split:
    """Train on the years before ``first_test_year``, test on it and later."""
    return [r for r in records if (r.year or 0) < first_test_year], [r for r in records if (r.year or 0) >= first_test_year]


family = _family  # sibling activities: same funder, same title once digits and the tail are dropped


def by_family(records: Sequence[FundingRecord], test_share: float = 0.2, seed: int = 0) -> Split:
    """Whole families go to train or test, so memorised sibling titles cannot help."""
    families = sorted({family(r) for r in records})
    rng = np.random.default_rng(seed)
    test = {f for f, u in zip(families, rng.random(len(families))) if u < test_share}
    return [r for r in records if family(r) not in test], [r for r in records if family(r) in test]


def _replace(records: Sequence[FundingRecord], change: Callable[[FundingRecord], dict]) -> list[FundingRecord]:
    return [msgspec.structs.replace(r, **change(r)) for r in records]


def text_sectors(records: Sequence[FundingRecord]) -> list[FundingRecord]:
    """Sectors as DAC names instead of codes (as other data sets give them)."""
    names = {code: row["name"] for code, row in dac_sectors().items()}
    return _replace(records, lambda r: {"sectors": tuple(names.get(s, s) for s in r.sectors)})


def without(records: Sequence[FundingRecord], *fields: str) -> list[FundingRecord]:
    """The records with some fields emptied (sectors, language, amount_usd, year...)."""
    empty = {"sectors": (), "language": None, "amount_usd": None, "year": None, "description": "", "countries": ()}
    return _replace(records, lambda r: {f: empty[f] for f in fields})


def variants(train: Sequence[FundingRecord], test: Sequence[FundingRecord] | None) -> Iterator[tuple[str, Split]]:
    years = sorted({r.year for r in train if r.year})
    if len(years) > 3:
        yield f"years: train <= {years[-4]}, test {years[-3]}-{years[-1]}", by_year(train, years[-3])
    yield "families: 20% of sibling-title families held out", by_family(train)
    if test is not None:
        yield "bench split, sectors as text", (text_sectors(train), text_sectors(test))
        yield "bench split, no sectors", (without(train, "sectors"), without(test, "sectors"))
        yield "bench split, no language, amount or year", (
            without(train, "language", "amount_usd", "year"), without(test, "language", "amount_usd", "year"))


def main(argv: Sequence[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    train = read_records(args[0])
    test = read_records(args[1]) if len(args) > 1 else None
    for name, (a, b) in variants(train, test):
        print(f"## {name} ({len(a)} train, {len(b)} test)", flush=True)
        evaluate_records(a, b)


if __name__ == "__main__":
    main()

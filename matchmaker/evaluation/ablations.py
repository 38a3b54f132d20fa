"""Research table: our ranker against BM25 on every public set and on ablations of them.

The hidden sets the ranker is judged on differ in shape from the public ones (a later
period, very short titles with a constant description, refugee-response flows, one
country's activities without sector codes...). Each ablation here simulates one of those
shapes from a public set; ours and BM25 are scored on the very same ablated records.

``python -m matchmaker.evaluation.ablations [--only SUBSTRING ...] [--jobs 2]`` prints, for
each row, the test size, MRR of ours and of BM25, and our error as a share of BM25's
((1 - ours) / (1 - BM25); the goal is at most 0.75).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import msgspec
import numpy as np

from matchmaker.engine.documents import FundingRecord, read_records, record_to_need
from matchmaker.evaluation.splits import text_sectors, without

BENCH = Path(__file__).resolve().parents[2].parent / "shared" / "bench"
Split = tuple[list[FundingRecord], list[FundingRecord]]


def _bench_dir() -> Path:
    for candidate in (BENCH, Path("/work/shared/bench"), Path("shared/bench")):
        if candidate.is_dir():
            return candidate
    raise SystemExit("shared/bench not found")


def _map(records: Sequence[FundingRecord], change: Callable[[FundingRecord], dict]) -> list[FundingRecord]:
    return [msgspec.structs.replace(r, **change(r)) for r in records]


def _both(split: Split, change: Callable[[Sequence[FundingRecord]], list[FundingRecord]]) -> Split:
    return change(split[0]), change(split[1])


def short_titles(records: Sequence[FundingRecord], words: int = 4) -> list[FundingRecord]:
    """Very short titles and one constant description (older humanitarian flows)."""
    return _map(records, lambda r: {"title": " ".join(r.title.split()[:words]), "description": "Humanitarian funding flow"})


def titles_only(records: Sequence[FundingRecord]) -> list[FundingRecord]:
    """Title, country and year only."""
    return without(records, "description", "sectors", "language", "amount_usd")


def no_funder_type(records: Sequence[FundingRecord]) -> list[FundingRecord]:
    return _map(records, lambda r: {"funder_type": ""})


_REFUGEE = re.compile(r"refugee|rmrp|3rp|\brrp\b|r[ée]fugi|refugiad", re.IGNORECASE)


def ablations(name: str, train: list[FundingRecord], test: list[FundingRecord]) -> Iterator[tuple[str, Split]]:
    full = (train, test)
    yield f"{name}", full
    yield f"{name} no sectors", _both(full, lambda r: without(r, "sectors"))
    if any(s.isdigit() for r in train[:200] for s in r.sectors):
        yield f"{name} sectors as words", _both(full, text_sectors)
    yield f"{name} titles only", _both(full, titles_only)
    yield f"{name} short titles, const desc", _both(full, short_titles)
    yield f"{name} no funder type", _both(full, no_funder_type)
    years = sorted(Counter(r.year for r in train if r.year).items())
    total, seen = sum(n for _, n in years), 0
    for year, n in years:  # test on the latest ~30-40% of the training file
        seen += n
        if seen >= 0.6 * total and seen < total:
            yield f"{name} later period (train <= {year})", (
                [r for r in train if (r.year or 0) <= year], [r for r in train if (r.year or 0) > year])
            break
    if name.startswith("iati"):
        country = Counter(c for r in test for c in r.countries).most_common(1)[0][0]
        one = lambda records: without([r for r in records if r.countries == (country,)], "sectors")  # noqa: E731
        yield f"{name} one country ({country}), no sectors", _both(full, one)
    else:
        refugee = lambda records: [r for r in records if _REFUGEE.search(r.title)]  # noqa: E731
        yield f"{name} refugee-response flows", _both(full, refugee)


def score_split(args: tuple[str, Split]) -> tuple[str, dict[str, float]]:
    from matchmaker.evaluation.evaluate import matchmaker_scores
    from matchmaker.evaluation.metrics import ranks

    name, (train, test) = args
    started = time.perf_counter()
    known = {r.funder_id for r in train}
    queries = [r for r in test if r.funder_id in known]
    needs = [record_to_need(r) for r in queries]
    out: dict[str, float] = {"n": len(queries), "funders": len(known)}
    for label, make in (("ours", lambda: matchmaker_scores(train)), ("bm25", lambda: _bm25(train))):
        funder_ids, score = make()
        column = {f: i for i, f in enumerate(funder_ids)}
        rank = ranks(score(needs), np.array([column[r.funder_id] for r in queries], dtype=np.int64))
        out[label] = float(np.mean(1 / rank))
    out["seconds"] = time.perf_counter() - started
    return name, out


def _bm25(train):
    from matchmaker.evaluation.baselines import BM25Profiles

    model = BM25Profiles(train)
    return model.funder_ids, model.score


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", default=["iati", "fts-2026"])
    parser.add_argument("--only", nargs="*", default=[], help="rows whose name contains one of these")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    bench = _bench_dir()
    jobs = []
    for name in args.sets:
        train, test = read_records(bench / name / "train.csv"), read_records(bench / name / "test.csv")
        jobs += [(row, split) for row, split in ablations(name, train, test)
                 if not args.only or any(o in row for o in args.only)]
    print(f"{'set / ablation':<44} {'n':>5} {'ours':>6} {'bm25':>6} {'err ratio':>9}", flush=True)
    with ProcessPoolExecutor(args.jobs) as pool:
        for row, r in pool.map(score_split, jobs):
            ratio = (1 - r["ours"]) / max(1 - r["bm25"], 1e-9)
            flag = "ok" if ratio <= 0.75 else ""
            print(f"{row:<44} {r['n']:>5} {r['ours']:>6.3f} {r['bm25']:>6.3f} {ratio:>9.2f} {flag}", flush=True)
            print(f"  {row}: {r['seconds']:.0f}s", file=sys.stderr)


if __name__ == "__main__":
    main()

"""Funder-ranking evaluation on funding records: ``matchmaker`` beside the baselines.

Funder profiles and history come from the training records only. Every test record whose
funder has training records becomes a need; all training funders are ranked for it, each
as an offer with no declared text, global, every resource type, plus its history. The
record's real funder is the one right answer (see ``shared/bench/README.md``).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

import numpy as np

from matchmaker.engine.documents import (
    FundingRecord,
    NeedDoc,
    funder_offer,
    read_records,
    record_to_need,
)
from matchmaker.engine.history import declared_offer
from matchmaker.engine.index import OfferIndex
from matchmaker.engine.model import MatchRanker
from matchmaker.evaluation.baselines import BM25Profiles, Popularity, TfidfProfiles
from matchmaker.evaluation.metrics import line, ranks, summary

_BATCH = 256  # needs scored at once: bounds the (needs, funders, features) arrays
#: Share of the funders the new-funder protocol hides (a quarter: enough queries to measure).
NEW_FUNDER_SHARE = 0.25

#: Called as ``progress(step, done, total)`` while evaluating.
Progress = Callable[[str, int, int | None], None]


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def matchmaker_scores(train: Sequence[FundingRecord], ranker: MatchRanker | None = None) -> tuple[list[str], Callable]:
    """(funder ids, scorer of needs) for a ranker fitted on ``train`` (fitted here if not given)."""
    if ranker is None:
        started = time.perf_counter()
        ranker = MatchRanker().fit(train)
        _progress(f"matchmaker: fitted on {len(train)} records in {time.perf_counter() - started:.1f}s")
    index = OfferIndex.build([funder_offer(f) for f in sorted({r.funder_id for r in train})], train, ranker)

    def score(needs: Sequence[NeedDoc]) -> np.ndarray:
        return np.vstack([ranker.score(needs[i : i + _BATCH], index) for i in range(0, len(needs), _BATCH)])

    return [offer.funder_id for offer in index.offers], score


def evaluate_records(
    train: Sequence[FundingRecord], test: Sequence[FundingRecord], out: TextIO = sys.stdout, ranker: MatchRanker | None = None,
    progress: Progress = lambda *_: None,
) -> dict[str, dict[str, float]]:
    """Metrics of each ranker on ``test`` with history from ``train``; one printed line each."""
    known = {r.funder_id for r in train}
    queries = [r for r in test if r.funder_id in known]
    needs = [record_to_need(r) for r in queries]
    _progress(f"{len(queries)} of {len(test)} test records have a funder with training records ({len(known)} funders)")
    rankers: dict[str, Callable[[], tuple[list[str], Callable]]] = {
        "matchmaker": lambda: matchmaker_scores(train, ranker),
        "popularity": lambda: _baseline(Popularity(train)),
        "tfidf": lambda: _baseline(TfidfProfiles(train)),
        "bm25": lambda: _baseline(BM25Profiles(train)),
    }
    results = {}
    for name, make in rankers.items():
        started = time.perf_counter()
        progress(f"{name}: fitting", 0, 1)
        funder_ids, score = make()
        progress(f"{name}: fitting", 1, 1)
        column = {f: i for i, f in enumerate(funder_ids)}
        parts = []
        progress(f"{name}: ranking", 0, len(needs))
        for start in range(0, len(needs), _BATCH):  # a batch at a time, to show progress
            parts.append(score(needs[start : start + _BATCH]))
            progress(f"{name}: ranking", min(start + _BATCH, len(needs)), len(needs))
        scores = np.vstack(parts) if parts else np.zeros((0, len(funder_ids)))
        results[name] = summary(ranks(scores, np.array([column[r.funder_id] for r in queries], dtype=np.int64)))
        print(line(name, results[name]), file=out, flush=True)
        _progress(f"{name}: {time.perf_counter() - started:.1f}s")
    return results


def evaluate_new_funders(
    train: Sequence[FundingRecord], test: Sequence[FundingRecord], share: float = 0.25, seed: int = 0,
    out: TextIO = sys.stdout,
) -> dict[str, dict[str, float]]:
    """New-funder protocol: hide the history of a share of the funders; each is described only
    by its declared offer (``declared_offer``). Our ranker (fitted on the visible history)
    and BM25 (the same declared text as the hidden funders' profiles) rank every funder;
    MRR is printed over the queries whose funder is hidden, and over all queries.
    """
    funders = sorted({r.funder_id for r in train})
    rng = np.random.default_rng(seed)
    hidden = set(rng.choice(funders, size=max(1, round(share * len(funders))), replace=False).tolist())
    visible = [r for r in train if r.funder_id not in hidden]
    offers = {f: declared_offer(f, [r for r in train if r.funder_id == f]) for f in hidden}
    queries = [r for r in test if r.funder_id in set(funders)]
    needs = [record_to_need(r) for r in queries]
    new = np.array([r.funder_id in hidden for r in queries])
    ranker = MatchRanker().fit(visible)
    index = OfferIndex.build([offers.get(f) or funder_offer(f) for f in funders], visible, ranker)
    ours = np.vstack([ranker.score(needs[i : i + _BATCH], index) for i in range(0, len(needs), _BATCH)])
    bm25 = BM25Profiles(visible, {f: f"{o.title} {o.description}" for f, o in offers.items()})
    results = {}
    for name, ids, scores in (("matchmaker", [o.funder_id for o in index.offers], ours), ("bm25", bm25.funder_ids, bm25.score(needs))):
        column = {f: i for i, f in enumerate(ids)}
        rank = ranks(scores, np.array([column[r.funder_id] for r in queries], dtype=np.int64))
        results[name] = {"new": summary(rank[new])["MRR"], "all": summary(rank)["MRR"], "n_new": int(new.sum())}
        print(f"{name} new-funder MRR {results[name]['new']:.3f} (n={int(new.sum())}) all MRR {results[name]['all']:.3f}",
              file=out, flush=True)
    return results


def _baseline(model: Popularity | TfidfProfiles | BM25Profiles) -> tuple[list[str], Callable]:
    return model.funder_ids, model.score


def evaluate(
    train_path: str | Path, test_path: str | Path, out: TextIO = sys.stdout, progress: Progress = lambda *_: None,
    new_funders: float = NEW_FUNDER_SHARE,
) -> dict[str, dict[str, float]]:
    """Read two CSVs in the bench format and print one metrics line per ranker, then (unless
    ``new_funders`` is 0) the new-funder protocol's lines, hiding that share of the funders."""
    train, test = read_records(train_path), read_records(test_path)
    results = evaluate_records(train, test, out, progress=progress)
    if new_funders:
        progress("new funders", 0, 1)
        for name, figures in evaluate_new_funders(train, test, new_funders, out=out).items():
            results[f"{name} (new funders)"] = figures
        progress("new funders", 1, 1)
    return results


def main(argv: Sequence[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", required=True)
    parser.add_argument("--test", required=True)
    parser.add_argument("--new-funders", type=float, default=NEW_FUNDER_SHARE, metavar="SHARE",
                        help="the share of funders whose history the new-funder protocol hides (0: skip it)")
    args = parser.parse_args(argv)
    evaluate(args.train, args.test, new_funders=args.new_funders)


if __name__ == "__main__":
    main()

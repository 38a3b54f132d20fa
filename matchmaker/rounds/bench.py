"""How well and how fast funding rounds are allocated: ``python -m matchmaker.rounds.bench``.

For each size (needs × offers) it draws synthetic needs and offers (seeded, real vocabularies:
``matchmaker.evaluation.bench``), fits the ranker on synthetic funding records, scores every
pair with it as rounds do, and allocates the round under regional and thematic balance rules
(a smallest ticket, a cap per country, at least half the pool spent; needs may be funded
partly and by several offers, and ``500x100-whole`` funds needs whole only). It prints the optimiser's status, time, gap and value beside the greedy
allocation's, and what the independent checker finds wrong with each.
"""

from __future__ import annotations

import argparse
import time

import msgspec
import numpy as np

from matchmaker.engine.history import FunderHistory
from matchmaker.engine.model import MatchRanker
from matchmaker.engine.reference import countries
from matchmaker.evaluation.bench import synthetic_needs, synthetic_offers, synthetic_records
from matchmaker.ranking.service import score_pairs
from matchmaker.rounds.allocation import Problem, check, greedy, solve
from matchmaker.rounds.rules import Rules, ShareRange
from matchmaker.schemas import Money

RULES = Rules(
    regions={"Africa": ShareRange(min=0.3), "Asia": ShareRange(min=0.15), "Americas": ShareRange(min=0.15),
             "Europe": ShareRange(max=0.15)},
    objectives={2: ShareRange(min=0.08), 11: ShareRange(min=0.08), 5: ShareRange(max=0.1)},
    max_country_share=0.05, min_spend=0.5, min_ticket=Money(25_000),
)
WHOLE = msgspec.structs.replace(RULES, partial=False)
# (needs, offers, seconds allowed, candidate offers kept per need (all when None), rules); the
# large round leaves time for the scoring and set-up within its minute.
SIZES = {"500x100": (500, 100, 10.0, None, RULES), "5000x1000": (5000, 1000, 45.0, 20, RULES),
         "500x100-whole": (500, 100, 10.0, None, WHOLE)}


def round_problem(n_needs: int, n_offers: int, pairs_per_need: int | None, rules: Rules = RULES,
                  seed: int = 0) -> tuple[Problem, float]:
    """A synthetic round scored by a fitted ranker, and the seconds the scoring took."""
    records = synthetic_records(2000, seed=seed)
    ranker = MatchRanker().fit(records)
    needs, offers = synthetic_needs(n_needs, seed=seed), synthetic_offers(n_offers, seed=seed + 1)
    started = time.perf_counter()
    scores = score_pairs(ranker, FunderHistory(records, ranker.encoder_), needs, offers)
    scored = time.perf_counter() - started
    place = [n.countries[0] for n in needs]
    return Problem(
        need_ids=list(range(n_needs)), need_amount=np.array([n.amount_usd for n in needs]), need_country=place,
        need_region=[countries()[c]["region"] for c in place], need_objectives=[n.gcm_objectives for n in needs],
        offer_ids=list(range(n_offers)), offer_budget=np.array([o.remaining_usd for o in offers]),
        offer_min=np.array([o.min_usd or 0.0 for o in offers]),
        offer_max=np.array([np.inf if o.max_usd is None else o.max_usd for o in offers]),
        scores=scores, rules=rules, pairs_per_need=pairs_per_need,
    ), scored


def measure(size: str) -> dict[str, object]:
    n_needs, n_offers, time_limit, pairs_per_need, rules = SIZES[size]
    started = time.perf_counter()
    problem, scored = round_problem(n_needs, n_offers, pairs_per_need, rules)
    set_up = time.perf_counter() - started
    found = solve(problem, time_limit=time_limit)
    quick = greedy(problem)
    return {
        "size": size, "set-up s": round(set_up, 1), "eligible": int(np.isfinite(problem.scores).sum()), "pairs": found.pairs,
        "score s": round(scored, 1), "status": found.status, "solve s": round(found.seconds, 1),
        "gap": "-" if found.gap is None else f"{found.gap:.2%}", "value": f"{found.value / 1e6:,.1f}M",
        "greedy": f"{quick.value / 1e6:,.1f}M", "vs greedy": f"{found.value / max(quick.value, 1e-9):.3f}",
        "funded": len({a.need_id for a in found.allocations}), "broken": len(check(problem, found.allocations)),
        "greedy broken": len(check(problem, quick.allocations)),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=list(SIZES), choices=list(SIZES))
    args = parser.parse_args(argv)
    print("rules: " + ", ".join(f"{k} {v}" for k, v in (
        ("regions", {k: (r.min, r.max) for k, r in RULES.regions.items()}),
        ("objectives", {k: (r.min, r.max) for k, r in RULES.objectives.items()}),
        ("country max", RULES.max_country_share), ("min spend", RULES.min_spend), ("min ticket", RULES.min_ticket),
        ("co-funding", RULES.cofunding))))
    rows = [measure(size) for size in args.sizes]
    widths = {k: max(len(k), *(len(str(r[k])) for r in rows)) for k in rows[0]}
    print("  ".join(k.rjust(w) for k, w in widths.items()))
    for row in rows:
        print("  ".join(str(row[k]).rjust(w) for k, w in widths.items()))


if __name__ == "__main__":
    main()

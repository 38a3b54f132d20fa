"""The allocation program on its own: small rounds against brute force, every rule checked on
solved rounds, the blocking rule of infeasible rounds named, the greedy allocation's breaks."""

import itertools

import numpy as np
import pytest

from matchmaker.rounds.allocation import Allocation, Problem, check, greedy, solve, value
from matchmaker.rounds.rules import Rules, ShareRange
from matchmaker.schemas import Money

REGIONS = ["Africa", "Americas", "Asia"]


def problem(rng, n, m, rules, unit=10.0, **extra):
    """A small random round: amounts in whole ``unit``s, some ineligible pairs."""
    scores = rng.uniform(0.1, 1.0, (n, m)).round(3)
    scores[rng.uniform(size=(n, m)) < 0.25] = -np.inf
    return Problem(
        need_ids=list(range(1, n + 1)), need_amount=unit * rng.integers(1, 4, n).astype(float),
        need_country=[f"C{i % 3}" for i in range(n)], need_region=[REGIONS[i % 3] for i in range(n)],
        need_objectives=[(1 + i % 2, 3) if i % 3 == 0 else (1 + i % 2,) for i in range(n)],
        offer_ids=list(range(101, 101 + m)), offer_budget=unit * rng.integers(1, 5, m).astype(float),
        offer_min=np.zeros(m), offer_max=np.full(m, np.inf), scores=scores, rules=rules, **extra)


def best_whole(p):
    """Brute force when needs are funded whole by one offer: each need gets nothing or one offer."""
    best = 0.0
    for choice in itertools.product(range(-1, len(p.offer_ids)), repeat=len(p.need_ids)):
        given = [Allocation(p.need_ids[i], p.offer_ids[j], float(p.need_amount[i]), float(p.scores[i, j]))
                 for i, j in enumerate(choice) if j >= 0]
        if all(np.isfinite(a.score) for a in given) and not check(p, given):
            best = max(best, value(given))
    return best


def best_in_units(p, unit):
    """Brute force over amounts in whole units (integral data: an optimum lies on them)."""
    pairs = [(i, j) for i in range(len(p.need_ids)) for j in range(len(p.offer_ids)) if np.isfinite(p.scores[i, j])]
    ranges = [range(int(min(p.need_amount[i], p.offer_budget[j]) // unit) + 1) for i, j in pairs]
    best = 0.0
    for units in itertools.product(*ranges):
        given = [Allocation(p.need_ids[i], p.offer_ids[j], k * unit, float(p.scores[i, j]))
                 for (i, j), k in zip(pairs, units) if k]
        if not check(p, given):
            best = max(best, value(given))
    return best


@pytest.mark.parametrize("seed", range(12))
def test_whole_funding_by_one_offer_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    rules = Rules(partial=False, cofunding=False, regions={"Africa": ShareRange(min=0.2, max=0.7)},
                  objectives={3: ShareRange(max=0.5)}, max_country_share=0.8, min_spend=0.2 if seed % 2 else 0.0)
    p = problem(rng, 5, 3, rules)
    found = solve(p, time_limit=5)
    expected = best_whole(p)
    if found.status == "infeasible":
        assert expected == 0.0 and found.blocking
        return
    assert found.status == "optimal"
    assert check(p, found.allocations) == []
    assert found.value == pytest.approx(expected, rel=1e-6, abs=1e-6)
    assert found.value >= greedy(p).value - 1e-6 or check(p, greedy(p).allocations)


@pytest.mark.parametrize("seed", range(8))
def test_partial_and_cofunded_amounts_match_brute_force(seed):
    rng = np.random.default_rng(100 + seed)
    p = problem(rng, 3, 2, Rules(min_ticket=Money(10)), unit=10.0)
    p = Problem(**{**p.__dict__, "need_amount": np.minimum(p.need_amount, 20.0), "offer_budget": np.minimum(p.offer_budget, 30.0)})
    found = solve(p, time_limit=5)
    assert found.status == "optimal" and check(p, found.allocations) == []
    assert found.value == pytest.approx(best_in_units(p, 10.0), rel=1e-6)
    assert found.value >= greedy(p).value - 1e-6  # greedy breaks no rule here: the optimum is at least as good


@pytest.mark.parametrize("seed", range(6))
def test_every_rule_holds_on_larger_solved_rounds(seed):
    rng = np.random.default_rng(200 + seed)
    rules = Rules(regions={"Africa": ShareRange(min=0.3), "Asia": ShareRange(max=0.3)},
                  objectives={1: ShareRange(min=0.2, max=0.8)}, max_country_share=0.5, min_spend=0.3,
                  min_ticket=Money(15), partial=seed % 2 == 0, cofunding=seed % 3 != 0)
    p = problem(rng, 40, 8, rules)
    p = Problem(**{**p.__dict__, "offer_min": np.where(np.arange(8) % 2, 20.0, 0.0),
                   "offer_max": np.where(np.arange(8) % 3 == 0, 25.0, np.inf),
                   "excluded": frozenset({(1, 101), (2, 102)})})
    found = solve(p, time_limit=10)
    assert found.status in ("optimal", "feasible"), found.blocking
    assert check(p, found.allocations) == []
    assert not any((a.need_id, a.offer_id) in p.excluded for a in found.allocations)
    assert found.gap is not None and found.gap <= 0.01


def test_an_infeasible_round_names_the_rule_that_blocks_and_by_how_much():
    # 100 to spend, at least 80; Africa asks only 20 but must get half of what is given.
    p = Problem(need_ids=[1, 2], need_amount=np.array([20.0, 100.0]), need_country=["SEN", "MEX"],
                need_region=["Africa", "Americas"], need_objectives=[(1,), (2,)], offer_ids=[9],
                offer_budget=np.array([100.0]), offer_min=np.zeros(1), offer_max=np.full(1, np.inf),
                scores=np.array([[0.5], [0.9]]), rules=Rules(regions={"Africa": ShareRange(min=0.5)}, min_spend=0.8))
    found = solve(p)
    assert found.status == "infeasible" and found.allocations == []
    assert [(b.rule, b.subject) for b in found.blocking] == [("region_min", "Africa")]
    assert found.blocking[0].by == pytest.approx(20.0, abs=0.01)  # Africa's 20 against half of 80
    assert "Africa" in found.blocking[0].detail
    # Greedy gives the best-scored need first and breaks the Africa rule.
    broken = check(p, greedy(p).allocations)
    assert ("region_min", "Africa") in [(b.rule, b.subject) for b in broken]


def test_pins_hold_or_are_named():
    rng = np.random.default_rng(7)
    p = problem(rng, 4, 2, Rules())
    i, j = map(int, np.argwhere(np.isfinite(p.scores))[0])
    pair = (p.need_ids[i], p.offer_ids[j])
    pinned = solve(Problem(**{**p.__dict__, "pins": {pair: 5.0}}))
    assert pinned.status == "optimal" and check(Problem(**{**p.__dict__, "pins": {pair: 5.0}}), pinned.allocations) == []
    assert [a.amount for a in pinned.allocations if (a.need_id, a.offer_id) == pair] == [pytest.approx(5.0)]
    too_much = float(p.offer_budget[j]) + 1
    blocked = solve(Problem(**{**p.__dict__, "pins": {pair: too_much}}))
    assert blocked.status == "infeasible" and [b.rule for b in blocked.blocking] == ["pin"]
    # Two pins on one offer that together exceed its budget: only the elastic program can tell.
    other = next(int(k) for k in range(len(p.need_ids)) if k != i and np.isfinite(p.scores[k, j]))
    both = {pair: float(min(p.need_amount[i], p.offer_budget[j])), (p.need_ids[other], p.offer_ids[j]):
            float(min(p.need_amount[other], p.offer_budget[j]))}
    if sum(both.values()) > p.offer_budget[j]:
        found = solve(Problem(**{**p.__dict__, "pins": both}))
        assert found.status == "infeasible" and {b.rule for b in found.blocking} == {"pin"}


def test_the_solver_module_uses_no_database_and_no_web():
    import ast
    from pathlib import Path

    import matchmaker.rounds.allocation as module
    imported = {node.module for node in ast.walk(ast.parse(Path(module.__file__).read_text()))
                if isinstance(node, ast.ImportFrom) and node.module}
    assert not {m for m in imported if m.split(".")[0] in ("asyncpg", "litestar") or m.startswith("matchmaker.db")}


@pytest.mark.parametrize("seed", range(6))
def test_relax_and_fix_reports_a_true_bound(seed, monkeypatch):
    from matchmaker.rounds import allocation
    monkeypatch.setattr(allocation, "LARGE", 0)  # as large rounds are solved
    rng = np.random.default_rng(300 + seed)
    rules = Rules(min_ticket=Money(10), partial=seed % 2 == 0, cofunding=seed % 3 != 0)
    p = problem(rng, 3, 2, rules, unit=10.0)
    p = Problem(**{**p.__dict__, "need_amount": np.minimum(p.need_amount, 20.0), "offer_budget": np.minimum(p.offer_budget, 30.0)})
    found = solve(p, time_limit=5)
    best = best_in_units(p, 10.0)
    assert found.status in ("optimal", "feasible") and check(p, found.allocations) == []
    assert found.value <= best + 1e-6 <= found.bound + 2e-6  # never above the optimum, which the bound holds
    assert found.value >= found.bound * (1 - found.gap) - 1e-6

"""Allocating a round's pooled offers across its needs: the mixed-integer program (HiGHS,
through ``scipy.optimize.milp``), the greedy allocation it is shown beside, a checker of every
rule that knows nothing of the program, and the elastic program that names the rules blocking
an infeasible round and by how much.

Pure computation on arrays: no database, no web. Amounts are US dollars as floats here; the
service turns them into exact amounts in each need's currency.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, OptimizeResult, milp
from scipy.sparse import csr_array

from matchmaker.rounds.rules import Rules

UNIT = 1000.0  # the program counts in thousands of dollars: coefficients near 1 suit HiGHS's tolerances
CENT = 0.01
MONEY_TOLERANCE = 0.011  # budgets, need amounts and tickets hold to the cent (plus float noise)
SHARE_TOLERANCE = 1.0  # shares hold to the dollar: allocations are rounded to cents after solving
LARGE = 2_000  # binaries beyond which the program is solved by relax-and-fix
WIDER = (3, 10)  # each need's best-scored pairs put back in relax-and-fix's later passes
PIN_FLOOR = 1.0  # a pinned pair without an amount gets at least this much (USD), besides its ticket
Pair = tuple[int, int]  # (need id, offer id)


@dataclass(frozen=True)
class Problem:
    """A round as the optimiser sees it: remaining amounts and budgets in USD, the ranker's
    score of every (need, offer) pair (not finite where the pair is ineligible), the rules,
    and the coordinators' adjustments: pinned pairs (with a fixed amount or ``None``) and
    excluded ones. ``pairs_per_need`` keeps only each need's best-scored offers (and pins)."""

    need_ids: Sequence[int]
    need_amount: np.ndarray
    need_country: Sequence[str]
    need_region: Sequence[str]
    need_objectives: Sequence[Sequence[int]]
    offer_ids: Sequence[int]
    offer_budget: np.ndarray
    offer_min: np.ndarray  # 0 where the offer has no smallest ticket
    offer_max: np.ndarray  # inf where it has no largest
    scores: np.ndarray
    rules: Rules = field(default_factory=Rules)
    pins: Mapping[Pair, float | None] = field(default_factory=dict)
    excluded: frozenset[Pair] = frozenset()
    pairs_per_need: int | None = None


class Allocation(NamedTuple):
    need_id: int
    offer_id: int
    amount: float  # USD
    score: float


class Violation(NamedTuple):
    """A rule that does not hold (or, for an infeasible round, must give way), the region,
    objective, country, offer, need or pair it is about, and by how much (USD)."""

    rule: str
    subject: str
    by: float
    detail: str


class Outcome(NamedTuple):
    """``status``: ``optimal``, ``feasible`` (time limit reached with an allocation),
    ``infeasible`` (``blocking`` says why), ``no_solution`` (time limit reached without one)
    or ``greedy``. ``gap`` is the solver's relative MIP gap; ``bound`` its bound on the value."""

    status: str
    allocations: list[Allocation]
    value: float
    gap: float | None
    bound: float | None
    seconds: float
    pairs: int
    blocking: list[Violation]


def value(allocations: Iterable[Allocation]) -> float:
    """What the round maximises: the ranker's score times the amount, summed."""
    return float(sum(a.score * a.amount for a in allocations))


def _money(amount: float) -> str:
    return f"${amount:,.0f}" if abs(amount) >= 100 else f"${amount:,.2f}"


# -- candidate pairs ------------------------------------------------------------------------


class Pairs(NamedTuple):
    """The pairs the program may fund, as parallel arrays (need and offer positions)."""

    need: np.ndarray
    offer: np.ndarray
    score: np.ndarray
    low: np.ndarray  # smallest amount when funded (USD)
    high: np.ndarray  # largest
    fixed: np.ndarray  # pinned amount, nan when not fixed
    pinned: np.ndarray  # bool


def _positions(p: Problem) -> tuple[dict[int, int], dict[int, int]]:
    return {n: i for i, n in enumerate(p.need_ids)}, {o: j for j, o in enumerate(p.offer_ids)}


def candidates(p: Problem) -> tuple[Pairs, list[Violation]]:
    """The eligible, not excluded pairs whose ticket range is not empty (each need's best
    ``pairs_per_need``), with every pin; and the pins that cannot hold whatever else is chosen."""
    needs, offers = _positions(p)
    ok = np.isfinite(p.scores)
    for need_id, offer_id in p.excluded:
        if need_id in needs and offer_id in offers:
            ok[needs[need_id], offers[offer_id]] = False
    if p.pairs_per_need is not None and p.scores.shape[1] > p.pairs_per_need:
        ranked = np.where(ok, p.scores, -np.inf)
        cut = np.partition(ranked, -p.pairs_per_need, axis=1)[:, -p.pairs_per_need][:, None]
        ok &= ranked >= cut
    rows, cols = np.nonzero(ok)
    low_all = np.maximum(p.rules.min_ticket_usd(), p.offer_min)
    high = np.minimum(np.minimum(p.need_amount[rows], p.offer_budget[cols]), p.offer_max[cols])
    keep = (low_all[cols] <= high + CENT) & (high >= CENT)
    if not p.rules.partial and not p.rules.cofunding:  # one offer gives all of the need, or the pair is of no use
        keep &= high >= p.need_amount[rows] - CENT
    rows, cols, high = rows[keep], cols[keep], high[keep]
    fixed = np.full(len(rows), np.nan)
    pinned = np.zeros(len(rows), bool)
    at = {(int(i), int(j)): k for k, (i, j) in enumerate(zip(rows, cols))}
    blocking: list[Violation] = []
    extra: list[tuple[int, int, float]] = []
    for (need_id, offer_id), amount in p.pins.items():
        pin = _pin_problem(p, needs, offers, need_id, offer_id, amount)
        if pin is not None:
            blocking.append(pin)
            continue
        i, j = needs[need_id], offers[offer_id]
        k = at.get((i, j))
        if k is None:
            extra.append((i, j, np.nan if amount is None else amount))
        else:
            pinned[k], fixed[k] = True, np.nan if amount is None else amount
    if extra:
        ei, ej, ef = (np.array(v) for v in zip(*extra))
        rows, cols = np.concatenate([rows, ei.astype(int)]), np.concatenate([cols, ej.astype(int)])
        high = np.concatenate([high, np.minimum(np.minimum(p.need_amount[ei.astype(int)], p.offer_budget[ej.astype(int)]),
                                                p.offer_max[ej.astype(int)])])
        fixed, pinned = np.concatenate([fixed, ef]), np.concatenate([pinned, np.ones(len(extra), bool)])
    low = low_all[cols]
    low = np.where(pinned & np.isnan(fixed), np.maximum(low, PIN_FLOOR), low)
    return Pairs(rows, cols, p.scores[rows, cols], low, high, fixed, pinned), blocking


def _pin_problem(p: Problem, needs: dict[int, int], offers: dict[int, int], need_id: int, offer_id: int,
                 amount: float | None) -> Violation | None:
    """Why a pin cannot hold on its own (its pair not in the round, ineligible, excluded, or its
    amount outside the pair's ticket range), or ``None``."""
    subject = f"need {need_id} / offer {offer_id}"
    if need_id not in needs or offer_id not in offers:
        return Violation("pin", subject, amount or 0.0, f"{subject} is not in the round")
    i, j = needs[need_id], offers[offer_id]
    if not np.isfinite(p.scores[i, j]):
        return Violation("pin", subject, amount or 0.0, f"{subject} is not an eligible pair")
    if (need_id, offer_id) in p.excluded:
        return Violation("pin", subject, amount or 0.0, f"{subject} is both pinned and excluded")
    low = max(p.rules.min_ticket_usd(), float(p.offer_min[j]), PIN_FLOOR if amount is None else 0.0)
    high = float(min(p.need_amount[i], p.offer_budget[j], p.offer_max[j]))
    wanted = low if amount is None else amount
    if wanted > high + MONEY_TOLERANCE:
        return Violation("pin", subject, wanted - high,
                         f"{subject}: {_money(wanted)} is more than the pair can take ({_money(high)})")
    if wanted < low - MONEY_TOLERANCE:
        return Violation("pin", subject, low - wanted, f"{subject}: {_money(wanted)} is below the smallest ticket ({_money(low)})")
    return None


# -- the program ----------------------------------------------------------------------------


class _Program:
    """A mixed-integer program collected column block by column block, row block by row block."""

    def __init__(self) -> None:
        self.columns_: list[tuple[np.ndarray, np.ndarray, np.ndarray, bool]] = []  # (cost, lb, ub, integer)
        self.n_columns = 0
        self.entries_: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.limits_: list[tuple[np.ndarray, np.ndarray]] = []
        self.n_rows = 0

    def columns(self, count: int, lb: float | np.ndarray, ub: float | np.ndarray, cost: float | np.ndarray = 0.0,
                integer: bool = False) -> np.ndarray:
        shape = (count,)
        self.columns_.append((np.broadcast_to(np.asarray(cost, float), shape).copy(),
                              np.broadcast_to(np.asarray(lb, float), shape).copy(),
                              np.broadcast_to(np.asarray(ub, float), shape).copy(), integer))
        first, self.n_columns = self.n_columns, self.n_columns + count
        return np.arange(first, self.n_columns)

    def rows(self, count: int, lo: float | np.ndarray, hi: float | np.ndarray) -> np.ndarray:
        shape = (count,)
        self.limits_.append((np.broadcast_to(np.asarray(lo, float), shape).copy(),
                             np.broadcast_to(np.asarray(hi, float), shape).copy()))
        first, self.n_rows = self.n_rows, self.n_rows + count
        return np.arange(first, self.n_rows)

    def entries(self, rows: np.ndarray | int, cols: np.ndarray | int, values: np.ndarray | float) -> None:
        rows, cols = np.atleast_1d(rows), np.atleast_1d(cols)
        size = max(len(rows), len(cols))
        self.entries_.append((np.broadcast_to(rows, (size,)), np.broadcast_to(cols, (size,)),
                              np.broadcast_to(np.asarray(values, float), (size,))))

    def solve(self, deadline: float, gap: float, zero: np.ndarray | None = None,
              one: np.ndarray | None = None) -> OptimizeResult:
        """HiGHS's result by ``deadline`` (a ``time.perf_counter()`` instant), with the columns
        ``zero`` held at 0 and ``one`` at 1."""
        cost, lb, ub = (np.concatenate([c[k] for c in self.columns_]) for k in range(3))
        integer = np.concatenate([np.full(len(c[0]), int(c[3])) for c in self.columns_])
        rows, cols, values = (np.concatenate([e[k] for e in self.entries_]) for k in range(3))
        matrix = csr_array((values, (rows, cols)), shape=(self.n_rows, self.n_columns))
        lo, hi = (np.concatenate([limit[k] for limit in self.limits_]) for k in range(2))
        if zero is not None:
            ub[zero] = 0.0
        if one is not None:
            lb[one] = 1.0
        return milp(cost, integrality=integer, bounds=Bounds(lb, ub),
                    constraints=LinearConstraint(matrix, lo, hi) if self.n_rows else None,
                    options={"time_limit": max(deadline - time.perf_counter(), 0.1), "mip_rel_gap": gap, "disp": False})


class _Slack(NamedTuple):
    column: int
    rule: str
    subject: str
    usd: float  # dollars per unit of the slack
    detail: str


class _Layout(NamedTuple):
    x: np.ndarray
    y: np.ndarray  # column of each pair's binary, -1 where the pair has none
    total: int
    slacks: list[_Slack]


def _members(p: Problem) -> list[tuple[str, str, np.ndarray, float, float]]:
    """Each share rule: (rule, subject, which needs count, minimum, maximum)."""
    rules = p.rules
    region = np.asarray(p.need_region, dtype=object)
    found: list[tuple[str, str, np.ndarray, float, float]] = [("region", name, region == name, r.min, r.max) for name, r in rules.regions.items()]
    found += [("objective", str(number), np.array([number in objs for objs in p.need_objectives], bool), r.min, r.max)
              for number, r in rules.objectives.items()]
    if rules.max_country_share is not None and rules.max_country_share < 1:
        country = np.asarray(p.need_country, dtype=object)
        found += [("country", name, country == name, 0.0, rules.max_country_share) for name in sorted(set(p.need_country))]
    return found


def _build(p: Problem, pairs: Pairs, elastic: bool, relaxed: bool = False) -> tuple[_Program, _Layout]:
    """The allocation program (value to maximise), or its elastic form: every balance rule,
    the spending floor and every pin may give way, at a cost of the dollars it gives.

    ``relaxed``: its linear relaxation, without the pairs' binaries (a fractional binary is
    best at amount / largest ticket: the ticket rows then always hold, and one offer per
    need becomes the sum of those fractions at most 1); small and quick to solve."""
    prog, n, rules = _Program(), len(p.need_ids), p.rules
    fixed = ~np.isnan(pairs.fixed)
    hold = fixed & (not elastic)
    pinned_low = np.where(pairs.pinned & relaxed & (not elastic), pairs.low, 0.0)
    x = prog.columns(len(pairs.need), np.where(hold, pairs.fixed, pinned_low) / UNIT,
                     np.where(hold, pairs.fixed, pairs.high) / UNIT, 0.0 if elastic else -pairs.score)
    needs_binary = ((pairs.pinned & ~fixed) | (pairs.low > 0) | (not rules.cofunding)) & (not relaxed)
    y = np.full(len(pairs.need), -1)
    y[needs_binary] = prog.columns(int(needs_binary.sum()), np.where(pairs.pinned & (not elastic), 1.0, 0.0)[needs_binary], 1.0,
                                   integer=True)
    with_y = np.nonzero(needs_binary)[0]
    upper = prog.rows(len(with_y), -np.inf, 0.0)  # x <= high * y
    prog.entries(upper, x[with_y], 1.0)
    prog.entries(upper, y[with_y], -pairs.high[with_y] / UNIT)
    lower = prog.rows(len(with_y), 0.0, np.inf)  # x >= low * y
    prog.entries(lower, x[with_y], 1.0)
    prog.entries(lower, y[with_y], -pairs.low[with_y] / UNIT)
    a = prog.columns(n, 0.0, p.need_amount / UNIT)
    link = prog.rows(n, 0.0, 0.0)  # a_i = what need i gets
    prog.entries(link, a, 1.0)
    prog.entries(link[pairs.need], x, -1.0)
    budget = prog.rows(len(p.offer_ids), -np.inf, p.offer_budget / UNIT)
    prog.entries(budget[pairs.offer], x, 1.0)
    if not rules.cofunding:
        once = prog.rows(n, -np.inf, 1.0)
        if relaxed:
            prog.entries(once[pairs.need], x, UNIT / pairs.high)
        else:
            prog.entries(once[pairs.need], y, 1.0)
    if not rules.partial:  # all of what the need asks, or nothing
        z = prog.columns(n, 0.0, 1.0, integer=not relaxed)
        whole = prog.rows(n, 0.0, 0.0)
        prog.entries(whole, a, 1.0)
        prog.entries(whole, z, -p.need_amount / UNIT)
    total = int(prog.columns(1, 0.0, np.inf)[0])
    sums = prog.rows(1, 0.0, 0.0)
    prog.entries(sums, total, 1.0)
    prog.entries(sums, a, -1.0)
    slacks = _balance_rows(prog, p, a, total, elastic)
    slacks += _spend_row(prog, p, total, elastic)
    if elastic:
        slacks += _pin_rows(prog, p, pairs, x, y)
    return prog, _Layout(x, y, total, slacks)


def _balance_rows(prog: _Program, p: Problem, a: np.ndarray, total: int, elastic: bool) -> list[_Slack]:
    """Shares of the total: ``sum(a in group) - share * total`` above 0 (minimum) or below (maximum)."""
    slacks = []
    for kind, subject, member, low, high in _members(p):
        for bound, share, sign in (("min", low, 1.0), ("max", high, -1.0)):
            if (bound == "min" and share <= 0) or (bound == "max" and share >= 1):
                continue
            row = prog.rows(1, 0.0, np.inf) if bound == "min" else prog.rows(1, -np.inf, 0.0)
            prog.entries(row, a[member], 1.0)
            prog.entries(row, total, -share)
            if elastic:
                column = int(prog.columns(1, 0.0, np.inf, 1.0)[0])
                prog.entries(row, column, sign)
                detail = f"the {'minimum' if bound == 'min' else 'maximum'} share of {kind} {subject} ({share:.0%})"
                slacks.append(_Slack(column, f"{kind}_{bound}", subject, UNIT, detail))
    return slacks


def _spend_row(prog: _Program, p: Problem, total: int, elastic: bool) -> list[_Slack]:
    spend = p.rules.min_spend * float(p.offer_budget.sum()) / UNIT
    if spend <= 0:
        return []
    row = prog.rows(1, spend, np.inf)
    prog.entries(row, total, 1.0)
    if not elastic:
        return []
    column = int(prog.columns(1, 0.0, np.inf, 1.0)[0])
    prog.entries(row, column, 1.0)
    return [_Slack(column, "min_spend", "round", UNIT, f"spending at least {p.rules.min_spend:.0%} of the pooled budgets")]


def _pin_rows(prog: _Program, p: Problem, pairs: Pairs, x: np.ndarray, y: np.ndarray) -> list[_Slack]:
    """In the elastic program a pinned amount may be missed (either way) and a pinned pair left out."""
    slacks = []
    for k in np.nonzero(pairs.pinned)[0]:
        subject = f"need {p.need_ids[pairs.need[k]]} / offer {p.offer_ids[pairs.offer[k]]}"
        if np.isnan(pairs.fixed[k]):
            row = prog.rows(1, 1.0, np.inf)
            prog.entries(row, y[k], 1.0)
            column = int(prog.columns(1, 0.0, 1.0, pairs.low[k] / UNIT)[0])
            prog.entries(row, column, 1.0)
            slacks.append(_Slack(column, "pin", subject, float(pairs.low[k]), f"the pin of {subject}"))
            continue
        row = prog.rows(1, pairs.fixed[k] / UNIT, pairs.fixed[k] / UNIT)
        prog.entries(row, x[k], 1.0)
        both = prog.columns(2, 0.0, np.inf, 1.0)
        prog.entries(row, both, np.array([1.0, -1.0]))
        slacks += [_Slack(int(c), "pin", subject, UNIT, f"the pinned amount of {subject} ({_money(pairs.fixed[k])})")
                   for c in both]
    return slacks


def _allocations(p: Problem, pairs: Pairs, layout: _Layout, solution: np.ndarray) -> list[Allocation]:
    """The funded pairs: binaries read as 0 or 1, amounts in USD within the pair's ticket range."""
    amount = solution[layout.x] * UNIT
    funded = amount >= CENT / 2
    has_y = layout.y >= 0
    funded[has_y] &= solution[layout.y[has_y]] > 0.5
    amount = np.clip(amount, pairs.low, pairs.high)
    return [Allocation(int(p.need_ids[pairs.need[k]]), int(p.offer_ids[pairs.offer[k]]), float(amount[k]),
                       float(pairs.score[k])) for k in np.nonzero(funded)[0]]


def solve(p: Problem, time_limit: float = 10.0, gap: float = 1e-4) -> Outcome:
    """The allocation of most value under every rule, found within ``time_limit`` seconds (or
    the best found by then, with the gap to the solver's bound); when the rules cannot all
    hold, the rules that must give way and by how much."""
    start = time.perf_counter()
    pairs, blocking = candidates(p)
    if blocking:
        return Outcome("infeasible", [], 0.0, None, None, time.perf_counter() - start, len(pairs.need), blocking)
    deadline = start + time_limit
    result, layout, used, relaxed_cost = _optimise(p, pairs, deadline, gap)
    if result.x is None:
        if result.status == 2:
            blocking = diagnose(p, pairs, deadline - time.perf_counter())
        status = "infeasible" if result.status == 2 else "no_solution"
        return Outcome(status, [], 0.0, None, None, time.perf_counter() - start, len(pairs.need), blocking)
    allocations = _allocations(p, used, layout, result.x)
    found = value(allocations)
    bound = getattr(result, "mip_dual_bound", None) if relaxed_cost is None else relaxed_cost
    bound = found if bound is None else max(-float(bound) * UNIT, found)  # a linear program is its own bound
    found_gap = (bound - found) / max(abs(bound), 1e-9)
    optimal = result.status == 0 and (relaxed_cost is None or found_gap <= gap)
    return Outcome("optimal" if optimal else "feasible", allocations, found, found_gap,
                   bound, time.perf_counter() - start, len(pairs.need), [])


def _optimise(p: Problem, pairs: Pairs, deadline: float,
              gap: float) -> tuple[OptimizeResult, _Layout, Pairs, float | None]:
    """The program's result, its layout and pairs, and the linear relaxation's cost when the
    gap is judged against it.

    A program of at most ``LARGE`` binaries goes to HiGHS whole. A larger one is solved by
    relax-and-fix: the pairs the linear relaxation gives nothing are left out, those it gives
    at least their smallest ticket are funded (their binaries held at 1), and the rest is
    solved; then, while time is left and the last pass was solved to the end, again without
    holding any binary and with each need's best-scored pairs back in (``WIDER``), keeping
    the best allocation (the whole program if none was found). The relaxation bounds the
    whole program, so the gap reported against it is a true one."""
    binaries = (pairs.pinned & np.isnan(pairs.fixed)) | (pairs.low > 0) | (not p.rules.cofunding)
    if int(binaries.sum()) > LARGE:
        relaxation, relaxed_layout = _build(p, pairs, elastic=False, relaxed=True)
        relaxed = relaxation.solve(deadline, gap)
        if relaxed.status == 0:
            given = relaxed.x[relaxed_layout.x] * UNIT
            used = (given >= 1e-6) | pairs.pinned
            ticketed = given >= pairs.low - CENT
            rank = _rank_within_need(pairs)
            best: tuple[OptimizeResult, _Layout, Pairs] | None = None
            for wider, hold in ((0, True), (0, False), *((w, False) for w in WIDER)):
                keep = used | (rank < wider)
                some = Pairs(*(column[keep] for column in pairs))
                prog, layout = _build(p, some, elastic=False)
                held = layout.y[ticketed[keep] & (layout.y >= 0)] if hold else None
                result = prog.solve(deadline, gap, one=held)
                if result.x is not None and (best is None or result.fun < best[0].fun):
                    best = result, layout, some
                if deadline - time.perf_counter() < 1.0 or (best is not None and best[0].fun <= relaxed.fun * (1 - gap)):
                    break
                if result.status != 0 and not hold:
                    break
            if best is not None:
                return *best, float(relaxed.fun)
    prog, layout = _build(p, pairs, elastic=False)
    return prog.solve(deadline, gap), layout, pairs, None


def _rank_within_need(pairs: Pairs) -> np.ndarray:
    """Each pair's place among its need's pairs, best score first (0 for the best)."""
    order = np.lexsort((-pairs.score, pairs.need))
    rank = np.empty(len(order), int)
    starts = np.searchsorted(pairs.need[order], pairs.need[order], side="left")
    rank[order] = np.arange(len(order)) - starts
    return rank


def diagnose(p: Problem, pairs: Pairs, time_limit: float) -> list[Violation]:
    """The rules that must give way for the round to have an allocation, and by how much: the
    elastic program, in which they may, at a cost of the dollars they give, made as cheap as can be."""
    prog, layout = _build(p, pairs, elastic=True)
    result = prog.solve(time.perf_counter() + max(time_limit, 1.0), 1e-4)
    if result.x is None:
        return [Violation("unknown", "round", 0.0, "no rule could be named in the time left")]
    found = []
    for slack in layout.slacks:
        by = float(result.x[slack.column]) * slack.usd
        if by > MONEY_TOLERANCE:
            found.append(Violation(slack.rule, slack.subject, by, f"{slack.detail} must give way by {_money(by)}"))
    return found


# -- the greedy allocation ------------------------------------------------------------------


def greedy(p: Problem) -> Outcome:
    """Best score first: the pins, then each pair in score order gets as much as its need,
    its offer and its ticket allow (all of the need when needs are funded whole, none when
    the need is funded already and co-funding is not allowed). Balance rules are ignored:
    ``check`` says which it breaks."""
    start = time.perf_counter()
    pairs, _ = candidates(p)
    need_left, budget_left = p.need_amount.astype(float).copy(), p.offer_budget.astype(float).copy()
    funded = np.zeros(len(p.need_ids), bool)
    allocations = []
    order = np.lexsort((-pairs.score, ~pairs.pinned))  # pins first, then by score
    for k in order:
        i, j = pairs.need[k], pairs.offer[k]
        room = min(need_left[i], budget_left[j], pairs.high[k])
        amount = pairs.fixed[k] if not np.isnan(pairs.fixed[k]) else room
        if (funded[i] and not p.rules.cofunding) or amount > room + CENT or amount < pairs.low[k] - CENT or amount < CENT:
            continue
        if not p.rules.partial and amount < need_left[i] - CENT:
            continue
        need_left[i] -= amount
        budget_left[j] -= amount
        funded[i] = True
        allocations.append(Allocation(int(p.need_ids[i]), int(p.offer_ids[j]), float(amount), float(pairs.score[k])))
    return Outcome("greedy", allocations, value(allocations), None, None, time.perf_counter() - start, len(pairs.need), [])


# -- the independent checker ----------------------------------------------------------------


def check(p: Problem, allocations: Sequence[Allocation]) -> list[Violation]:
    """Every rule an allocation breaks, worked out from the problem's data alone (not from the
    program the solver was given): pairs, tickets, budgets, need amounts, whole funding,
    co-funding, pins, the spending floor and every balance rule."""
    needs, offers = _positions(p)
    found = _pair_violations(p, needs, offers, allocations)
    by_need: dict[int, list[float]] = defaultdict(list)
    by_offer: dict[int, float] = defaultdict(float)
    for a in allocations:
        by_need[a.need_id].append(a.amount)
        by_offer[a.offer_id] += a.amount
    for offer_id, spent in by_offer.items():
        budget = float(p.offer_budget[offers[offer_id]]) if offer_id in offers else 0.0
        if spent > budget + MONEY_TOLERANCE:
            found.append(Violation("budget", f"offer {offer_id}", spent - budget,
                                   f"offer {offer_id} gives {_money(spent)} of {_money(budget)}"))
    for need_id, amounts in by_need.items():
        asked = float(p.need_amount[needs[need_id]]) if need_id in needs else 0.0
        got = sum(amounts)
        if got > asked + MONEY_TOLERANCE:
            found.append(Violation("need_amount", f"need {need_id}", got - asked,
                                   f"need {need_id} gets {_money(got)}, more than the {_money(asked)} it asks"))
        elif not p.rules.partial and got < asked - MONEY_TOLERANCE:
            found.append(Violation("partial", f"need {need_id}", asked - got,
                                   f"need {need_id} gets {_money(got)} of {_money(asked)}: needs are funded whole"))
        if not p.rules.cofunding and len(amounts) > 1:
            found.append(Violation("cofunding", f"need {need_id}", sum(sorted(amounts)[:-1]),
                                   f"need {need_id} is funded by {len(amounts)} offers"))
    return found + _pin_violations(p, allocations) + _share_violations(p, needs, allocations)


def _pair_violations(p: Problem, needs: dict[int, int], offers: dict[int, int],
                     allocations: Sequence[Allocation]) -> list[Violation]:
    found, seen = [], set()
    for a in allocations:
        subject = f"need {a.need_id} / offer {a.offer_id}"
        if a.need_id not in needs or a.offer_id not in offers or not np.isfinite(p.scores[needs[a.need_id], offers[a.offer_id]]):
            found.append(Violation("eligibility", subject, a.amount, f"{subject} is not an eligible pair of the round"))
            continue
        if (a.need_id, a.offer_id) in p.excluded:
            found.append(Violation("excluded", subject, a.amount, f"{subject} was excluded"))
        if (a.need_id, a.offer_id) in seen:
            found.append(Violation("duplicate", subject, a.amount, f"{subject} is allocated twice"))
        seen.add((a.need_id, a.offer_id))
        j = offers[a.offer_id]
        low = max(p.rules.min_ticket_usd(), float(p.offer_min[j]))
        if a.amount < max(low, CENT) - MONEY_TOLERANCE:
            found.append(Violation("ticket", subject, low - a.amount, f"{subject}: {_money(a.amount)} is below the smallest ticket {_money(low)}"))
        if a.amount > float(p.offer_max[j]) + MONEY_TOLERANCE:
            found.append(Violation("ticket", subject, a.amount - float(p.offer_max[j]),
                                   f"{subject}: {_money(a.amount)} is above the largest ticket {_money(float(p.offer_max[j]))}"))
    return found


def _pin_violations(p: Problem, allocations: Sequence[Allocation]) -> list[Violation]:
    given = {(a.need_id, a.offer_id): a.amount for a in allocations}
    found = []
    for pair, amount in p.pins.items():
        subject = f"need {pair[0]} / offer {pair[1]}"
        got = given.get(pair, 0.0)
        if (amount is None and got < CENT) or (amount is not None and abs(got - amount) > MONEY_TOLERANCE):
            wanted = PIN_FLOOR if amount is None else amount
            found.append(Violation("pin", subject, abs(wanted - got), f"{subject} is pinned but gets {_money(got)}"))
    return found


def _share_violations(p: Problem, needs: dict[int, int], allocations: Sequence[Allocation]) -> list[Violation]:
    per_need = np.zeros(len(p.need_ids))
    for a in allocations:
        if a.need_id in needs:
            per_need[needs[a.need_id]] += a.amount
    total = float(per_need.sum())
    found = []
    spend = p.rules.min_spend * float(p.offer_budget.sum())
    if total < spend - SHARE_TOLERANCE:
        found.append(Violation("min_spend", "round", spend - total,
                               f"the round allocates {_money(total)}, less than {p.rules.min_spend:.0%} of the pooled budgets ({_money(spend)})"))
    for kind, subject, member, low, high in _members(p):
        got = float(per_need[member].sum())
        if got < low * total - SHARE_TOLERANCE:
            found.append(Violation(f"{kind}_min", subject, low * total - got,
                                   f"{kind} {subject} gets {_money(got)} ({got / total:.1%}), below its minimum share of {low:.0%}"))
        if got > high * total + SHARE_TOLERANCE:
            found.append(Violation(f"{kind}_max", subject, got - high * total,
                                   f"{kind} {subject} gets {_money(got)} ({got / total:.1%}), above its maximum share of {high:.0%}"))
    return found

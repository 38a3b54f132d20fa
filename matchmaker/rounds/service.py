"""Funding-round use cases: create and adjust a round, solve it (the optimiser beside the greedy
allocation), read a proposal as coordinators review it, commit it through the match ledger in
one transaction, and export what was committed — each step audited, hence in the event feed.

Amounts: the optimiser works in US dollars (floats); a proposal's amounts are then made exact
in each need's currency, the currency of the match that will commit them, so that a need is
never given more than it asks (and a need funded whole gets exactly what it asks), and the
ledger's conversion of each amount into its offer's currency stays within the offer's budget.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections import defaultdict
from collections.abc import Callable, Iterable
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, Protocol, TypeVar

import asyncpg
import msgspec
import numpy as np

from matchmaker import audit
from matchmaker.accounts.schemas import User
from matchmaker.db.queries import fetch_all
from matchmaker.engine.explain import RankedOffer
from matchmaker.engine.history import FunderHistory
from matchmaker.engine.model import MatchRanker
from matchmaker.errors import Conflict, FieldError, InvalidInput, NotFound
from matchmaker.matches.ledger import convert
from matchmaker.matches.schemas import MatchCreate
from matchmaker.matches.service import propose_match, transition
from matchmaker.ranking.service import explain_pairs, read_pairs, score_pairs, scores_by_id
from matchmaker.rounds import allocation
from matchmaker.rounds.queries import rounds_sql
from matchmaker.rounds.schemas import (
    AllocationRead,
    Blocked,
    Commit,
    Greedy,
    OfferUse,
    Proposal,
    Round,
    RoundCreate,
    RoundUpdate,
    Share,
    Solve,
)
from matchmaker.schemas import Money, Page, decode_cursor, page
from matchmaker.vocabulary import minor_units

Progress = Callable[[str, int, int | None], None]
CENTS = Decimal("0.01")


T = TypeVar("T")


class Scorer(Protocol):
    """Where a round's ranker comes from: the server's ranking service, or a command's own."""

    async def with_model(self, conn: asyncpg.Connection, work: Callable[[MatchRanker, FunderHistory | None], T]) -> T: ...


def _stored(kind: type, value: Any) -> Any:
    if kind is Money:  # amounts in stored JSON come back as Decimal
        return Money(str(value))
    raise NotImplementedError


def _round(row: asyncpg.Record) -> Round:
    return msgspec.convert(dict(row), Round, strict=False, dec_hook=_stored)


async def get_round(conn: asyncpg.Connection, round_id: int) -> Round:
    row = await rounds_sql.get_round(conn, id=round_id)
    if row is None:
        raise NotFound(f"round {round_id} does not exist")
    return _round(row)


async def find_round(conn: asyncpg.Connection, key: str) -> Round:
    """A round by its id or its name (commands name rounds either way)."""
    found = int(key) if key.isdigit() else await rounds_sql.round_by_name(conn, name=key)
    if found is None:
        raise NotFound(f"no round is named {key!r}")
    return await get_round(conn, found)


async def list_rounds(conn: asyncpg.Connection, *, limit: int, cursor: str | None) -> Page[Round]:
    rows = await fetch_all(rounds_sql.list_rounds(conn, before_id=decode_cursor(cursor), lim=limit + 1))
    return page([_round(r) for r in rows], limit)


async def _check(conn: asyncpg.Connection, data: RoundCreate) -> None:
    """Every rule of a round's fields beyond their types, all reported at once."""
    errors: list[FieldError] = []
    if data.closes_on < data.opens_on:
        errors.append({"field": "closes_on", "message": "the round closes before it opens"})
    known = {r["id"] for r in await fetch_all(rounds_sql.known_offers(conn, ids=data.offer_ids))}
    if unknown := sorted(set(data.offer_ids) - known):
        errors.append({"field": "offer_ids", "message": f"unknown offer(s): {', '.join(map(str, unknown))}"})
    if len(set(data.offer_ids)) != len(data.offer_ids):
        errors.append({"field": "offer_ids", "message": "an offer is named twice"})
    rules = data.rules
    for kind, ranges in (("regions", rules.regions), ("objectives", rules.objectives)):
        for key, share in ranges.items():
            if share.min > share.max:
                errors.append({"field": f"rules.{kind}.{key}", "message": "its minimum share is above its maximum"})
    # A need is in one region (but may name several objectives): regions' minimums share one whole.
    if sum(share.min for share in rules.regions.values()) > 1:
        errors.append({"field": "rules.regions", "message": "the regions' minimum shares add up to more than 1"})
    for n, pin in enumerate(data.pins):
        if pin.amount is not None and pin.amount != pin.amount.quantize(CENTS):
            errors.append({"field": f"pins[{n}].amount", "message": "at most 2 decimal places"})
    if errors:
        raise InvalidInput.every(errors)


def _stored_fields(data: RoundCreate) -> dict[str, Any]:
    return {"name": data.name, "description": data.description, "opens_on": data.opens_on, "closes_on": data.closes_on,
            "offer_ids": data.offer_ids, "gcm_objectives": data.gcm_objectives, "regions": data.regions,
            "resource_type": data.resource_type, "rules": data.rules, "pins": data.pins, "excluded": data.excluded}


async def create_round(conn: asyncpg.Connection, user: User, data: RoundCreate) -> Round:
    await _check(conn, data)
    round_id = await rounds_sql.insert_round(conn, **_stored_fields(data), created_by=user.id)
    if round_id is None:
        raise Conflict(f"a round is already named {data.name!r}", field="name")
    await audit.record(conn, actor_id=user.id, entity="round", entity_id=round_id, action="created",
                       changes={"name": data.name, "offers": len(data.offer_ids)})
    return await get_round(conn, round_id)


async def _lock_draft(conn: asyncpg.Connection, round_id: int) -> asyncpg.Record:
    row = await rounds_sql.lock_round(conn, id=round_id)
    if row is None:
        raise NotFound(f"round {round_id} does not exist")
    if row["status"] != "draft":
        raise Conflict(f"round {round_id} is {row['status']}: it can no longer change", current_status=row["status"])
    return row


async def update_round(conn: asyncpg.Connection, user: User, round_id: int, data: RoundUpdate) -> Round:
    await _lock_draft(conn, round_id)
    current = await get_round(conn, round_id)
    given = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
    merged = RoundCreate(**{**{k: getattr(current, k) for k in RoundCreate.__struct_fields__}, **given})
    await _check(conn, merged)
    try:
        await rounds_sql.update_round(conn, id=round_id, **_stored_fields(merged))
    except asyncpg.UniqueViolationError as exc:
        raise Conflict(f"a round is already named {merged.name!r}", field="name") from exc
    await audit.record(conn, actor_id=user.id, entity="round", entity_id=round_id, action="updated",
                       changes={"fields": sorted(given)})
    return await get_round(conn, round_id)


# -- solving ------------------------------------------------------------------------------


def _problem(rnd: Round, needs: list[asyncpg.Record], offers: list[asyncpg.Record], scores: np.ndarray,
             pairs_per_need: int | None) -> allocation.Problem:
    """The round in US dollars, as the optimiser reads it."""
    def usd(amount: Decimal | None, rate: Decimal, missing: float) -> float:
        return missing if amount is None else float(amount / rate)

    rates = {n["id"]: n["units_per_usd"] for n in needs}
    return allocation.Problem(
        need_ids=[n["id"] for n in needs],
        need_amount=np.array([usd(n["remaining"], n["units_per_usd"], 0.0) for n in needs]),
        need_country=[n["country"] for n in needs], need_region=[n["region"] for n in needs],
        need_objectives=[tuple(n["gcm_objectives"]) for n in needs],
        offer_ids=[o["id"] for o in offers],
        offer_budget=np.array([usd(o["remaining"], o["units_per_usd"], 0.0) for o in offers]),
        offer_min=np.array([usd(o["min_amount"], o["units_per_usd"], 0.0) for o in offers]),
        offer_max=np.array([usd(o["max_amount"], o["units_per_usd"], np.inf) for o in offers]),
        scores=scores, rules=rnd.rules,
        pins={(p.need_id, p.offer_id): None if p.amount is None or p.need_id not in rates
              else float(p.amount / rates[p.need_id]) for p in rnd.pins},
        excluded=frozenset((e.need_id, e.offer_id) for e in rnd.excluded),
        pairs_per_need=pairs_per_need,
    )


def _blocked(violations: Iterable[allocation.Violation]) -> list[Blocked]:
    return [Blocked(rule=v.rule, subject=v.subject, by_usd=Decimal(repr(v.by)).quantize(CENTS), detail=v.detail)
            for v in violations]


async def solve_round(conn: asyncpg.Connection, user: User, round_id: int, scorer: Scorer, options: Solve,
                      progress: Progress = lambda *_: None) -> Proposal:
    """Solve the round as it stands (and the greedy allocation beside it); store and audit the proposal."""
    rnd = await get_round(conn, round_id)
    if rnd.status != "draft":
        raise Conflict(f"round {round_id} is {rnd.status}: it is not solved again", current_status=rnd.status)
    progress("reading the round", 0, 3)
    needs = await fetch_all(rounds_sql.round_needs(conn, gcm_objectives=rnd.gcm_objectives, regions=rnd.regions,
                                                   resource_type=rnd.resource_type))
    offers = await fetch_all(rounds_sql.round_offers(conn, ids=rnd.offer_ids, resource_type=rnd.resource_type))
    if not needs or not offers:
        raise Conflict(f"round {round_id} has no eligible need" if not needs else
                       f"none of round {round_id}'s offers can give {rnd.resource_type} now")
    progress("reading the round", 1, 3)
    need_ids, offer_ids = [n["id"] for n in needs], [o["id"] for o in offers]
    need_docs, offer_docs = await read_pairs(conn, need_ids, offer_ids)  # as the ranker sees them, once
    scores = scores_by_id(need_ids, offer_ids, need_docs, offer_docs,
                          await scorer.with_model(conn, lambda ranker, history: score_pairs(ranker, history, need_docs, offer_docs)))
    progress("reading the round", 2, 3)
    problem = _problem(rnd, needs, offers, scores, options.pairs_per_need)
    progress("reading the round", 3, 3)
    progress("optimising", 0, 1)
    outcome = await asyncio.to_thread(allocation.solve, problem, options.time_limit)
    greedy = allocation.greedy(problem)
    progress("optimising", 1, 1)
    exact = await _exact(conn, rnd, outcome.allocations, {n["id"]: n for n in needs}, {o["id"]: o for o in offers})
    greedy_usd = sum((Decimal(repr(a.amount)) for a in greedy.allocations), Decimal(0))
    summary = Greedy(value=greedy.value, allocated_usd=greedy_usd.quantize(CENTS), allocations=len(greedy.allocations),
                     breaks=_blocked(allocation.check(problem, greedy.allocations)))
    proposal_id = await rounds_sql.insert_proposal(
        conn, round_id=round_id, status=outcome.status, value=outcome.value, bound=outcome.bound, gap=outcome.gap,
        seconds=outcome.seconds, pairs=outcome.pairs, needs=len(needs),
        inputs={"rules": rnd.rules, "pins": rnd.pins, "excluded": rnd.excluded, "pairs_per_need": options.pairs_per_need,
                "time_limit": options.time_limit},
        greedy=summary, blocking=_blocked(outcome.blocking), created_by=user.id)
    pairs = [(a.need_id, a.offer_id) for a, *_ in exact]
    explained = await scorer.with_model(
        conn, lambda ranker, history: explain_pairs(ranker, history, need_docs, offer_docs, pairs))
    await rounds_sql.insert_allocations(
        conn, proposal_id=proposal_id, need_ids=[a.need_id for a, *_ in exact], offer_ids=[a.offer_id for a, *_ in exact],
        amounts=[amount for _, amount, _, _ in exact], currencies=[c for _, _, c, _ in exact],
        amounts_usd=[usd for *_, usd in exact], scores=[a.score for a, *_ in exact],
        explanations=[_why(explained.get((a.need_id, a.offer_id))) for a, *_ in exact])
    await audit.record(conn, actor_id=user.id, entity="round", entity_id=round_id, action="solved",
                       changes={"proposal_id": proposal_id, "status": outcome.status, "allocations": len(exact),
                                "value": round(outcome.value, 2), "gap": outcome.gap})
    return await get_proposal(conn, round_id, proposal_id)


def _why(ranked: RankedOffer | None) -> dict[str, Any]:
    if ranked is None:
        return {}
    return {"explanation": ranked.explanation, "shortfalls": ranked.shortfalls, "label": ranked.label}


def _in_minor_units(amount: Decimal, currency: str) -> Decimal:
    step = Decimal(1).scaleb(-min(minor_units().get(currency, 2), 2))
    return amount.quantize(step, rounding=ROUND_HALF_EVEN)


async def _exact(conn: asyncpg.Connection, rnd: Round, allocations: list[allocation.Allocation],
                 needs: dict[int, asyncpg.Record], offers: dict[int, asyncpg.Record],
                 ) -> list[tuple[allocation.Allocation, Decimal, str, Decimal]]:
    """Each allocation as (allocation, amount in the need's currency, that currency, its USD
    value): a pinned amount as pinned; no need given more than it asks, a need funded whole
    given exactly what it asks, and no offer's budget exceeded once the ledger converts."""
    pinned = {(p.need_id, p.offer_id): p.amount for p in rnd.pins if p.amount is not None}
    amounts: dict[tuple[int, int], Decimal] = {}
    for a in allocations:
        need = needs[a.need_id]
        key = (a.need_id, a.offer_id)
        amounts[key] = pinned.get(key) or _in_minor_units(Decimal(repr(a.amount)) * need["units_per_usd"], need["currency"])
    by_need: dict[int, list[tuple[int, int]]] = defaultdict(list)
    by_offer: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for key in amounts:
        by_need[key[0]].append(key)
        by_offer[key[1]].append(key)
    for need_id, keys in by_need.items():
        excess = sum(amounts[k] for k in keys) - needs[need_id]["remaining"]
        if excess > 0 or not rnd.rules.partial:
            amounts[max(keys, key=amounts.__getitem__)] -= excess
    for offer_id, keys in by_offer.items():
        offer = offers[offer_id]
        for _ in range(3):  # a conversion's rounding can leave a cent over: cut again
            deltas = {k: await convert(conn, amounts[k], needs[k[0]]["currency"], offer["currency"]) for k in keys}
            excess = sum(deltas.values()) - offer["remaining"]
            if excess <= 0:
                break
            largest = max(keys, key=deltas.__getitem__)
            cut = await convert(conn, excess, offer["currency"], needs[largest[0]]["currency"])
            amounts[largest] -= max(cut, _in_minor_units(CENTS, needs[largest[0]]["currency"]))
    by_pair = {(a.need_id, a.offer_id): a for a in allocations}
    return [(by_pair[k], amount, needs[k[0]]["currency"], (amount / needs[k[0]]["units_per_usd"]).quantize(CENTS))
            for k, amount in amounts.items() if amount > 0]


# -- reading a proposal ---------------------------------------------------------------------


def _shares(key_of: Callable[[AllocationRead], Iterable[str]], allocations: list[AllocationRead], total: Decimal,
            ranges: dict[str, tuple[float | None, float | None]]) -> list[Share]:
    amounts: dict[str, Decimal] = defaultdict(Decimal)
    needs: dict[str, set[int]] = defaultdict(set)
    for a in allocations:
        for key in key_of(a):
            amounts[key] += a.amount_usd
            needs[key].add(a.need_id)
    keys = sorted(set(amounts) | set(ranges), key=lambda k: (-amounts.get(k, Decimal(0)), k))
    return [Share(key=k, amount_usd=amounts.get(k, Decimal(0)), share=float(amounts[k] / total) if total and k in amounts else 0.0,
                  needs=len(needs.get(k, ())), min=ranges.get(k, (None, None))[0], max=ranges.get(k, (None, None))[1])
            for k in keys]


async def get_proposal(conn: asyncpg.Connection, round_id: int, proposal_id: int) -> Proposal:
    row = await rounds_sql.get_proposal(conn, id=proposal_id)
    if row is None or row["round_id"] != round_id:
        raise NotFound(f"round {round_id} has no proposal {proposal_id}")
    rows = await fetch_all(rounds_sql.proposal_allocations(conn, proposal_id=proposal_id))
    allocations = [msgspec.convert({**{k: v for k, v in r.items() if k != "explanation"}, **r["explanation"]},
                                   AllocationRead, strict=False) for r in rows]
    rules = msgspec.convert(row["inputs"]["rules"], allocation.Rules, strict=False, dec_hook=_stored)
    total = sum((a.amount_usd for a in allocations), Decimal(0))
    offers: dict[int, list[AllocationRead]] = defaultdict(list)
    for a in allocations:
        offers[a.offer_id].append(a)
    country_max = rules.max_country_share
    return Proposal(
        id=row["id"], round_id=round_id, status=row["status"], value=row["value"], bound=row["bound"], gap=row["gap"],
        seconds=row["seconds"], pairs=row["pairs"], needs=row["needs"], allocated_usd=total,
        blocking=msgspec.convert(row["blocking"], list[Blocked], strict=False),
        greedy=msgspec.convert(row["greedy"], Greedy, strict=False),
        by_region=_shares(lambda a: [a.region], allocations, total,
                          {k: (r.min, r.max) for k, r in rules.regions.items()}),
        by_objective=_shares(lambda a: [str(o) for o in a.gcm_objectives], allocations, total,
                             {str(k): (r.min, r.max) for k, r in rules.objectives.items()}),
        by_country=_shares(lambda a: [a.country], allocations, total,
                           {a.country: (None, country_max) for a in allocations} if country_max is not None else {}),
        by_offer=[OfferUse(offer_id=offer_id, title=given[0].offer_title, needs=len(given),
                           allocated_usd=sum((a.amount_usd for a in given), Decimal(0)))
                  for offer_id, given in sorted(offers.items())],
        allocations=allocations, created_at=row["created_at"],
    )


# -- committing and exporting ---------------------------------------------------------------


async def commit_round(conn: asyncpg.Connection, user: User, round_id: int, data: Commit) -> Round:
    """Create and approve every match of a proposal through the ledger, or none: the caller's
    transaction rolls everything back when one approval is refused (409 naming it)."""
    await _lock_draft(conn, round_id)
    rnd = await get_round(conn, round_id)
    proposal_id = data.proposal_id or rnd.latest_proposal_id
    if proposal_id is None:
        raise Conflict(f"round {round_id} has no proposal yet: solve it first")
    row = await rounds_sql.get_proposal(conn, id=proposal_id)
    if row is None or row["round_id"] != round_id:
        raise InvalidInput("proposal_id", f"round {round_id} has no proposal {proposal_id}")
    if row["status"] not in ("optimal", "feasible"):
        raise Conflict(f"proposal {proposal_id} is {row['status']}: it allocates nothing to commit")
    if rnd.updated_at > row["created_at"]:
        raise Conflict(f"round {round_id} changed after proposal {proposal_id} was made: solve it again")
    allocations = await fetch_all(rounds_sql.proposal_allocations(conn, proposal_id=proposal_id))
    # Every need, then every offer, in id order: the order single approvals take their locks in.
    await fetch_all(rounds_sql.lock_needs(conn, ids=sorted({a["need_id"] for a in allocations})))
    await fetch_all(rounds_sql.lock_offers(conn, ids=sorted({a["offer_id"] for a in allocations})))
    for a in allocations:
        proposed = await propose_match(conn, user, MatchCreate(
            need_id=a["need_id"], offer_id=a["offer_id"], amount=a["amount"], currency=a["currency"],
            resource_type=rnd.resource_type, note=f"Funding round “{rnd.name}”, proposal {proposal_id}"), a["score"])
        await transition(conn, user, proposed.id, "approve", data.reason)
        await rounds_sql.set_allocation_match(conn, proposal_id=proposal_id, need_id=a["need_id"],
                                              offer_id=a["offer_id"], match_id=proposed.id)
    await rounds_sql.mark_committed(conn, id=round_id, proposal_id=proposal_id)
    await audit.record(conn, actor_id=user.id, entity="round", entity_id=round_id, action="committed",
                       changes={"proposal_id": proposal_id, "matches": len(allocations),
                                "amount_usd": sum((a["amount_usd"] for a in allocations), Decimal(0))},
                       reason=data.reason)
    return await get_round(conn, round_id)


EXPORT_COLUMNS = ["round", "proposal_id", "match_id", "need_id", "need_title", "need_organisation", "country", "region",
                  "gcm_objectives", "offer_id", "offer_title", "offer_organisation", "amount", "currency", "amount_usd",
                  "score"]


async def export_round(conn: asyncpg.Connection, round_id: int) -> str:
    """The committed allocation as CSV: one row per match, amounts exact."""
    rnd = await get_round(conn, round_id)
    if rnd.committed_proposal_id is None:
        raise Conflict(f"round {round_id} is not committed: there is nothing to export yet")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    for a in await fetch_all(rounds_sql.proposal_allocations(conn, proposal_id=rnd.committed_proposal_id)):
        writer.writerow([rnd.name, rnd.committed_proposal_id, a["match_id"], a["need_id"], a["need_title"],
                         a["need_organisation"], a["country"], a["region"], " ".join(map(str, a["gcm_objectives"])),
                         a["offer_id"], a["offer_title"], a["offer_organisation"], a["amount"], a["currency"],
                         a["amount_usd"], f"{a['score']:.4f}"])
    return out.getvalue()

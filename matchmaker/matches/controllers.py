"""Match routes: propose, list, read, and one route per workflow step."""

from __future__ import annotations

from typing import Annotated, Any

import asyncpg
from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, HeaderParameter, JSONBody

from matchmaker.accounts.guards import Caller, requires_role, requires_staff
from matchmaker.db.pool import Database
from matchmaker.matches.idempotency import fingerprint, run_once
from matchmaker.matches.schemas import (
    Approval,
    Decision,
    LedgerLine,
    Match,
    MatchCreate,
    MatchDetail,
    Withdrawal,
)
from matchmaker.matches.service import (
    get_match,
    list_ledger,
    list_matches,
    propose_match,
    transition,
)
from matchmaker.ranking.service import RankingService
from matchmaker.schemas import Page
from matchmaker.vocabulary import LedgerKind, MatchStatus
from matchmaker.web.openapi import problems
from matchmaker.web.params import Cursor, Id, IdFilter, Limit
from matchmaker.web.tables import Format, TableOperation, table

# Proposals and transitions: any may be refused for who calls, where the match stands, or what is sent.
CHANGE_PROBLEMS = problems(401, 403, 404, 409, 422)
IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(name="Idempotency-Key", min_length=1, max_length=200,
                    description="Retry safely: the same key and body return the first response"),
]
Db = NamedDependency[asyncpg.Connection]


async def _step(request: Caller, db: asyncpg.Connection, key: str | None, match_id: int, action: str,
                body: Any, reason: str | None, amount=None) -> Response[MatchDetail]:
    return await run_once(
        db, request.user, key, fingerprint("POST", request.url.path, body), 200,
        lambda: transition(db, request.user, match_id, action, reason, amount),
    )


class MatchController(Controller):
    path = "/api/v1/matches"
    tags = ["matches"]

    @post("/", operation_id="ProposeMatch", responses=CHANGE_PROBLEMS,
          guards=[requires_role("state", "donor", "coordinator", "admin")], status_code=201)
    async def propose(
        self, request: Caller, data: JSONBody[MatchCreate], db: Db, ranking: NamedDependency[RankingService],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[MatchDetail]:
        """Propose a need and an offer as a match (a donor for its offers, a state for its needs, or a coordinator)."""
        score = await ranking.pair_score(db, data.need_id, data.offer_id)
        return await run_once(
            db, request.user, idempotency_key, fingerprint("POST", request.url.path, data), 201,
            lambda: propose_match(db, request.user, data, score),
            location=lambda body: f"/api/v1/matches/{body['id']}",
        )

    @get("/", operation_id="ListMatches", responses=problems(401, 422), operation_class=TableOperation)
    async def list(
        self,
        request: Caller,
        db: Db,
        database: NamedDependency[Database],
        status: FromQuery[MatchStatus | None] = None,
        need_id: IdFilter = None,
        offer_id: IdFilter = None,
        limit: Limit = 20,
        cursor: Cursor = None,
        format: Format = None,
    ) -> Response[Page[Match]]:
        """List the matches the caller may see (coordinators: all; others: their organisation's); as CSV, every one."""
        return await table(request, format, Match, "matches", db, database, lambda conn, lim, cur: list_matches(
            conn, request.user, status=status, need_id=need_id, offer_id=offer_id, limit=lim, cursor=cur), limit, cursor)

    @get("/{match_id:int}", operation_id="GetMatch", responses=problems(401, 404, 422))
    async def read(self, request: Caller, match_id: Id, db: Db) -> MatchDetail:
        """Read a match with its history (who did what, when, why) and its ledger entries."""
        return await get_match(db, request.user, match_id)

    @post("/{match_id:int}/approve", operation_id="ApproveMatch", guards=[requires_staff], status_code=200,
          responses=CHANGE_PROBLEMS)
    async def approve(self, request: Caller, match_id: Id, data: JSONBody[Approval], db: Db,
                      idempotency_key: IdempotencyKey = None) -> Response[MatchDetail]:
        """Approve and commit budget (coordinators); 409 if it would overcommit the offer or the need."""
        return await _step(request, db, idempotency_key, match_id, "approve", data, data.reason, data.amount)

    @post("/{match_id:int}/reject", operation_id="RejectMatch", guards=[requires_staff], status_code=200,
          responses=CHANGE_PROBLEMS)
    async def reject(self, request: Caller, match_id: Id, data: JSONBody[Decision], db: Db,
                     idempotency_key: IdempotencyKey = None) -> Response[MatchDetail]:
        """Reject a proposal, with the reason recorded (coordinators)."""
        return await _step(request, db, idempotency_key, match_id, "reject", data, data.reason)

    @post("/{match_id:int}/withdraw", operation_id="WithdrawMatch", responses=CHANGE_PROBLEMS, status_code=200)
    async def withdraw(self, request: Caller, match_id: Id, db: Db, data: JSONBody[Withdrawal | None] = None,
                       idempotency_key: IdempotencyKey = None) -> Response[MatchDetail]:
        """Withdraw one's own proposal."""
        return await _step(request, db, idempotency_key, match_id, "withdraw", data, data.reason if data else None)

    @post("/{match_id:int}/disburse", operation_id="DisburseMatch", guards=[requires_staff], status_code=200,
          responses=CHANGE_PROBLEMS)
    async def disburse(self, request: Caller, match_id: Id, data: JSONBody[Decision], db: Db,
                       idempotency_key: IdempotencyKey = None) -> Response[MatchDetail]:
        """Record that an approved match was disbursed (coordinators)."""
        return await _step(request, db, idempotency_key, match_id, "disburse", data, data.reason)

    @post("/{match_id:int}/complete", operation_id="CompleteMatch", guards=[requires_staff], status_code=200,
          responses=CHANGE_PROBLEMS)
    async def complete(self, request: Caller, match_id: Id, data: JSONBody[Decision], db: Db,
                       idempotency_key: IdempotencyKey = None) -> Response[MatchDetail]:
        """Record that a disbursed match was completed (coordinators)."""
        return await _step(request, db, idempotency_key, match_id, "complete", data, data.reason)

    @post("/{match_id:int}/cancel", operation_id="CancelMatch", guards=[requires_staff], status_code=200,
          responses=CHANGE_PROBLEMS)
    async def cancel(self, request: Caller, match_id: Id, data: JSONBody[Decision], db: Db,
                     idempotency_key: IdempotencyKey = None) -> Response[MatchDetail]:
        """Cancel an approved match and release its commitment (coordinators)."""
        return await _step(request, db, idempotency_key, match_id, "cancel", data, data.reason)


class LedgerController(Controller):
    path = "/api/v1/ledger"
    tags = ["matches"]

    @get("/", operation_id="ListLedgerEntries", responses=problems(401, 422), operation_class=TableOperation)
    async def list(
        self,
        request: Caller,
        db: Db,
        database: NamedDependency[Database],
        match_id: IdFilter = None,
        need_id: IdFilter = None,
        offer_id: IdFilter = None,
        kind: FromQuery[LedgerKind | None] = None,
        limit: Limit = 20,
        cursor: Cursor = None,
        format: Format = None,
    ) -> Response[Page[LedgerLine]]:
        """List the ledger entries (commitments, releases, disbursements) of the matches the caller may see, newest first."""
        return await table(request, format, LedgerLine, "ledger", db, database, lambda conn, lim, cur: list_ledger(
            conn, request.user, match_id=match_id, need_id=need_id, offer_id=offer_id, kind=kind, limit=lim,
            cursor=cur), limit, cursor)

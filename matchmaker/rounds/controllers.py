"""Funding-round routes (coordinators): create and adjust rounds, solve, review proposals, commit, export."""

from __future__ import annotations

import asyncpg
from litestar import Controller, Response, get, patch, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from matchmaker.accounts.guards import Caller, requires_staff
from matchmaker.ranking.service import RankingService
from matchmaker.rounds.schemas import Commit, Proposal, Round, RoundCreate, RoundUpdate, Solve
from matchmaker.rounds.service import (
    commit_round,
    create_round,
    export_round,
    get_proposal,
    get_round,
    list_rounds,
    solve_round,
    update_round,
)
from matchmaker.schemas import Page
from matchmaker.web.openapi import problems
from matchmaker.web.params import Cursor, Id, Limit
from matchmaker.web.responses import created

Db = NamedDependency[asyncpg.Connection]


class RoundController(Controller):
    path = "/api/v1/rounds"
    tags = ["rounds"]
    guards = [requires_staff]

    @post("/", operation_id="CreateRound", responses=problems(401, 403, 409, 422))
    async def create(self, request: Caller, data: JSONBody[RoundCreate], db: Db) -> Response[Round]:
        """Open a funding round: its window, pooled offers, eligible needs and balance rules (coordinators)."""
        found = await create_round(db, request.user, data)
        return created(found, f"/api/v1/rounds/{found.id}")

    @get("/", operation_id="ListRounds", responses=problems(401, 403, 422))
    async def list(self, db: Db, limit: Limit = 20, cursor: Cursor = None) -> Page[Round]:
        """List funding rounds, newest first."""
        return await list_rounds(db, limit=limit, cursor=cursor)

    @get("/{round_id:int}", operation_id="GetRound", responses=problems(401, 403, 404, 422))
    async def read(self, round_id: Id, db: Db) -> Round:
        """Read a round, with its latest and committed proposals' ids."""
        return await get_round(db, round_id)

    @patch("/{round_id:int}", operation_id="UpdateRound", responses=problems(401, 403, 404, 409, 422))
    async def update(self, request: Caller, round_id: Id, data: JSONBody[RoundUpdate], db: Db) -> Round:
        """Change a draft round: its rules, offers, filters, pinned and excluded pairs."""
        return await update_round(db, request.user, round_id, data)

    @post("/{round_id:int}/solve", operation_id="SolveRound", responses=problems(401, 403, 404, 409, 422))
    async def solve(self, request: Caller, round_id: Id, data: JSONBody[Solve], db: Db,
                    ranking: NamedDependency[RankingService]) -> Response[Proposal]:
        """Allocate the pooled offers across the eligible needs under the rules (and the greedy allocation beside it)."""
        proposal = await solve_round(db, request.user, round_id, ranking, data)
        return created(proposal, f"/api/v1/rounds/{round_id}/proposals/{proposal.id}")

    @get("/{round_id:int}/proposals/{proposal_id:int}", operation_id="GetRoundProposal",
         responses=problems(401, 403, 404, 422))
    async def proposal(self, round_id: Id, proposal_id: Id, db: Db) -> Proposal:
        """Read a proposal: per need, offer, region, objective and country, with the greedy allocation beside it."""
        return await get_proposal(db, round_id, proposal_id)

    @post("/{round_id:int}/commit", operation_id="CommitRound", status_code=200,
          responses=problems(401, 403, 404, 409, 422))
    async def commit(self, request: Caller, round_id: Id, data: JSONBody[Commit], db: Db) -> Round:
        """Create and approve every match of a proposal through the ledger, all or none (409 naming what refused)."""
        return await commit_round(db, request.user, round_id, data)

    @get("/{round_id:int}/export.csv", operation_id="ExportRound", media_type="text/csv",
         responses=problems(401, 403, 404, 409, 422))
    async def export(self, round_id: Id, db: Db) -> Response[str]:
        """The committed allocation as CSV, one row per match."""
        text = await export_round(db, round_id)
        return Response(text, media_type="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="round-{round_id}.csv"'})

"""Funding rounds on pages (coordinators): the rounds, and for one its latest proposal — what
each need gets from which offer and why, the shares by region and objective beside the
rules' ranges, the greedy allocation and what it breaks — solved again or committed."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.response import Redirect, Template

from matchmaker.pages.forms import Form, submit
from matchmaker.pages.i18n import N_
from matchmaker.pages.rendering import page
from matchmaker.pages.sessions import Db, Viewer, check_csrf, require_staff
from matchmaker.ranking.service import RankingService
from matchmaker.rounds.schemas import Commit, Solve
from matchmaker.rounds.service import commit_round, export_round, get_proposal, get_round, list_rounds, solve_round
from matchmaker.web.params import Cursor, Id


class RoundPages(Controller):
    path = "/rounds"
    include_in_schema = False

    @get("/")
    async def rounds(self, viewer: NamedDependency[Viewer], lang: NamedDependency[str], db: Db,
                     cursor: Cursor = None) -> Template:
        require_staff(viewer)
        return page("rounds/list.html", viewer, lang, rounds=await list_rounds(db, limit=20, cursor=cursor))

    @get("/{round_id:int}")
    async def detail(self, round_id: Id, viewer: NamedDependency[Viewer], lang: NamedDependency[str],
                     db: Db) -> Template:
        require_staff(viewer)
        found = await get_round(db, round_id)
        shown = found.committed_proposal_id or found.latest_proposal_id
        proposal = await get_proposal(db, round_id, shown) if shown else None
        return page("rounds/detail.html", viewer, lang, round=found, proposal=proposal)

    @post("/{round_id:int}/solve")
    async def solve(self, request: Request, round_id: Id, data: Form, viewer: NamedDependency[Viewer],
                    lang: NamedDependency[str], db: Db, ranking: NamedDependency[RankingService]) -> Template | Redirect:
        check_csrf(request, viewer, data.get("csrf_token"))
        require_staff(viewer)

        async def save(options: Solve) -> str:
            await solve_round(db, viewer.user, round_id, ranking, options)
            return f"/rounds/{round_id}"

        return await submit(db, viewer, lang, data, Solve, save, "refused.html",
                            heading=N_("The round was not solved"), back=f"/rounds/{round_id}")

    @post("/{round_id:int}/commit")
    async def commit(self, request: Request, round_id: Id, data: Form, viewer: NamedDependency[Viewer],
                     lang: NamedDependency[str], db: Db) -> Template | Redirect:
        check_csrf(request, viewer, data.get("csrf_token"))
        require_staff(viewer)

        async def save(decision: Commit) -> str:
            await commit_round(db, viewer.user, round_id, decision)
            return f"/rounds/{round_id}"

        return await submit(db, viewer, lang, data, Commit, save, "refused.html",
                            heading=N_("The round was not committed"), back=f"/rounds/{round_id}")

    @get("/{round_id:int}/export")
    async def export(self, round_id: Id, viewer: NamedDependency[Viewer], db: Db) -> Response[str]:
        require_staff(viewer)
        return Response(await export_round(db, round_id), media_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="round-{round_id}.csv"'})

"""Results on pages: a funded match's indicators and their progress, defining one and filing
progress reports (the need's organisation, or a coordinator), and the portfolio of results
by objective, region and funder, with the reports that are overdue."""

from __future__ import annotations

from typing import Any

import asyncpg
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.response import Redirect, Template

from matchmaker.accounts.guards import is_staff
from matchmaker.matches.schemas import Match
from matchmaker.pages.forms import Form, submit
from matchmaker.pages.i18n import N_
from matchmaker.pages.rendering import page
from matchmaker.pages.sessions import Db, Viewer, check_csrf
from matchmaker.results.schemas import IndicatorCreate, ReportCreate
from matchmaker.results.service import define_indicator, file_report, get_indicator, list_indicators, portfolio
from matchmaker.web.params import Id

FUNDED = frozenset({"approved", "disbursed", "completed"})


async def match_results(db: asyncpg.Connection, viewer: Viewer, match: Match) -> dict[str, Any]:
    """What a match's page shows of its results: its indicators, and whether the reader reports on them."""
    indicators = (await list_indicators(db, viewer.user, match_id=match.id, overdue=False, limit=100,
                                        cursor=None)).items
    reports = match.status in FUNDED and (is_staff(viewer.user) or viewer.user.organisation_id ==
                                          match.need_organisation_id)
    return {"indicators": indicators, "reports": reports}


class ResultPages(Controller):
    include_in_schema = False

    @get("/results")
    async def overview(self, viewer: NamedDependency[Viewer], lang: NamedDependency[str], db: Db) -> Template:
        sections = [{"by": by, "rows": await portfolio(db, viewer.user, by)}
                    for by in ("gcm_objective", "region", "funder")]
        overdue = (await list_indicators(db, viewer.user, match_id=None, overdue=True, limit=100, cursor=None)).items
        return page("results.html", viewer, lang, sections=sections, overdue=overdue)

    @post("/matches/{match_id:int}/indicators")
    async def define(self, request: Request, match_id: Id, data: Form, viewer: NamedDependency[Viewer],
                     lang: NamedDependency[str], db: Db) -> Template | Redirect:
        check_csrf(request, viewer, data.get("csrf_token"))

        async def save(indicator: IndicatorCreate) -> str:
            await define_indicator(db, viewer.user, indicator)
            return f"/matches/{match_id}#results"

        return await submit(db, viewer, lang, {**data, "match_id": str(match_id)}, IndicatorCreate, save,
                            "refused.html", heading=N_("The indicator was not defined"), back=f"/matches/{match_id}")

    @post("/indicators/{indicator_id:int}/reports")
    async def report(self, request: Request, indicator_id: Id, data: Form, viewer: NamedDependency[Viewer],
                     lang: NamedDependency[str], db: Db) -> Template | Redirect:
        check_csrf(request, viewer, data.get("csrf_token"))
        back = f"/matches/{(await get_indicator(db, viewer.user, indicator_id)).match_id}"

        async def save(filed: ReportCreate) -> str:
            await file_report(db, viewer.user, indicator_id, filed)
            return f"{back}#results"

        return await submit(db, viewer, lang, data, ReportCreate, save, "refused.html",
                            heading=N_("The report was not filed"), back=back)

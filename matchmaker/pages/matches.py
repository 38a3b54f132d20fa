"""Matches on pages: proposing one (states and donors), reading one with its history, and the
coordinators' review queue, kept live by server-sent events, where proposals are approved
(in full or in part) or rejected with a reason."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Any, Literal

import asyncpg
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, ServerSentEvent, ServerSentEventMessage, Template

from matchmaker.db.pool import Database
from matchmaker.errors import Conflict, Forbidden, InvalidInput
from matchmaker.events.hub import EventHub
from matchmaker.matches.schemas import Approval, Decision, Match, MatchCreate, Withdrawal
from matchmaker.matches.service import get_match, list_matches, propose_match, transition
from matchmaker.needs.service import get_needs
from matchmaker.offers.service import get_offers
from matchmaker.pages.account import safe_next
from matchmaker.pages.forms import Form, body_from_form, decode, refusal, submit
from matchmaker.pages.i18n import N_
from matchmaker.pages.rendering import page
from matchmaker.pages.results import match_results
from matchmaker.pages.sessions import Db, Viewer, check_csrf, provide_viewer, require_staff
from matchmaker.ranking.service import RankingService
from matchmaker.web.params import Id

QUEUE_SIZE = 50
KEEPALIVE_SECONDS = 15.0
QUEUE_ACTIONS = frozenset({"proposed", "withdrawn"})
# What each step on a page sends: a reason, and for an approval the amount to commit.
DECISIONS: dict[str, type[Approval | Decision | Withdrawal]] = {
    "approve": Approval, "reject": Decision, "withdraw": Withdrawal}


async def review_items(db: asyncpg.Connection, ranking: RankingService, lang: str,
                       matches: list[Match]) -> list[dict[str, Any]]:
    """Each proposal with both sides as they stand now (remaining budgets) and why they fit."""
    needs = await get_needs(db, [m.need_id for m in matches])
    offers = await get_offers(db, [m.offer_id for m in matches])
    why = await ranking.each_pair(db, [(m.need_id, m.offer_id) for m in matches], lang)
    return [{"match": m, "need": needs[m.need_id], "offer": offers[m.offer_id],
             "why": why.get((m.need_id, m.offer_id))} for m in matches]


class MatchPages(Controller):
    include_in_schema = False

    @post("/matches/propose")
    async def propose(self, request: Request, data: Form, viewer: NamedDependency[Viewer], lang: NamedDependency[str],
                      db: Db, ranking: NamedDependency[RankingService]) -> Template | Redirect:
        check_csrf(request, viewer, data.get("csrf_token"))

        async def save(proposal: MatchCreate) -> str:
            score = await ranking.pair_score(db, proposal.need_id, proposal.offer_id)
            return f"/matches/{(await propose_match(db, viewer.user, proposal, score)).id}"

        return await submit(db, viewer, lang, data, MatchCreate, save, "refused.html",
                            heading=N_("The match was not proposed"), back=safe_next(data.get("next")))

    @get("/matches/{match_id:int}")
    async def detail(self, match_id: Id, viewer: NamedDependency[Viewer], lang: NamedDependency[str], db: Db,
                     ranking: NamedDependency[RankingService]) -> Template:
        match = await get_match(db, viewer.user, match_id)
        item = (await review_items(db, ranking, lang, [match]))[0]
        return page("matches/detail.html", viewer, lang, match=match, item=item, error=None,
                    **await match_results(db, viewer, match))

    @get("/review")
    async def review(self, request: Request, viewer: NamedDependency[Viewer], lang: NamedDependency[str], db: Db,
                     ranking: NamedDependency[RankingService]) -> Template:
        """The queue of proposals; an htmx request gets the queue alone (to refresh it live)."""
        require_staff(viewer)
        proposed = (await list_matches(db, viewer.user, status="proposed", limit=QUEUE_SIZE, cursor=None)).items
        items = await review_items(db, ranking, lang, proposed)
        name = "review/queue.html" if request.headers.get("HX-Request") else "review/page.html"
        return page(name, viewer, lang, items=items)

    @post("/matches/{match_id:int}/{action:str}")
    async def decide(self, request: Request, match_id: Id, action: FromPath[Literal["approve", "reject", "withdraw"]],
                     data: Form, viewer: NamedDependency[Viewer], lang: NamedDependency[str], db: Db,
                     ranking: NamedDependency[RankingService]) -> Template | Redirect:
        """Approve (the amount may be lowered) or reject, with the reason (coordinators), or
        withdraw one's own proposal; a refusal (409 when it would overcommit) is shown on the card."""
        check_csrf(request, viewer, data.get("csrf_token"))
        if action != "withdraw":
            require_staff(viewer)
        kind = DECISIONS[action]
        error, status = None, 200
        try:
            async with db.transaction():
                decision = decode(kind, body_from_form(kind, data))
                amount = decision.amount if isinstance(decision, Approval) else None
                await transition(db, viewer.user, match_id, action, decision.reason, amount)
        except (InvalidInput, Conflict, Forbidden) as exc:
            error, status = refusal(exc, lang), exc.status
        if not request.headers.get("HX-Request") and error is None:
            return Redirect("/review" if action != "withdraw" else f"/matches/{match_id}", status_code=303)
        match = await get_match(db, viewer.user, match_id)
        item = (await review_items(db, ranking, lang, [match]))[0]
        if request.headers.get("HX-Request"):
            return page("review/card.html", viewer, lang, status_code=status, item=item, match=match, error=error)
        return page("matches/detail.html", viewer, lang, status_code=status, item=item, match=match, error=error,
                    **await match_results(db, viewer, match))

    @get("/review/stream")
    async def stream(self, request: Request, database: NamedDependency[Database],
                     events: NamedDependency[EventHub]) -> ServerSentEvent:
        """A nudge each time a proposal arrives or is withdrawn: the page then fetches its queue afresh."""
        async with database.connection() as conn:  # held only to check the session
            viewer = await provide_viewer(request, conn)
        require_staff(viewer)
        events.check_room(viewer.user)

        async def nudges() -> AsyncGenerator[ServerSentEventMessage, None]:
            with events.subscribe(viewer.user) as feed:
                while True:
                    try:
                        async with asyncio.timeout(KEEPALIVE_SECONDS):
                            event = await feed.events.get()
                    except TimeoutError:
                        yield ServerSentEventMessage(comment="keep-alive")
                        continue
                    # Only what enters or leaves the queue by others' hands (a lagging feed may have missed
                    # one): decisions taken on the page stay on their cards until the next arrival.
                    if event is None or (event.entity == "match" and event.action in QUEUE_ACTIONS):
                        yield ServerSentEventMessage(data="changed", event="queue")

        return ServerSentEvent(nudges())

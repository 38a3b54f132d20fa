"""A state's pages: its organisation's needs, posting and editing one, and for each need the
suggested funders with the reasons, its matches and their decisions."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.response import Redirect, Template

from matchmaker.accounts.guards import ensure_member_or_staff, is_staff
from matchmaker.matches.service import list_matches
from matchmaker.needs.schemas import Need, NeedCreate, NeedUpdate
from matchmaker.needs.service import create_need, get_need, list_needs, update_need
from matchmaker.offers.service import list_offers
from matchmaker.pages.forms import Form, NeedFilters, from_query, submit
from matchmaker.pages.rendering import page
from matchmaker.pages.sessions import Db, Viewer, check_csrf, require_role
from matchmaker.ranking.service import MAX_OFFSET, RankingService
from matchmaker.rules import place_filters
from matchmaker.schemas import decode_offset
from matchmaker.web.params import Cursor, Id

SUGGESTIONS = 10


class NeedSearch(NeedFilters, kw_only=True):
    """The search of needs: the list's ``q`` (by meaning, in any of the three languages) and filters."""

    q: Annotated[str, msgspec.Meta(max_length=500, pattern=r"^[^\x00]*$")] | None = None


def need_values(need: Need) -> dict[str, Any]:
    """A need as its form shows it."""
    values = msgspec.to_builtins(need)
    values["sectors"] = ", ".join(need.sectors)
    return values


def _owns(viewer: Viewer, need: Need) -> bool:
    return viewer.user.organisation_id == need.organisation_id or is_staff(viewer.user)


class NeedPages(Controller):
    path = "/needs"
    include_in_schema = False

    @get("/")
    async def mine(self, viewer: NamedDependency[Viewer], lang: NamedDependency[str], db: Db,
                   cursor: Cursor = None) -> Template:
        require_role(viewer, "state")
        needs = await list_needs(db, organisation_id=viewer.user.organisation_id, limit=20, cursor=cursor, q=None)
        return page("needs/list.html", viewer, lang, needs=needs)

    @get("/find")
    async def find(self, request: Request, viewer: NamedDependency[Viewer], lang: NamedDependency[str], db: Db,
                   cursor: Cursor = None) -> Template:
        """Every open need, searched by meaning in any of the three languages (``q``) and filtered;
        an htmx request (the search changed) gets the results alone."""
        wanted, chosen = from_query(NeedSearch, request.query_params)
        country, region = place_filters(wanted.country, wanted.region)
        needs = await list_needs(db, limit=20, cursor=cursor, q=wanted.q, country=country, region=region,
                                 gcm_objective=wanted.gcm_objective, resource_type=wanted.resource_type, status="open")
        name = "needs/found.html" if request.headers.get("HX-Request") else "needs/find.html"
        return page(name, viewer, lang, needs=needs, filters=chosen)

    @get("/new")
    async def new(self, viewer: NamedDependency[Viewer], lang: NamedDependency[str]) -> Template:
        require_role(viewer, "state")
        return page("needs/form.html", viewer, lang, need=None, values={}, errors={})

    @post("/new")
    async def create(self, request: Request, data: Form, viewer: NamedDependency[Viewer],
                     lang: NamedDependency[str], db: Db) -> Template | Redirect:
        check_csrf(request, viewer, data.get("csrf_token"))

        async def save(need: NeedCreate) -> str:
            return f"/needs/{(await create_need(db, viewer.user, need)).id}"

        return await submit(db, viewer, lang, data, NeedCreate, save, "needs/form.html", need=None)

    @get("/{need_id:int}")
    async def detail(self, need_id: Id, viewer: NamedDependency[Viewer], lang: NamedDependency[str], db: Db,
                     ranking: NamedDependency[RankingService], cursor: Cursor = None) -> Template:
        need = await get_need(db, need_id)
        owner = _owns(viewer, need)
        suggestions = None
        if owner:
            suggestions = (await ranking.offers_for_need(need_id, SUGGESTIONS, None, decode_offset(cursor, MAX_OFFSET), lang)).page
        my_offers = []
        if viewer.role == "donor" and need.status == "open":
            my_offers = (await list_offers(db, organisation_id=viewer.user.organisation_id, status="open",
                                           limit=100, cursor=None, q=None)).items
        matches = (await list_matches(db, viewer.user, need_id=need_id, limit=50, cursor=None)).items
        return page("needs/detail.html", viewer, lang, need=need, owner=owner, suggestions=suggestions,
                    my_offers=my_offers, matches=matches)

    @get("/{need_id:int}/edit")
    async def edit(self, need_id: Id, viewer: NamedDependency[Viewer], lang: NamedDependency[str], db: Db) -> Template:
        need = await get_need(db, need_id)
        ensure_member_or_staff(viewer.user, need.organisation_id, "this need")
        return page("needs/form.html", viewer, lang, need=need, values=need_values(need), errors={})

    @post("/{need_id:int}/edit")
    async def update(self, request: Request, need_id: Id, data: Form, viewer: NamedDependency[Viewer],
                     lang: NamedDependency[str], db: Db) -> Template | Redirect:
        check_csrf(request, viewer, data.get("csrf_token"))

        async def save(patch: NeedUpdate) -> str:
            await update_need(db, viewer.user, need_id, patch)
            return f"/needs/{need_id}"

        need = await get_need(db, need_id)
        ensure_member_or_staff(viewer.user, need.organisation_id, "this need")
        return await submit(db, viewer, lang, data, NeedUpdate, save, "needs/form.html", need=need)

"""A state's pages: its organisation's needs, posting and editing one, and for each need the
suggested funders with the reasons, its matches and their decisions."""

from __future__ import annotations

from typing import Annotated, Any

import asyncpg
import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template

from matchmaker.errors import Conflict, InvalidInput
from matchmaker.matches.service import list_matches
from matchmaker.needs.schemas import Need, NeedCreate, NeedUpdate
from matchmaker.needs.service import create_need, get_need, list_needs, update_need
from matchmaker.offers.service import list_offers
from matchmaker.pages.forms import body_from_form, decode, field_messages
from matchmaker.pages.rendering import page
from matchmaker.pages.sessions import Viewer, check_csrf, require_role
from matchmaker.ranking.service import MAX_OFFSET, RankingService
from matchmaker.schemas import decode_offset
from matchmaker.web.params import Cursor, Id

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
Db = NamedDependency[asyncpg.Connection]
SUGGESTIONS = 10


def need_values(need: Need) -> dict[str, Any]:
    """A need as its form shows it."""
    values = msgspec.to_builtins(need)
    values["sectors"] = ", ".join(need.sectors)
    return values


def _owns(viewer: Viewer, need: Need) -> bool:
    return viewer.user.organisation_id == need.organisation_id or viewer.role in ("coordinator", "admin")


class NeedPages(Controller):
    path = "/needs"
    include_in_schema = False

    @get("/")
    async def mine(self, viewer: NamedDependency[Viewer], lang: NamedDependency[str], db: Db,
                   cursor: Cursor = None) -> Template:
        require_role(viewer, "state")
        needs = await list_needs(db, organisation_id=viewer.user.organisation_id, limit=20, cursor=cursor, q=None)
        return page("needs/list.html", viewer, lang, needs=needs)

    @get("/new")
    async def new(self, viewer: NamedDependency[Viewer], lang: NamedDependency[str]) -> Template:
        require_role(viewer, "state", "coordinator", "admin")
        return page("needs/form.html", viewer, lang, need=None, values={}, errors={})

    @post("/new")
    async def create(self, request: Request, data: Form, viewer: NamedDependency[Viewer],
                     lang: NamedDependency[str], db: Db) -> Template | Redirect:
        check_csrf(request, viewer, data.get("csrf_token"))
        try:
            async with db.transaction():  # a refused need leaves nothing behind
                need = await create_need(db, viewer.user, decode(NeedCreate, body_from_form(NeedCreate, data)))
        except (InvalidInput, Conflict) as exc:
            return self._refused(viewer, lang, None, data, exc)
        return Redirect(f"/needs/{need.id}", status_code=303)

    def _refused(self, viewer: Viewer, lang: str, need: Need | None, data: dict[str, Any],
                 exc: InvalidInput | Conflict) -> Template:
        """The form again, as typed, with each error beside its field."""
        errors = field_messages(exc.errors, lang) if isinstance(exc, InvalidInput) else {"form": exc.detail}
        return page("needs/form.html", viewer, lang, status_code=exc.status, need=need, values=data, errors=errors)

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
        return page("needs/form.html", viewer, lang, need=need, values=need_values(need), errors={})

    @post("/{need_id:int}/edit")
    async def update(self, request: Request, need_id: Id, data: Form, viewer: NamedDependency[Viewer],
                     lang: NamedDependency[str], db: Db) -> Template | Redirect:
        check_csrf(request, viewer, data.get("csrf_token"))
        need = await get_need(db, need_id)
        try:
            async with db.transaction():
                await update_need(db, viewer.user, need_id, decode(NeedUpdate, body_from_form(NeedUpdate, data)))
        except (InvalidInput, Conflict) as exc:
            return self._refused(viewer, lang, need, data, exc)
        return Redirect(f"/needs/{need_id}", status_code=303)

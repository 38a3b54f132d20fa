"""The event feed: poll ``GET /api/v1/events?after=`` or follow ``/api/v1/events/stream`` (SSE)."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncGenerator
from typing import Annotated, Literal

import asyncpg
import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromQuery, HeaderParameter, QueryParameter
from litestar.response import ServerSentEvent, ServerSentEventMessage

from matchmaker.accounts.guards import Caller, is_staff
from matchmaker.accounts.schemas import User
from matchmaker.db.pool import Database
from matchmaker.db.queries import fetch_all
from matchmaker.events.hub import FEED_BACKLOG, EventHub
from matchmaker.events.queries import events_sql
from matchmaker.events.schemas import Event
from matchmaker.schemas import Page, decode_cursor, encode_cursor, to_json
from matchmaker.web.openapi import problems
from matchmaker.web.params import MAX_ID, Cursor, Limit

After = Annotated[int, QueryParameter(ge=0, le=MAX_ID, description="Only events after this id")]
EntityKind = Literal["organisation", "need", "offer", "match", "round"]
KEEPALIVE_SECONDS = 15.0


async def _events_after(conn: asyncpg.Connection, user: User, after: int, limit: int,
                        entity: str | None) -> list[Event]:
    scope = None if is_staff(user) else user.organisation_id
    rows = await fetch_all(events_sql.list_events(conn, after_id=after, organisation_id=scope, entity=entity, lim=limit))
    return [msgspec.convert(dict(r), Event) for r in rows]


class EventController(Controller):
    path = "/api/v1/events"
    tags = ["events"]

    @get("/", operation_id="ListEvents", responses=problems(401, 422))
    async def list(
        self, request: Caller, db: NamedDependency[asyncpg.Connection],
        after: After = 0, entity: FromQuery[EntityKind | None] = None, limit: Limit = 20, cursor: Cursor = None,
    ) -> Page[Event]:
        """Events the caller may see (coordinators: all; others: their organisation's), oldest
        first; pass ``next_cursor`` back as ``cursor`` (or the last id as ``after``) for more."""
        if cursor is not None:
            after = decode_cursor(cursor) or 0
        events = await _events_after(db, request.user, after, limit + 1, entity)
        more = len(events) > limit
        return Page(items=events[:limit], next_cursor=encode_cursor(events[limit - 1].id) if more else None)

    @get("/stream", operation_id="StreamEvents", responses=problems(401, 422, 429), media_type="text/event-stream")
    async def stream(
        self, request: Caller, database: NamedDependency[Database],
        events: NamedDependency[EventHub], after: After = 0,
        last_event_id: Annotated[int | None, HeaderParameter(name="Last-Event-ID", ge=0, le=MAX_ID)] = None,
        max_events: Annotated[int | None, QueryParameter(ge=1, le=10_000, description="Close after this many")] = None,
    ) -> ServerSentEvent:
        """Server-sent events, live: new proposals, decisions, changes to needs and offers."""
        user, hub = request.user, events
        start = last_event_id if last_event_id is not None else after
        hub.check_room(user)  # a 429 now, not once the stream has begun

        async def messages() -> AsyncGenerator[ServerSentEventMessage, None]:
            last, sent, seen = start, 0, deque[int](maxlen=FEED_BACKLOG)
            with hub.subscribe(user) as subscription:  # before the first read: nothing falls between
                backlog = True
                while max_events is None or sent < max_events:
                    if backlog or subscription.lagging:  # what it missed, from the database
                        subscription.lagging, backlog = False, False
                        async with database.connection() as conn:  # held only while reading
                            pending = await _events_after(conn, user, last, 100, None)
                        backlog = len(pending) == 100
                    else:
                        try:
                            nudge_or_event = await asyncio.wait_for(subscription.events.get(), KEEPALIVE_SECONDS)
                        except TimeoutError:
                            yield ServerSentEventMessage(comment="keep-alive")
                            continue
                        pending = [] if nudge_or_event is None else [nudge_or_event]
                    for event in pending:
                        if event.id in seen or (max_events is not None and sent >= max_events):
                            continue
                        seen.append(event.id)
                        last, sent = max(last, event.id), sent + 1
                        yield ServerSentEventMessage(
                            data=to_json(event).decode(), id=str(event.id), event=f"{event.entity}.{event.action}"
                        )

        return ServerSentEvent(messages())

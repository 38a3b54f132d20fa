"""One LISTEN connection per worker process; fans PostgreSQL notifications out in-process.

Every audited change notifies ``matchmaker_events`` (a trigger on ``audit_log``), so each
worker learns of changes made by any other within milliseconds: SSE streams wake up, and the
ranking index refreshes the changed need or offer. When the connection is lost (a database
restart, a network cut) the hub reconnects with back-off, then replays from the audit log
what was announced meanwhile, so nothing that changed is missed.

Live event streams do not query the database for each change: the hub reads the announced
events once per batch (one query, on its own connection) and hands each open stream those
its user may see. A user keeps at most ``STREAMS_PER_USER`` streams open.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import asyncpg
import msgspec

from matchmaker.accounts.guards import is_staff
from matchmaker.accounts.schemas import User
from matchmaker.db.pool import init_connection
from matchmaker.db.queries import fetch_all
from matchmaker.errors import TooManyAttempts
from matchmaker.events.queries import events_sql
from matchmaker.events.schemas import Event

CHANNEL = "matchmaker_events"
LISTENER_NAME = "matchmaker-listener"  # as pg_stat_activity shows it
RECONNECT_SECONDS = (0.1, 0.2, 0.5, 1.0, 2.0, 5.0)  # then every 5 s until the database is back
# Replay starts this many events before the last one seen: audit ids are taken when a change
# is written, but announced when it commits, so a few may arrive out of order.
REPLAY_MARGIN = 1000
REPLAY_PAGE = 1000
STREAMS_PER_USER = 4
KEEPALIVE_HINT = 15  # seconds a client refused another stream may wait before trying again
FEED_BACKLOG = 1000  # events a stream may fall behind by before it reads the feed afresh
log = logging.getLogger(__name__)


class Feed:
    """One open stream's share of the events: those its user may see, in a bounded queue."""

    def __init__(self, user: User) -> None:
        self.user = user
        # Events, and ``None`` as a nudge to look at ``lagging``.
        self.events: asyncio.Queue[Event | None] = asyncio.Queue(maxsize=FEED_BACKLOG + 1)
        self.lagging = False  # it missed some: read the feed from the database again

    def sees(self, organisation_ids: list[int]) -> bool:
        return is_staff(self.user) or self.user.organisation_id in organisation_ids

    def offer(self, event: Event) -> None:
        if self.events.qsize() >= FEED_BACKLOG:
            self.lag()
        else:
            self.events.put_nowait(event)

    def lag(self) -> None:
        self.lagging = True
        if not self.events.full():
            self.events.put_nowait(None)


class EventHub:
    def __init__(self) -> None:
        self._dsn = ""
        self._conn: asyncpg.Connection | None = None
        self._feeds: set[Feed] = set()
        self._callbacks: list[Callable[[dict[str, Any]], None]] = []
        self._last_id = 0
        self._reconnecting: asyncio.Task[None] | None = None
        # Announced event ids the open streams have not been handed yet, and the task reading them.
        self._announced: list[int] = []
        self._fanning: asyncio.Task[None] | None = None
        self._reading = asyncio.Lock()  # one query at a time on the listening connection

    async def start(self, dsn: str) -> None:
        self._dsn = dsn
        await self._listen()
        async with self._reading:
            self._last_id = await events_sql.last_event_id(self._conn)

    async def _listen(self) -> None:
        conn = await asyncpg.connect(self._dsn, server_settings={"application_name": LISTENER_NAME})
        await init_connection(conn)  # it reads events too: the pool's codecs
        await conn.add_listener(CHANNEL, self._notified)
        conn.add_termination_listener(self._lost)
        self._conn = conn

    def _lost(self, conn: asyncpg.Connection) -> None:
        if conn is not self._conn:
            return  # closed on purpose (stop)
        self._conn = None
        log.warning("lost the connection that listens for changes; reconnecting")
        self._reconnecting = asyncio.get_running_loop().create_task(self._reconnect())

    async def _reconnect(self) -> None:
        for attempt in itertools.count():
            await asyncio.sleep(RECONNECT_SECONDS[min(attempt, len(RECONNECT_SECONDS) - 1)])
            try:
                await self._listen()
                await self._replay()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("cannot listen for changes yet (%s); retrying", exc)
                self._close()
                continue
            log.info("listening for changes again, after %d attempt(s)", attempt + 1)
            return

    async def caught_up(self, seconds: float = 5.0) -> None:
        """Wait until every change committed so far has been announced here (tests, and
        anything that must see its own writes in the rankings)."""
        async with self._reading:
            latest = await events_sql.last_event_id(self._conn)
        deadline = asyncio.get_running_loop().time() + seconds
        while self._last_id < latest and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.01)

    async def _replay(self) -> None:
        """Announce again what was written since shortly before the last event seen (listeners
        treat an event twice as once)."""
        after = max(0, self._last_id - REPLAY_MARGIN)
        while True:
            async with self._reading:
                rows = await fetch_all(events_sql.list_events(self._conn, after_id=after, organisation_id=None,
                                                           entity=None, lim=REPLAY_PAGE))
            for row in rows:
                self._dispatch({"id": row["id"], "entity": row["entity"], "entity_id": row["entity_id"],
                                "action": row["action"]})
            if len(rows) < REPLAY_PAGE:
                return
            after = rows[-1]["id"]

    async def stop(self) -> None:
        for task in (self._reconnecting, self._fanning):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        self._close()

    def _close(self) -> None:
        conn, self._conn = self._conn, None  # first: closing on purpose is not a loss
        if conn is not None and not conn.is_closed():
            conn.terminate()  # at once, even when the server no longer answers

    def on_event(self, callback: Callable[[dict[str, Any]], None]) -> None:
        self._callbacks.append(callback)

    def check_room(self, user: User) -> None:
        """429 when ``user`` already has ``STREAMS_PER_USER`` streams open."""
        if sum(feed.user.id == user.id for feed in self._feeds) >= STREAMS_PER_USER:
            raise TooManyAttempts(f"at most {STREAMS_PER_USER} event streams at once per user: close one first",
                                  retry_after=KEEPALIVE_HINT)

    @contextmanager
    def subscribe(self, user: User) -> Iterator[Feed]:
        """A feed of the events ``user`` may see, from now on."""
        feed = Feed(user)
        self._feeds.add(feed)
        try:
            yield feed
        finally:
            self._feeds.discard(feed)

    def _notified(self, conn: object, pid: int, channel: str, payload: str) -> None:
        self._dispatch(json.loads(payload))

    def _dispatch(self, event: dict[str, Any]) -> None:
        self._last_id = max(self._last_id, int(event.get("id") or 0))
        for callback in self._callbacks:
            try:
                callback(event)
            except Exception:  # one failing listener must not starve the others
                log.exception("event callback failed for %s", event)
        if self._feeds and event.get("id"):
            self._announced.append(int(event["id"]))
            if self._fanning is None or self._fanning.done():
                self._fanning = asyncio.get_running_loop().create_task(self._fan_out())

    async def _fan_out(self) -> None:
        """Read the announced events in one query per batch and hand them to the open streams."""
        while self._announced and self._feeds:
            ids, self._announced = self._announced, []
            try:
                async with self._reading:
                    if self._conn is None:
                        raise asyncpg.InterfaceError("not connected")
                    rows = await fetch_all(events_sql.events_by_ids(self._conn, ids=ids))
                events = [(msgspec.convert({k: v for k, v in dict(r).items() if k != "organisation_ids"}, Event),
                           r["organisation_ids"]) for r in rows]
            except Exception as exc:  # whatever it was, the streams catch up from the database
                log.warning("cannot read new events for the streams (%s): they read the feed again", exc)
                for feed in self._feeds:
                    feed.lag()
                return
            for event, organisation_ids in events:
                for feed in list(self._feeds):
                    if feed.sees(organisation_ids):
                        feed.offer(event)

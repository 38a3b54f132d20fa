"""One LISTEN connection per worker process; fans PostgreSQL notifications out in-process.

Every audited change notifies ``matchmaker_events`` (a trigger on ``audit_log``), so each
worker learns of changes made by any other within milliseconds: SSE streams wake up, and the
ranking index refreshes the changed need or offer. When the connection is lost (a database
restart, a network cut) the hub reconnects with back-off, then replays from the audit log
what was announced meanwhile, so nothing that changed is missed.
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

from matchmaker.db.queries import fetch_all, queries

CHANNEL = "matchmaker_events"
LISTENER_NAME = "matchmaker-listener"  # as pg_stat_activity shows it
RECONNECT_SECONDS = (0.1, 0.2, 0.5, 1.0, 2.0, 5.0)  # then every 5 s until the database is back
# Replay starts this many events before the last one seen: audit ids are taken when a change
# is written, but announced when it commits, so a few may arrive out of order.
REPLAY_MARGIN = 1000
REPLAY_PAGE = 1000
log = logging.getLogger(__name__)


class EventHub:
    def __init__(self) -> None:
        self._dsn = ""
        self._conn: asyncpg.Connection | None = None
        self._queues: set[asyncio.Queue[dict[str, Any]]] = set()
        self._callbacks: list[Callable[[dict[str, Any]], None]] = []
        self._last_id = 0
        self._reconnecting: asyncio.Task[None] | None = None

    async def start(self, dsn: str) -> None:
        self._dsn = dsn
        await self._listen()
        self._last_id = await queries.last_event_id(self._conn)

    async def _listen(self) -> None:
        conn = await asyncpg.connect(self._dsn, server_settings={"application_name": LISTENER_NAME})
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

    async def _replay(self) -> None:
        """Announce again what was written since shortly before the last event seen (listeners
        treat an event twice as once)."""
        after = max(0, self._last_id - REPLAY_MARGIN)
        while True:
            rows = await fetch_all(queries.list_events(self._conn, after_id=after, organisation_id=None, entity=None,
                                                       lim=REPLAY_PAGE))
            for row in rows:
                self._dispatch({"id": row["id"], "entity": row["entity"], "entity_id": row["entity_id"],
                                "action": row["action"]})
            if len(rows) < REPLAY_PAGE:
                return
            after = rows[-1]["id"]

    async def stop(self) -> None:
        if self._reconnecting is not None:
            self._reconnecting.cancel()
            await asyncio.gather(self._reconnecting, return_exceptions=True)
        self._close()

    def _close(self) -> None:
        conn, self._conn = self._conn, None  # first: closing on purpose is not a loss
        if conn is not None and not conn.is_closed():
            conn.terminate()  # at once, even when the server no longer answers

    def on_event(self, callback: Callable[[dict[str, Any]], None]) -> None:
        self._callbacks.append(callback)

    @contextmanager
    def subscribe(self) -> Iterator[asyncio.Queue[dict[str, Any]]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=1000)
        self._queues.add(queue)
        try:
            yield queue
        finally:
            self._queues.discard(queue)

    def _notified(self, conn: object, pid: int, channel: str, payload: str) -> None:
        self._dispatch(json.loads(payload))

    def _dispatch(self, event: dict[str, Any]) -> None:
        self._last_id = max(self._last_id, int(event.get("id") or 0))
        for callback in self._callbacks:
            try:
                callback(event)
            except Exception:  # one failing listener must not starve the others
                log.exception("event callback failed for %s", event)
        for queue in self._queues:
            if not queue.full():  # a stalled client re-reads the feed from its last id anyway
                queue.put_nowait(event)

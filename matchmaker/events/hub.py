"""One LISTEN connection per worker process; fans PostgreSQL notifications out in-process.

Every audited change notifies ``matchmaker_events`` (a trigger on ``audit_log``), so each
worker learns of changes made by any other within milliseconds: SSE streams wake up, and the
ranking index refreshes the changed need or offer.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import asyncpg

CHANNEL = "matchmaker_events"
log = logging.getLogger(__name__)


class EventHub:
    def __init__(self) -> None:
        self._conn: asyncpg.Connection | None = None
        self._queues: set[asyncio.Queue[dict[str, Any]]] = set()
        self._callbacks: list[Callable[[dict[str, Any]], None]] = []

    async def start(self, dsn: str) -> None:
        self._conn = await asyncpg.connect(dsn)
        await self._conn.add_listener(CHANNEL, self._notified)

    async def stop(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

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
        event = json.loads(payload)
        for callback in self._callbacks:
            try:
                callback(event)
            except Exception:  # one failing listener must not starve the others
                log.exception("event callback failed for %s", event)
        for queue in self._queues:
            if not queue.full():  # a stalled client re-reads the feed from its last id anyway
                queue.put_nowait(event)

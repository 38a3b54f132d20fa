"""The SQL of the event feed (the audit log as events) (``sql/queries/events.sql``), typed: what each query takes and gives."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Protocol

from asyncpg import Connection, Record

from matchmaker.db.queries import load


class EventQueries(Protocol):
    """``sql/queries/events.sql``."""

    def list_events(
        self, conn: Connection, *, after_id: int, organisation_id: int | None, entity: str | None, lim: int,
    ) -> AsyncIterator[Record]: ...
    async def last_event_id(self, conn: Connection) -> Any: ...
    def events_by_ids(self, conn: Connection, *, ids: list[int]) -> AsyncIterator[Record]: ...


events_sql: EventQueries = load("events", EventQueries)

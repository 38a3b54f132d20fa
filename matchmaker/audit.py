"""The audit trail: each change is recorded in the transaction that makes it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from datetime import date, datetime
from typing import Any, Protocol

import asyncpg
import msgspec
from asyncpg import Connection, Record

from matchmaker.accounts.guards import is_staff
from matchmaker.accounts.schemas import User
from matchmaker.db.queries import fetch_all, load


class AuditQueries(Protocol):
    """``sql/queries/audit.sql``."""

    async def insert_audit(
        self, conn: Connection, *, actor_id: int | None, entity: str, entity_id: int, action: str, changes: Any,
        reason: str | None, organisation_ids: list[int],
    ) -> Any: ...
    def entity_history(self, conn: Connection, *, entity: str, entity_id: int) -> AsyncIterator[Record]: ...


audit_sql: AuditQueries = load("audit", AuditQueries)



class HistoryEntry(msgspec.Struct, frozen=True):
    """One step of an entity's history: who (role and organisation; the e-mail address only
    for coordinators, admins and the actor themself), what, when and why."""

    id: int
    at: datetime
    actor_id: int | None
    actor_email: str | None
    actor_role: str | None
    actor_organisation: str | None
    action: str
    changes: dict[str, Any]
    reason: str | None


def _plain(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` for the fields whose value changed."""
    return {k: [_plain(old.get(k)), _plain(v)] for k, v in new.items() if _plain(old.get(k)) != _plain(v)}


async def record(
    conn: asyncpg.Connection,
    *,
    actor_id: int | None,
    entity: str,
    entity_id: int,
    action: str,
    changes: dict[str, Any] | None = None,
    reason: str | None = None,
    organisation_ids: Iterable[int] = (),
) -> int:
    return await audit_sql.insert_audit(
        conn, actor_id=actor_id, entity=entity, entity_id=entity_id, action=action,
        changes={k: _plain(v) if not isinstance(v, list) else [_plain(x) for x in v] for k, v in (changes or {}).items()},
        reason=reason, organisation_ids=sorted(set(organisation_ids)),
    )


async def history(conn: asyncpg.Connection, entity: str, entity_id: int, viewer: User) -> list[HistoryEntry]:
    rows = await fetch_all(audit_sql.entity_history(conn, entity=entity, entity_id=entity_id))
    entries = [msgspec.convert(dict(r), HistoryEntry) for r in rows]
    if is_staff(viewer):
        return entries
    return [e if e.actor_id == viewer.id else msgspec.structs.replace(e, actor_email=None) for e in entries]

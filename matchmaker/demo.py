"""Load the demo data of ``seed/`` through the same services the API uses; a second run adds nothing.

What is there already is found in a few queries first, so a second run is cheap: it creates
nothing and calls no service. The services are imported only when something is to be created:
with them come the web stack and password hashing (together ~0.5 s).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any, Protocol

import asyncpg
import msgspec
from asyncpg import Connection, Record

from matchmaker.accounts.queries import accounts_sql
from matchmaker.accounts.schemas import UserCreate
from matchmaker.db.queries import fetch_all, load
from matchmaker.errors import Conflict
from matchmaker.needs.schemas import NeedCreate
from matchmaker.offers.schemas import OfferCreate
from matchmaker.organisations.queries import organisations_sql
from matchmaker.organisations.schemas import Organisation, OrganisationCreate
from matchmaker.schemas import convert_input
from matchmaker.settings import SEED_DIR


class DemoQueries(Protocol):
    """``sql/queries/demo.sql``."""

    def organisations_named(self, conn: Connection, *, names: list[str]) -> AsyncIterator[Record]: ...
    def user_emails(self, conn: Connection, *, emails: list[str]) -> AsyncIterator[Record]: ...
    def need_references(self, conn: Connection, *, organisation_ids: list[int]) -> AsyncIterator[Record]: ...
    def offer_references(self, conn: Connection, *, organisation_ids: list[int]) -> AsyncIterator[Record]: ...


demo_sql: DemoQueries = load("demo", DemoQueries)

#: Called as ``progress(step, done, total)`` while loading.
Progress = Callable[[str, int, int | None], None]


def _load(name: str) -> list[dict[str, Any]]:
    return json.loads((SEED_DIR / name).read_text(encoding="utf-8"))


async def _organisations(conn: asyncpg.Connection, counts: dict[str, int], progress: Progress) -> dict[str, Organisation]:
    items = _load("organisations.json")
    rows = await fetch_all(demo_sql.organisations_named(conn, names=[item["name"] for item in items]))
    existing = {row["name"]: msgspec.convert(dict(row), Organisation) for row in rows}
    orgs = {}
    for done, item in enumerate(items, start=1):
        orgs[item["key"]] = existing.get(item["name"]) or await _create_organisation(conn, item, counts)
        progress("organisations", done, len(items))
    return orgs


async def _create_organisation(conn: asyncpg.Connection, item: dict[str, Any], counts: dict[str, int]) -> Organisation:
    from matchmaker.organisations.service import create_organisation

    data = msgspec.convert({"external_id": item["key"], **{k: v for k, v in item.items() if k != "key"}},
                           OrganisationCreate)
    try:
        organisation = await create_organisation(conn, data)
    except Conflict:  # created meanwhile by another seed
        row = await organisations_sql.get_organisation_by_name(conn, name=data.name)
        assert row is not None  # the name that conflicted
        return msgspec.convert(dict(row), Organisation)
    counts["organisations"] += 1
    return organisation


async def _users(conn: asyncpg.Connection, orgs: dict[str, Organisation], counts: dict[str, int],
                 progress: Progress) -> int:
    """Create the missing demo accounts; returns the id of the demo admin, who posts the demo needs and offers."""
    items = _load("users.json")
    existing = {row["email"]: row["id"] for row in await fetch_all(
        demo_sql.user_emails(conn, emails=[item["email"].strip().lower() for item in items]))}
    admin = None
    for done, item in enumerate(items, start=1):
        user_id = existing.get(item["email"].strip().lower()) or await _create_user(conn, item, orgs, counts)
        if item["role"] == "admin":
            admin = user_id
        progress("users", done, len(items))
    if admin is None:
        raise RuntimeError("seed/users.json must hold an admin account: demo needs and offers are posted by it")
    return admin


async def _create_user(conn: asyncpg.Connection, item: dict[str, Any], orgs: dict[str, Organisation],
                       counts: dict[str, int]) -> int:
    from matchmaker.accounts.service import create_user

    organisation = orgs[item["organisation"]].id if item.get("organisation") else None
    data = UserCreate(email=item["email"], password=item["password"], role=item["role"], organisation_id=organisation)
    try:
        user = await create_user(conn, data)
    except Conflict:  # created meanwhile by another seed
        row = await accounts_sql.get_user_credentials(conn, email=data.email.strip().lower())
        assert row is not None  # the address that conflicted
        return row["id"]
    counts["users"] += 1
    return user.id


async def _postings(conn: asyncpg.Connection, kind: str, orgs: dict[str, Organisation], admin_id: int,
                    counts: dict[str, int], progress: Progress) -> None:
    """Post the missing demo needs or offers (``kind``), as the demo admin."""
    references = demo_sql.need_references if kind == "needs" else demo_sql.offer_references
    items = _load(f"{kind}.json")
    rows = await fetch_all(references(conn, organisation_ids=[org.id for org in orgs.values()]))
    existing = {(row["organisation_id"], row["reference"]) for row in rows}
    missing = [item for item in items if (orgs[item["organisation"]].id, item.get("reference")) not in existing]
    progress(kind, len(items) - len(missing), len(items))
    if not missing:
        return
    from matchmaker.accounts.service import get_user
    from matchmaker.needs.service import create_need
    from matchmaker.offers.service import create_offer

    actor = await get_user(conn, admin_id)
    assert actor is not None  # created above

    async def create(fields: dict[str, Any]) -> None:
        if kind == "needs":
            await create_need(conn, actor, convert_input(fields, NeedCreate))
        else:
            await create_offer(conn, actor, convert_input(fields, OfferCreate))

    for done, item in enumerate(missing, start=len(items) - len(missing) + 1):
        fields = {k: v for k, v in item.items() if k != "organisation"}
        try:
            await create({**fields, "organisation_id": orgs[item["organisation"]].id})
            counts[kind] += 1
        except Conflict:
            pass  # posted meanwhile by another seed (same organisation and reference)
        progress(kind, done, len(items))


async def load_demo_data(conn: asyncpg.Connection, progress: Progress = lambda *_: None) -> dict[str, int]:
    """Create what is missing of the demo organisations, users, needs and offers; count what is new."""
    counts = dict.fromkeys(("organisations", "users", "needs", "offers"), 0)
    orgs = await _organisations(conn, counts, progress)
    admin_id = await _users(conn, orgs, counts, progress)
    for kind in ("needs", "offers"):
        await _postings(conn, kind, orgs, admin_id, counts, progress)
    return counts

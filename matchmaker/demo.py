"""Load the demo data of ``seed/`` through the same services the API uses; a second run adds nothing."""

from __future__ import annotations

import json
from typing import Any

import asyncpg
import msgspec

from matchmaker.accounts.queries import accounts_sql
from matchmaker.accounts.schemas import User, UserCreate
from matchmaker.accounts.service import create_user, get_user
from matchmaker.errors import Conflict
from matchmaker.needs.schemas import NeedCreate
from matchmaker.needs.service import create_need
from matchmaker.offers.schemas import OfferCreate
from matchmaker.offers.service import create_offer
from matchmaker.organisations.queries import organisations_sql
from matchmaker.organisations.schemas import Organisation, OrganisationCreate
from matchmaker.organisations.service import create_organisation
from matchmaker.schemas import convert_input
from matchmaker.settings import SEED_DIR


def _load(name: str) -> list[dict[str, Any]]:
    return json.loads((SEED_DIR / name).read_text(encoding="utf-8"))


async def _organisation(conn: asyncpg.Connection, item: dict[str, Any]) -> tuple[Organisation, bool]:
    data = msgspec.convert(
        {"external_id": item["key"], **{k: v for k, v in item.items() if k != "key"}}, OrganisationCreate
    )
    try:
        return await create_organisation(conn, data), True
    except Conflict:
        row = await organisations_sql.get_organisation_by_name(conn, name=data.name)
        return msgspec.convert(dict(row), Organisation), False


async def _user(conn: asyncpg.Connection, item: dict[str, Any], orgs: dict[str, Organisation]) -> tuple[User | None, bool]:
    organisation = orgs[item["organisation"]].id if item.get("organisation") else None
    data = UserCreate(email=item["email"], password=item["password"], role=item["role"], organisation_id=organisation)
    try:
        return await create_user(conn, data), True
    except Conflict:
        row = await accounts_sql.get_user_credentials(conn, email=data.email)
        return await get_user(conn, row["id"]), False


async def load_demo_data(conn: asyncpg.Connection) -> dict[str, int]:
    """Create what is missing of the demo organisations, users, needs and offers; count what is new."""
    counts = dict.fromkeys(("organisations", "users", "needs", "offers"), 0)
    orgs: dict[str, Organisation] = {}
    for item in _load("organisations.json"):
        orgs[item["key"]], new = await _organisation(conn, item)
        counts["organisations"] += new
    actor = None
    for item in _load("users.json"):
        user, new = await _user(conn, item, orgs)
        counts["users"] += new
        if user is not None and user.role == "admin":
            actor = user
    if actor is None:
        raise RuntimeError("seed/users.json must hold an admin account: demo needs and offers are posted by it")
    for name, kind, struct, create in (
        ("needs.json", "needs", NeedCreate, create_need),
        ("offers.json", "offers", OfferCreate, create_offer),
    ):
        for item in _load(name):
            fields = {k: v for k, v in item.items() if k != "organisation"}
            data = convert_input({**fields, "organisation_id": orgs[item["organisation"]].id}, struct)
            try:
                await create(conn, actor, data)
            except Conflict:
                continue  # already there (same organisation and reference)
            counts[kind] += 1
    return counts

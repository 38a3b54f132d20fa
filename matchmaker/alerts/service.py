"""Subscription use cases: a funder subscribes on its own offers (coordinators on any), lists
and reads its subscriptions with their delivery log, and switches them off or on again."""

from __future__ import annotations

import json
import secrets

import asyncpg
import msgspec

from matchmaker.accounts.guards import ensure_member_or_staff, is_staff
from matchmaker.accounts.schemas import User
from matchmaker.alerts.queries import alerts_sql
from matchmaker.alerts.schemas import Delivery, NewSubscription, Subscription, SubscriptionCreate, SubscriptionUpdate
from matchmaker.db.queries import fetch_all
from matchmaker.errors import InvalidInput, NotFound
from matchmaker.rules import place_filters
from matchmaker.schemas import Page, decode_cursor, page


def _filters(data: SubscriptionCreate) -> dict[str, object]:
    """The filters as the needs list takes them: a place in any case or language, as stored."""
    try:
        country, region = place_filters(data.filters.country, data.filters.region)
    except InvalidInput as exc:
        raise InvalidInput.every([{"field": f"filters.{e['field']}", "message": e["message"]} for e in exc.errors]) from exc
    filters = msgspec.to_builtins(data.filters)
    return {**filters, **({"country": country} if country else {}), **({"region": region} if region else {})}


async def _visible(conn: asyncpg.Connection, user: User, subscription_id: int) -> asyncpg.Record:
    row = await alerts_sql.get_subscription(conn, id=subscription_id)
    if row is None or not (is_staff(user) or row["organisation_id"] == user.organisation_id):
        raise NotFound(f"subscription {subscription_id} does not exist")
    return row


async def subscribe(conn: asyncpg.Connection, user: User, data: SubscriptionCreate) -> NewSubscription:
    if data.webhook_url is None and data.email is None:
        raise InvalidInput("webhook_url", "give a webhook_url, an email, or both")
    owner = await alerts_sql.offer_owner(conn, id=data.offer_id)
    if owner is None:
        raise InvalidInput("offer_id", f"offer {data.offer_id} does not exist")
    ensure_member_or_staff(user, owner["organisation_id"], "this offer")
    secret = secrets.token_urlsafe(32)
    subscription_id = await alerts_sql.insert_subscription(
        conn, organisation_id=owner["organisation_id"], offer_id=data.offer_id, filters=_filters(data),
        min_score=data.min_score, top=data.top, webhook_url=data.webhook_url, email=data.email, secret=secret,
        created_by=user.id,
    )
    return NewSubscription(**msgspec.structs.asdict(await get_subscription(conn, user, subscription_id)), secret=secret)


async def get_subscription(conn: asyncpg.Connection, user: User, subscription_id: int) -> Subscription:
    return msgspec.convert(dict(await _visible(conn, user, subscription_id)), Subscription)


async def list_subscriptions(conn: asyncpg.Connection, user: User, *, limit: int, cursor: str | None) -> Page[Subscription]:
    rows = await fetch_all(alerts_sql.list_subscriptions(
        conn, organisation_id=None if is_staff(user) else user.organisation_id, before_id=decode_cursor(cursor),
        lim=limit + 1))
    return page([msgspec.convert(dict(r), Subscription) for r in rows], limit)


async def update_subscription(conn: asyncpg.Connection, user: User, subscription_id: int,
                              data: SubscriptionUpdate) -> Subscription:
    await _visible(conn, user, subscription_id)
    await alerts_sql.set_subscription_active(conn, id=subscription_id, active=data.active)
    return await get_subscription(conn, user, subscription_id)


async def list_deliveries(conn: asyncpg.Connection, user: User, subscription_id: int) -> Page[Delivery]:
    """The subscription's last hundred alerts, newest first, each with its attempts."""
    await _visible(conn, user, subscription_id)
    rows = await fetch_all(alerts_sql.list_deliveries(conn, subscription_id=subscription_id, lim=100))
    return Page(items=[msgspec.convert({**dict(r), "id": str(r["id"]), "body": json.loads(r["body"])}, Delivery)
                       for r in rows], next_cursor=None)

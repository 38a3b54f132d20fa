"""Alert routes: funders' subscriptions and their delivery log."""

from __future__ import annotations

import asyncpg
from litestar import Controller, Response, get, patch, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from matchmaker.accounts.guards import Caller, requires_role
from matchmaker.alerts.schemas import Delivery, NewSubscription, Subscription, SubscriptionCreate, SubscriptionUpdate
from matchmaker.alerts.service import (
    get_subscription,
    list_deliveries,
    list_subscriptions,
    subscribe,
    update_subscription,
)
from matchmaker.schemas import Page
from matchmaker.web.openapi import problems
from matchmaker.web.params import Cursor, Id, Limit
from matchmaker.web.responses import created

Db = NamedDependency[asyncpg.Connection]


class AlertController(Controller):
    path = "/api/v1/alerts/subscriptions"
    tags = ["alerts"]
    guards = [requires_role("donor", "coordinator", "admin")]

    @post("/", operation_id="Subscribe", responses=problems(401, 403, 422))
    async def subscribe(self, request: Caller, data: JSONBody[SubscriptionCreate], db: Db) -> Response[NewSubscription]:
        """Be told when a new or changed need ranks among an offer's top results: by a signed webhook, by e-mail, or both (the secret is shown this once)."""
        subscription = await subscribe(db, request.user, data)
        return created(subscription, f"/api/v1/alerts/subscriptions/{subscription.id}")

    @get("/", operation_id="ListSubscriptions", responses=problems(401, 403, 422))
    async def list(self, request: Caller, db: Db, limit: Limit = 20, cursor: Cursor = None) -> Page[Subscription]:
        """List the caller's organisation's subscriptions (coordinators: all), newest first."""
        return await list_subscriptions(db, request.user, limit=limit, cursor=cursor)

    @get("/{subscription_id:int}", operation_id="GetSubscription", responses=problems(401, 403, 404, 422))
    async def read(self, request: Caller, subscription_id: Id, db: Db) -> Subscription:
        """Read a subscription: whether it is on, and its failures in a row."""
        return await get_subscription(db, request.user, subscription_id)

    @patch("/{subscription_id:int}", operation_id="UpdateSubscription", responses=problems(401, 403, 404, 422))
    async def update(self, request: Caller, subscription_id: Id, data: JSONBody[SubscriptionUpdate], db: Db) -> Subscription:
        """Switch a subscription off, or on again (its failures are forgotten, its pending alerts sent)."""
        return await update_subscription(db, request.user, subscription_id, data)

    @get("/{subscription_id:int}/deliveries", operation_id="ListSubscriptionDeliveries",
         responses=problems(401, 403, 404, 422))
    async def deliveries(self, request: Caller, subscription_id: Id, db: Db) -> Page[Delivery]:
        """The delivery log: the subscription's last hundred alerts, newest first, each with every attempt."""
        return await list_deliveries(db, request.user, subscription_id)

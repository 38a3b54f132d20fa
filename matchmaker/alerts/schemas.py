"""Alert subscription and delivery Structs at the API boundary: one per direction."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec

from matchmaker.schemas import EntityId, GcmObjective
from matchmaker.vocabulary import CapacityArea, ResourceType

WebhookUrl = Annotated[str, msgspec.Meta(max_length=2000, pattern=r"^https?://[^\s\x00]+$")]
Email = Annotated[str, msgspec.Meta(max_length=320, pattern=r"^[^@\s\x00]+@[^@\s\x00]+$")]


class AlertFilters(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, omit_defaults=True):
    """The needs list's filters: only needs that pass them are alerted."""

    #: ISO 3166-1 alpha-3, any case.
    country: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z]{3}$")] | None = None
    region: Annotated[str, msgspec.Meta(max_length=100, pattern=r"^[^\x00]*$")] | None = None
    gcm_objective: GcmObjective | None = None
    capacity_area: CapacityArea | None = None
    resource_type: ResourceType | None = None


class SubscriptionCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    offer_id: EntityId
    filters: AlertFilters = msgspec.field(default_factory=AlertFilters)
    #: The lowest score that counts (0-1).
    min_score: Annotated[float, msgspec.Meta(ge=0, le=1)] = 0.0
    #: How many of the offer's best-ranked needs count.
    top: Annotated[int, msgspec.Meta(ge=1, le=100)] = 20
    #: Where alerts are POSTed (signed); and/or where they are e-mailed.
    webhook_url: WebhookUrl | None = None
    email: Email | None = None


class SubscriptionUpdate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    #: Switched on again, a subscription starts afresh (no failures counted).
    active: bool


class Subscription(msgspec.Struct, frozen=True):
    id: int
    organisation_id: int
    offer_id: int
    filters: dict[str, Any]
    min_score: float
    top: int
    webhook_url: str | None
    email: str | None
    active: bool
    #: Failed attempts in a row; at the configured limit the subscription is switched off.
    consecutive_failures: int
    created_at: datetime


class NewSubscription(Subscription, frozen=True):
    """A subscription as created: with the secret its webhooks are signed with, shown this once."""

    secret: str = ""


class Attempt(msgspec.Struct, frozen=True):
    at: datetime
    ok: bool
    status_code: int | None
    error: str | None


class Delivery(msgspec.Struct, frozen=True):
    """One alert to one receiver and every attempt to deliver it."""

    id: str
    need_id: int
    channel: str
    status: str
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    delivered_at: datetime | None
    #: What was (or will be) sent: the webhook's JSON body.
    body: dict[str, Any]
    log: list[Attempt]
